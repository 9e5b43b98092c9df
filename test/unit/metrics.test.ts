import { Registry } from 'prom-client';
import { createAgentMetrics } from '../../agent/metrics';
import { createAggregatorMetrics } from '../../aggregator/metrics';
import type { Report } from '../../aggregator/reconcile';
import { reconcile, VERDICTS } from '../../aggregator/reconcile';
import { autoscaled, component, deployment, fixed, listed, view } from '../support/platform';
import { fullReport, input } from '../support/reconcile-io';
import { instance, instances, NOW } from '../support/records';

type Labels = Record<string, string | number>;

async function series(registry: Registry, name: string): Promise<{ labels: Labels; value: number }[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`${name} is not registered`);
  const { values } = await metric.get();
  return values.map((v) => ({ labels: v.labels as Labels, value: v.value }));
}

async function valueOf(registry: Registry, name: string, labels: Labels): Promise<number | undefined> {
  const all = await series(registry, name);
  return all.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** backend: 2 desired, the dashboard says 4, 3 live (one orphan of dep-old, one failing its probe); worker autoscaled 1-3 with 2 live. */
function fleetReport(): Report {
  return fullReport(
    reconcile(
      input({
        app: 'shop',
        platform: view({
          fetchedAtMs: NOW - 12_000,
          components: [
            component('backend', {
              desired: fixed(2),
              ready: 4,
              listed: [listed('backend-1'), listed('backend-2'), listed('old-1'), listed('zombie-1')],
            }),
            component('worker', { kind: 'worker', desired: autoscaled(1, 3) }),
          ],
          activeDeployment: deployment('dep-new'),
        }),
        instances: [
          instance('backend-1', { deploymentId: 'dep-new', serving: true }),
          instance('backend-2', { deploymentId: 'dep-new', serving: false }),
          instance('old-1', { deploymentId: 'dep-old', serving: true }),
          ...instances('worker', 2, { component: 'worker', deploymentId: 'dep-new' }),
        ],
      }),
    ),
  );
}

describe('aggregator metrics', () => {
  test('a report sets the per-component counts, the verdict as one-hot and the findings by code', async () => {
    const registry = new Registry();
    const metrics = createAggregatorMetrics(registry);
    metrics.observeReport(fleetReport());

    const backend = { app: 'shop', component: 'backend' };
    const worker = { app: 'shop', component: 'worker' };
    expect(await valueOf(registry, 'replica_watch_desired_replicas', backend)).toBe(2);
    expect(await valueOf(registry, 'replica_watch_desired_max_replicas', backend)).toBe(2);
    expect(await valueOf(registry, 'replica_watch_desired_replicas', worker)).toBe(1);
    expect(await valueOf(registry, 'replica_watch_desired_max_replicas', worker)).toBe(3);
    expect(await valueOf(registry, 'replica_watch_platform_ready_replicas', backend)).toBe(4);
    expect(await valueOf(registry, 'replica_watch_platform_listed_instances', backend)).toBe(4);
    expect(await valueOf(registry, 'replica_watch_live_instances', backend)).toBe(3);
    expect(await valueOf(registry, 'replica_watch_serving_instances', backend)).toBe(2);
    expect(await valueOf(registry, 'replica_watch_orphaned_instances', backend)).toBe(1);
    expect(await valueOf(registry, 'replica_watch_live_instances', worker)).toBe(2);

    const verdicts = (await series(registry, 'replica_watch_component_verdict')).filter(
      (s) => s.labels.component === 'backend',
    );
    expect(verdicts.map((s) => s.labels.verdict).sort()).toEqual([...VERDICTS].sort());
    expect(verdicts.filter((s) => s.value === 1).map((s) => s.labels.verdict)).toEqual(['discrepancy']);
    expect(await valueOf(registry, 'replica_watch_component_verdict', { ...worker, verdict: 'ok' })).toBe(1);

    const findings = (await series(registry, 'replica_watch_findings')).filter(
      (s) => s.labels.component === 'backend',
    );
    expect(findings.map((s) => s.labels.code).sort()).toEqual(
      expect.arrayContaining([
        'NOT_SERVING',
        'ORPHANED_INSTANCES',
        'PLATFORM_COUNT_MISMATCH',
        'SURPLUS_INSTANCES',
        'UNREPORTED_INSTANCES',
      ]),
    );
    expect(findings.every((s) => s.value === 1 && typeof s.labels.severity === 'string')).toBe(true);
    expect(await valueOf(registry, 'replica_watch_platform_data_age_seconds', { app: 'shop' })).toBe(12);
    expect(await valueOf(registry, 'replica_watch_degraded', { app: 'shop' })).toBe(0);
  });

  test('components and findings that went away leave no series behind', async () => {
    const registry = new Registry();
    const metrics = createAggregatorMetrics(registry);
    metrics.observeReport(fleetReport());
    metrics.observeReport(
      fullReport(
        reconcile(
          input({
            app: 'shop',
            platform: view({ fetchedAtMs: null, status: 'unavailable', components: [component('backend')] }),
            instances: instances('backend', 2),
          }),
        ),
      ),
    );
    const components = new Set(
      (await series(registry, 'replica_watch_live_instances')).map((s) => s.labels.component),
    );
    expect([...components]).toEqual(['backend']);
    const codes = (await series(registry, 'replica_watch_findings')).map((s) => s.labels.code);
    expect(codes).not.toContain('ORPHANED_INSTANCES');
    expect(codes).toContain('DATA_DEGRADED');
    // No platform data: no age at all rather than a misleading 0.
    expect(await series(registry, 'replica_watch_platform_data_age_seconds')).toEqual([]);
  });

  test('platform API calls are counted by endpoint template and status or failure kind', async () => {
    const registry = new Registry();
    const metrics = createAggregatorMetrics(registry);
    metrics.countPlatformCall('GET /v2/apps/{id}', 200);
    metrics.countPlatformCall('GET /v2/apps/{id}', 200);
    metrics.countPlatformCall('GET /v2/apps/{app_id}/health', 429);
    metrics.countPlatformCall('GET /v2/apps/{app_id}/instances', 'timeout');
    const name = 'replica_watch_platform_api_requests_total';
    expect(await valueOf(registry, name, { endpoint: 'GET /v2/apps/{id}', status: '200' })).toBe(2);
    expect(await valueOf(registry, name, { endpoint: 'GET /v2/apps/{app_id}/health', status: '429' })).toBe(
      1,
    );
    expect(
      await valueOf(registry, name, { endpoint: 'GET /v2/apps/{app_id}/instances', status: 'timeout' }),
    ).toBe(1);
  });

  test('feed lag and registry size are read from the collector at each scrape', async () => {
    const registry = new Registry();
    const metrics = createAggregatorMetrics(registry);
    expect(await series(registry, 'replica_watch_feed_lag_seconds')).toEqual([]);
    expect(await series(registry, 'replica_watch_registry_instances')).toEqual([]);

    let lagMs: number | null = null;
    let size = 0;
    metrics.watchCollector({ app: 'shop', feedLagMs: () => lagMs, registrySize: () => size });
    // No feed entry yet (or the embedded collector, which has no feed): no lag series.
    expect(await series(registry, 'replica_watch_feed_lag_seconds')).toEqual([]);
    expect(await valueOf(registry, 'replica_watch_registry_instances', { app: 'shop' })).toBe(0);

    lagMs = 2_500;
    size = 7;
    expect(await valueOf(registry, 'replica_watch_feed_lag_seconds', { app: 'shop' })).toBe(2.5);
    expect(await valueOf(registry, 'replica_watch_registry_instances', { app: 'shop' })).toBe(7);
  });

  test('heartbeats are counted by outcome and rejects by reason', async () => {
    const registry = new Registry();
    const metrics = createAggregatorMetrics(registry);
    metrics.countApplied('new');
    metrics.countRejected('too_large');
    metrics.countRejected('too_large');
    expect(await valueOf(registry, 'replica_watch_heartbeats_applied_total', { outcome: 'new' })).toBe(1);
    expect(await valueOf(registry, 'replica_watch_heartbeats_rejected_total', { reason: 'too_large' })).toBe(
      2,
    );
  });

  test('every aggregator metric follows the naming rules and carries no instance label', async () => {
    const registry = new Registry();
    createAggregatorMetrics(registry);
    const all = await registry.getMetricsAsJSON();
    expect(all.length).toBeGreaterThan(10);
    for (const metric of all) {
      expect(metric.name).toMatch(/^replica_watch_[a-z_]+$/);
      if (String(metric.type) === 'counter') expect(metric.name).toMatch(/_total$/);
      else expect(metric.name).not.toMatch(/_total$/);
      const labelNames = (registry.getSingleMetric(metric.name) as unknown as { labelNames: string[] })
        .labelNames;
      expect(labelNames.filter((l) => /instance|pod|node|host/.test(l))).toEqual([]);
    }
  });
});

describe('agent metrics', () => {
  test('with a probe: heartbeats by transport, probe gauge and latency, process metrics', async () => {
    const registry = new Registry();
    const metrics = createAgentMetrics(registry);
    metrics.heartbeatsSent.inc({ transport: 'redis' });
    metrics.probeUp?.set(1);
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'replica_watch_agent_heartbeats_sent_total',
        'replica_watch_agent_heartbeats_failed_total',
        'replica_watch_agent_probe_up',
        'replica_watch_agent_probe_latency_seconds',
        'process_resident_memory_bytes',
        'nodejs_active_handles',
      ]),
    );
    // Gauges named like counters (promtool refuses them) are left out.
    expect(names.filter((n) => /^nodejs_active_\w+_total$/.test(n))).toEqual([]);
    expect(await valueOf(registry, 'replica_watch_agent_heartbeats_sent_total', { transport: 'redis' })).toBe(
      1,
    );
  });

  test('without a probe there is no probe metric, so no 0 reads as "not serving"', async () => {
    const registry = new Registry();
    const metrics = createAgentMetrics(registry, { probe: false });
    expect(metrics.probeUp).toBeNull();
    expect(registry.getSingleMetric('replica_watch_agent_probe_up')).toBeUndefined();
    expect(registry.getSingleMetric('replica_watch_agent_probe_latency_seconds')).toBeUndefined();
  });
});
