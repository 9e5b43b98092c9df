/** The audit trail of the embedded mode: a bounded ring in memory, lost on restart. */
import { RingBuffer } from '../history/ring-buffer';
import type { AuditEntry, AuditRecord } from './audit-entry';
import { isAction } from './audit-entry';
import type { AuditTrail } from './audit-trail';
import { AUDIT_DEFAULTS } from './audit-trail';

export class MemoryAuditTrail implements AuditTrail {
  readonly shared: boolean = false;
  private readonly entries: RingBuffer<AuditEntry>;
  private serial = 0;

  constructor(maxEntries: number = AUDIT_DEFAULTS.maxEntries) {
    this.entries = new RingBuffer(maxEntries);
  }

  record(record: AuditRecord): Promise<AuditEntry> {
    const entry = { id: `${Date.parse(record.at)}-${this.serial++}`, ...record };
    this.entries.push(entry);
    return Promise.resolve(entry);
  }

  newest(limit: number): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    for (const entry of this.entries.newestFirst()) {
      if (out.length >= limit) break;
      out.push(entry);
    }
    return Promise.resolve(out);
  }

  lastActions(sinceMs: number): Promise<Map<string, number>> {
    return Promise.resolve(lastActionsOf(this.entries.newestFirst(), sinceMs));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** From entries newest first: each component's newest action at or after `sinceMs`. */
export function lastActionsOf(
  entriesNewestFirst: Iterable<AuditRecord>,
  sinceMs: number,
): Map<string, number> {
  const last = new Map<string, number>();
  for (const entry of entriesNewestFirst) {
    const atMs = Date.parse(entry.at);
    if (!isAction(entry) || !(atMs >= sinceMs) || last.has(entry.component)) continue;
    last.set(entry.component, atMs);
  }
  return last;
}
