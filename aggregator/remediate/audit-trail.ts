/** Where remediation decisions are recorded: a capped Redis stream, or memory in embedded mode. */
import type { AuditEntry, AuditRecord } from './audit-entry';

export interface AuditTrail {
  /** True when several aggregators share it (Redis): then only the leader writes. */
  readonly shared: boolean;
  /** Records one decision; rejects when the trail cannot be written. */
  record(record: AuditRecord): Promise<AuditEntry>;
  /** The newest `limit` entries, newest first. */
  newest(limit: number): Promise<AuditEntry[]>;
  /** Component → time (ms) of its newest action or dry run at or after `sinceMs`. */
  lastActions(sinceMs: number): Promise<Map<string, number>>;
  /** Idempotent. */
  close(): Promise<void>;
}

export const AUDIT_DEFAULTS = Object.freeze({
  // Decisions are recorded when they change, plus every action: a busy app writes a few a day.
  maxEntries: 10_000,
  defaultLimit: 100,
  maxLimit: 1_000,
});
