/**
 * The fleet at a glance (GET /api/v1/apps): one row per app from its latest report, worst first,
 * with the totals. Pure: the reports and the discovery state in, the body out.
 */
import type { ReportWithoutInstances, Severity, Verdict } from '../reconcile/report';

/** One app's row; field names are the contract's (docs/contract.md). */
export interface FleetApp {
  /** The app's name in keys and heartbeats: what `?app=` takes. */
  readonly app: string;
  readonly app_id: string | null;
  /** The spec's app name; null while unknown. */
  readonly name: string | null;
  readonly verdict: Verdict;
  readonly configured_replicas: number | null;
  /** Heartbeating instances; null when the app has no agents (nothing is counted, not zero). */
  readonly active_instances: number | null;
  /** The dashboard's ready count, summed over components; null when the platform says none. */
  readonly platform_ready: number | null;
  /** The instances the platform lists; null when unknown. */
  readonly platform_instances: number | null;
  readonly finding_codes: readonly string[];
  /** The worst finding's severity; null when there is none. */
  readonly worst_severity: Severity | null;
  readonly surplus_instances: number | null;
  /** null when unknown, never 0 for "unknown". */
  readonly estimated_monthly_waste_usd: number | null;
  readonly agentless: boolean;
  readonly degraded: boolean;
  readonly platform_data_age_ms: number | null;
  /** The shard that owns the app (SHARD; 0 while not sharded). */
  readonly shard: number;
  /** When its report was made; null before its first reconcile. */
  readonly generated_at: string | null;
}

/** How the app list was last read (DO_APP_ID=*); null when the apps are configured. */
export interface DiscoveryState {
  readonly status: 'ok' | 'failing' | 'pending';
  /** When the list was last read successfully (ISO); null when never. */
  readonly listed_at: string | null;
  /** Why the last listing failed; null while it works. */
  readonly error: string | null;
}

export interface FleetView {
  readonly generated_at: string;
  readonly apps: readonly FleetApp[];
  readonly totals: {
    readonly apps: number;
    readonly by_verdict: Readonly<Record<Verdict, number>>;
    /** Over the apps whose surplus is known; null when none is. */
    readonly surplus_instances: number | null;
    /** Over the apps whose waste is known; null when none is. */
    readonly estimated_monthly_waste_usd: number | null;
    /** Apps whose waste is unknown (blind, no price, no desired count): the totals leave them out. */
    readonly unknown_waste_apps: number;
  };
  readonly discovery: DiscoveryState | null;
}

/** An app the fleet holds, with its latest report (null before its first reconcile). */
export interface FleetEntry {
  readonly app: string;
  readonly appId: string | null;
  readonly report: ReportWithoutInstances | null;
}

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 1, warning: 2, critical: 3 };
const VERDICT_RANK: Readonly<Record<Verdict, number>> = { ok: 0, rolling: 1, degraded: 2, discrepancy: 3 };

/** A sum of the parts that are known; null when none is. */
function sumKnown(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
}

/** The known dollar amounts summed exactly: in cents, back to dollars; null when none is known. */
function knownDollars(values: readonly (number | null)[]): number | null {
  const cents = sumKnown(values.map((v) => (v === null ? null : Math.round(v * 100))));
  return cents === null ? null : cents / 100;
}

/** One app's row from its report. */
export function fleetApp(entry: FleetEntry, shard: number): FleetApp {
  const { report } = entry;
  if (report === null) {
    return {
      app: entry.app,
      app_id: entry.appId,
      name: null,
      verdict: 'degraded',
      configured_replicas: null,
      active_instances: null,
      platform_ready: null,
      platform_instances: null,
      finding_codes: [],
      worst_severity: null,
      surplus_instances: null,
      estimated_monthly_waste_usd: null,
      agentless: false,
      degraded: true,
      platform_data_age_ms: null,
      shard,
      generated_at: null,
    };
  }
  const findings = report.components.flatMap((c) => c.findings);
  const worst = findings.reduce<Severity | null>(
    (w, f) => (w === null || SEVERITY_RANK[f.severity] > SEVERITY_RANK[w] ? f.severity : w),
    null,
  );
  const { summary } = report;
  const blind = summary.do_api_status === 'unavailable';
  return {
    app: report.app,
    app_id: report.app_id ?? entry.appId,
    name: report.app_name,
    verdict: summary.verdict,
    configured_replicas: blind ? null : summary.configured_replicas,
    active_instances: summary.agentless ? null : summary.active_instances,
    platform_ready: sumKnown(report.components.map((c) => c.platform_ready)),
    platform_instances: sumKnown(report.components.map((c) => c.platform_instances)),
    finding_codes: [...new Set(findings.map((f) => f.code))].sort(),
    worst_severity: worst,
    surplus_instances: summary.surplus_instances,
    estimated_monthly_waste_usd: summary.estimated_monthly_waste_usd,
    agentless: summary.agentless,
    degraded: report.degraded,
    platform_data_age_ms: summary.platform_data_age_ms,
    shard,
    generated_at: report.generated_at,
  };
}

/**
 * Worst first: the worst finding's severity, then the verdict (a discrepancy before a blind
 * app, a blind one before a rollout), then the larger waste, then the name.
 */
export function worstFirst(a: FleetApp, b: FleetApp): number {
  const severity = (x: FleetApp) => (x.worst_severity === null ? 0 : SEVERITY_RANK[x.worst_severity]);
  return (
    severity(b) - severity(a) ||
    VERDICT_RANK[b.verdict] - VERDICT_RANK[a.verdict] ||
    (b.estimated_monthly_waste_usd ?? 0) - (a.estimated_monthly_waste_usd ?? 0) ||
    (a.name ?? a.app).localeCompare(b.name ?? b.app) ||
    a.app.localeCompare(b.app)
  );
}

/** The fleet body: every app's row, worst first, and the totals. */
export function fleetView(
  entries: readonly FleetEntry[],
  options: { readonly nowMs: number; readonly shard: number; readonly discovery: DiscoveryState | null },
): FleetView {
  const apps = entries.map((entry) => fleetApp(entry, options.shard)).sort(worstFirst);
  const byVerdict: Record<Verdict, number> = { ok: 0, discrepancy: 0, rolling: 0, degraded: 0 };
  for (const app of apps) byVerdict[app.verdict]++;
  return {
    generated_at: new Date(options.nowMs).toISOString(),
    apps,
    totals: {
      apps: apps.length,
      by_verdict: byVerdict,
      surplus_instances: sumKnown(apps.map((a) => a.surplus_instances)),
      estimated_monthly_waste_usd: knownDollars(apps.map((a) => a.estimated_monthly_waste_usd)),
      unknown_waste_apps: apps.filter((a) => a.estimated_monthly_waste_usd === null).length,
    },
    discovery: options.discovery,
  };
}
