/**
 * The history in Redis: one entry per reconciliation in the capped stream `rw:{app}:history`
 * (fields `at`, the reconcile time in ms, and `counts`, the components' counts as JSON), so it
 * survives a restart and every aggregator of an HA group serves the same history.
 */
import { z } from 'zod';
import type { Logger } from '../../shared/logger';
import type { RedisCommands } from '../../shared/redis-client';
import { appKeys } from '../../shared/redis-keys';
import { VERDICTS } from '../reconcile/report';
import type { StreamEntry } from './capped-stream';
import { CappedStream } from './capped-stream';
import type { ComponentCounts, HistoryEntry, HistoryPoint } from './history-point';
import type { HistoryQuery, HistoryStore } from './history-store';
import { HISTORY_DEFAULTS } from './history-store';
import { newestPoints } from './memory-history-store';

export interface RedisHistoryStoreOptions {
  /** A connected (or connecting) client; the store does not close it. */
  readonly client: RedisCommands;
  readonly app: string;
  readonly log: Logger;
  readonly maxEntries?: number;
}

// Entry ids carry the Redis server's time while `at` carries the aggregator's: the range read
// starts this much earlier so that a clock apart by less still finds every point, and `at`
// decides.
const CLOCK_SKEW_MARGIN_MS = 5 * 60_000;

const nullableCount = z.number().int().min(0).nullable();
const countsSchema = z.array(
  z.object({
    component: z.string().min(1),
    desired: nullableCount,
    platform_ready: nullableCount,
    platform_instances: nullableCount,
    live: z.number().int().min(0),
    serving: z.number().int().min(0),
    orphaned: z.number().int().min(0),
    stale: z.number().int().min(0),
    verdict: z.enum(VERDICTS),
  }),
);

export class RedisHistoryStore implements HistoryStore {
  private readonly stream: CappedStream;

  constructor(options: RedisHistoryStoreOptions) {
    this.stream = new CappedStream({
      client: options.client,
      key: appKeys(options.app).history,
      maxEntries: options.maxEntries ?? HISTORY_DEFAULTS.maxEntries,
      name: 'history',
      log: options.log,
    });
  }

  append(entry: HistoryEntry): void {
    this.stream.append({ at: String(entry.atMs), counts: JSON.stringify(entry.counts) });
  }

  async query(query: HistoryQuery): Promise<HistoryPoint[]> {
    const entries: HistoryEntry[] = [];
    let points = 0;
    const minId = String(Math.max(0, query.sinceMs - CLOCK_SKEW_MARGIN_MS));
    await this.stream.scanNewestFirst((raw) => {
      const entry = parseEntry(raw);
      if (entry === null || entry.atMs < query.sinceMs) return true;
      entries.push(entry);
      points +=
        query.component === null
          ? entry.counts.length
          : entry.counts.some((c) => c.component === query.component)
            ? 1
            : 0;
      return points < query.limit;
    }, minId);
    return newestPoints(entries, query);
  }

  /** Appends dropped because Redis was not answering. */
  get dropped(): number {
    return this.stream.dropped;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** An entry as written by append(); null for anything else (a hand-written or foreign entry). */
function parseEntry(raw: StreamEntry): HistoryEntry | null {
  const atMs = Number(raw.fields.at);
  if (!Number.isSafeInteger(atMs) || raw.fields.counts === undefined) return null;
  let json: unknown;
  try {
    json = JSON.parse(raw.fields.counts);
  } catch {
    return null;
  }
  const parsed = countsSchema.safeParse(json);
  return parsed.success ? { atMs, counts: parsed.data satisfies ComponentCounts[] } : null;
}
