/**
 * Chaos: a Redis Cluster master killed (kill -9) under load from agents. Real processes: a
 * six-node cluster with AUTH (three masters, three replicas), one aggregator watching two apps
 * whose slots live on different masters, four agents per app (two of each with the HTTP ingest
 * as fallback). Expected: while the killed master's app cannot be read its report says degraded
 * with DATA_DEGRADED, never MISSING or SURPLUS; the other app does not notice; the replica is
 * promoted and followed, the counts are true within two heartbeat intervals of the promotion;
 * the new master lost at most the heartbeats of the failover window and every agent beats
 * through it; no alert reaches the webhook; no secret in any output.
 */
import { appKeys } from '../../shared/redis-keys';
import type { TestRedisCluster } from '../support/redis-cluster';
import { startRedisCluster } from '../support/redis-cluster';
import type { Failover } from './failover';
import {
  expectCleanStop,
  expectFeedLostOnlyInWindow,
  expectOutageWithoutFalseAlarm,
  feedBeats,
  feedKey,
  healthy,
  startFailover,
} from './failover';

const PASSWORD = 'failover-pass-9a7c2e';
const AGENTS = 4;
let cluster: TestRedisCluster;
let failover: Failover;
let app: string;
let other: string;

beforeAll(async () => {
  cluster = await startRedisCluster({ password: PASSWORD });
  // Two apps on two different masters: the first one's master is killed.
  const byMaster = new Map<number, string>();
  for (let n = 0; byMaster.size < 2; n++) {
    const candidate = `failover-${n}`;
    const { master } = await cluster.ownerOf(appKeys(candidate).seen);
    if (!byMaster.has(master.port)) byMaster.set(master.port, candidate);
  }
  [app = '', other = ''] = [...byMaster.values()];
  failover = await startFailover({
    env: { REDIS_CLUSTER_NODES: cluster.nodesEnv, REDIS_PASSWORD: PASSWORD },
    apps: [app, other],
    agentsPerApp: AGENTS,
  });
}, 90_000);

afterAll(async () => {
  await failover?.close();
  await cluster?.stop();
});

test("kill -9 of the master of the app's slot: degraded, no false alarm, followed, counts true within two intervals", async () => {
  const owner = await cluster.ownerOf(appKeys(app).seen);
  const killedAtMs = await cluster.kill(owner.master);
  const { owner: promoted, promotedAtMs } = await cluster.waitForPromotion(appKeys(app).seen, owner.master);
  expect(owner.replicas.map((r) => r.port)).toContain(promoted.master.port);

  const outage = await expectOutageWithoutFalseAlarm(failover, {
    app,
    agents: AGENTS,
    killedAtMs,
    takeoverAtMs: promotedAtMs,
  });
  const measured = {
    promotion_ms: promotedAtMs - killedAtMs,
    degraded_seen_after_kill_ms: outage.degradedSeenAfterKillMs,
    degraded_for_ms: outage.degradedForMs,
    healthy_after_promotion_ms: outage.healthyAfterTakeoverMs,
  };
  // The app on the other masters never noticed.
  const others = failover.samples.filter((s) => s.app === other);
  expect(others.length).toBeGreaterThan(10);
  expect(others.filter((s) => !healthy(s, AGENTS))).toEqual([]);

  // What the new master holds: at most the failover window's heartbeats lost, every agent beating into it.
  const node = await cluster.nodeClient(promoted.master);
  let beats;
  try {
    beats = feedBeats((await node.xRange(feedKey(app), '-', '+')) ?? []);
  } finally {
    node.destroy();
  }
  const agents = failover.agents.get(app) ?? [];
  const lost = expectFeedLostOnlyInWindow(failover, app, beats, { killedAtMs, takeoverAtMs: promotedAtMs });

  // The agents with a fallback used it meanwhile and came back.
  for (const id of failover.withFallback.filter((i) => agents.includes(i))) {
    const agent = failover.fleet.get(id);
    await agent?.waitForLine((l) => l.message === 'heartbeat transport failing over', 5_000);
    await agent?.waitForLine((l) => l.message === 'heartbeat transport restored', 10_000);
  }
  const aggregatorLog = failover.aggregator.process.lines.map((l) => l.message);
  expect(aggregatorLog).toEqual(expect.arrayContaining(['redis unavailable', 'redis available again']));
  // And they still stop cleanly.
  await expectCleanStop(failover, agents, [PASSWORD]);
  console.info(
    `cluster failover measured: ${JSON.stringify({ ...measured, heartbeats_lost: lost, heartbeats_in_feed: beats.length, agents: agents.length })}`,
  );
}, 60_000);
