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

  const back = await waitFor(() => sampleApp(failover.aggregator.url, app), {
    until: (s) => healthy(s, AGENTS),
    what: `${app}: served again, every agent counted`,
    timeoutMs: 20_000,
  });
  // Two more intervals, watched: the recovery holds.
  await sampleFor(2 * INTERVAL_MS, () => undefined, 100);
  await failover.stopSampling();

  const samples = failover.samples.filter((s) => s.app === app && s.atMs >= killedAtMs);
  const degraded = samples.filter((s) => s.degraded);
  const firstDegraded = degraded[0];
  const measured = {
    promotion_ms: promotedAtMs - killedAtMs,
    degraded_seen_after_kill_ms: firstDegraded ? firstDegraded.atMs - killedAtMs : null,
    degraded_for_ms: degraded.length > 0 ? (degraded.at(-1)?.atMs ?? 0) - (firstDegraded?.atMs ?? 0) : 0,
    healthy_after_promotion_ms: back.atMs - promotedAtMs,
  };

  // While it could not read: degraded and saying why, or still ok; never a count finding.
  expect(degraded.length).toBeGreaterThan(0);
  expect(
    samples.filter((s) => !(s.degraded ? s.codes.includes('DATA_DEGRADED') : healthy(s, AGENTS))),
  ).toEqual([]);
  expect(
    samples.filter((s) => s.active !== AGENTS || s.codes.some((c) => /MISSING|SURPLUS|STALE/.test(c))),
  ).toEqual([]);
  expect(degraded.every((s) => s.verdict === 'degraded')).toBe(true);
  // True again within two heartbeat intervals of the promotion.
  expect(measured.healthy_after_promotion_ms).toBeLessThanOrEqual(2 * INTERVAL_MS);
  // The app on the other masters never noticed.
  const others = failover.samples.filter((s) => s.app === other);
  expect(others.length).toBeGreaterThan(10);
  expect(others.filter((s) => !healthy(s, AGENTS))).toEqual([]);
  // No alert of any kind.
  expect(failover.webhook.received()).toEqual([]);

  // What the new master holds: at most the failover window's heartbeats lost, every agent beating into it.
  const node = await cluster.nodeClient(promoted.master);
  let beats;
  try {
    beats = feedBeats((await node.xRange(feedKey(app), '-', '+')) ?? []);
  } finally {
    node.destroy();
  }
  const agents = failover.agents.get(app) ?? [];
  for (const id of agents) {
    expect(beats.some((b) => b.instance === id && b.sentAtMs > promotedAtMs)).toBe(true);
  }
  const gaps = feedGaps(beats);
  const lost = gaps.reduce((sum, g) => sum + g.missing, 0);
  const windowBeats = Math.ceil((promotedAtMs - killedAtMs) / INTERVAL_MS) + 3;
  expect(
    gaps.filter(
      (g) => g.afterMs < killedAtMs - 2 * INTERVAL_MS || g.beforeMs > promotedAtMs + 2 * INTERVAL_MS,
    ),
  ).toEqual([]);
  expect(gaps.filter((g) => g.missing > windowBeats)).toEqual([]);

  // The agents with a fallback used it meanwhile and came back.
  for (const id of failover.withFallback.filter((i) => agents.includes(i))) {
    const agent = failover.fleet.get(id);
    await agent?.waitForLine((l) => l.message === 'heartbeat transport failing over', 5_000);
    await agent?.waitForLine((l) => l.message === 'heartbeat transport restored', 10_000);
  }
  const aggregatorLog = failover.aggregator.process.lines.map((l) => l.message);
  expect(aggregatorLog).toEqual(expect.arrayContaining(['redis unavailable', 'redis available again']));
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
  }
  console.info(
    `cluster failover measured: ${JSON.stringify({ ...measured, heartbeats_lost: lost, heartbeats_in_feed: beats.length, agents: agents.length })}`,
  );
}, 60_000);
