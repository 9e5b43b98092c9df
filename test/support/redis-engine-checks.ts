/**
 * What every Redis engine must do for replica-watch, as checks a test file runs against its own
 * engine (redis-cluster.test.ts, redis-sentinel.test.ts): agents' heartbeats through the Lua
 * script reach the aggregator's collector by the feed and by the resync; the ingest relay; the
 * leader lease and the fenced alert states; the history and audit streams; and a whole
 * aggregator of several apps with in-process agents, counting right. Each check opens what it
 * needs and closes it again.
 */
import type { RunningAgent } from '../../agent/app';
import { startAgent } from '../../agent/app';
import { loadAgentConfig } from '../../agent/config';
import { RedisTransport } from '../../agent/transport/redis';
import { startAggregator } from '../../aggregator/app';
import { loadAggregatorConfig } from '../../aggregator/config';
import type { IngestApps } from '../../aggregator/collector';
import { HeartbeatIngest, InstanceRegistry, RedisCollector } from '../../aggregator/collector';
import { RedisHistoryStore } from '../../aggregator/history/redis-history-store';
import { RedisLeaderLease } from '../../aggregator/leader';
import { RedisAlertStateStore } from '../../aggregator/notify';
import { firingAlert } from './alert-states';
import { RedisAuditTrail } from '../../aggregator/remediate/redis-audit-trail';
import { systemClock } from '../../shared/clock';
import type { Heartbeat } from '../../shared/heartbeat';
import { serializeHeartbeat } from '../../shared/heartbeat-wire';
import { silentLogger } from '../../shared/logger';
import { closeQuietly, connectOrFail, createRedisClient } from '../../shared/redis-client';
import type { RedisEngine } from '../../shared/redis-engine';
import { goodbyeOf, makeHeartbeat } from './heartbeats';
import { waitFor } from './wait';

const log = silentLogger();

interface Closable {
  close(): Promise<void>;
}

/** Runs `body` with a list to put what it opens in; closes all of it afterwards, newest first. */
async function closingAfter<T>(body: (open: <C extends Closable>(c: C) => C) => Promise<T>): Promise<T> {
  const opened: Closable[] = [];
  try {
    return await body((c) => {
      opened.push(c);
      return c;
    });
  } finally {
    for (const c of opened.reverse()) await c.close();
  }
}

function heartbeat(app: string, instance: string, seq: number): Heartbeat {
  return makeHeartbeat({
    app,
    instance_id: instance,
    seq,
    sent_at: Date.now(),
    interval_ms: 1_000,
    ttl_ms: 60_000,
  });
}

function collectorOf(engine: RedisEngine, app: string): RedisCollector {
  return new RedisCollector({
    engine,
    app,
    registry: new InstanceRegistry(),
    log,
    clock: systemClock,
    resyncIntervalMs: 60_000,
    blockMs: 200,
  });
}

/**
 * Per app: three instances beat twice through the agent's RedisTransport and one says goodbye;
 * a running collector gets it all from the feed, one started afterwards from the index (ZRANGE
 * + MGET of the heartbeat keys, one slot); a heartbeat ingested over HTTP is relayed into Redis
 * and read back from the feed too.
 */
export async function checkHeartbeatsFlow(engine: RedisEngine, apps: readonly string[]): Promise<void> {
  await closingAfter(async (open) => {
    const transport = open(new RedisTransport({ engine, log, timeoutMs: 2_000 }));
    for (const app of apps) {
      const feedCollector = open(collectorOf(engine, app));
      await feedCollector.start();
      expect(feedCollector.health().healthy).toBe(true);
      for (const seq of [1, 2]) {
        for (const id of ['i-1', 'i-2', 'i-3']) await transport.send(heartbeat(app, id, seq));
      }
      await transport.send(goodbyeOf(heartbeat(app, 'i-3', 3)));
      const registry = (c: RedisCollector) => c.snapshot();
      await waitFor(() => registry(feedCollector), {
        until: (records) =>
          records.filter((r) => r.heartbeat.seq === 2 && r.leftAtMs === null).length === 2 &&
          records.some((r) => r.instanceId === 'i-3' && r.leftAtMs !== null),
        what: `${app}: two live instances at seq 2 and a goodbye, from the feed`,
      });
      expect(feedCollector.stats().feedEntries).toBe(7);

      const ingest = open(new HeartbeatIngest({ apps: ingestOnly(app), redis: engine, log }));
      const relayed = heartbeat(app, 'i-http', 1);
      expect(await ingest.ingest(serializeHeartbeat(relayed), Date.now())).toMatchObject({ ok: true });
      await waitFor(() => feedCollector.snapshot().some((r) => r.instanceId === 'i-http'), {
        what: `${app}: the relayed heartbeat, back from the feed`,
      });
      expect(ingest.stats()).toEqual({ relayed: 1, relayFailures: 0 });

      const coldCollector = open(collectorOf(engine, app));
      await coldCollector.start();
      expect(coldCollector.stats().lastResyncHeartbeats).toBe(3);
      expect(
        coldCollector
          .snapshot()
          .map((r) => `${r.instanceId}@${r.heartbeat.seq}`)
          .sort(),
      ).toEqual(['i-1@2', 'i-2@2', 'i-http@1']);
    }
  });
}

/** The ingest's view of the apps: one app, heartbeats of others refused. */
function ingestOnly(app: string): IngestApps {
  const registry = new InstanceRegistry();
  return {
    has: (name: string) => name === app,
    describe: () => app,
    registryOf: (name: string) => (name === app ? registry : undefined),
  };
}

/** The engine checks store MISSING_INSTANCES alerts. */
const MISSING = { code: 'MISSING_INSTANCES' } as const;

/**
 * Per app: of two aggregators' leases exactly one leads; its fenced alert-state write lands, the
 * other's is refused; when the leader gives the lease up the other takes over with a higher
 * token, and the old token's writes are refused from then on.
 */
export async function checkLeaseAndAlerts(engine: RedisEngine, apps: readonly string[]): Promise<void> {
  await closingAfter(async (open) => {
    for (const app of apps) {
      const a = open(new RedisLeaderLease({ engine, app, leaseMs: 2_000, log, holderId: `${app}-a` }));
      const b = open(new RedisLeaderLease({ engine, app, leaseMs: 2_000, log, holderId: `${app}-b` }));
      await a.start();
      await b.start();
      expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
      const store = open(new RedisAlertStateStore({ engine, app, log }));
      const firstToken = a.fencingToken();
      expect(firstToken).toEqual(expect.any(Number));
      expect(await store.save({ upserted: [firingAlert('backend', MISSING)], removed: [] }, firstToken)).toBe(
        true,
      );
      expect(
        await store.save({ upserted: [firingAlert('worker', MISSING)], removed: [] }, (firstToken ?? 0) - 1),
      ).toBe(false);
      await a.close();
      await waitFor(() => b.isLeader(), { what: `${app}: b leading after a gave the lease up` });
      expect(b.fencingToken()).toBeGreaterThan(firstToken ?? 0);
      expect(await store.save({ upserted: [], removed: ['backend|MISSING_INSTANCES'] }, firstToken)).toBe(
        false,
      );
      expect(
        await store.save({ upserted: [firingAlert('worker', MISSING)], removed: [] }, b.fencingToken()),
      ).toBe(true);
      expect([...(await store.load()).keys()].sort()).toEqual([
        'backend|MISSING_INSTANCES',
        'worker|MISSING_INSTANCES',
      ]);
    }
  });
}

/** Per app: the history and audit streams (XADD with MAXLEN, paged XREVRANGE) on one connection. */
export async function checkJournals(engine: RedisEngine, apps: readonly string[]): Promise<void> {
  const client = createRedisClient({ engine, log, name: 'test-journals' });
  try {
    await connectOrFail(client);
    for (const app of apps) {
      const history = new RedisHistoryStore({ client, app, log });
      const atMs = Date.now();
      history.append({
        atMs,
        counts: [
          {
            component: 'backend',
            desired: 2,
            platform_ready: 2,
            platform_instances: 2,
            live: 2,
            serving: 2,
            orphaned: 0,
            stale: 0,
            verdict: 'ok',
          },
        ],
      });
      await waitFor(() => history.query({ component: null, sinceMs: atMs - 1, limit: 10 }), {
        until: (points) => points.length === 1,
        what: `${app}: the history point`,
      });
      const audit = new RedisAuditTrail({ client, app, log });
      const entry = await audit.record({
        at: new Date(atMs).toISOString(),
        component: 'backend',
        decision: 'skip',
        reason: 'mode_off',
        detail: 'a test',
        mode: 'off',
        triggers: [],
        call: null,
        outcome: null,
        deployment_id: null,
        error: null,
        until: null,
        fencing_token: null,
      });
      expect((await audit.newest(5)).map((e) => e.id)).toEqual([entry.id]);
    }
  } finally {
    await closeQuietly(client);
  }
}

/** The aggregator's report of one app, over HTTP. */
export async function reportOfApp(
  baseUrl: string,
  app: string,
): Promise<{
  degraded: boolean;
  summary: { active_instances: number; verdict: string };
  components: { findings: { code: string }[] }[];
}> {
  const res = await fetch(`${baseUrl}/api/v1/monitoring/replicas?app=${app}&instances=false`);
  if (res.status !== 200) throw new Error(`report of ${app}: HTTP ${res.status}`);
  return (await res.json()) as Awaited<ReturnType<typeof reportOfApp>>;
}

/**
 * A whole aggregator in-process (static platform, `apps` with two backends each) and two
 * in-process agents per app, all on the engine `env` names: every app counted right, not
 * degraded, led by this aggregator, its history written into Redis.
 */
export async function checkAggregator(env: Record<string, string>, apps: readonly string[]): Promise<void> {
  const agents: RunningAgent[] = [];
  const aggregator = await startAggregator(
    loadAggregatorConfig({
      ...env,
      AGGREGATOR_APP: apps.join(','),
      DESIRED_REPLICAS: 'backend=2',
      PORT: '0',
      HOST: '127.0.0.1',
      RECONCILE_INTERVAL_MS: '200',
      LEADER_LEASE_MS: '2000',
    }),
  );
  try {
    for (const app of apps) {
      for (const id of ['a', 'b']) {
        const config = loadAgentConfig(
          {
            ...env,
            AGENT_ENABLED: 'true',
            AGENT_APP: app,
            AGENT_INSTANCE_ID: `${app}-${id}`,
            AGENT_INTERVAL_MS: '200',
            AGENT_TTL_MS: '2000',
            AGENT_PORT: '0',
            AGENT_HOST: '127.0.0.1',
          },
          { hostname: 'test-host' },
        );
        agents.push(await startAgent(config));
      }
    }
    for (const app of apps) {
      const report = await waitFor(() => reportOfApp(aggregator.url, app), {
        until: (r) => !r.degraded && r.summary.active_instances === 2 && r.summary.verdict === 'ok',
        what: `${app}: two live instances, ok, not degraded`,
      });
      expect(report.components.flatMap((c) => c.findings.map((f) => f.code))).toEqual([]);
      const watch = aggregator.fleet.get(app);
      await waitFor(() => watch?.leadership.isLeader(), { what: `${app}: led by the only aggregator` });
      await waitFor(() => watch?.history.query({ component: 'backend', sinceMs: 0, limit: 5 }), {
        until: (points) => (points?.length ?? 0) > 0,
        what: `${app}: history points in Redis`,
      });
    }
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    await aggregator.stop();
  }
}
