/**
 * One line of the audit trail: a remediation decision as recorded and served by
 * GET /api/v1/audit (snake_case like the rest of the API; add fields freely, rename none).
 */
import type { FindingCode } from '../reconcile/report';
import { isoTime } from '../reconcile/text';
import type { Decision, DecisionKind, RemediationMode, RestartCall, SkipReason } from './types';

export interface AuditRecord {
  /** ISO 8601: when it was decided. */
  readonly at: string;
  readonly component: string;
  readonly decision: DecisionKind;
  /** Why it was skipped; null for act and dry-run. */
  readonly reason: SkipReason | null;
  readonly detail: string;
  readonly mode: RemediationMode;
  readonly triggers: readonly FindingCode[];
  /** The platform call made (act) or that would have been made (dry-run); null for a skip. */
  readonly call: RestartCall | null;
  /** act only: ok or error; null otherwise. */
  readonly outcome: 'ok' | 'error' | null;
  /** act: the deployment the platform started for the restart. */
  readonly deployment_id: string | null;
  /** act: why the call failed (no secret in it). */
  readonly error: string | null;
  /** ISO 8601: when the skip reason ends by itself (cooldown, firing long enough). */
  readonly until: string | null;
  /** The leader lease's fencing token at the time, null without a lease. */
  readonly fencing_token: number | null;
}

/** A recorded entry: its id in the trail (the stream id in Redis) and the record. */
export interface AuditEntry extends AuditRecord {
  readonly id: string;
}

/** What the executor adds to a decision when it records it. */
export interface AuditContext {
  readonly atMs: number;
  readonly mode: RemediationMode;
  readonly fencingToken: number | null;
  readonly outcome?: { readonly deploymentId: string } | { readonly error: string };
}

export function auditRecordOf(decision: Decision, context: AuditContext): AuditRecord {
  const outcome = context.outcome;
  return {
    at: isoTime(context.atMs),
    component: decision.component,
    decision: decision.kind,
    reason: decision.kind === 'skip' ? decision.reason : null,
    detail: decision.detail,
    mode: context.mode,
    triggers: decision.triggers,
    call: decision.kind === 'skip' ? null : decision.call,
    outcome: outcome === undefined ? null : 'error' in outcome ? 'error' : 'ok',
    deployment_id: outcome !== undefined && 'deploymentId' in outcome ? outcome.deploymentId : null,
    error: outcome !== undefined && 'error' in outcome ? outcome.error : null,
    until: decision.kind === 'skip' && decision.untilMs !== null ? isoTime(decision.untilMs) : null,
    fencing_token: context.fencingToken,
  };
}

/** An action (or dry run) counts against the cooldown: a restart attempt, failed or not, and a dry run alike. */
export function isAction(record: AuditRecord): boolean {
  return record.decision === 'act' || record.decision === 'dry-run';
}
