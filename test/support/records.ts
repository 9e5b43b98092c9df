/**
 * Test builders for what the collector hands the reconciler: heartbeats, InstanceRecords and
 * collector health, with sensible defaults so that a test names only what it is about.
 * Times are absolute ms; NOW is the reference moment most tests use. The platform's side is
 * built in ./platform, a whole reconcile input and its report in ./reconcile-io.
 */
import type { CollectorHealth, InstanceRecord } from '../../aggregator/model';
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

export const HEALTHY: CollectorHealth = { healthy: true, blindSinceMs: null, detail: null };

export function blindSince(ms: number, detail = 'redis: connection refused'): CollectorHealth {
  return { healthy: false, blindSinceMs: ms, detail };
}
