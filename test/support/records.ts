/**
 * Test builders for the reconciler's inputs: heartbeats, InstanceRecords, PlatformViews and
 * collector health, with sensible defaults so that a test names only what it is about.
 * Times are absolute ms; NOW is the reference moment most tests use.
 */
import type { CollectorHealth, InstanceRecord } from '../../aggregator/model';
import type { ReconcileInput, ReconcileResult } from '../../aggregator/reconcile';
import type { Report } from '../../aggregator/reconcile/report';
import type { PublishedReport } from '../../aggregator/report-store';
import type {
  DeploymentInfo,
  DesiredRange,
  PlatformComponent,
  PlatformFailure,
  PlatformInstance,
  PlatformView,
} from '../../aggregator/model';
import type { Heartbeat } from '../../shared/heartbeat';
import { makeHeartbeat, SAMPLE_STATS } from './heartbeats';

/** A fixed "now": 2023-11-14T22:13:20.000Z. */
export const NOW = 1_700_000_000_000;
export const INTERVAL_MS = 10_000;
export const TTL_MS = 30_000;

/** A valid heartbeat of instance `backend-1` with no deployment id and no probe; override any field. */
export function heartbeat(overrides: Partial<Heartbeat> = {}): Heartbeat {
  return makeHeartbeat({
    app: 'default',
    instance_id: 'backend-1',
    deployment_id: null,
    version: null,
    region: null,
    boot_id: 'boot-1',
    sent_at: NOW,
    started_at: NOW - 3_600_000,
    serving: null,
    ...overrides,
  });
}

export interface InstanceOptions {
  readonly component?: string;
  readonly deploymentId?: string | null;
  /** When its last heartbeat was recorded; default NOW. */
  readonly lastSeenMs?: number;
  readonly startedAtMs?: number;
  /** true / false: a probe result; null (default): no probe. */
  readonly serving?: boolean | null;
  readonly leftAtMs?: number | null;
  /** How far its clock is ahead of the recording clock; default 0. */
  readonly clockOffsetMs?: number;
  readonly heartbeat?: Partial<Heartbeat>;
}

/** An InstanceRecord whose heartbeat agrees with it (same id and component). */
export function instance(id: string, options: InstanceOptions = {}): InstanceRecord {
  const component = options.component ?? 'backend';
  const lastSeenMs = options.lastSeenMs ?? NOW;
  const serving = options.serving ?? null;
  const leftAtMs = options.leftAtMs ?? null;
  return {
    instanceId: id,
    component,
    heartbeat: heartbeat({
      instance_id: id,
      component,
      deployment_id: options.deploymentId ?? null,
      started_at: options.startedAtMs ?? NOW - 3_600_000,
      sent_at: lastSeenMs + (options.clockOffsetMs ?? 0),
      type: leftAtMs === null ? 'heartbeat' : 'goodbye',
      stats: leftAtMs === null ? SAMPLE_STATS : null,
      serving:
        serving === null
          ? null
          : {
              ok: serving,
              status: serving ? 200 : 503,
              latency_ms: 5,
              error: null,
              checked_at: lastSeenMs,
            },
      ...options.heartbeat,
    }),
    lastSeenMs,
    firstSeenMs: Math.min(lastSeenMs, options.startedAtMs ?? lastSeenMs),
    leftAtMs,
    clockOffsetMs: options.clockOffsetMs ?? 0,
  };
}

/** `count` instances `<prefix>-1..n` with the same options. */
export function instances(prefix: string, count: number, options: InstanceOptions = {}): InstanceRecord[] {
  return Array.from({ length: count }, (_, i) => instance(`${prefix}-${i + 1}`, options));
}

export function fixed(count: number): DesiredRange {
  return { min: count, max: count, autoscaling: false };
}

export function autoscaled(min: number, max: number): DesiredRange {
  return { min, max, autoscaling: true };
}

export function deployment(id: string, overrides: Partial<DeploymentInfo> = {}): DeploymentInfo {
  return {
    id,
    phase: 'ACTIVE',
    progress: null,
    failedStep: null,
    cause: null,
    createdAtMs: NOW - 86_400_000,
    updatedAtMs: null,
    ...overrides,
  };
}

/** A failed refresh of the given kind (default: a 503 from the API), failing since `sinceMs`. */
export function platformError(
  message = 'HTTP 503',
  overrides: Partial<PlatformFailure> = {},
): PlatformFailure {
  return {
    kind: 'server_error',
    message,
    httpStatus: 503,
    requestId: null,
    sinceMs: NOW - 60_000,
    ...overrides,
  };
}

export function listed(name: string, overrides: Partial<PlatformInstance> = {}): PlatformInstance {
  return { name, alias: null, generation: null, ...overrides };
}

export function component(name: string, overrides: Partial<PlatformComponent> = {}): PlatformComponent {
  return { name, kind: 'service', desired: fixed(2), ready: null, listed: null, ...overrides };
}

/** A fresh DigitalOcean view of app `app-123` with no components; override what matters. */
export function view(overrides: Partial<PlatformView> = {}): PlatformView {
  return {
    source: 'digitalocean',
    appId: 'app-123',
    status: 'ok',
    fetchedAtMs: NOW - 5_000,
    error: null,
    components: [],
    defaultDesired: null,
    activeDeployment: null,
    inProgressDeployment: null,
    pendingDeployment: null,
    deployments: [],
    ...overrides,
  };
}

export const HEALTHY: CollectorHealth = { healthy: true, blindSinceMs: null, detail: null };

export function blindSince(ms: number, detail = 'redis: connection refused'): CollectorHealth {
  return { healthy: false, blindSinceMs: ms, detail };
}

/** A reconcile input at NOW with a healthy collector, STALE_AFTER_MS unset and a 10-minute rollout grace. */
export function input(overrides: Partial<ReconcileInput> = {}): ReconcileInput {
  return {
    nowMs: NOW,
    app: 'default',
    platform: view(),
    instances: [],
    collector: HEALTHY,
    policy: { staleAfterMs: null, rolloutGraceMs: 600_000 },
    memory: null,
    ...overrides,
  };
}

/** A reconcile's result as one full Report, its instance list built: the shape the API serves. */
export function fullReport(result: Pick<ReconcileResult, 'report' | 'instances'>): Report {
  return { ...result.report, instances: result.instances() };
}

/** A published report as one full Report, its instance list built. */
export function publishedReport(published: PublishedReport): Report {
  return { ...published.report, instances: published.instanceList() };
}

/** A Report built by hand, as the store takes a reconcile's result (report and instance list apart). */
export function asReconciled(report: Report): Pick<ReconcileResult, 'report' | 'instances'> {
  const { instances, ...rest } = report;
  return { report: rest, instances: () => instances };
}
