/**
 * The report: the reconciler's output and the JSON body of GET /api/v1/monitoring/replicas.
 * Field names are snake_case like the DigitalOcean API and are part of the binding contract
 * (docs/contract.md): add fields freely, never rename or remove one.
 */

export const FINDING_CODES = [
  'ORPHANED_INSTANCES',
  'STALE_HEARTBEATS',
  'ROLLOUT_IN_PROGRESS',
  'ROLLOUT_STUCK',
  'PLATFORM_COUNT_MISMATCH',
  'NOT_SERVING',
  'MISSING_INSTANCES',
  'SURPLUS_INSTANCES',
  'UNREPORTED_INSTANCES',
  'DATA_DEGRADED',
  'DEPLOYMENT_FAILED',
  'CLOCK_SKEW',
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const VERDICTS = ['ok', 'discrepancy', 'rolling', 'degraded'] as const;
export type Verdict = (typeof VERDICTS)[number];

/**
 * live: heartbeating on time; suspect: late but younger than STALE_AFTER_MS (still counted);
 * gone: no heartbeat for STALE_AFTER_MS and no goodbye; left: said goodbye (draining or exited).
 */
export const INSTANCE_STATES = ['live', 'suspect', 'gone', 'left'] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];

export interface Finding {
  readonly code: FindingCode;
  readonly severity: Severity;
  readonly message: string;
  /** Instance ids this finding is about (platform instance names for UNREPORTED_INSTANCES). */
  readonly instances: readonly string[];
  /** The concrete next step, with the real app id and component where known. */
  readonly recommendation: string;
  /** Deployments involved (e.g. the old deployment orphans belong to). */
  readonly deployment_ids: readonly string[];
  /** Set on SURPLUS_INSTANCES / MISSING_INSTANCES when the surplus or gap grew within the window. */
  readonly trend?: FindingTrend;
}

/** How a surplus or gap moved within the worsening window (reconcile/trend.ts). */
export interface FindingTrend {
  readonly direction: 'worsening';
  /** The surplus (or gap) when this episode started, or at the window's start. */
  readonly from: number;
  /** The surplus (or gap) now. */
  readonly to: number;
  /** ISO 8601: when it stood at `from` (no earlier than the window's start). */
  readonly since: string;
  readonly window_ms: number;
}

export interface DeploymentCount {
  readonly deployment_id: string | null;
  readonly live: number;
  readonly active: boolean;
}

export interface ComponentReport {
  readonly name: string;
  readonly kind: string;
  /** The spec's count; for an autoscaled component its minimum. null when unknown. */
  readonly desired: number | null;
  /** The autoscaling range, null for a fixed count. */
  readonly autoscaling: { readonly min: number; readonly max: number } | null;
  /** What the dashboard shows (`replicas_ready` from the platform's health), null when unknown. */
  readonly platform_ready: number | null;
  /** How many instances the platform lists, null when unknown. */
  readonly platform_instances: number | null;
  /** Instances heartbeating (live + suspect). */
  readonly live: number;
  /** Live instances not known to fail their serving probe (no probe counts as serving). */
  readonly serving: number;
  readonly suspect: number;
  /** Instances whose heartbeats stopped without a goodbye, still remembered. */
  readonly stale: number;
  /** Instances that said goodbye and are still remembered. */
  readonly left: number;
  /** Live instances on a deployment other than the active one. */
  readonly orphaned: number;
  readonly deployments: readonly DeploymentCount[];
  readonly verdict: Verdict;
  readonly findings: readonly Finding[];
  /**
   * Why a component is treated specially (a job or static site runs no standing instances; no
   * agents report for the app); null when not.
   */
  readonly note?: string | null;
  /** The app the component belongs to (the report's `app`), so that a fleet's components can be told apart. */
  readonly app: string;
  /** `instance_size_slug` from the spec, e.g. `apps-s-1vcpu-1gb`; null when unknown. */
  readonly instance_size_slug: string | null;
  /** What one instance of that size costs a month (USD); null when unknown. */
  readonly usd_per_month: number | null;
  /**
   * Instances running beyond the most the spec allows: the live count, or the platform's list
   * when no agents report for the app. 0 while rolling and for jobs and static sites; null when
   * unknown (no desired count, the collector or the platform view blind).
   */
  readonly surplus_instances: number | null;
  /** surplus_instances × usd_per_month (computed in cents); 0 without surplus; null when unknown. */
  readonly estimated_monthly_waste_usd: number | null;
}

export interface InstanceReport {
  readonly instance_id: string;
  readonly component: string;
  readonly deployment_id: string | null;
  readonly version: string | null;
  readonly state: InstanceState;
  /** ISO 8601. */
  readonly last_seen: string;
  readonly age_ms: number;
  readonly started_at: string;
  /** true / false from the probe; null when the agent has no probe. */
  readonly serving: boolean | null;
  readonly orphaned: boolean;
  readonly region: string | null;
  readonly node_name: string | null;
  readonly cpu_usage: number | null;
  readonly rss_bytes: number | null;
  readonly mem_used_bytes: number | null;
  readonly mem_total_bytes: number | null;
  /**
   * The instance's clock minus the recording clock (Redis, or the aggregator on HTTP), from its
   * latest heartbeat: positive when its clock is ahead. Includes the transport delay (ms).
   */
  readonly clock_offset_ms: number;
  /** A `left` instance the platform still lists, within DRAIN_GRACE_MS of its goodbye. */
  readonly draining: boolean;
  /** The container's own limits and use from its cgroup (the fields above are the host's); null when unknown. */
  readonly container: ContainerReport | null;
  /** Its app: only in the report of every app at once (merged-report.ts); one app's report leaves it out. */
  readonly app?: string;
}

/**
 * The container part of an instance's latest heartbeat (its `stats.container`), as the report
 * repeats it. Written out here, not imported, so the dashboard's browser build takes the report
 * types alone; instance-report.ts assigns the heartbeat's value to it, so the two cannot drift.
 */
export interface ContainerReport {
  readonly cgroup_version: 1 | 2;
  readonly memory_limit_bytes: number | null;
  readonly memory_used_bytes: number | null;
  readonly cpu_quota_cores: number | null;
  readonly cpu_usage_cores: number | null;
}

export interface ReportSummary {
  /** Sum of the components' desired counts (autoscaling minimum). */
  readonly configured_replicas: number;
  /** Sum of the components' live counts. */
  readonly active_instances: number;
  readonly serving_instances: number;
  readonly discrepancy: boolean;
  readonly verdict: Verdict;
  /** ok | stale | unavailable | not_configured. */
  readonly do_api_status: string;
  /** Age of the platform data in ms, null when there is none. */
  readonly platform_data_age_ms: number | null;
  /** Why the platform data is missing or old; null while the last refresh succeeded. */
  readonly do_api_error: PlatformErrorReport | null;
  /** No agent reports for this app (none ever seen): it is judged from the platform alone. */
  readonly agentless: boolean;
  /** Sum of the components' surplus_instances; null when any is unknown. */
  readonly surplus_instances: number | null;
  /** Sum of the components' estimated_monthly_waste_usd (exact to the cent); null when any is unknown. */
  readonly estimated_monthly_waste_usd: number | null;
}

/** The last failed platform refresh, as the report shows it. */
export interface PlatformErrorReport {
  /** unauthorized | forbidden | not_found | rate_limited | server_error | unreachable | bad_response. */
  readonly kind: string;
  readonly message: string;
  readonly http_status: number | null;
  /** DigitalOcean's request_id, to quote to their support. */
  readonly request_id: string | null;
  /** ISO 8601: since when the refreshes have failed. */
  readonly since: string;
  /** The setting to fix (e.g. DO_APP_ID), null when the failure is not one of configuration. */
  readonly fix_variable: string | null;
}

/** A deployment as the report names it (the in-progress or the queued one). */
export interface DeploymentReport {
  readonly id: string;
  readonly phase: string;
  /** ISO 8601, null when unknown. */
  readonly created_at: string | null;
}

export interface Report {
  readonly generated_at: string;
  readonly app: string;
  readonly platform: string;
  readonly app_id: string | null;
  /** The app's name in its spec (`spec.name`); null when unknown (static source, never fetched). */
  readonly app_name: string | null;
  readonly active_deployment_id: string | null;
  /** The deployment rolling out now, null when none. */
  readonly in_progress_deployment: DeploymentReport | null;
  /** A deployment queued behind it (`pending_deployment`), null when none. */
  readonly pending_deployment: DeploymentReport | null;
  readonly summary: ReportSummary;
  readonly components: readonly ComponentReport[];
  readonly instances: readonly InstanceReport[];
  readonly recommendations: readonly string[];
  /**
   * True while the aggregator cannot see: the heartbeats (Redis down, self-preservation) or the
   * platform view it needs (never fetched, 401, 403, 404), or no desired count is known.
   */
  readonly degraded: boolean;
}

/**
 * The report as the reconciler hands it over: every field but the instance list, which is most
 * of a large fleet's report and which most consumers never read (counts, findings, alerts and
 * history use the components). The list comes beside it, built on demand (ReconcileResult).
 */
export type ReportWithoutInstances = Omit<Report, 'instances'>;
