/**
 * Every aggregator metric, defined in one place on a registry passed in (never the global one).
 * Names follow replica_watch_<thing>_<unit>; labels have bounded values (app, component, code…),
 * never an instance id.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ApplyOutcome } from './collector';
import type { RejectReason } from '../shared/heartbeat';
import type { ReportWithoutInstances } from './reconcile/report';
import { FINDING_CODES, VERDICTS } from './reconcile/report';

/** What the collector gauges read at each scrape. */
export interface CollectorReadings {
  /** The app whose heartbeats the collector reads (the `app` label). */
  readonly app: string;
  /** Now minus the time of the last feed entry processed; null without a feed (embedded mode) or before the first entry. */
  feedLagMs(): number | null;
  /** Instances in the registry (live, suspect, gone not yet forgotten, left). */
  registrySize(): number;
}

export function createAggregatorMetrics(registry: Registry) {
  const registers = [registry];
  // Set by watchCollector; read when Prometheus scrapes, so the values are as fresh as the scrape.
  let collector: CollectorReadings | null = null;
  const componentGauge = (name: string, help: string) =>
    new Gauge({ name, help, labelNames: ['app', 'component'] as const, registers });

  const metrics = {
    reconcileDuration: new Histogram({
      name: 'replica_watch_reconcile_duration_seconds',
      help: 'Time one reconciliation takes (the pure reconcile, serialization excluded).',
      // From well under a millisecond (small fleets) to the 100k-instance range.
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    heartbeatsApplied: new Counter({
      name: 'replica_watch_heartbeats_applied_total',
      help: 'Heartbeats processed into the registry, by outcome (duplicates are the same heartbeat seen again).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    heartbeatsRejected: new Counter({
      name: 'replica_watch_heartbeats_rejected_total',
      help: 'Heartbeats refused, by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
    desired: componentGauge(
      'replica_watch_desired_replicas',
      'Instances the spec asks for (autoscaling minimum).',
    ),
    platformReady: componentGauge(
      'replica_watch_platform_ready_replicas',
      'Ready replicas the platform dashboard shows.',
    ),
    platformListed: componentGauge(
      'replica_watch_platform_listed_instances',
      'Instances the platform lists.',
    ),
    live: componentGauge('replica_watch_live_instances', 'Instances heartbeating (live and suspect).'),
    serving: componentGauge(
      'replica_watch_serving_instances',
      'Live instances not failing their serving probe.',
    ),
    stale: componentGauge(
      'replica_watch_stale_instances',
      'Instances whose heartbeats stopped without a goodbye.',
    ),
    orphaned: componentGauge(
      'replica_watch_orphaned_instances',
      'Live instances of a deployment other than the active one.',
    ),
    verdict: new Gauge({
      name: 'replica_watch_component_verdict',
      help: '1 for the verdict a component has now, 0 for the others.',
      labelNames: ['app', 'component', 'verdict'] as const,
      registers,
    }),
    findings: new Gauge({
      name: 'replica_watch_findings',
      help: 'Findings present now, by component, code and severity.',
      labelNames: ['app', 'component', 'code', 'severity'] as const,
      registers,
    }),
    desiredMax: componentGauge(
      'replica_watch_desired_max_replicas',
      'Most instances the spec allows (autoscaling maximum; the fixed count otherwise).',
    ),
    platformApiRequests: new Counter({
      name: 'replica_watch_platform_api_requests_total',
      help: 'App Platform API call attempts, by endpoint template and HTTP status (or timeout, network_error).',
      labelNames: ['endpoint', 'status'] as const,
      registers,
    }),
    platformDataAge: new Gauge({
      name: 'replica_watch_platform_data_age_seconds',
      help: 'Age of the platform data the last reconcile used; absent while there is none (never fetched, or static).',
      labelNames: ['app'] as const,
      registers,
    }),
    feedLag: new Gauge({
      name: 'replica_watch_feed_lag_seconds',
      help: 'Time since the Redis time of the last heartbeat-feed entry processed; grows when the collector falls behind or the fleet goes quiet. Absent without Redis.',
      labelNames: ['app'] as const,
      registers,
      collect() {
        this.reset();
        const lagMs = collector?.feedLagMs() ?? null;
        if (collector && lagMs !== null) this.set({ app: collector.app }, Math.max(0, lagMs) / 1000);
      },
    }),
    registryInstances: new Gauge({
      name: 'replica_watch_registry_instances',
      help: 'Instances the collector remembers (live, suspect, gone not yet forgotten, left).',
      labelNames: ['app'] as const,
      registers,
      collect() {
        this.reset();
        if (collector) this.set({ app: collector.app }, collector.registrySize());
      },
    }),
    degraded: new Gauge({
      name: 'replica_watch_degraded',
      help: '1 while the aggregator cannot read heartbeats (self-preservation: nothing is marked gone).',
      labelNames: ['app'] as const,
      registers,
    }),
    alertNotifications: new Counter({
      name: 'replica_watch_alert_notifications_total',
      help: 'Alert notifications by sink and outcome (sent; failed: refused or retries spent; dropped: queue full or stopping).',
      labelNames: ['sink', 'outcome'] as const,
      registers,
    }),
    leader: new Gauge({
      name: 'replica_watch_leader',
      help: '1 while this aggregator holds the leader lease (it alerts and remediates), else 0.',
      labelNames: ['app'] as const,
      registers,
    }),
  };
  return {
    ...metrics,
    countApplied(outcome: ApplyOutcome): void {
      metrics.heartbeatsApplied.inc({ outcome });
    },
    countRejected(reason: RejectReason): void {
      metrics.heartbeatsRejected.inc({ reason });
    },
    /** Counts alert notifications delivered, failed or dropped by a sink (the SinkQueue's onOutcome). */
    countNotifications(sink: string, outcome: string, count: number): void {
      metrics.alertNotifications.inc({ sink, outcome }, count);
    },
    /** Counts one App Platform API attempt (the DigitalOcean client's onCall hook). */
    countPlatformCall(endpoint: string, outcome: number | string): void {
      metrics.platformApiRequests.inc({ endpoint, status: String(outcome) });
    },
    /** Makes the feed-lag and registry-size gauges read `readings` at every scrape. */
    watchCollector(readings: CollectorReadings): void {
      collector = readings;
    },
    /** Sets the per-component gauges from a report; components that disappeared are dropped. */
    observeReport(report: ReportWithoutInstances): void {
      const perComponent = [
        metrics.desired,
        metrics.desiredMax,
        metrics.platformReady,
        metrics.platformListed,
        metrics.live,
        metrics.serving,
        metrics.stale,
        metrics.orphaned,
        metrics.verdict,
        metrics.findings,
      ];
      for (const gauge of perComponent) gauge.reset();
      const app = report.app;
      metrics.degraded.set({ app }, report.degraded ? 1 : 0);
      metrics.platformDataAge.reset();
      const ageMs = report.summary.platform_data_age_ms;
      if (ageMs !== null) metrics.platformDataAge.set({ app }, ageMs / 1000);
      for (const c of report.components) {
        const labels = { app, component: c.name };
        if (c.desired !== null) metrics.desired.set(labels, c.desired);
        const desiredMax = c.autoscaling?.max ?? c.desired;
        if (desiredMax !== null) metrics.desiredMax.set(labels, desiredMax);
        if (c.platform_ready !== null) metrics.platformReady.set(labels, c.platform_ready);
        if (c.platform_instances !== null) metrics.platformListed.set(labels, c.platform_instances);
        metrics.live.set(labels, c.live);
        metrics.serving.set(labels, c.serving);
        metrics.stale.set(labels, c.stale);
        metrics.orphaned.set(labels, c.orphaned);
        for (const verdict of VERDICTS)
          metrics.verdict.set({ ...labels, verdict }, c.verdict === verdict ? 1 : 0);
        for (const code of FINDING_CODES) {
          const finding = c.findings.find((f) => f.code === code);
          if (finding) metrics.findings.set({ ...labels, code, severity: finding.severity }, 1);
        }
      }
    },
  };
}

export type AggregatorMetrics = ReturnType<typeof createAggregatorMetrics>;
