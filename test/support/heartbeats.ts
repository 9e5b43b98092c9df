/** Valid heartbeats for tests, with only the fields a test cares about spelled out. */
import type { Heartbeat, SystemStats } from '../../shared/heartbeat';
import { HEARTBEAT_SCHEMA_VERSION } from '../../shared/heartbeat';
import type { SimulatedAgent } from '../../aggregator/platform/simulated';

export const SAMPLE_STATS: SystemStats = {
  cpu_count: 2,
  cpu_usage: 0.25,
  load_avg: [0.5, 0.4, 0.3],
  mem_total_bytes: 4_000_000_000,
  mem_free_bytes: 1_000_000_000,
  rss_bytes: 150_000_000,
  heap_used_bytes: 50_000_000,
  disk_total_bytes: null,
  disk_free_bytes: null,
  host_uptime_s: 3_600,
  process_uptime_s: 600,
  platform: 'linux',
  node_version: 'v20.0.0',
};

/** A valid heartbeat of instance `overrides.instance_id` (default `backend-abc-1`). */
export function makeHeartbeat(overrides: Partial<Heartbeat> = {}): Heartbeat {
  const sentAt = overrides.sent_at ?? 1_700_000_000_000;
  return {
    v: HEARTBEAT_SCHEMA_VERSION,
    type: 'heartbeat',
    app: 'test-app',
    component: 'backend',
    instance_id: 'backend-abc-1',
    deployment_id: 'dep-1',
    version: '1.0.0',
    region: 'ams3',
    pod_name: null,
    node_name: null,
    boot_id: 'boot-a',
    seq: 1,
    sent_at: sentAt,
    started_at: sentAt - 60_000,
    interval_ms: 10_000,
    ttl_ms: 30_000,
    serving: { ok: true, status: 200, latency_ms: 3, error: null, checked_at: sentAt },
    stats: SAMPLE_STATS,
    ...overrides,
  };
}

/** The goodbye an agent sends when it stops: same boot, the next seq, no stats. */
export function goodbyeOf(heartbeat: Heartbeat, overrides: Partial<Heartbeat> = {}): Heartbeat {
  return { ...heartbeat, type: 'goodbye', seq: heartbeat.seq + 1, stats: null, serving: null, ...overrides };
}

/**
 * The heartbeat a simulated platform's agent sends at `now`: its component, instance and
 * deployment, and a probe result that says whether it serves; override any field.
 */
export function simulatedAgentHeartbeat(
  app: string,
  agent: SimulatedAgent,
  now: number,
  overrides: Partial<Heartbeat> = {},
): Heartbeat {
  return makeHeartbeat({
    app,
    component: agent.component,
    instance_id: agent.instanceId,
    deployment_id: agent.deploymentId,
    boot_id: `boot-${agent.instanceId}`,
    sent_at: now,
    serving: {
      ok: agent.serving,
      status: agent.serving ? 200 : 503,
      latency_ms: 2,
      error: null,
      checked_at: now,
    },
    ...overrides,
  });
}
