/**
 * Runs the remediation decisions: on every published report it decides (decide.ts) and, on the
 * leader only, restarts through PlatformActions, records every action and dry run, and every
 * change of a component's decision, in the audit trail and the log. A skip that holds is not
 * recorded again on every reconcile.
 *
 * It runs beside the reconcile loop, never in it: reports are considered one at a time in the
 * background, and one arriving while another is considered replaces any that waits, so a slow
 * platform call never queues work or delays a reconcile.
 */
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { PlatformActions } from '../platform/actions';
import type { ReportWithoutInstances } from '../reconcile/report';
import type { AuditContext } from './audit-entry';
import { auditRecordOf } from './audit-entry';
import type { AuditTrail } from './audit-trail';
import { decideRemediation } from './decide';
import type { Decision, FiringSource, LeaderLease, RemediationPolicy } from './types';

export interface RemediationExecutorOptions {
  readonly policy: RemediationPolicy;
  /** null: the platform source cannot act (static). */
  readonly actions: PlatformActions | null;
  /** What is firing (the notifier); null: nothing ever is, so nothing is done. */
  readonly firing: FiringSource | null;
  /** null: no lease, this aggregator runs alone and leads. */
  readonly leadership: LeaderLease | null;
  readonly audit: AuditTrail;
  readonly clock: Clock;
  readonly log: Logger;
}

/** A key for "the same decision": kind and reason, not the times in its detail. */
function decisionKey(decision: Decision): string {
  return decision.kind === 'skip' ? `skip:${decision.reason}` : decision.kind;
}

export class RemediationExecutor {
  private readonly lastKey = new Map<string, string>();
  /** null until read from the audit trail (as leader), and after a failed read. */
  private lastActionMs: Map<string, number> | null = null;
  /** The lease token the last actions were read under: a new term reads them again. */
  private readUnder: number | null | undefined = undefined;
  private waiting: ReportWithoutInstances | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  private auditFailing = false;

  constructor(private readonly options: RemediationExecutorOptions) {}

  /** Considers a report in the background (see the module comment). Never throws. */
  consider(report: ReportWithoutInstances): void {
    if (this.closed) return;
    this.waiting = report;
    this.running ??= this.drain();
  }

  /** Resolves once no report is being considered or waiting. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** Idempotent: drops a waiting report and lets the one being considered finish. */
  close(): Promise<void> {
    this.closed = true;
    this.waiting = null;
    return this.idle();
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting !== null && !this.closed) {
        const report = this.waiting;
        this.waiting = null;
        try {
          await this.step(report);
        } catch (err) {
          this.options.log.error('remediation step failed', { err });
        }
      }
    } finally {
      this.running = null;
    }
  }

  private async step(report: ReportWithoutInstances): Promise<void> {
    const { options } = this;
    const leader = options.leadership?.isLeader() ?? true;
    const token = options.leadership?.fencingToken() ?? null;
    const nowMs = options.clock.now();
    if (leader) await this.readLastActions(token, nowMs);
    const decisions = decideRemediation({
      report,
      firing: options.firing?.firing() ?? [],
      nowMs,
      policy: options.policy,
      lastActionMs: this.lastActionMs,
      leader,
      canAct: options.actions !== null,
    });
    const seen = new Set<string>();
    for (const decision of decisions) {
      seen.add(decision.component);
      if (this.closed) return;
      await this.run(decision, { atMs: nowMs, mode: options.policy.mode, fencingToken: token }, leader);
    }
    for (const component of [...this.lastKey.keys()])
      if (!seen.has(component)) this.lastKey.delete(component);
  }

  /** Reads each component's last action from the trail when it is unknown or a new term began. */
  private async readLastActions(token: number | null, nowMs: number): Promise<void> {
    if (this.lastActionMs !== null && this.readUnder === token) return;
    try {
      this.lastActionMs = await this.options.audit.lastActions(nowMs - this.options.policy.cooldownMs);
      this.readUnder = token;
      this.auditRecovered();
    } catch (err) {
      this.lastActionMs = null;
      this.auditTrouble('read', err);
    }
  }

  private async run(decision: Decision, context: AuditContext, leader: boolean): Promise<void> {
    const key = decisionKey(decision);
    const changed = this.lastKey.get(decision.component) !== key;
    this.lastKey.set(decision.component, key);
    if (decision.kind === 'skip') {
      if (changed) await this.record(decision, context, leader);
      return;
    }
    // Counted before the call: an attempt, failed or not, is what the cooldown limits.
    this.lastActionMs?.set(decision.component, context.atMs);
    if (decision.kind === 'dry-run') {
      await this.record(decision, context, leader);
      return;
    }
    await this.record(decision, { ...context, outcome: await this.restart(decision.component) }, leader);
  }

  private async restart(component: string): Promise<AuditContext['outcome']> {
    const { actions, leadership, log } = this.options;
    // The lease may have moved while earlier components were handled: a fenced-out leader stops.
    if (actions === null || (leadership !== null && !leadership.isLeader())) {
      return { error: 'not sent: leadership was lost before the call' };
    }
    log.warn('remediation: rolling restart', { component });
    try {
      const deployment = await actions.restart([component]);
      return { deploymentId: deployment.id };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }

  /**
   * Logs the decision and writes it to the trail. A shared trail (Redis) takes only the
   * leader's decisions, so an HA group does not record each one several times.
   */
  private async record(decision: Decision, context: AuditContext, leader: boolean): Promise<void> {
    const record = auditRecordOf(decision, context);
    const level = decision.kind === 'skip' ? 'info' : 'warn';
    this.options.log.log(level, 'remediation decision', {
      component: record.component,
      decision: record.decision,
      reason: record.reason,
      detail: record.detail,
      call: record.call,
      outcome: record.outcome,
      deployment_id: record.deployment_id,
      error: record.error,
    });
    if (this.options.audit.shared && !leader) return;
    try {
      await this.options.audit.record(record);
      this.auditRecovered();
    } catch (err) {
      this.auditTrouble('write', err);
    }
  }

  private auditRecovered(): void {
    if (this.auditFailing) this.options.log.info('audit trail available again');
    this.auditFailing = false;
  }

  private auditTrouble(what: 'read' | 'write', err: unknown): void {
    if (this.auditFailing) return;
    this.auditFailing = true;
    this.options.log.warn(`audit trail ${what} failed`, {
      err: err instanceof Error ? err.message : String(err),
    });
  }
}
