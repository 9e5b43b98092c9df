/**
 * Appends every published report's counts to the history. In Redis mode only the leader
 * appends, so an HA group writes each reconciliation once; every aggregator serves the history.
 */
import type { PublishedReport } from '../report-store';
import { historyEntryOf } from './history-point';
import type { HistoryStore } from './history-store';

/** The part of the leader lease the recorder needs (aggregator/leader.ts provides it). */
export interface LeaderGate {
  isLeader(): boolean;
}

/** Something reports are published on (the ReportStore). */
export interface ReportFeed {
  subscribe(listener: (published: PublishedReport) => void): () => void;
}

/**
 * Starts recording; returns the function that stops it. `leadership` null: this aggregator
 * always writes (the embedded mode, or a single aggregator).
 */
export function recordHistory(
  reports: ReportFeed,
  store: HistoryStore,
  leadership: LeaderGate | null,
): () => void {
  return reports.subscribe((published) => {
    if (leadership !== null && !leadership.isLeader()) return;
    store.append(historyEntryOf(published.report));
  });
}
