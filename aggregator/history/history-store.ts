/** Where reconciliation counts are kept over time, and how they are asked for. */
import type { HistoryEntry, HistoryPoint } from './history-point';

/** A validated history query (see parseHistoryQuery). */
export interface HistoryQuery {
  /** Only this component's points; null: every component's. */
  readonly component: string | null;
  /** Points at or after this time (ms). */
  readonly sinceMs: number;
  /** At most this many points: the newest ones. */
  readonly limit: number;
}

/** The counts of every reconciliation, capped. */
export interface HistoryStore {
  /** Records one reconciliation. Fire and forget: never blocks the reconcile loop, never throws. */
  append(entry: HistoryEntry): void;
  /** The newest `limit` points matching the query, oldest first. */
  query(query: HistoryQuery): Promise<HistoryPoint[]>;
  /** Idempotent. */
  close(): Promise<void>;
}

export const HISTORY_DEFAULTS = Object.freeze({
  // One entry per reconcile: at the default 10 s interval, 10,000 entries are about 28 hours.
  maxEntries: 10_000,
  // A response stays a few hundred KiB: 5,000 points are 14 hours of one component at 10 s.
  maxPoints: 5_000,
  // Without `since`: the last hour, the window a dashboard opens on (and the worsening window).
  defaultWindowMs: 60 * 60_000,
});
