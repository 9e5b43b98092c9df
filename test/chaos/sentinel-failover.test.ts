/**
 * Chaos: the Sentinel-monitored master killed (kill -9) under load from agents. Real processes:
 * a master, its replica and three sentinels (AUTH on the data nodes and on the sentinels), one
 * aggregator, four agents (two with the HTTP ingest as fallback), all finding the primary
 * through REDIS_SENTINELS. Expected: while no primary answers the report says degraded with
 * DATA_DEGRADED, never MISSING or SURPLUS; the sentinels promote the replica (+switch-master)
 * and everything follows it; the counts are true within two heartbeat intervals of the switch;
 * the new primary lost at most the heartbeats of the failover window and every agent beats into
 * it; no alert reaches the webhook; no secret in any output.
 */
import type { TestRedisSentinel } from '../support/redis-sentinel';
import { startRedisSentinel } from '../support/redis-sentinel';
import type { Failover } from './failover';
import {
  expectCleanStop,
  expectFeedLostOnlyInWindow,
  expectOutageWithoutFalseAlarm,
  feedBeats,
  feedKey,
  startFailover,
} from './failover';

const PASSWORD = 'failover-data-4e61b8';
const SENTINEL_PASSWORD = 'failover-sentinel-7d02c5';
const AGENTS = 4;
const APP = 'sentinel-failover';
let sentinel: TestRedisSentinel;
let failover: Failover;

beforeAll(async () => {
  sentinel = await startRedisSentinel({ password: PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
  failover = await startFailover({
    env: {
      REDIS_SENTINELS: sentinel.sentinelsEnv,
      REDIS_SENTINEL_MASTER: sentinel.masterName,
      REDIS_PASSWORD: PASSWORD,
    },
    apps: [APP],
    agentsPerApp: AGENTS,
  });
}, 90_000);

afterAll(async () => {
  await failover?.close();
  await sentinel?.stop();
});

test('kill -9 of the primary: degraded, no false alarm, the promoted replica followed, counts true within two intervals', async () => {
  const { killed, killedAtMs, switched } = await sentinel.killMaster();
  const { master: promoted, switchedAtMs } = await switched;
  expect(promoted.port).not.toBe(killed.port);

  const outage = await expectOutageWithoutFalseAlarm(failover, {
    app: APP,
    agents: AGENTS,
    killedAtMs,
    takeoverAtMs: switchedAtMs,
  });
  const measured = {
    switch_ms: switchedAtMs - killedAtMs,
    degraded_seen_after_kill_ms: outage.degradedSeenAfterKillMs,
    degraded_for_ms: outage.degradedForMs,
    healthy_after_switch_ms: outage.healthyAfterTakeoverMs,
  };

  const node = await sentinel.serverClient(promoted);
  let beats;
  try {
    beats = feedBeats((await node.xRange(feedKey(APP), '-', '+')) ?? []);
  } finally {
    node.destroy();
  }
  const agents = failover.agents.get(APP) ?? [];
  const lost = expectFeedLostOnlyInWindow(failover, APP, beats, { killedAtMs, takeoverAtMs: switchedAtMs });

  for (const id of failover.withFallback) {
    const agent = failover.fleet.get(id);
    await agent?.waitForLine((l) => l.message === 'heartbeat transport failing over', 5_000);
    await agent?.waitForLine((l) => l.message === 'heartbeat transport restored', 10_000);
  }
  const aggregatorLog = failover.aggregator.process.lines.map((l) => l.message);
  expect(aggregatorLog).toEqual(
    expect.arrayContaining(['redis unavailable', 'redis primary moved', 'redis available again']),
  );
  // And they still stop cleanly.
  await expectCleanStop(failover, agents, [PASSWORD, SENTINEL_PASSWORD]);
  console.info(
    `sentinel failover measured: ${JSON.stringify({ ...measured, heartbeats_lost: lost, heartbeats_in_feed: beats.length, agents: agents.length })}`,
  );
}, 60_000);
