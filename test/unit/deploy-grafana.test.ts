/**
 * deploy/grafana/replica-watch.json: a well-formed dashboard with a datasource variable, every
 * query on it, and every metric it reads defined by the aggregator's or the agent's metrics.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { createAgentMetrics } from '../../agent/metrics';
import { createAggregatorMetrics } from '../../aggregator/metrics';
import { REPO_ROOT } from '../support/spawn';

interface Target {
  readonly expr: string;
  readonly refId: string;
  readonly datasource?: { type: string; uid: string };
}
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { type: string; uid: string };
  readonly targets?: Target[];
  readonly gridPos: { h: number; w: number; x: number; y: number };
}
interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly templating: { list: { name: string; type: string; query: unknown }[] };
  readonly panels: Panel[];
}

const dashboard = JSON.parse(
  readFileSync(path.join(REPO_ROOT, 'deploy/grafana/replica-watch.json'), 'utf8'),
) as Dashboard;
const queryPanels = dashboard.panels.filter((p) => p.type !== 'row');
const exprs = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

/** Every metric family the code defines (histograms also as their _bucket/_sum/_count series). */
async function definedSeriesNames(): Promise<Set<string>> {
  const registry = new Registry();
  createAggregatorMetrics(registry);
  createAgentMetrics(registry);
  const names = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
  }
  return names;
}

test('has a uid, a title and a Prometheus datasource variable', () => {
  expect(dashboard.uid).toBe('replica-watch');
  expect(dashboard.title).toMatch(/replica-watch/);
  expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(30);
  const variables = dashboard.templating.list;
  expect(variables.find((v) => v.name === 'datasource')).toMatchObject({
    type: 'datasource',
    query: 'prometheus',
  });
  expect(variables.map((v) => v.name)).toEqual(expect.arrayContaining(['app', 'component']));
});

test('every panel and query uses the datasource variable; ids are unique; panels fit the grid', () => {
  expect(queryPanels.length).toBeGreaterThanOrEqual(10);
  const ids = dashboard.panels.map((p) => p.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const panel of queryPanels) {
    expect({ panel: panel.title, uid: panel.datasource?.uid }).toEqual({
      panel: panel.title,
      uid: '${datasource}',
    });
    expect(panel.targets?.length).toBeGreaterThan(0);
    for (const target of panel.targets ?? []) expect(target.datasource?.uid).toBe('${datasource}');
    expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
  }
});

test('every replica_watch_* series it queries is one the code defines', async () => {
  const defined = await definedSeriesNames();
  const used = new Set(exprs.flatMap((e) => [...e.matchAll(/replica_watch_[a-z_]+/g)].map((m) => m[0])));
  expect([...used].filter((name) => !defined.has(name)).sort()).toEqual([]);
});

test('shows what the issue asks for: counts side by side, verdict, findings, reconcile time, rejects, API calls, feed lag', () => {
  const all = exprs.join('\n');
  for (const metric of [
    'replica_watch_desired_replicas',
    'replica_watch_platform_ready_replicas',
    'replica_watch_live_instances',
    'replica_watch_serving_instances',
    'replica_watch_component_verdict',
    'replica_watch_findings',
    'replica_watch_reconcile_duration_seconds_bucket',
    'replica_watch_heartbeats_rejected_total',
    'replica_watch_platform_api_requests_total',
    'replica_watch_feed_lag_seconds',
  ])
    expect(all).toContain(metric);
  // The four counts of a component share one panel, repeated per component.
  const sideBySide = queryPanels.find((p) => (p as { repeat?: string }).repeat === 'component');
  const counts = (sideBySide?.targets ?? []).map((t) => t.expr).join('\n');
  for (const metric of ['desired_replicas', 'platform_ready_replicas', 'live_instances', 'serving_instances'])
    expect(counts).toContain(`replica_watch_${metric}`);
});
