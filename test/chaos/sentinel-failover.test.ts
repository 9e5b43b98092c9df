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
import { sampleFor, waitFor } from '../support/wait';
import type { Failover } from './failover';
import {
  allAlive,
  feedBeats,
  feedGaps,
  feedKey,
  healthy,
  INTERVAL_MS,
  sampleApp,
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

  const back = await waitFor(() => sampleApp(failover.aggregator.url, APP), {
    until: (s) => healthy(s, AGENTS),
    what: `${APP}: served again, every agent counted`,
    timeoutMs: 20_000,
  });
  await sampleFor(2 * INTERVAL_MS, () => undefined, 100);
  await failover.stopSampling();

  const samples = failover.samples.filter((s) => s.atMs >= killedAtMs);
  const degraded = samples.filter((s) => s.degraded);
  const firstDegraded = degraded[0];
  const measured = {
    switch_ms: switchedAtMs - killedAtMs,
    degraded_seen_after_kill_ms: firstDegraded ? firstDegraded.atMs - killedAtMs : null,
    degraded_for_ms: degraded.length > 0 ? (degraded.at(-1)?.atMs ?? 0) - (firstDegraded?.atMs ?? 0) : 0,
    healthy_after_switch_ms: back.atMs - switchedAtMs,
  };

  expect(degraded.length).toBeGreaterThan(0);
  expect(
    samples.filter((s) => !(s.degraded ? s.codes.includes('DATA_DEGRADED') : healthy(s, AGENTS))),
  ).toEqual([]);
  expect(
    samples.filter((s) => s.active !== AGENTS || s.codes.some((c) => /MISSING|SURPLUS|STALE/.test(c))),
  ).toEqual([]);
  expect(degraded.every((s) => s.verdict === 'degraded')).toBe(true);
  expect(measured.healthy_after_switch_ms).toBeLessThanOrEqual(2 * INTERVAL_MS);
  expect(failover.webhook.received()).toEqual([]);

  const node = await sentinel.serverClient(promoted);
  let beats;
  try {
    beats = feedBeats((await node.xRange(feedKey(APP), '-', '+')) ?? []);
  } finally {
    node.destroy();
  }
  const agents = failover.agents.get(APP) ?? [];
  for (const id of agents)
    expect(beats.some((b) => b.instance === id && b.sentAtMs > switchedAtMs)).toBe(true);
  const gaps = feedGaps(beats);
  const lost = gaps.reduce((sum, g) => sum + g.missing, 0);
  const windowBeats = Math.ceil((switchedAtMs - killedAtMs) / INTERVAL_MS) + 3;
  expect(
    gaps.filter(
      (g) => g.afterMs < killedAtMs - 2 * INTERVAL_MS || g.beforeMs > switchedAtMs + 2 * INTERVAL_MS,
    ),
  ).toEqual([]);
  expect(gaps.filter((g) => g.missing > windowBeats)).toEqual([]);

  for (const id of failover.withFallback) {
    const agent = failover.fleet.get(id);
    await agent?.waitForLine((l) => l.message === 'heartbeat transport failing over', 5_000);
    await agent?.waitForLine((l) => l.message === 'heartbeat transport restored', 10_000);
  }
  const aggregatorLog = failover.aggregator.process.lines.map((l) => l.message);
  expect(aggregatorLog).toEqual(
    expect.arrayContaining(['redis unavailable', 'redis primary moved', 'redis available again']),
  );
  expect(allAlive(failover)).toBe(true);
  const processes = [failover.aggregator.process, ...agents.map((id) => failover.fleet.get(id))];
  // And they still stop cleanly: an agent within 2 s of SIGTERM, the aggregator within 5 s.
  const agentStoppedAt = Date.now();
  expect(await failover.fleet.signal(agents[0] ?? '', 'SIGTERM')).toBe(0);
  expect(Date.now() - agentStoppedAt).toBeLessThan(2_000);
  const aggregatorStoppedAt = Date.now();
  expect(await failover.aggregator.process.signal('SIGTERM')).toBe(0);
  expect(Date.now() - aggregatorStoppedAt).toBeLessThan(5_000);
  for (const output of processes.map((p) => p?.output() ?? '')) {
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain(SENTINEL_PASSWORD);
  }
  console.info(
    `sentinel failover measured: ${JSON.stringify({ ...measured, heartbeats_lost: lost, heartbeats_in_feed: beats.length, agents: agents.length })}`,
  );
}, 60_000);
