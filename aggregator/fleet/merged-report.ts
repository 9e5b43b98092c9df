/**
 * The whole fleet as one report: what GET /api/v1/monitoring/replicas answers without `?app=` on
 * an aggregator that watches many apps. Same fields as one app's report, so a script written for
 * one app reads it unchanged: every component carries its `app`, every instance too, the summary
 * adds the counts up and takes the worst verdict. Pure.
 */
import type { ReconcileResult } from '../reconcile';
import type { InstanceReport, ReportSummary, ReportWithoutInstances, Verdict } from '../reconcile/report';

/** The report's `app` when it covers every app this aggregator serves. */
export const ALL_APPS = '*';

const VERDICT_RANK: Readonly<Record<Verdict, number>> = { ok: 0, rolling: 1, degraded: 2, discrepancy: 3 };
const API_STATUS_RANK: Readonly<Record<string, number>> = {
  not_configured: 0,
  ok: 1,
  stale: 2,
  unavailable: 3,
};

/** One app's part: its report and its instance list (built only when asked for). */
export interface ReportPart {
  readonly report: ReportWithoutInstances;
  readonly instanceList: () => readonly InstanceReport[];
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Unknown when any part is, or when there is none (an empty fleet sees nothing). */
function sumOrNull(values: readonly (number | null)[]): number | null {
  return values.length === 0 || values.some((v) => v === null) ? null : sum(values as number[]);
}

function worst<T>(values: readonly T[], rank: (value: T) => number): T | undefined {
  return values.reduce<T | undefined>((w, v) => (w === undefined || rank(v) > rank(w) ? v : w), undefined);
}

function mergedSummary(summaries: readonly ReportSummary[]): ReportSummary {
  const verdict =
    worst(
      summaries.map((s) => s.verdict),
      (v) => VERDICT_RANK[v],
    ) ?? 'degraded';
  const status = worst(summaries, (s) => API_STATUS_RANK[s.do_api_status] ?? 0);
  const ages = summaries.map((s) => s.platform_data_age_ms).filter((a): a is number => a !== null);
  const waste = sumOrNull(
    summaries.map((s) =>
      s.estimated_monthly_waste_usd === null ? null : Math.round(s.estimated_monthly_waste_usd * 100),
    ),
  );
  return {
    configured_replicas: sum(summaries.map((s) => s.configured_replicas)),
    active_instances: sum(summaries.map((s) => s.active_instances)),
    serving_instances: sum(summaries.map((s) => s.serving_instances)),
    discrepancy: summaries.some((s) => s.discrepancy),
    verdict,
    do_api_status: status?.do_api_status ?? 'unavailable',
    platform_data_age_ms: ages.length === 0 ? null : Math.max(...ages),
    do_api_error: status?.do_api_error ?? null,
    agentless: summaries.length > 0 && summaries.every((s) => s.agentless),
    surplus_instances: sumOrNull(summaries.map((s) => s.surplus_instances)),
    estimated_monthly_waste_usd: waste === null ? null : waste / 100,
  };
}

/** The parts (one per app, in app order) as one report. An empty fleet is degraded: nothing is seen. */
export function mergeReports(
  parts: readonly ReportPart[],
  nowMs: number,
): Pick<ReconcileResult, 'report' | 'instances'> {
  const reports = parts.map((p) => p.report);
  const newest = reports
    .map((r) => r.generated_at)
    .sort()
    .at(-1);
  const report: ReportWithoutInstances = {
    generated_at: newest ?? new Date(nowMs).toISOString(),
    app: ALL_APPS,
    app_name: null,
    platform: reports[0]?.platform ?? 'unknown',
    app_id: null,
    active_deployment_id: null,
    in_progress_deployment: null,
    pending_deployment: null,
    summary: mergedSummary(reports.map((r) => r.summary)),
    components: reports.flatMap((r) => r.components),
    recommendations: reports.flatMap((r) => r.recommendations.map((text) => `${r.app}: ${text}`)),
    degraded: reports.length === 0 || reports.some((r) => r.degraded),
  };
  let instances: readonly InstanceReport[] | undefined;
  return {
    report,
    instances: () =>
      (instances ??= parts.flatMap((p) => p.instanceList().map((i) => ({ ...i, app: p.report.app })))),
  };
}
