/**
 * One component's counts at one reconciliation: a point of GET /api/v1/history. The JSON field
 * names are a contract (a dashboard reads them): add fields freely, never rename one.
 */
import type { ReportWithoutInstances, Verdict } from '../reconcile/report';

/** A component's counts at one reconcile, without the time. */
export interface ComponentCounts {
  readonly component: string;
  readonly desired: number | null;
  readonly platform_ready: number | null;
  readonly platform_instances: number | null;
  readonly live: number;
  readonly serving: number;
  readonly orphaned: number;
  readonly stale: number;
  readonly verdict: Verdict;
}

/** One point of the history: `at` (ISO 8601) and the component's counts then. */
export interface HistoryPoint extends ComponentCounts {
  readonly at: string;
}

/** One reconciliation's counts: what the history stores per entry. */
export interface HistoryEntry {
  readonly atMs: number;
  readonly counts: readonly ComponentCounts[];
}

/** The counts of every component of a report, stamped with the report's own time. */
export function historyEntryOf(report: ReportWithoutInstances): HistoryEntry {
  return {
    atMs: Date.parse(report.generated_at),
    counts: report.components.map((c) => ({
      component: c.name,
      desired: c.desired,
      platform_ready: c.platform_ready,
      platform_instances: c.platform_instances,
      live: c.live,
      serving: c.serving,
      orphaned: c.orphaned,
      stale: c.stale,
      verdict: c.verdict,
    })),
  };
}

/** The points of an entry, one per component (or only `component`'s when given). */
export function pointsOf(entry: HistoryEntry, component: string | null): HistoryPoint[] {
  const at = new Date(entry.atMs).toISOString();
  return entry.counts
    .filter((c) => component === null || c.component === component)
    .map((c) => ({ at, ...c }));
}
