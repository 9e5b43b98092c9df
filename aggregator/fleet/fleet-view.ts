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
  /**
   * When the owning shard last wrote this row to Redis (`rw:{fleet}:summaries`): set on the rows
   * of the other shards' apps; null on this aggregator's own apps (shown live) and on an app no
   * shard has written.
   */
  readonly summary_written_at: string | null;
  /**
   * The row is another shard's and its summary is older than `shards.stale_after_ms`, or there is
   * none: nothing current is known of the app, so its counts are null and its verdict `degraded`
   * (unseen is never green). False on this aggregator's own apps.
   */
  readonly summary_stale: boolean;
}

/** How the app list was last read (DO_APP_ID=*); null when the apps are configured. */
export interface DiscoveryState {
  readonly status: 'ok' | 'failing' | 'pending';
  /** When the list was last read successfully (ISO); null when never. */
  readonly listed_at: string | null;
  /** Why the last listing failed; null while it works. */
  readonly error: string | null;
}

/** When one shard last wrote its summaries, and how many of the fleet's apps it owns. */
export interface ShardState {
  readonly shard: number;
  /** The rows of the fleet this shard owns. */
  readonly apps: number;
  /** Its newest summary in Redis (this aggregator's: its last write); null when none was seen. */
  readonly written_at: string | null;
}

export type SummaryReadStatus = 'ok' | 'failing' | 'pending';

/** The shards (SHARD of TOTAL_SHARDS) and how current the other shards' rows are. */
export interface ShardsState {
  /** This aggregator's SHARD. */
  readonly shard: number;
  /** TOTAL_SHARDS. */
  readonly total: number;
  /** A summary written longer ago than this is stale: its app is shown unknown (`degraded`). */
  readonly stale_after_ms: number;
  /**
   * How reading the other shards' summaries goes: `ok`, `failing` (their rows are the last read,
   * aging into stale), `pending` (not read yet); null unsharded (nothing is read).
   */
  readonly read_status: SummaryReadStatus | null;
  /** One per shard, 0 to TOTAL_SHARDS-1. */
  readonly by_shard: readonly ShardState[];
}

export interface FleetView {
  readonly generated_at: string;
  /** Every app of the fleet: this aggregator's own live, the other shards' from their summaries. */
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
  readonly shards: ShardsState;
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
      summary_written_at: null,
      summary_stale: false,
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
    summary_written_at: null,
    summary_stale: false,
  };
}

/** What is known of an app nothing current is known of: its identity, and when it was last seen. */
export function unknownApp(
  known: Pick<FleetApp, 'app' | 'app_id' | 'name' | 'shard' | 'generated_at' | 'summary_written_at'>,
): FleetApp {
  return {
    ...fleetApp({ app: known.app, appId: known.app_id, report: null }, known.shard),
    name: known.name,
    generated_at: known.generated_at,
    summary_written_at: known.summary_written_at,
    summary_stale: true,
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

/** How the shards stand, for the fleet body; unsharded: shard 0 of 1, nothing read. */
export interface ShardsInput {
  readonly total: number;
  readonly staleAfterMs: number;
  readonly readStatus: SummaryReadStatus | null;
  /** Per shard, its newest summary seen (this aggregator's: its last write). */
  readonly writtenAt: ReadonlyMap<number, string>;
}

/** The default stale limit of the other shards' summaries (summary-store.ts says why). */
export const SUMMARY_STALE_AFTER_MS = 300_000;

const UNSHARDED_INPUT: ShardsInput = {
  total: 1,
  staleAfterMs: SUMMARY_STALE_AFTER_MS,
  readStatus: null,
  writtenAt: new Map(),
};

/**
 * The fleet body: every app's row, worst first, and the totals over all of them. `entries` are
 * this aggregator's own apps (rows made here, live); `others` the other shards' rows as read
 * from their summaries (summary-store.ts), already judged stale or not.
 */
export function fleetView(
  entries: readonly FleetEntry[],
  options: {
    readonly nowMs: number;
    readonly shard: number;
    readonly discovery: DiscoveryState | null;
    readonly others?: readonly FleetApp[];
    readonly shards?: ShardsInput;
  },
): FleetView {
  const apps = [...entries.map((entry) => fleetApp(entry, options.shard)), ...(options.others ?? [])].sort(
    worstFirst,
  );
  const byVerdict: Record<Verdict, number> = { ok: 0, discrepancy: 0, rolling: 0, degraded: 0 };
  for (const app of apps) byVerdict[app.verdict]++;
  const shards = options.shards ?? UNSHARDED_INPUT;
  const owned = new Map<number, number>();
  for (const app of apps) owned.set(app.shard, (owned.get(app.shard) ?? 0) + 1);
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
    shards: {
      shard: options.shard,
      total: shards.total,
      stale_after_ms: shards.staleAfterMs,
      read_status: shards.readStatus,
      by_shard: Array.from({ length: shards.total }, (_, shard) => ({
        shard,
        apps: owned.get(shard) ?? 0,
        written_at: shards.writtenAt.get(shard) ?? null,
      })),
    },
  };
}
