/**
 * Builds the heartbeats of one agent run: a fresh boot id per start and a sequence number that
 * grows with every heartbeat and goodbye, so the aggregator can order them across restarts.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../shared/clock';
import type { Heartbeat, ServingStatus, SystemStats } from '../shared/heartbeat';
import { HEARTBEAT_SCHEMA_VERSION } from '../shared/heartbeat-wire';
import { signHeartbeat } from '../shared/signature';
import type { AgentIdentity } from './identity';

/** What every heartbeat of one run shares. */
export interface HeartbeatBuilderOptions {
  readonly identity: AgentIdentity;
  readonly intervalMs: number;
  readonly ttlMs: number;
  readonly clock: Clock;
  /** Default: a random UUID. */
  readonly bootId?: string;
  /** HEARTBEAT_SECRET: when set, every heartbeat and goodbye carries its signature (`sig`). */
  readonly secret?: string;
}

/** Builds the heartbeats and the goodbye of one agent run; each passes validateHeartbeat. */
export interface HeartbeatBuilder {
  readonly bootId: string;
  readonly startedAt: number;
  /** `serving` is null when no probe is configured (serving unknown, not false). */
  heartbeat(stats: SystemStats, serving: ServingStatus | null): Heartbeat;
  /** The deregistration sent on stop: no stats, no serving. */
  goodbye(): Heartbeat;
}

/** Starts a run: draws the boot id and records the start time from the clock. */
export function createHeartbeatBuilder(options: HeartbeatBuilderOptions): HeartbeatBuilder {
  const { identity, intervalMs, ttlMs, clock } = options;
  const bootId = options.bootId ?? randomUUID();
  const startedAt = clock.now();
  let seq = 0;

  const unsigned = (
    type: Heartbeat['type'],
    stats: SystemStats | null,
    serving: ServingStatus | null,
  ): Heartbeat => ({
    v: HEARTBEAT_SCHEMA_VERSION,
    type,
    app: identity.app,
    component: identity.component,
    instance_id: identity.instance_id,
    deployment_id: identity.deployment_id,
    version: identity.version,
    region: identity.region,
    pod_name: identity.pod_name,
    node_name: identity.node_name,
    boot_id: bootId,
    seq: seq++,
    sent_at: clock.now(),
    started_at: startedAt,
    interval_ms: intervalMs,
    ttl_ms: ttlMs,
    serving,
    stats,
  });

  const build = (type: Heartbeat['type'], stats: SystemStats | null, serving: ServingStatus | null) => {
    const heartbeat = unsigned(type, stats, serving);
    return options.secret ? signHeartbeat(heartbeat, options.secret) : heartbeat;
  };

  return {
    bootId,
    startedAt,
    heartbeat: (stats, serving) => build('heartbeat', stats, serving),
    goodbye: () => build('goodbye', null, null),
  };
}
