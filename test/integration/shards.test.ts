/**
 * Two shards of one fleet (TOTAL_SHARDS=2, SHARD=0 and SHARD=1), in-process over a real
 * redis-server, static mode with eight apps (AGGREGATOR_APP=app-0,…,app-7: no ids, so each is
 * sharded by its name): each shard watches only the apps whose fnv1a32 mod 2 is its SHARD; the
 * heartbeats of every app go to Redis, and each app's are collected by its owner alone; GET
 * /api/v1/apps on either shard lists the whole fleet with each app's owner, the other shard's rows
 * from `rw:{fleet}:summaries`; a request naming the other shard's app is a 404 naming its shard;
 * and when a shard stops, its rows stay in Redis and go stale (`summary_stale`, `degraded`) on the
 * other after the stale limit (shortened here, as are the intervals, through summaryTiming). A
 * shard that owns no app is ready; the summary write script sets and deletes on a real Redis.
 */
import type { RunningAggregator } from '../../aggregator/app';
import { startAggregator } from '../../aggregator/app';
import { loadAggregatorConfig } from '../../aggregator/config';
import type { FleetApp, FleetView } from '../../aggregator/fleet/fleet-view';
import { decodeSummary, openSummaryStore } from '../../aggregator/fleet/summary-store';
import type { Report } from '../../aggregator/reconcile/report';
import { systemClock } from '../../shared/clock';
import { silentLogger } from '../../shared/logger';
import type { RedisConnection } from '../../shared/redis-client';
import { closeQuietly, connectOrFail, createRedisClient } from '../../shared/redis-client';
import { serverEngine } from '../../shared/redis-engine';
import { FLEET_SUMMARIES_KEY } from '../../shared/redis-keys';
import { recordHeartbeat } from '../../shared/redis-scripts';
import { shardOf } from '../../shared/shard';
import { AggregatorApiValidator } from '../support/aggregator-openapi';
import { fleetRow } from '../support/fleet';
import { makeHeartbeat } from '../support/heartbeats';
import { useTestRedis } from '../support/redis-rig';
import { waitFor } from '../support/wait';

const APPS = Array.from({ length: 8 }, (_, i) => `app-${i}`);
const ownerOf = (app: string) => shardOf(app, 2);
const ofShard = (shard: number) => APPS.filter((app) => ownerOf(app) === shard);
const TIMING = { writeIntervalMs: 100, readIntervalMs: 100, heartbeatMs: 300, staleAfterMs: 1_500 };

const validator = new AggregatorApiValidator();
const redis = useTestRedis({ flush: true });
let shards: RunningAggregator[] = [];
/** The agents' connection: heartbeats go in as the agents' transport writes them. */
let agents: RedisConnection;

beforeAll(async () => {
  agents = createRedisClient({ engine: serverEngine(redis.url), log: silentLogger(), name: 'test-agents' });
  await connectOrFail(agents);
});

afterAll(() => closeQuietly(agents));

async function startShard(shard: number): Promise<RunningAggregator> {
  const config = loadAggregatorConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PLATFORM: 'static',
    AGGREGATOR_APP: APPS.join(','),
    DESIRED_REPLICAS: 'backend=1',
    REDIS_URL: redis.url,
    TOTAL_SHARDS: '2',
    SHARD: String(shard),
    RECONCILE_INTERVAL_MS: '100',
    RESYNC_INTERVAL_MS: '1000',
  });
  const running = await startAggregator(config, { summaryTiming: TIMING });
  shards.push(running);
  return running;
}

async function getJson<T>(aggregator: RunningAggregator, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${aggregator.url}${path}`);
  return { status: res.status, body: (await res.json()) as T };
}

const fleetOf = async (aggregator: RunningAggregator) =>
  (await getJson<FleetView>(aggregator, '/api/v1/apps')).body;
const rowOf = (view: FleetView, app: string): FleetApp | undefined => view.apps.find((a) => a.app === app);

/** Every app's one instance heartbeating into Redis, as its agent would. */
async function heartbeatAll(): Promise<void> {
  const now = Date.now();
  for (const app of APPS) {
    await recordHeartbeat(
      agents,
      makeHeartbeat({ app, instance_id: `${app}-backend-1`, sent_at: now, started_at: now - 60_000 }),
    );
  }
}

beforeEach(async () => {
  await heartbeatAll();
});

afterEach(async () => {
  await Promise.all(shards.map((s) => s.stop()));
  shards = [];
});

test('the eight apps spread over both shards (the test means something)', () => {
  expect(ofShard(0).length).toBeGreaterThan(1);
  expect(ofShard(1).length).toBeGreaterThan(1);
  expect(shards).toEqual([]);
});

test('each shard watches only its apps, and collects their heartbeats alone', async () => {
  const [zero, one] = [await startShard(0), await startShard(1)];
  expect(zero.fleet.list().map((w) => w.app)).toEqual(ofShard(0));
  expect(one.fleet.list().map((w) => w.app)).toEqual(ofShard(1));
  for (const [aggregator, shard] of [
    [zero, 0],
    [one, 1],
  ] as const) {
    for (const app of ofShard(shard)) {
      const report = await waitFor(() => aggregator.fleet.get(app)?.store.current()?.report, {
        until: (r) => r?.summary.active_instances === 1,
        what: `shard ${shard} to count ${app}'s instance`,
      });
      expect(report?.summary.verdict).toBe('ok');
    }
    // Another shard's app has no watch here: nothing of it is collected, reconciled or alerted on.
    for (const app of ofShard(1 - shard)) expect(aggregator.fleet.get(app)).toBeUndefined();
    // The report of all its apps (no ?app=) covers its own apps, and only them.
    const all = await getJson<Report>(aggregator, '/api/v1/monitoring/replicas');
    expect(all.status).toBe(200);
    expect([...new Set(all.body.components.map((c) => c.app))].sort()).toEqual(ofShard(shard));
  }
});

test('GET /api/v1/apps on either shard lists the whole fleet, each app with its owner; the hash holds them all', async () => {
  const [zero, one] = [await startShard(0), await startShard(1)];
  for (const aggregator of [zero, one]) {
    const view = await waitFor(() => fleetOf(aggregator), {
      until: (v) => APPS.every((app) => rowOf(v, app)?.active_instances === 1),
      what: 'every app counted, the other shard’s from its summaries',
    });
    expect(view.apps.map((a) => a.app).sort()).toEqual(APPS);
    expect(validator.responseErrors('get', '/api/v1/apps', 200, view)).toEqual([]);
    for (const app of APPS) {
      expect(rowOf(view, app)).toMatchObject({
        app,
        shard: ownerOf(app),
        verdict: 'ok',
        summary_stale: false,
      });
    }
    const own = aggregator.fleet.shard.index;
    for (const app of ofShard(own)) expect(rowOf(view, app)?.summary_written_at).toBeNull();
    for (const app of ofShard(1 - own)) expect(rowOf(view, app)?.summary_written_at).not.toBeNull();
    expect(view.totals).toMatchObject({ apps: APPS.length, by_verdict: { ok: APPS.length } });
    expect(view.shards).toMatchObject({ shard: own, total: 2, stale_after_ms: 1_500, read_status: 'ok' });
    expect(view.shards.by_shard.map((s) => [s.shard, s.apps, s.written_at !== null])).toEqual([
      [0, ofShard(0).length, true],
      [1, ofShard(1).length, true],
    ]);
  }
  const hash = await redis.client.hGetAll(FLEET_SUMMARIES_KEY);
  expect(Object.keys(hash).sort()).toEqual(APPS);
  for (const app of APPS) {
    expect(decodeSummary(app, hash[app] as string)).toMatchObject({ shard: ownerOf(app), total_shards: 2 });
  }
});

test("a request naming the other shard's app is a 404 naming the owner's shard", async () => {
  const zero = await startShard(0);
  const [theirs] = ofShard(1);
  const [mine] = ofShard(0);
  for (const path of [
    `/api/v1/monitoring/replicas?app=${theirs}`,
    `/api/v1/health/instances?app=${theirs}`,
    `/api/v1/history?app=${theirs}`,
    `/readyz?app=${theirs}`,
  ]) {
    const answer = await getJson<{ error: string; shard?: number; parameter: string }>(zero, path);
    expect({
      path,
      status: answer.status,
      shard: answer.body.shard,
      parameter: answer.body.parameter,
    }).toEqual({
      path,
      status: 404,
      shard: 1,
      parameter: 'app',
    });
    expect(answer.body.error).toContain(`belongs to shard 1 of 2`);
    if (!path.startsWith('/readyz')) {
      expect(validator.responseErrors('get', path.split('?')[0] as string, 404, answer.body)).toEqual([]);
    }
    expect(answer.body.error).toContain('SHARD=1');
  }
  expect((await getJson(zero, `/api/v1/monitoring/replicas?app=${mine}`)).status).toBe(200);
  const unknown = await getJson<{ shard?: number }>(zero, '/api/v1/monitoring/replicas?app=no-such-app');
  expect([unknown.status, unknown.body.shard]).toEqual([404, undefined]);
});

test('a shard that stops: its rows stay in Redis, and go stale on the other shard (unknown, never green)', async () => {
  const [zero, one] = [await startShard(0), await startShard(1)];
  const theirs = ofShard(1);
  await waitFor(() => fleetOf(zero), {
    until: (v) => theirs.every((app) => rowOf(v, app)?.active_instances === 1),
    what: "shard 1's apps seen on shard 0",
  });
  await one.stop();
  const stoppedAt = Date.now();
  const view = await waitFor(() => fleetOf(zero), {
    until: (v) => theirs.every((app) => rowOf(v, app)?.summary_stale === true),
    what: "shard 1's rows gone stale on shard 0",
  });
  // Not before the stale limit: the rows were fresh until then.
  expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(TIMING.staleAfterMs - TIMING.heartbeatMs - 200);
  for (const app of theirs) {
    expect(rowOf(view, app)).toMatchObject({
      shard: 1,
      verdict: 'degraded',
      degraded: true,
      active_instances: null,
      summary_stale: true,
    });
  }
  for (const app of ofShard(0))
    expect(rowOf(view, app)).toMatchObject({ verdict: 'ok', summary_stale: false });
  expect(validator.responseErrors('get', '/api/v1/apps', 200, view)).toEqual([]);
  expect(view.totals.by_verdict.degraded).toBe(theirs.length);
  // Stopping wrote nothing away: an HA partner (or the shard's return) carries on from them.
  const hash = await redis.client.hGetAll(FLEET_SUMMARIES_KEY);
  expect(Object.keys(hash).sort()).toEqual(APPS);
});

test('a shard that owns no app (more shards than apps) is still ready and serves the fleet', async () => {
  const [only] = ofShard(1);
  const config = loadAggregatorConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PLATFORM: 'static',
    AGGREGATOR_APP: only as string,
    DESIRED_REPLICAS: 'backend=1',
    REDIS_URL: redis.url,
    TOTAL_SHARDS: '2',
    SHARD: '0',
  });
  const idle = await startAggregator(config, { summaryTiming: TIMING });
  shards.push(idle);
  expect(idle.fleet.list()).toEqual([]);
  const ready = await getJson<{ status: string; apps: number }>(idle, '/readyz');
  expect([ready.status, ready.body.status, ready.body.apps]).toEqual([200, 'ready', 0]);
  expect(validator.responseErrors('get', '/readyz', 200, ready.body)).toEqual([]);
  const view = await fleetOf(idle);
  expect(view.apps.map((a) => [a.app, a.shard])).toEqual([[only, 1]]);
});

test('the summary write on a real Redis: rows set, a dropped app’s deleted, in one script', async () => {
  const config = loadAggregatorConfig({ REDIS_URL: redis.url, TOTAL_SHARDS: '2', SHARD: '1' });
  let rows: FleetApp[] = ['one', 'two', 'three'].map((app) => fleetRow({ app, verdict: 'ok', shard: 1 }));
  const store = await openSummaryStore(config, { clock: systemClock, log: silentLogger(), rows: () => rows });
  expect(store).not.toBeNull();
  try {
    await store?.writeNow();
    expect(Object.keys(await redis.client.hGetAll(FLEET_SUMMARIES_KEY)).sort()).toEqual([
      'one',
      'three',
      'two',
    ]);
    rows = rows.filter((r) => r.app !== 'two').map((r) => ({ ...r, active_instances: 5 }));
    await store?.writeNow();
    const hash = await redis.client.hGetAll(FLEET_SUMMARIES_KEY);
    expect(Object.keys(hash).sort()).toEqual(['one', 'three']);
    expect(decodeSummary('one', hash.one as string)?.row.active_instances).toBe(5);
    await store?.readNow();
    expect([...(store?.snapshot().rows.keys() ?? [])].sort()).toEqual(['one', 'three']);
  } finally {
    await store?.close();
  }
  // Unsharded: no store, nothing written.
  expect(
    await openSummaryStore(loadAggregatorConfig({ REDIS_URL: redis.url }), {
      clock: systemClock,
      log: silentLogger(),
      rows: () => rows,
    }),
  ).toBeNull();
});
