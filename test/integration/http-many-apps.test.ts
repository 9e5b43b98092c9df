/**
 * One aggregator, two apps (static mode, AGGREGATOR_APP=shop,billing), in-process over HTTP:
 * heartbeats land in their own app and another app's are refused naming the watched ones;
 * `?app=` picks an app's report, no `app` gives every app's at once (`app` is `*`); the routes
 * that need one app say so (400 naming the parameter) and an app not watched is a 404; /readyz
 * counts the apps; GET /api/v1/apps lists them worst first with an ETag; and the fast lane answers
 * `?app=` exactly as express does.
 *
 * The clock tells the real time, but its sleeps end only when stopping: the reconcile loops then
 * never reconcile on their own, and a report changes only when the test reconciles, so that two
 * answers compared are answers to the same report.
 */
import { request, type OutgoingHttpHeaders, type RequestListener, type Server } from 'node:http';
import { Registry } from 'prom-client';
import type { RunningAggregator } from '../../aggregator/app';
import { startAggregator } from '../../aggregator/app';
import type { AggregatorConfig } from '../../aggregator/config';
import { loadAggregatorConfig } from '../../aggregator/config';
import type { FleetView } from '../../aggregator/fleet/fleet-view';
import type { HttpDeps } from '../../aggregator/http/app';
import { createHttpApp, createHttpListener } from '../../aggregator/http/app';
import { closeServer, listen } from '../../aggregator/http/listen';
import type { Report } from '../../aggregator/reconcile/report';
import type { Heartbeat } from '../../shared/heartbeat';
import type { Clock } from '../../shared/clock';
import { silentLogger } from '../../shared/logger';
import { embeddedIngest } from '../support/http-deps';
import { makeHeartbeat } from '../support/heartbeats';

/** Now is the real time; a sleep ends only when its signal aborts (the loops stopping). */
const loopsHeld: Clock = {
  now: () => Date.now(),
  sleep: (_ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal === undefined || signal.aborted) return resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    }),
};

interface Answer {
  readonly status: number;
  /** The raw header lines as sent, in order; Date's value masked. */
  readonly headers: readonly string[];
  readonly body: string;
}

/** One GET on its own connection (no agent: nothing stays open), answered in full. */
function ask(port: number, path: string, headers: OutgoingHttpHeaders = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const lines: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          const name = res.rawHeaders[i] as string;
          lines.push(`${name}: ${name.toLowerCase() === 'date' ? '<date>' : res.rawHeaders[i + 1]}`);
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: lines,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function headerOf(answer: Answer, name: string): string | undefined {
  const prefix = `${name.toLowerCase()}: `;
  return answer.headers.find((h) => h.toLowerCase().startsWith(prefix))?.slice(prefix.length);
}

function heartbeat(app: string, instance: string, overrides: Partial<Heartbeat> = {}): Heartbeat {
  const now = Date.now();
  return makeHeartbeat({
    app,
    instance_id: instance,
    boot_id: `boot-${instance}`,
    sent_at: now,
    started_at: now - 60_000,
    serving: { ok: true, status: 200, latency_ms: 2, error: null, checked_at: now },
    ...overrides,
  });
}

describe('an aggregator of two apps (AGGREGATOR_APP=shop,billing)', () => {
  let config: AggregatorConfig;
  let aggregator: RunningAggregator;
  let base: string;

  async function post(body: Heartbeat): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${base}/api/v1/heartbeats`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  async function get<T = Record<string, unknown>>(
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: T; etag: string | null }> {
    const res = await fetch(`${base}${path}`, { headers });
    const text = await res.text();
    return {
      status: res.status,
      json: (text === '' ? null : JSON.parse(text)) as T,
      etag: res.headers.get('etag'),
    };
  }

  beforeAll(async () => {
    config = loadAggregatorConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      AGGREGATOR_APP: 'shop,billing',
      DESIRED_REPLICAS: '2',
    });
    aggregator = await startAggregator(config, { clock: loopsHeld, metricsRegistry: new Registry() });
    base = aggregator.url;
    // shop runs 1 of 2, billing 2 of 2.
    for (const hb of [
      heartbeat('shop', 'shop-1'),
      heartbeat('billing', 'billing-1'),
      heartbeat('billing', 'billing-2'),
    ]) {
      const accepted = await post(hb);
      expect(accepted).toEqual({ status: 202, json: { status: 'accepted', outcome: 'new' } });
    }
    aggregator.fleet.reconcileAll();
  });

  afterAll(() => aggregator.stop());

  test('watches both apps, as a fleet of many', () => {
    expect(config.apps).toEqual({
      kind: 'fixed',
      apps: [
        { app: 'shop', appId: null },
        { app: 'billing', appId: null },
      ],
    });
    expect(aggregator.fleet.multiApp).toBe(true);
    expect(aggregator.fleet.list().map((w) => w.app)).toEqual(['billing', 'shop']);
    expect(() => aggregator.store).toThrow(/watches 2 apps/);
  });

  test('each heartbeat lands in its own app', async () => {
    expect(aggregator.fleet.registryOf('shop')?.size).toBe(1);
    expect(aggregator.fleet.registryOf('billing')?.size).toBe(2);
    const shop = await get<Report>('/api/v1/monitoring/replicas?app=shop');
    expect(shop.status).toBe(200);
    expect(shop.json.app).toBe('shop');
    expect(shop.json.summary.active_instances).toBe(1);
    expect(shop.json.components.map((c) => [c.app, c.name, c.live])).toEqual([['shop', 'backend', 1]]);
    expect(shop.json.instances.map((i) => i.instance_id)).toEqual(['shop-1']);
  });

  test("another app's heartbeat is refused as wrong_app, naming the apps watched", async () => {
    const refused = await post(heartbeat('other', 'other-1'));
    expect(refused.status).toBe(400);
    expect(refused.json.reason).toBe('wrong_app');
    expect(refused.json.detail).toContain('"other"');
    expect(refused.json.detail).toContain('"billing"');
    expect(refused.json.detail).toContain('"shop"');
    expect(aggregator.fleet.has('other')).toBe(false);
  });

  test('?app=shop and ?app=billing are each its own report', async () => {
    const shop = await get<Report>('/api/v1/monitoring/replicas?app=shop');
    const billing = await get<Report>('/api/v1/monitoring/replicas?app=billing');
    expect(billing.json.app).toBe('billing');
    expect(billing.json.summary.active_instances).toBe(2);
    expect(billing.json.summary.verdict).toBe('ok');
    expect(shop.json.summary.verdict).toBe('discrepancy');
    expect(billing.json.instances.map((i) => i.instance_id).sort()).toEqual(['billing-1', 'billing-2']);
    expect(shop.etag).not.toBe(billing.etag);
  });

  test("without app: every app's report at once, app '*', each component and instance carrying its app", async () => {
    const all = await get<Report>('/api/v1/monitoring/replicas');
    expect(all.status).toBe(200);
    expect(all.json.app).toBe('*');
    expect(all.json.components.map((c) => [c.app, c.name])).toEqual([
      ['billing', 'backend'],
      ['shop', 'backend'],
    ]);
    expect(all.json.summary.active_instances).toBe(3);
    expect(all.json.summary.configured_replicas).toBe(4);
    expect(all.json.summary.verdict).toBe('discrepancy');
    expect(all.json.instances.map((i) => [i.app, i.instance_id]).sort()).toEqual([
      ['billing', 'billing-1'],
      ['billing', 'billing-2'],
      ['shop', 'shop-1'],
    ]);
    expect(all.json.recommendations.every((r) => /^(shop|billing): /.test(r))).toBe(true);
  });

  test('?instances=false of one app leaves the list out', async () => {
    const shop = await get<Report>('/api/v1/monitoring/replicas?app=shop&instances=false');
    expect(shop.json.app).toBe('shop');
    expect(shop.json).not.toHaveProperty('instances');
  });

  test('/api/v1/health/instances?app= lists that app’s instances; without app, every app’s with its app', async () => {
    type Body = { instances: { instance_id: string; app?: string }[] };
    const shop = await get<Body>('/api/v1/health/instances?app=shop');
    expect(shop.status).toBe(200);
    expect(shop.json.instances.map((i) => i.instance_id)).toEqual(['shop-1']);
    expect(shop.json.instances[0]).not.toHaveProperty('app');
    const all = await get<Body>('/api/v1/health/instances');
    expect(all.json.instances.map((i) => `${i.app}/${i.instance_id}`).sort()).toEqual([
      'billing/billing-1',
      'billing/billing-2',
      'shop/shop-1',
    ]);
  });

  test.each(['/api/v1/monitoring/replicas', '/api/v1/health/instances', '/api/v1/history', '/readyz'])(
    '%s?app=nope is a 404 naming the apps watched',
    async (path) => {
      const res = await get(`${path}?app=nope`);
      expect(res.status).toBe(404);
      expect(res.json).toEqual({
        error: expect.stringContaining('"nope"'),
        parameter: 'app',
        apps: ['billing', 'shop'],
      });
    },
  );

  test('app given twice is a 400 naming the parameter', async () => {
    const res = await get('/api/v1/monitoring/replicas?app=shop&app=billing');
    expect(res.status).toBe(400);
    expect(res.json.parameter).toBe('app');
  });

  test.each(['/api/v1/history', '/api/v1/events', '/api/v1/audit'])(
    '%s without app is a 400 naming the parameter and the apps',
    async (path) => {
      const res = await get(path);
      expect(res.status).toBe(400);
      expect(res.json.parameter).toBe('app');
      expect(res.json.apps).toEqual(['billing', 'shop']);
      expect(String(res.json.error)).toContain('?app=');
    },
  );

  test('/api/v1/history?app=shop answers that app’s history', async () => {
    const res = await get<{ component: string | null; since: string; points: unknown[] }>(
      '/api/v1/history?app=shop',
    );
    expect(res.status).toBe(200);
    expect(Array.isArray(res.json.points)).toBe(true);
    expect(res.json.points.length).toBeGreaterThan(0);
  });

  test('/api/v1/events?app=nope is a 404', async () => {
    const res = await get('/api/v1/events?app=nope');
    expect(res.status).toBe(404);
    expect(res.json.apps).toEqual(['billing', 'shop']);
  });

  test('/readyz: ready, counting the apps', async () => {
    const res = await get('/readyz');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'ready', apps: 2 });
    const shop = await get('/readyz?app=shop');
    expect(shop.json).toMatchObject({ status: 'ready', leader: true, apps: 2 });
  });

  test('GET /api/v1/apps lists both, worst first, with the totals', async () => {
    const res = await get<FleetView>('/api/v1/apps');
    expect(res.status).toBe(200);
    expect(res.json.apps.map((a) => [a.app, a.verdict, a.active_instances, a.configured_replicas])).toEqual([
      ['shop', 'discrepancy', 1, 2],
      ['billing', 'ok', 2, 2],
    ]);
    expect(res.json.apps[0]?.finding_codes).toContain('MISSING_INSTANCES');
    expect(res.json.totals).toMatchObject({
      apps: 2,
      by_verdict: { ok: 1, discrepancy: 1, rolling: 0, degraded: 0 },
    });
    expect(res.json.discovery).toBeNull();
  });

  test('GET /api/v1/apps carries an ETag: 304 on If-None-Match while nothing changed, 200 after', async () => {
    const first = await get('/api/v1/apps');
    expect(first.etag).toMatch(/^"/);
    const again = await get('/api/v1/apps', { 'if-none-match': first.etag ?? '' });
    expect(again.status).toBe(304);
    expect(again.etag).toBe(first.etag);

    // A second shop instance changes shop's report, hence the fleet's body and its tag.
    expect((await post(heartbeat('shop', 'shop-2'))).status).toBe(202);
    aggregator.fleet.get('shop')?.reconcileNow();
    const changed = await get<FleetView>('/api/v1/apps', { 'if-none-match': first.etag ?? '' });
    expect(changed.status).toBe(200);
    expect(changed.etag).not.toBe(first.etag);
    expect(changed.json.apps.find((a) => a.app === 'shop')?.active_instances).toBe(2);
  });
});

describe('the fast lane of an aggregator of two apps', () => {
  let aggregator: RunningAggregator;
  const servers: Server[] = [];
  const laneAnswered: string[] = [];
  let lanePort = 0;
  let expressPort = 0;

  beforeAll(async () => {
    const config = loadAggregatorConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      AGGREGATOR_APP: 'shop,billing',
      DESIRED_REPLICAS: '2',
    });
    aggregator = await startAggregator(config, { clock: loopsHeld, metricsRegistry: new Registry() });
    for (const hb of [heartbeat('shop', 'shop-1'), heartbeat('billing', 'billing-1')]) {
      const res = await fetch(`${aggregator.url}/api/v1/heartbeats`, {
        method: 'POST',
        body: JSON.stringify(hb),
      });
      expect(res.status).toBe(202);
    }
    aggregator.fleet.reconcileAll();
    // The same fleet served twice: through the lane (in front of express) and by express alone.
    const deps = (overrides: Partial<HttpDeps> = {}): HttpDeps => ({
      apps: aggregator.fleet,
      ingest: embeddedIngest('shop'),
      metricsRegistry: new Registry(),
      clock: loopsHeld,
      log: silentLogger(),
      onRejected: () => undefined,
      security: {
        apiToken: config.apiToken,
        metricsToken: config.metricsToken,
        signedIngest: false,
        ingestRateLimitPerS: config.ingestRateLimitPerS,
      },
      ...overrides,
    });
    const bind = async (listener: RequestListener) => {
      const bound = await listen(listener, '127.0.0.1', 0);
      servers.push(bound.server);
      return bound.port;
    };
    lanePort = await bind(createHttpListener(deps({ onFastLane: (path) => laneAnswered.push(path) })));
    expressPort = await bind(createHttpApp(deps()));
  });

  afterAll(async () => {
    await Promise.all(servers.splice(0).map((server) => closeServer(server)));
    await aggregator.stop();
  });

  async function both(path: string, headers: OutgoingHttpHeaders = {}) {
    const before = laneAnswered.length;
    const lane = await ask(lanePort, path, headers);
    const byLane = laneAnswered.length > before;
    const express = await ask(expressPort, path, headers);
    return { lane, express, byLane };
  }

  test.each([
    '/api/v1/monitoring/replicas?app=shop',
    '/api/v1/monitoring/replicas?app=billing&instances=false',
    '/api/v1/monitoring/replicas',
    '/api/v1/health/instances?app=shop',
    '/api/v1/health/instances?app=billing&limit=1',
  ])('answers GET %s itself, exactly as express does', async (path) => {
    const { lane, express, byLane } = await both(path);
    expect(byLane).toBe(true);
    expect(lane.status).toBe(200);
    expect(lane).toEqual(express);
  });

  test("the lane's ?app=shop is shop's report, and what the aggregator's own server answers", async () => {
    const { lane } = await both('/api/v1/monitoring/replicas?app=shop');
    const own = await ask(aggregator.port, '/api/v1/monitoring/replicas?app=shop');
    expect((JSON.parse(lane.body) as Report).app).toBe('shop');
    expect(own.status).toBe(200);
    expect(own.body).toBe(lane.body);
    expect(headerOf(own, 'etag')).toBe(headerOf(lane, 'etag'));
  });

  test('a 304 for ?app=shop is the same from the lane as from express', async () => {
    const first = await both('/api/v1/monitoring/replicas?app=shop');
    const etag = headerOf(first.lane, 'etag') ?? '';
    const unchanged = await both('/api/v1/monitoring/replicas?app=shop', { 'if-none-match': etag });
    expect(unchanged.byLane).toBe(true);
    expect(unchanged.lane.status).toBe(304);
    expect(unchanged.lane).toEqual(unchanged.express);
  });

  test.each([
    ['an app not watched', '/api/v1/monitoring/replicas?app=nope', 404],
    ['app given twice', '/api/v1/health/instances?app=shop&app=billing', 400],
    ['an empty app', '/api/v1/monitoring/replicas?app=', 400],
  ])('leaves %s to express, which refuses it as it does alone', async (_what, path, status) => {
    const { lane, express, byLane } = await both(path);
    expect(byLane).toBe(false);
    expect(lane.status).toBe(status);
    expect(lane).toEqual(express);
  });
});
