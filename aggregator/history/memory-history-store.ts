/** The history of the embedded mode: a bounded ring in memory, lost on restart. */
import type { HistoryEntry, HistoryPoint } from './history-point';
import { pointsOf } from './history-point';
import type { HistoryQuery, HistoryStore } from './history-store';
import { HISTORY_DEFAULTS } from './history-store';
import { RingBuffer } from './ring-buffer';

export class MemoryHistoryStore implements HistoryStore {
  private readonly entries: RingBuffer<HistoryEntry>;

  constructor(maxEntries: number = HISTORY_DEFAULTS.maxEntries) {
    this.entries = new RingBuffer(maxEntries);
  }

  append(entry: HistoryEntry): void {
    this.entries.push(entry);
  }

  query(query: HistoryQuery): Promise<HistoryPoint[]> {
    return Promise.resolve(newestPoints(this.entries.newestFirst(), query));
  }

  /** Entries dropped to stay within the bound. */
  get dropped(): number {
    return this.entries.dropped;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The newest `limit` points matching the query from entries given newest first, returned oldest
 * first. Entries older than `sinceMs` are skipped, not a reason to stop: a clock step back can
 * put an older time after a newer one.
 */
export function newestPoints(
  entriesNewestFirst: Iterable<HistoryEntry>,
  query: HistoryQuery,
): HistoryPoint[] {
  const out: HistoryPoint[] = [];
  for (const entry of entriesNewestFirst) {
    if (entry.atMs < query.sinceMs) continue;
    const points = pointsOf(entry, query.component);
    // Within one entry the components keep their report order; the whole is reversed below.
    for (let i = points.length - 1; i >= 0 && out.length < query.limit; i--)
      out.push(points[i] as HistoryPoint);
    if (out.length >= query.limit) break;
  }
  return out.reverse();
}
