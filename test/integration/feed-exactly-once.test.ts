/**
 * The change feed at work with a real redis-server: loadgen writers heartbeat a fleet through the
 * agents' own Lua path while the collector resyncs and is restarted mid-stream. Every heartbeat
 * written is checked against what the collectors saw: none lost, none counted twice. And an
 * aggregator shows a new or departed instance within one reconcile interval.
 */
import type { ApplyOutcome } from '../../aggregator/collector/registry';
import { InstanceRegistry } from '../../aggregator/collector/registry';
import { RedisCollector } from '../../aggregator/collector/redis-collector';
import { startAggregator, type RunningAggregator } from '../../aggregator/app';
import { loadAggregatorConfig } from '../../aggregator/config';
import { SimulatedFleet } from '../../bench/loadgen/fleet';
import { runLoadgen } from '../../bench/loadgen/run';
import type { HeartbeatWriter } from '../../bench/loadgen/writers';
import { createRedisWriter } from '../../bench/loadgen/writers';
import { systemClock } from '../../shared/clock';
import { silentLogger } from '../../shared/logger';
import { useTestRedis } from '../support/redis-rig';
import { waitFor } from '../support/wait';
import { serverEngine } from '../../shared/redis-engine';

const redis = useTestRedis();

/** Per instance id, the seqs of one collector's applies, in the order they came, with outcomes. */
type Seen = Map<string, { seq: number; outcome: ApplyOutcome }[]>;

function collector(app: string, registry: InstanceRegistry, seen: Seen): RedisCollector {
  return new RedisCollector({
    engine: serverEngine(redis.url),
    app,
    registry,
    log: silentLogger(),
    clock: systemClock,
    // Several resyncs while the writers run: each re-reads every heartbeat the feed also brings.
    resyncIntervalMs: 600,
    blockMs: 100,
    onApplied: (outcome, heartbeat) => {
      const list = seen.get(heartbeat.instance_id) ?? [];
      list.push({ seq: heartbeat.seq, outcome });
      seen.set(heartbeat.instance_id, list);
    },
  });
}

const COUNTED: ReadonlySet<ApplyOutcome> = new Set(['new', 'updated', 'left']);

describe('the heartbeat feed', () => {
  it('loses and double-counts no heartbeat across resyncs and a collector restart', async () => {
    const app = 'feed-exactly-once';
    const fleet = new SimulatedFleet({
      instances: 200,
      app,
      components: ['backend', 'worker'],
      deployments: 1,
      oldShare: 0,
      intervalMs: 250,
      ttlMs: 30_000,
      startedAtMs: Date.now(),
    });
    // What Redis acknowledged, per instance: the ground truth the collectors are held to.
    const written = new Map<string, number[]>();
    const redisWriter = await createRedisWriter(serverEngine(redis.url), 2);
    const writer: HeartbeatWriter = {
      kind: 'redis',
      write: async (heartbeat, json) => {
        await redisWriter.write(heartbeat, json);
        const list = written.get(heartbeat.instance_id) ?? [];
        list.push(heartbeat.seq);
        written.set(heartbeat.instance_id, list);
      },
      close: () => redisWriter.close(),
    };

    const seenA: Seen = new Map();
    const seenB: Seen = new Map();
    const registryA = new InstanceRegistry();
    const registryB = new InstanceRegistry();
    const a = collector(app, registryA, seenA);
    const b = collector(app, registryB, seenB);
    const stop = new AbortController();
    try {
      await a.start();
      const writing = runLoadgen(
        {
          fleet,
          writer,
          intervalMs: 250,
          durationMs: 4_000,
          concurrency: 64,
          goodbyes: false,
          clock: systemClock,
          progressEveryMs: 60_000,
        },
        stop.signal,
      );
      // A restart mid-stream: the first collector goes away, writes go on, a fresh one (with an
      // empty registry, as a restarted aggregator has) starts after a gap.
      await waitFor(() => seenA.size === fleet.size, { what: 'the first collector to see heartbeats' });
      await new Promise((resolve) => setTimeout(resolve, 800));
      await a.close();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await b.start();
      const totals = await writing;
      expect(totals.errors).toBe(0);
      expect(totals.written).toBeGreaterThan(2_000);

      const lastWritten = (id: string) => Math.max(...(written.get(id) ?? [-1]));
      await waitFor(
        () =>
          fleet.instances.every(
            (i) => registryB.get(i.instanceId)?.heartbeat.seq === lastWritten(i.instanceId),
          ),
        { what: 'the restarted collector to catch up with every instance' },
      );
      expect(a.stats().resyncs).toBeGreaterThanOrEqual(2);
      expect(b.stats().resyncs).toBeGreaterThanOrEqual(2);

      for (const { instanceId } of fleet.instances) {
        const writtenSeqs = written.get(instanceId) ?? [];
        const inA = seenA.get(instanceId) ?? [];
        const inB = seenB.get(instanceId) ?? [];
        // Counted at most once by each collector, in order: a resync's re-read is a duplicate.
        for (const seen of [inA, inB]) {
          const counted = seen.filter((s) => COUNTED.has(s.outcome)).map((s) => s.seq);
          expect(counted).toEqual([...new Set(counted)].sort((x, y) => x - y));
        }
        // While a collector runs it misses nothing: every seq from its first to its last.
        const delivered = (seen: { seq: number }[]) => new Set(seen.map((s) => s.seq));
        const firstA = Math.min(...inA.map((s) => s.seq));
        const lastA = Math.max(...inA.map((s) => s.seq));
        const setA = delivered(inA);
        expect(writtenSeqs.filter((s) => s >= firstA && s <= lastA && !setA.has(s))).toEqual([]);
        const firstB = Math.min(...inB.map((s) => s.seq));
        const setB = delivered(inB);
        expect(writtenSeqs.filter((s) => s >= firstB && !setB.has(s))).toEqual([]);
        // Only heartbeats written while no collector ran went unseen one by one: the restarted
        // collector's resync read the latest of them instead (the registry keeps the latest).
        const inRestartGap = (s: number) => s > lastA && s < firstB;
        expect(writtenSeqs.filter((s) => !setA.has(s) && !setB.has(s) && !inRestartGap(s))).toEqual([]);
        expect(firstA).toBe(0);
        expect(inB.filter((s) => s.outcome === 'new')).toHaveLength(1);
      }
    } finally {
      stop.abort();
      await Promise.all([a.close(), b.close(), writer.close()]);
    }
  }, 30_000);

  describe('an aggregator on the feed', () => {
    // Long enough that only the nudge (ReconcileLoop.nudge) can explain a change shown sooner.
    const INTERVAL_MS = 4_000;
    let aggregator: RunningAggregator;
    let redisWriter: HeartbeatWriter;

    beforeAll(async () => {
      aggregator = await startAggregator(
        loadAggregatorConfig({
          PORT: '0',
          HOST: '127.0.0.1',
          REDIS_URL: redis.url,
          AGGREGATOR_APP: 'feed-visible',
          DESIRED_REPLICAS: '20',
          RECONCILE_INTERVAL_MS: String(INTERVAL_MS),
        }),
      );
      redisWriter = await createRedisWriter(serverEngine(redis.url), 1);
    });

    afterAll(async () => {
      await redisWriter.close();
      await aggregator.stop();
    });

    /** Ms from now until the published report's instance `id` is in `state` (polled every 25 ms). */
    async function msUntilState(id: string, state: string, write: () => Promise<void>): Promise<number> {
      const startedMs = Date.now();
      await write();
      await waitFor(
        () =>
          (aggregator.store.current()?.instanceList() ?? []).some(
            (i) => i.instance_id === id && i.state === state,
          ),
        { what: `${id} to be ${state}` },
      );
      return Date.now() - startedMs;
    }

    it('shows a new instance, and one that said goodbye, well within one reconcile interval', async () => {
      const fleet = new SimulatedFleet({
        instances: 21,
        app: 'feed-visible',
        components: ['backend'],
        deployments: 1,
        oldShare: 0,
        intervalMs: 10_000,
        ttlMs: 30_000,
        startedAtMs: Date.now(),
      });
      for (let i = 0; i < 20; i++) {
        const { heartbeat, json } = fleet.heartbeat(i, Date.now());
        await redisWriter.write(heartbeat, json);
      }
      const newcomer = fleet.instances[20]?.instanceId as string;
      // Once the fleet's arrival is reconciled (all 20 live in the report), the next change is alone.
      await waitFor(
        () =>
          (aggregator.store.current()?.instanceList() ?? []).filter((i) => i.state === 'live').length === 20,
        { what: 'the 20 instances live in the report' },
      );
      // A new or departed instance nudges the loop: it is reconciled a quarter interval after
      // the previous reconcile at the latest, not up to a whole interval later. The bound adds
      // the feed's batching (100 ms) and scheduling slack on a busy machine.
      const bound = INTERVAL_MS / 4 + 1_200;
      const arrival = await msUntilState(newcomer, 'live', async () => {
        const { heartbeat, json } = fleet.heartbeat(20, Date.now());
        await redisWriter.write(heartbeat, json);
      });
      expect(arrival).toBeLessThanOrEqual(bound);
      const departure = await msUntilState(newcomer, 'left', async () => {
        const { heartbeat, json } = fleet.goodbye(20, Date.now());
        await redisWriter.write(heartbeat, json);
      });
      expect(departure).toBeLessThanOrEqual(bound);
    }, 30_000);
  });
});
