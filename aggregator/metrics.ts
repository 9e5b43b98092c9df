/**
 * Every aggregator metric, defined in one place on a registry passed in (never the global one).
 * Names follow replica_watch_<thing>_<unit>; labels have bounded values (app, component, code…),
 * never an instance id.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ApplyOutcome } from './collector';
import type { RejectReason } from '../shared/heartbeat';
import type { ReportWithoutInstances } from './reconcile/report';
import { VERDICTS } from './reconcile/report';

/** What the collector gauges read at each scrape. */
export interface CollectorReadings {
  /** The app whose heartbeats the collector reads (the `app` label). */
  readonly app: string;
  /** Now minus the time of the last feed entry processed; null without a feed (embedded mode) or before the first entry. */
  feedLagMs(): number | null;
  /** Instances in the registry (live, suspect, gone not yet forgotten, left). */
  registrySize(): number;
}

/** A report's labelled values, per gauge; what one app contributes at a scrape. */
type ComponentValue = (c: ReportWithoutInstances['components'][number]) => number | null;

export function createAggregatorMetrics(registry: Registry) {
  const registers = [registry];
  // Per app, the collector and the latest report: the gauges read them when Prometheus scrapes,
  // so the values are as fresh as the scrape, and an app dropped from the fleet drops its series.
  const collectors = new Map<string, CollectorReadings>();
  const reports = new Map<string, ReportWithoutInstances>();
  const componentGauge = (name: string, help: string, value: ComponentValue) =>
    new Gauge({
      name,
      help,
      labelNames: ['app', 'component'] as const,
      registers,
      collect() {
        this.reset();
        for (const [app, report] of reports) {
          for (const c of report.components) {
            const v = value(c);
            if (v !== null) this.set({ app, component: c.name }, v);
          }
        }
      },
    });
  const appGauge = (name: string, help: string, value: (app: string) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['app'] as const,
      registers,
      collect() {
        this.reset();
        for (const app of new Set([...reports.keys(), ...collectors.keys()])) {
          const v = value(app);
          if (v !== null) this.set({ app }, v);
        }
      },
    });

  const metrics = {
    reconcileDuration: new Histogram({
      name: 'replica_watch_reconcile_duration_seconds',
      help: 'Time one reconciliation takes (the pure reconcile, serialization excluded).',
      // From well under a millisecond (small fleets) to the 100k-instance range, with bounds at
      // the targets (2 ms at 10k; p50 20 ms and p99 60 ms at 100k) so that a quantile read from
      // the buckets says which side of a target it is on; up to 2.5 s for a full recomputation.
      buckets: [
        0.0005, 0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.06, 0.08, 0.1, 0.15, 0.25, 0.5, 1, 2.5,
      ],
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
      (c) => c.desired,
    ),
    platformReady: componentGauge(
      'replica_watch_platform_ready_replicas',
      'Ready replicas the platform dashboard shows.',
      (c) => c.platform_ready,
    ),
    platformListed: componentGauge(
      'replica_watch_platform_listed_instances',
      'Instances the platform lists.',
      (c) => c.platform_instances,
    ),
    live: componentGauge(
      'replica_watch_live_instances',
      'Instances heartbeating (live and suspect).',
      (c) => c.live,
    ),
    serving: componentGauge(
      'replica_watch_serving_instances',
      'Live instances not failing their serving probe.',
      (c) => c.serving,
    ),
    stale: componentGauge(
      'replica_watch_stale_instances',
      'Instances whose heartbeats stopped without a goodbye.',
      (c) => c.stale,
    ),
    orphaned: componentGauge(
      'replica_watch_orphaned_instances',
      'Live instances of a deployment other than the active one.',
      (c) => c.orphaned,
    ),
    verdict: new Gauge({
      name: 'replica_watch_component_verdict',
      help: '1 for the verdict a component has now, 0 for the others.',
      labelNames: ['app', 'component', 'verdict'] as const,
      registers,
      collect() {
        this.reset();
        for (const [app, report] of reports) {
          for (const c of report.components) {
            for (const verdict of VERDICTS) {
              this.set({ app, component: c.name, verdict }, c.verdict === verdict ? 1 : 0);
            }
          }
        }
      },
    }),
    findings: new Gauge({
      name: 'replica_watch_findings',
      help: 'Findings present now, by component, code and severity.',
      labelNames: ['app', 'component', 'code', 'severity'] as const,
      registers,
      collect() {
        this.reset();
        for (const [app, report] of reports) {
          for (const c of report.components) {
            for (const f of c.findings)
              this.set({ app, component: c.name, code: f.code, severity: f.severity }, 1);
          }
        }
      },
    }),
    desiredMax: componentGauge(
      'replica_watch_desired_max_replicas',
      'Most instances the spec allows (autoscaling maximum; the fixed count otherwise).',
      (c) => c.autoscaling?.max ?? c.desired,
    ),
    surplus: componentGauge(
      'replica_watch_surplus_instances',
      'Instances running beyond the most the spec allows (0 while rolling); absent while unknown.',
      (c) => c.surplus_instances,
    ),
    waste: componentGauge(
      'replica_watch_estimated_monthly_waste_usd',
      'The surplus instances times the monthly price of their instance size; absent while unknown.',
      (c) => c.estimated_monthly_waste_usd,
    ),
    platformApiRequests: new Counter({
      name: 'replica_watch_platform_api_requests_total',
      help: 'App Platform API call attempts, by endpoint template and HTTP status (or timeout, network_error).',
      labelNames: ['endpoint', 'status'] as const,
      registers,
    }),
    platformDataAge: appGauge(
      'replica_watch_platform_data_age_seconds',
      'Age of the platform data the last reconcile used; absent while there is none (never fetched, or static).',
      (app) => {
        const ageMs = reports.get(app)?.summary.platform_data_age_ms ?? null;
        return ageMs === null ? null : ageMs / 1000;
      },
    ),
    feedLag: appGauge(
      'replica_watch_feed_lag_seconds',
      'Time since the Redis time of the last heartbeat-feed entry processed; grows when the collector falls behind or the fleet goes quiet. Absent without Redis.',
      (app) => {
        const lagMs = collectors.get(app)?.feedLagMs() ?? null;
        return lagMs === null ? null : Math.max(0, lagMs) / 1000;
      },
    ),
    registryInstances: appGauge(
      'replica_watch_registry_instances',
      'Instances the collector remembers (live, suspect, gone not yet forgotten, left).',
      (app) => collectors.get(app)?.registrySize() ?? null,
    ),
    degraded: appGauge(
      'replica_watch_degraded',
      '1 while the aggregator cannot read heartbeats (self-preservation: nothing is marked gone).',
      (app) => {
        const report = reports.get(app);
        return report === undefined ? null : report.degraded ? 1 : 0;
      },
    ),
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
      collectors.set(readings.app, readings);
    },
    /** Drops every series of an app that left the fleet. */
    forgetApp(app: string): void {
      collectors.delete(app);
      reports.delete(app);
      metrics.leader.remove({ app });
    },
    /** The report the app's gauges show from now on; components that disappeared are dropped. */
    observeReport(report: ReportWithoutInstances): void {
      reports.set(report.app, report);
    },
  };
}

export type AggregatorMetrics = ReturnType<typeof createAggregatorMetrics>;
