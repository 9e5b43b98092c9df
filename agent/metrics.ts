/** Every metric of the agent, defined in one place on a registry passed in. */
import type { Registry } from 'prom-client';
import { collectDefaultMetrics, Counter, Gauge, Histogram } from 'prom-client';

/** Default Node.js metrics that are gauges despite their `_total` suffix. */
const GAUGES_NAMED_TOTAL = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** Resolution of the default event-loop delay metrics (see createAgentMetrics). */
const EVENT_LOOP_PRECISION_MS = 1_000;

/** The agent's own metrics (the default process metrics sit beside them on the registry). */
export interface AgentMetrics {
  readonly heartbeatsSent: Counter<'transport'>;
  readonly heartbeatsFailed: Counter<'transport'>;
  /** Absent when no probe is configured (a 0 would read as "not serving"). */
  readonly probeUp: Gauge | null;
  readonly probeLatency: Histogram | null;
}

/** What decides which metrics exist. */
export interface AgentMetricsOptions {
  /** Whether a serving probe runs; default true. */
  readonly probe?: boolean;
}

/**
 * Registers the agent's metrics and the default process metrics on `registry`. The process
 * metrics are skipped when the registry has them already (a backend running the agent in-process
 * and collecting its own).
 */
export function createAgentMetrics(registry: Registry, options: AgentMetricsOptions = {}): AgentMetrics {
  if (registry.getSingleMetric('process_cpu_user_seconds_total') === undefined) {
    // The event-loop delay monitor wakes the process every `precision` ms; at prom-client's
    // default of 10 ms that was most of an idle agent's CPU (~10 ms of CPU a second). Once a
    // second still shows a blocked loop, and costs next to nothing beside every instance.
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_PRECISION_MS });
    // Gauges named like counters, which promtool rejects; each is the sum of the per-type
    // gauge beside it (nodejs_active_handles{type} and so on), so nothing is lost.
    for (const name of GAUGES_NAMED_TOTAL) registry.removeSingleMetric(name);
  }
  const registers = [registry];
  const probe = options.probe ?? true;
  return {
    heartbeatsSent: new Counter({
      name: 'replica_watch_agent_heartbeats_sent_total',
      help: 'Heartbeats and goodbyes stored by a transport.',
      labelNames: ['transport'] as const,
      registers,
    }),
    heartbeatsFailed: new Counter({
      name: 'replica_watch_agent_heartbeats_failed_total',
      help: 'Heartbeat and goodbye sends that failed, per transport tried.',
      labelNames: ['transport'] as const,
      registers,
    }),
    probeUp: probe
      ? new Gauge({
          name: 'replica_watch_agent_probe_up',
          help: 'Whether the backend answered its health URL with 2xx in time at the last probe (1) or not (0).',
          registers,
        })
      : null,
    probeLatency: probe
      ? new Histogram({
          name: 'replica_watch_agent_probe_latency_seconds',
          help: 'Time until the backend answered its health URL (any status).',
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
          registers,
        })
      : null,
  };
}
