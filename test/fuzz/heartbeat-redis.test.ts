/**
 * Fuzzing the Redis path: anything written straight into the feed stream, or under the
 * heartbeat keys with an index entry, by a stranger with write access to Redis. Every entry is
 * either applied as a valid heartbeat or refused and counted by reason (the metric counters
 * add up to the entries read); the registry never holds an invalid record; the collector stays
 * healthy and keeps reading.
 */
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { InstanceRegistry } from '../../aggregator/collector/registry';
import { RedisCollector } from '../../aggregator/collector/redis-collector';
import { createAggregatorMetrics } from '../../aggregator/metrics';
import { systemClock } from '../../shared/clock';
import { serializeHeartbeat } from '../../shared/heartbeat';
import { silentLogger } from '../../shared/logger';
import { appKeys, FEED_FIELD } from '../../shared/redis-keys';
import { makeHeartbeat } from '../support/heartbeats';
import { useTestRedis } from '../support/redis-rig';
import { heartbeatBodies, recordProblems } from './arbitraries';
import { waitFor } from '../support/wait';
import { serverEngine } from '../../shared/redis-engine';

const APP = 'fuzz-app';
const keys = appKeys(APP);

const redis = useTestRedis();

async function total(metrics: Registry, name: string): Promise<number> {
  const metric = await metrics.getSingleMetric(name)?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

function start(registry: InstanceRegistry, metricsRegistry: Registry): RedisCollector {
  const metrics = createAggregatorMetrics(metricsRegistry);
  return new RedisCollector({
    engine: serverEngine(redis.url),
    app: APP,
    registry,
    log: silentLogger(),
    clock: systemClock,
    // No resync while the feed property runs: each entry is then read exactly once.
    resyncIntervalMs: 3_600_000,
    blockMs: 50,
    onApplied: metrics.countApplied,
    onRejected: metrics.countRejected,
  });
}

function expectSound(registry: InstanceRegistry): void {
  for (const record of registry.snapshot()) {
    expect({ id: record.instanceId, problems: recordProblems(record) }).toEqual({
      id: record.instanceId,
      problems: [],
    });
  }
}

/** A feed entry: the hb field with any value, or other fields, or none of ours. */
const feedEntries = fc.oneof(
  { weight: 8, arbitrary: heartbeatBodies(APP).map((b) => ({ [FEED_FIELD]: b.body.toString('utf8') })) },
  {
    weight: 1,
    arbitrary: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 50 }), {
      minKeys: 1,
      maxKeys: 3,
    }),
  },
);

describe('fuzzing the Redis feed and heartbeat keys', () => {
  beforeEach(async () => {
    await redis.client.flushAll();
  });

  it('feed: every entry is applied and valid, or refused and counted; the registry stays sound', async () => {
    const registry = new InstanceRegistry();
    const metrics = new Registry();
    const collector = start(registry, metrics);
    await collector.start();
    let written = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(feedEntries, { minLength: 1, maxLength: 8 }), async (batch) => {
          for (const entry of batch) await redis.client.xAdd(keys.feed, '*', entry);
          written += batch.length;
          await waitFor(() => collector.stats().feedEntries >= written, { what: `${written} entries read` });
          expect(collector.stats().feedEntries).toBe(written);
          const counted =
            (await total(metrics, 'replica_watch_heartbeats_applied_total')) +
            (await total(metrics, 'replica_watch_heartbeats_rejected_total'));
          expect(counted).toBe(written);
          expectSound(registry);
          expect(collector.health().healthy).toBe(true);
        }),
        { numRuns: 100 },
      );
    } finally {
      await collector.close();
    }
    expect(written).toBeGreaterThan(100);
  });

  it('heartbeat keys and index: a resync applies what is valid, counts the rest, and the collector carries on', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            // Key names a stranger might pick, ours included.
            member: fc.oneof(fc.constantFrom('backend-a-1', 'x', 'worker-b-1'), fc.string({ maxLength: 40 })),
            value: heartbeatBodies(APP),
            score: fc.oneof(fc.constant(Date.now()), fc.integer({ min: -1e15, max: 1e15 })),
          }),
          { minLength: 1, maxLength: 10 },
        ),
        async (entries) => {
          await redis.client.flushAll();
          const present = new Map<string, { value: Buffer; score: number }>();
          for (const e of entries) present.set(e.member, { value: e.value.body, score: e.score });
          for (const [member, { value, score }] of present) {
            await redis.client.set(keys.heartbeat(member), value, { PX: 60_000 });
            await redis.client.zAdd(keys.seen, { score, value: member });
          }
          const registry = new InstanceRegistry();
          const metrics = new Registry();
          const collector = start(registry, metrics);
          try {
            await collector.start();
            await waitFor(() => collector.stats().resyncs >= 1, { what: 'the first resync' });
            // Index entries past retention (old scores) are skipped unread; the rest is judged.
            const read = collector.stats().lastResyncHeartbeats;
            expect(read).toBeLessThanOrEqual(present.size);
            const counted =
              (await total(metrics, 'replica_watch_heartbeats_applied_total')) +
              (await total(metrics, 'replica_watch_heartbeats_rejected_total'));
            expect(counted).toBe(read);
            expectSound(registry);
            // A record only under its own key: what a key claims is checked against the heartbeat.
            for (const record of registry.snapshot()) expect(present.has(record.instanceId)).toBe(true);
            expect(collector.health().healthy).toBe(true);
            // And it keeps reading: a valid heartbeat written now arrives.
            const marker = makeHeartbeat({ app: APP, instance_id: 'marker-after-junk', seq: 1 });
            await redis.client.xAdd(keys.feed, '*', { [FEED_FIELD]: serializeHeartbeat(marker) });
            await waitFor(() => registry.get('marker-after-junk') !== undefined, { what: 'the marker' });
          } finally {
            await collector.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
