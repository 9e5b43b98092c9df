/**
 * The audit trail in Redis: the capped stream `rw:{app}:audit`, one entry per decision (fields
 * `at`, the decision time in ms, and `entry`, the record as JSON). It survives restarts and a
 * new leader reads the last actions from it, so a failover does not reset the cooldown.
 */
import type { Logger } from '../../shared/logger';
import type { RedisCommands } from '../../shared/redis-client';
import { appKeys } from '../../shared/redis-keys';
import type { StreamEntry } from '../history/capped-stream';
import { CappedStream } from '../history/capped-stream';
import type { AuditEntry, AuditRecord } from './audit-entry';
import { isAction } from './audit-entry';
import type { AuditTrail } from './audit-trail';
import { AUDIT_DEFAULTS } from './audit-trail';

export interface RedisAuditTrailOptions {
  /** A connected (or connecting) client; the trail does not close it. */
  readonly client: RedisCommands;
  readonly app: string;
  readonly log: Logger;
  readonly maxEntries?: number;
}

// Stream ids carry the Redis server's clock, `at` the aggregator's: reads by time start this much
// earlier and `at` decides.
const CLOCK_SKEW_MARGIN_MS = 5 * 60_000;

export class RedisAuditTrail implements AuditTrail {
  readonly shared = true;
  private readonly stream: CappedStream;

  constructor(options: RedisAuditTrailOptions) {
    this.stream = new CappedStream({
      client: options.client,
      key: appKeys(options.app).audit,
      maxEntries: options.maxEntries ?? AUDIT_DEFAULTS.maxEntries,
      name: 'audit',
      log: options.log,
    });
  }

  async record(record: AuditRecord): Promise<AuditEntry> {
    const id = await this.stream.add({ at: String(Date.parse(record.at)), entry: JSON.stringify(record) });
    return { id, ...record };
  }

  async newest(limit: number): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    if (limit <= 0) return out;
    await this.stream.scanNewestFirst((raw) => {
      const entry = parseEntry(raw);
      if (entry !== null) out.push(entry);
      return out.length < limit;
    });
    return out;
  }

  async lastActions(sinceMs: number): Promise<Map<string, number>> {
    const last = new Map<string, number>();
    const minId = String(Math.max(0, sinceMs - CLOCK_SKEW_MARGIN_MS));
    await this.stream.scanNewestFirst((raw) => {
      const entry = parseEntry(raw);
      if (entry === null || !isAction(entry) || last.has(entry.component)) return true;
      const atMs = Date.parse(entry.at);
      if (atMs >= sinceMs) last.set(entry.component, atMs);
      return true;
    }, minId);
    return last;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** An entry written by record(); null for anything else. */
function parseEntry(raw: StreamEntry): AuditEntry | null {
  const text = raw.fields.entry;
  if (text === undefined) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof json !== 'object' || json === null) return null;
  const record = json as Partial<AuditRecord>;
  if (
    typeof record.component !== 'string' ||
    typeof record.decision !== 'string' ||
    typeof record.at !== 'string'
  )
    return null;
  return { id: raw.id, ...(record as AuditRecord) };
}
