/**
 * Many apps, one aggregator: a real aggregator process pointed at the project's fake App Platform
 * account with DO_APP_ID=* (the real client, over HTTP), heartbeats posted as agents would.
 * GET /api/v1/apps lists every app worst first with its verdict, counts and waste to the cent;
 * the agentless app is judged from the platform alone; an app whose every call answers 404
 * degrades that app only; apps created and deleted are picked up and dropped; the CLI lists the
 * fleet and `--app` picks one.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { FleetApp, FleetView } from '../../aggregator/fleet/fleet-view';
import type { Report } from '../../aggregator/reconcile/report';
import type { SimulatedAccountApp, SimulatedPlatform } from '../../aggregator/platform/simulated';
import { startSimulatedPlatform } from '../../aggregator/platform/simulated';
import { simulatedAgentHeartbeat } from '../support/heartbeats';
import { killAll, REPO_ROOT, spawnBuilt, type SpawnedProcess } from '../support/spawn';
import { waitFor } from '../support/wait';

let platform: SimulatedPlatform;
let aggregator: SpawnedProcess;
let url: string;
let heartbeating: NodeJS.Timeout | undefined;
const byName = new Map<string, SimulatedAccountApp>();

/** Every instance of the apps that run agents, heartbeating over HTTP as their agents would. */
async function heartbeatOnce(apps: readonly SimulatedAccountApp[]): Promise<void> {
  const now = Date.now();
  for (const app of apps) {
    for (const agent of app.state.agents()) {
      const res = await fetch(`${url}/api/v1/heartbeats`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(simulatedAgentHeartbeat(app.appId, agent, now, { started_at: now - 60_000 })),
      });
      if (res.status !== 202) throw new Error(`heartbeat refused: ${res.status} ${await res.text()}`);
    }
  }
}

async function getJson<T>(route: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}${route}`);
  return { status: res.status, body: (await res.json()) as T };
}

function cli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const main = path.join(REPO_ROOT, 'dist', 'aggregator', 'cli', 'main.js');
  return new Promise((resolve) => {
    execFile(process.execPath, [main, ...args, '--url', url], { timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

function appNamed(view: FleetView, name: string): FleetApp | undefined {
  return view.apps.find((a) => a.name === name);
}

beforeAll(async () => {
  platform = await startSimulatedPlatform({
    apps: [
      { scenario: 'steady', name: 'storefront' },
      { scenario: 'orphans-356', name: 'replica-demo' },
      { scenario: 'dashboard-overcount', name: 'billing-api' },
      // Listed, but every call about it answers 404 (deleted right after the listing).
      { scenario: 'steady', name: 'ghost-app', access: 'app_not_found' },
    ],
  });
  for (const app of platform.apps()) byName.set(app.name, app);
  aggregator = spawnBuilt('aggregator/main.js', {
    PORT: '0',
    HOST: '127.0.0.1',
    PLATFORM: 'digitalocean',
    DO_API_BASE_URL: platform.url,
    DO_API_TOKEN: 'fleet-test-token',
    DO_APP_ID: '*',
    APP_DISCOVERY_INTERVAL_MS: '10000',
    PLATFORM_CACHE_TTL_MS: '1000',
    RECONCILE_INTERVAL_MS: '250',
  });
  const { port } = await aggregator.waitForLine((l) => l.message === 'aggregator listening');
  url = `http://127.0.0.1:${String(port)}`;
  // storefront and replica-demo run agents; billing-api has none.
  const withAgents = ['storefront', 'replica-demo'].map((name) => byName.get(name)!);
  await heartbeatOnce(withAgents);
  heartbeating = setInterval(() => void heartbeatOnce(withAgents).catch(() => undefined), 2_000);
});

afterAll(async () => {
  clearInterval(heartbeating);
  await killAll([aggregator]);
  await platform.close();
});

/** The fleet once every app has platform data (or, for the ghost, its 404) and the agents are counted. */
async function settledFleet(): Promise<FleetView> {
  return waitFor(async () => (await getJson<FleetView>('/api/v1/apps')).body, {
    what: 'every app reconciled with platform data and its agents',
    until: (view) =>
      view.apps.length === 4 &&
      appNamed(view, 'replica-demo')?.active_instances === 6 &&
      appNamed(view, 'storefront')?.active_instances === 2 &&
      appNamed(view, 'billing-api')?.platform_ready === 6 &&
      view.apps.filter((a) => a.name !== null).length === 3,
  });
}

test('GET /api/v1/apps lists every app worst first with its verdict, counts and waste to the cent', async () => {
  const view = await settledFleet();
  expect(view.discovery).toMatchObject({ status: 'ok', error: null });
  expect(appNamed(view, 'replica-demo')).toMatchObject({
    app_id: byName.get('replica-demo')?.appId,
    verdict: 'discrepancy',
    configured_replicas: 2,
    active_instances: 6,
    platform_ready: 6,
    platform_instances: 6,
    surplus_instances: 4,
    // 4 surplus instances of apps-s-1vcpu-1gb at usd_per_month "12.00".
    estimated_monthly_waste_usd: 48,
    agentless: false,
    shard: 0,
  });
  expect(appNamed(view, 'replica-demo')?.finding_codes).toEqual(
    expect.arrayContaining(['ORPHANED_INSTANCES', 'SURPLUS_INSTANCES', 'NOT_SERVING']),
  );
  expect(appNamed(view, 'storefront')).toMatchObject({
    verdict: 'ok',
    configured_replicas: 2,
    active_instances: 2,
    platform_ready: 2,
    platform_instances: 2,
    finding_codes: [],
    surplus_instances: 0,
    estimated_monthly_waste_usd: 0,
  });
  // No agents: judged from the platform alone, its dashboard count contradicted by its own list.
  expect(appNamed(view, 'billing-api')).toMatchObject({
    verdict: 'discrepancy',
    agentless: true,
    active_instances: null,
    configured_replicas: 2,
    platform_ready: 6,
    platform_instances: 2,
    finding_codes: ['PLATFORM_COUNT_MISMATCH'],
    surplus_instances: 0,
    estimated_monthly_waste_usd: 0,
  });
  const ghost = view.apps.find((a) => a.app === byName.get('ghost-app')?.appId);
  expect(ghost).toMatchObject({ verdict: 'degraded', degraded: true, estimated_monthly_waste_usd: null });
  expect(ghost?.finding_codes).toContain('DATA_DEGRADED');
  // Worst first: the #356 app's orphans (and its waste) before the over-counting dashboard (both
  // warnings), the healthy one last; the blind one ranks by its DATA_DEGRADED (warning, critical
  // after ALERT_FOR_MS), never after the healthy one.
  const order = view.apps.map((a) => a.name ?? 'ghost');
  expect(order.filter((name) => name !== 'ghost')).toEqual(['replica-demo', 'billing-api', 'storefront']);
  expect(order.at(-1)).toBe('storefront');
  expect(view.totals).toMatchObject({ apps: 4, estimated_monthly_waste_usd: 48, unknown_waste_apps: 1 });
});

test('a 404 on one app degrades that app only, naming the cause and the variable', async () => {
  await settledFleet();
  const ghostId = byName.get('ghost-app')?.appId ?? '';
  const ghost = await waitFor(() => getJson<Report>(`/api/v1/monitoring/replicas?app=${ghostId}`), {
    what: "the ghost app's first refresh (its 404)",
    until: (r) => r.body.summary.do_api_error !== null,
  });
  expect(ghost.status).toBe(200);
  expect(ghost.body.summary).toMatchObject({
    verdict: 'degraded',
    do_api_status: 'unavailable',
    do_api_error: { kind: 'not_found', http_status: 404, fix_variable: 'DO_APP_ID' },
  });
  for (const name of ['storefront', 'replica-demo', 'billing-api']) {
    const other = await getJson<Report>(`/api/v1/monitoring/replicas?app=${byName.get(name)?.appId ?? ''}`);
    expect({ name, status: other.body.summary.do_api_status, degraded: other.body.degraded }).toEqual({
      name,
      status: 'ok',
      degraded: false,
    });
  }
});

test('without ?app the report covers every app, each component carrying its app; an unknown app is named', async () => {
  await settledFleet();
  const all = await getJson<Report>('/api/v1/monitoring/replicas?instances=false');
  expect(all.body.app).toBe('*');
  const apps = new Set(all.body.components.map((c) => c.app));
  // The blind app too: its report names what it cannot see.
  expect(apps).toEqual(new Set([...byName.values()].map((a) => a.appId)));
  const unknown = await getJson<{ error: string; apps: string[] }>(
    '/api/v1/monitoring/replicas?app=no-such-app',
  );
  expect(unknown.status).toBe(404);
  expect(unknown.body.error).toContain('"no-such-app" is not watched');
  expect(unknown.body.apps).toContain(byName.get('storefront')?.appId);
  const history = await getJson<{ error: string }>('/api/v1/history');
  expect(history.status).toBe(400);
  expect(history.body.error).toContain('?app=');
});

test('metrics stay labelled by app, the waste among them', async () => {
  await settledFleet();
  const text = await (await fetch(`${url}/metrics`)).text();
  const demo = byName.get('replica-demo')?.appId ?? '';
  expect(text).toContain(`replica_watch_estimated_monthly_waste_usd{app="${demo}",component="backend"} 48`);
  expect(text).toContain(
    `replica_watch_live_instances{app="${byName.get('storefront')?.appId ?? ''}",component="backend"} 2`,
  );
});

test('the CLI lists the fleet (blind apps make it exit 4) and --app picks one', async () => {
  await settledFleet();
  const status = await cli(['status']);
  expect(status.code).toBe(4);
  expect(status.stdout).toMatch(/^replica-demo \(.*\) +discrepancy +2 +6 +6 +6 +4 +\$48\.00\/mo/m);
  expect(status.stdout).toMatch(/^billing-api \(.*\) +discrepancy +2 +no agents +6 +2 +0 +\$0\.00\/mo/m);
  expect(status.stdout).toContain('BLIND:');
  const one = await cli(['status', '--app', byName.get('replica-demo')?.appId ?? '']);
  expect(one.code).toBe(1);
  expect(one.stdout).toMatch(/^backend +2 +6 +6 +6 +5 +4 +discrepancy/m);
  const missing = await cli(['status', '--app', 'no-such-app']);
  expect(missing.code).toBe(3);
  expect(missing.stderr).toContain('"no-such-app" is not watched');
});

test('an app created is picked up and a deleted one dropped at the next listing', async () => {
  await settledFleet();
  const created = platform.addApp({ scenario: 'steady', name: 'new-service' });
  const ghostId = byName.get('ghost-app')?.appId ?? '';
  expect(platform.removeApp(ghostId)).toBe(true);
  const view = await waitFor(async () => (await getJson<FleetView>('/api/v1/apps')).body, {
    what: 'the next listing (APP_DISCOVERY_INTERVAL_MS=10000)',
    timeoutMs: 45_000,
    until: (v) => v.apps.some((a) => a.app === created.appId) && !v.apps.some((a) => a.app === ghostId),
  });
  expect(view.apps).toHaveLength(4);
  const gone = await getJson<{ error: string }>(`/api/v1/monitoring/replicas?app=${ghostId}`);
  expect(gone.status).toBe(404);
});
