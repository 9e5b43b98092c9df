import type { ApplyOutcome } from '../../aggregator/collector/registry';
import { InstanceRegistry } from '../../aggregator/collector/registry';
import type { RedisCollectorOptions } from '../../aggregator/collector/redis-collector';
import { compareStreamIds, RedisCollector } from '../../aggregator/collector/redis-collector';
import type { Clock } from '../../shared/clock';
import { systemClock } from '../../shared/clock';
import type { Heartbeat, RejectReason } from '../../shared/heartbeat';
import { serializeHeartbeat } from '../../shared/heartbeat';
import { appKeys, FEED_FIELD } from '../../shared/redis-keys';
import { recordHeartbeat } from '../../shared/redis-scripts';
import { testRedisCollector } from '../support/redis-collector';
import { goodbyeOf, makeHeartbeat } from '../support/heartbeats';
import { useTestRedis } from '../support/redis-rig';
import { freePort } from '../support/redis-server';
import { sampleFor, waitFor } from '../support/wait';
import { captureLogs } from '../support/logs';
import { serverEngine } from '../../shared/redis-engine';

const APP = 'test-app';
const keys = appKeys(APP);

const redis = useTestRedis({ flush: true });
const opened: RedisCollector[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
});

function record(hb: Heartbeat): Promise<number> {
  return recordHeartbeat(redis.client, hb);
}

/** The Redis time of the newest feed entry: what the collector takes as last-seen from the feed. */
async function newestFeedEntryMs(): Promise<number> {
  const newest = await redis.client.xRevRange(keys.feed, '+', '-', { COUNT: 1 });
  return Number(newest?.[0]?.id.split('-')[0]);
}

function hb(instance: string, seq: number, overrides: Partial<Heartbeat> = {}): Heartbeat {
  return makeHeartbeat({ app: APP, instance_id: instance, seq, ...overrides });
}

/**
 * A clock whose backoff sleeps can be held: while the gate is closed, a collector that hit a
 * failure waits, so a test can change Redis behind its back deterministically.
 */
function gatedClock(): Clock & { hold(): void; release(): void; held(): number } {
  let gate: { promise: Promise<void>; open: () => void } | null = null;
  let waiting = 0;
  return {
    now: () => Date.now(),
    sleep: async (ms, signal) => {
      if (gate) {
        waiting++;
        const aborted = new Promise<void>((resolve) =>
          signal?.addEventListener('abort', () => resolve(), { once: true }),
        );
        await Promise.race([gate.promise, aborted]);
        waiting--;
      }
      await systemClock.sleep(ms, signal);
    },
    hold: () => {
      let open = () => undefined as void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      gate = { promise, open };
    },
    release: () => {
      gate?.open();
      gate = null;
    },
    held: () => waiting,
  };
}

interface Harness {
  collector: RedisCollector;
  registry: InstanceRegistry;
  outcomes: { outcome: ApplyOutcome; instance: string; bootId: string; seq: number }[];
  rejected: { reason: RejectReason; detail: string }[];
  /** How many times each (instance, boot, seq) changed the registry (duplicates excluded). */
  appliedCount(instance: string, seq: number, bootId?: string): number;
}

function makeCollector(overrides: Partial<RedisCollectorOptions> = {}): Harness {
  const registry = overrides.registry ?? new InstanceRegistry();
  const outcomes: Harness['outcomes'] = [];
  const rejected: Harness['rejected'] = [];
  const collector = testRedisCollector(redis.url, APP, {
    registry,
    backoffBaseMs: 20,
    backoffMaxMs: 200,
    onApplied: (outcome, heartbeat) =>
      outcomes.push({
        outcome,
        instance: heartbeat.instance_id,
        bootId: heartbeat.boot_id,
        seq: heartbeat.seq,
      }),
    onRejected: (reason, detail) => rejected.push({ reason, detail }),
    ...overrides,
  });
  opened.push(collector);
  return {
    collector,
    registry,
    outcomes,
    rejected,
    appliedCount: (instance, seq, bootId = 'boot-a') =>
      outcomes.filter(
        (o) => o.instance === instance && o.seq === seq && o.bootId === bootId && o.outcome !== 'duplicate',
      ).length,
  };
}

const seqOf = (h: Harness, instance: string) => h.registry.get(instance)?.heartbeat.seq;

describe('RedisCollector: resync and feed', () => {
  it('loads the fleet from the index at start, with the Redis time as last-seen', async () => {
    const times = new Map<string, number>();
    for (const id of ['a', 'b', 'c']) times.set(id, await record(hb(id, 3)));
    const h = makeCollector();
    await h.collector.start();
    expect(h.registry.size).toBe(3);
    for (const [id, at] of times) {
      expect(h.registry.get(id)?.heartbeat.seq).toBe(3);
      expect(h.registry.get(id)?.lastSeenMs).toBe(at);
    }
    expect(h.collector.health()).toEqual({ healthy: true, blindSinceMs: null, detail: null });
    expect(h.collector.stats()).toMatchObject({ resyncs: 1, lastResyncHeartbeats: 3, rejected: 0 });
    expect(h.outcomes.map((o) => o.outcome)).toEqual(['new', 'new', 'new']);
  });

  it('starts on an empty Redis and then follows the feed', async () => {
    const h = makeCollector();
    await h.collector.start();
    expect(h.registry.size).toBe(0);
    expect(h.collector.stats().lastId).toBe('0-0');
    expect(h.collector.feedLagMs()).toBeNull();

    await record(hb('a', 1));
    await waitFor(() => seqOf(h, 'a') === 1, { what: 'instance a' });
    expect(h.registry.get('a')?.lastSeenMs).toBe(await newestFeedEntryMs());
    await record(hb('a', 2));
    await record(hb('b', 1));
    await waitFor(() => seqOf(h, 'a') === 2 && seqOf(h, 'b') === 1, { what: 'a seq 2 and b' });
    expect(h.collector.stats().feedEntries).toBe(3);
    expect(h.outcomes.map((o) => o.outcome)).toEqual(['new', 'updated', 'new']);
    expect(h.collector.feedLagMs()).toEqual(expect.any(Number));
    expect(h.collector.feedLagMs()).toBeGreaterThanOrEqual(0);
  });

  it('marks an instance left on its goodbye, and live again on its next boot', async () => {
    const first = hb('a', 4, { boot_id: 'boot-1', started_at: 1_000 });
    const firstAt = await record(first);
    const h = makeCollector();
    await h.collector.start();
    await record(goodbyeOf(first));
    await waitFor(() => h.registry.get('a')?.leftAtMs !== null, { what: 'a left' });
    // From the index, last-seen is the ZSET score; from the feed, the entry id's time. Redis's
    // clock may step back a millisecond between the two writes; last-seen never does.
    expect(h.registry.get('a')?.leftAtMs).toBe(Math.max(firstAt, await newestFeedEntryMs()));
    expect(await redis.client.exists(keys.heartbeat('a'))).toBe(0);

    await record(hb('a', 0, { boot_id: 'boot-2', started_at: 2_000 }));
    await waitFor(() => h.registry.get('a')?.heartbeat.boot_id === 'boot-2', { what: 'a live again' });
    expect(h.registry.get('a')?.leftAtMs).toBeNull();
    expect(h.outcomes.map((o) => o.outcome)).toEqual(['new', 'left', 'updated']);
  });

  it('reads a large index in pipelined MGET chunks', async () => {
    const ids = Array.from({ length: 45 }, (_, i) => `i-${i}`);
    await Promise.all(ids.map((id) => record(hb(id, 1))));
    const h = makeCollector({ mgetChunkSize: 2 });
    await h.collector.start();
    expect(h.registry.size).toBe(45);
    expect(h.collector.stats().lastResyncHeartbeats).toBe(45);
  });

  it('skips index entries whose key expired and prunes those older than retention', async () => {
    await record(hb('live', 1));
    // Crashed without goodbye: the key expired, the index entry stayed.
    await redis.client.zAdd(keys.seen, { score: Date.now() - 5_000, value: 'expired' });
    // Long gone: older than retention, even with a key left (a TTL far longer than usual).
    const ancient = hb('ancient', 1);
    await redis.client.set(keys.heartbeat('ancient'), serializeHeartbeat(ancient));
    await redis.client.zAdd(keys.seen, { score: Date.now() - 3_600_000, value: 'ancient' });

    const h = makeCollector({ registry: new InstanceRegistry({ retentionMs: 600_000 }) });
    await h.collector.start();
    expect(h.registry.snapshot().map((r) => r.instanceId)).toEqual(['live']);
    expect(h.collector.stats().lastResyncHeartbeats).toBe(1);
    expect(await redis.client.zRange(keys.seen, 0, -1)).toEqual(['expired', 'live']);
  });

  it('evicts registry records past retention at a resync', async () => {
    const registry = new InstanceRegistry({ retentionMs: 60_000 });
    registry.apply(hb('forgotten', 1), Date.now() - 120_000);
    const h = makeCollector({ registry });
    await h.collector.start();
    expect(registry.get('forgotten')).toBeUndefined();
  });

  it('repairs what the feed missed with the periodic anti-entropy resync', async () => {
    const h = makeCollector({ resyncIntervalMs: 150 });
    await h.collector.start();
    // Written around the feed (by hand, or by a redis.client whose XADD was lost).
    const sneaky = hb('sneaky', 9);
    await redis.client.set(keys.heartbeat('sneaky'), serializeHeartbeat(sneaky), { PX: 30_000 });
    await redis.client.zAdd(keys.seen, { score: Date.now(), value: 'sneaky' });
    await waitFor(() => seqOf(h, 'sneaky') === 9, { what: 'sneaky via resync' });
    expect(h.collector.stats().resyncs).toBeGreaterThanOrEqual(2);
    expect(h.collector.stats().feedEntries).toBe(0);
  });

  it('reads again only what the registry does not hold: a later resync of a known fleet reads nothing', async () => {
    for (const id of ['a', 'b', 'c']) await record(hb(id, 1));
    const h = makeCollector({ resyncIntervalMs: 100 });
    await h.collector.start();
    expect(h.collector.stats().lastResyncHeartbeats).toBe(3);
    // Renewed through the feed: the registry holds what the index points at.
    await record(hb('a', 2));
    await waitFor(() => seqOf(h, 'a') === 2, { what: 'a seq 2 via the feed' });
    const resyncs = h.collector.stats().resyncs;
    await waitFor(() => h.collector.stats().resyncs >= resyncs + 1, { what: 'a later resync' });
    expect(h.collector.stats().lastResyncHeartbeats).toBe(0);
    // Written around the feed: newer than what the registry holds, so the next resync reads it.
    await redis.client.set(keys.heartbeat('b'), serializeHeartbeat(hb('b', 7)), { PX: 30_000 });
    await redis.client.zAdd(keys.seen, { score: Date.now() + 1_000, value: 'b' });
    await waitFor(() => seqOf(h, 'b') === 7, { what: 'b seq 7 via the resync' });
    expect(h.collector.stats().lastResyncHeartbeats).toBe(1);
  });
});

describe('RedisCollector: bad input', () => {
  it('rejects and counts junk in the feed, keeps reading past it, and leaves the registry intact', async () => {
    await record(hb('good', 1));
    const h = makeCollector();
    await h.collector.start();
    const before = h.registry.get('good');

    await redis.client.xAdd(keys.feed, '*', { [FEED_FIELD]: 'not json' });
    await redis.client.xAdd(keys.feed, '*', {
      [FEED_FIELD]: JSON.stringify({ v: 1, type: 'heartbeat', instance_id: 'good' }),
    });
    await redis.client.xAdd(keys.feed, '*', {
      [FEED_FIELD]: JSON.stringify({ ...hb('good', 50), seq: 'fifty' }),
    });
    await redis.client.xAdd(keys.feed, '*', {
      [FEED_FIELD]: serializeHeartbeat(hb('good', 60, { app: 'someone-else' })),
    });
    await redis.client.xAdd(keys.feed, '*', { unrelated: 'x' });
    await redis.client.xAdd(keys.feed, '*', { [FEED_FIELD]: '[1,2,3]' });
    await record(hb('after-junk', 1));

    await waitFor(() => seqOf(h, 'after-junk') === 1, { what: 'the heartbeat after the junk' });
    expect(h.rejected.map((r) => r.reason)).toEqual([
      'malformed_json',
      'missing_field',
      'invalid_field',
      'wrong_app',
      'missing_field',
      'not_an_object',
    ]);
    expect(h.collector.stats()).toMatchObject({ rejected: 6, feedEntries: 7 });
    expect(h.registry.get('good')).toBe(before);
    expect(h.registry.size).toBe(2);
    expect(h.collector.health().healthy).toBe(true);
  });

  it('rejects junk found in the index during a resync', async () => {
    await record(hb('good', 1));
    await redis.client.set(keys.heartbeat('garbage'), '{"v":1,');
    await redis.client.zAdd(keys.seen, { score: Date.now(), value: 'garbage' });
    // A valid heartbeat stored under another instance's key.
    await redis.client.set(keys.heartbeat('impostor'), serializeHeartbeat(hb('good', 99)));
    await redis.client.zAdd(keys.seen, { score: Date.now(), value: 'impostor' });

    const h = makeCollector();
    await h.collector.start();
    expect(h.rejected.map((r) => r.reason).sort()).toEqual(['invalid_field', 'malformed_json']);
    expect(h.registry.snapshot().map((r) => r.instanceId)).toEqual(['good']);
    expect(seqOf(h, 'good')).toBe(1);
  });

  it('logs rejected heartbeats at most once a minute', async () => {
    const { log, lines } = captureLogs();
    const h = makeCollector({ log });
    await h.collector.start();
    for (let i = 0; i < 5; i++) await redis.client.xAdd(keys.feed, '*', { [FEED_FIELD]: `junk ${i}` });
    await waitFor(() => h.rejected.length === 5, { what: 'five rejections' });
    expect(lines.filter((l) => l.message === 'heartbeat rejected')).toHaveLength(1);
  });
});

describe('RedisCollector: exactly once', () => {
  it('applies every (instance, seq) exactly once while running, replayed writes included', async () => {
    const h = makeCollector();
    await h.collector.start();
    const instances = ['a', 'b', 'c', 'd'];
    for (let seq = 1; seq <= 10; seq++) {
      for (const id of instances) await record(hb(id, seq));
    }
    // The relay's return trip and an agent's retry write the same heartbeat again.
    await record(hb('a', 10));
    await record(hb('b', 10));
    await waitFor(() => instances.every((id) => seqOf(h, id) === 10), { what: 'all at seq 10' });
    await waitFor(() => h.collector.stats().feedEntries === 42, { what: 'every feed entry read' });
    for (const id of instances) {
      for (let seq = 1; seq <= 10; seq++) expect(h.appliedCount(id, seq)).toBe(1);
    }
    expect(h.outcomes.filter((o) => o.outcome !== 'duplicate')).toHaveLength(40);
    expect(h.outcomes.filter((o) => o.outcome === 'duplicate')).toHaveLength(2);
  });

  it('never applies a heartbeat twice when resyncs overlap the feed', async () => {
    const h = makeCollector({ resyncIntervalMs: 30 });
    await h.collector.start();
    for (let seq = 1; seq <= 30; seq++) {
      await Promise.all(['a', 'b', 'c'].map((id) => record(hb(id, seq))));
    }
    await waitFor(() => ['a', 'b', 'c'].every((id) => seqOf(h, id) === 30), { what: 'all at seq 30' });
    await waitFor(() => h.collector.stats().feedEntries === 90, { what: 'every feed entry read' });
    expect(h.collector.stats().resyncs).toBeGreaterThan(1);
    for (const o of h.outcomes) expect(h.appliedCount(o.instance, o.seq)).toBeLessThanOrEqual(1);
  });

  it('loses and double-counts nothing across an aggregator restart', async () => {
    const first = makeCollector();
    await first.collector.start();
    for (let seq = 1; seq <= 3; seq++) {
      for (const id of ['i0', 'i1', 'i2', 'i3', 'i4']) await record(hb(id, seq));
    }
    await waitFor(() => ['i0', 'i1', 'i2', 'i3', 'i4'].every((id) => seqOf(first, id) === 3), {
      what: 'first sees seq 3',
    });
    await first.collector.close();

    // While no aggregator runs: new seqs, new instances, a goodbye.
    for (let seq = 4; seq <= 5; seq++) {
      for (const id of ['i0', 'i1', 'i2']) await record(hb(id, seq));
    }
    for (let seq = 1; seq <= 2; seq++) {
      for (const id of ['i5', 'i6']) await record(hb(id, seq));
    }
    await record(goodbyeOf(hb('i4', 3)));

    const second = makeCollector();
    await second.collector.start();
    const expected: Record<string, number> = { i0: 5, i1: 5, i2: 5, i3: 3, i5: 2, i6: 2 };
    for (const [id, seq] of Object.entries(expected)) expect(seqOf(second, id)).toBe(seq);
    // The goodbye left no trace in the index; the instance is simply not there.
    expect(second.registry.get('i4')).toBeUndefined();
    expect(second.registry.size).toBe(6);
    for (const [id, seq] of Object.entries(expected)) expect(second.appliedCount(id, seq)).toBe(1);
    expect(second.outcomes).toHaveLength(6);

    // And from here on the feed, each new heartbeat once.
    for (const id of Object.keys(expected)) await record(hb(id, 10));
    await waitFor(() => Object.keys(expected).every((id) => seqOf(second, id) === 10), {
      what: 'second sees seq 10',
    });
    for (const id of Object.keys(expected)) expect(second.appliedCount(id, 10)).toBe(1);
    expect(second.outcomes.filter((o) => o.outcome === 'duplicate')).toHaveLength(0);
  });
});

describe('RedisCollector: outages', () => {
  it('goes blind when Redis dies, without crashing or forgetting, and recovers when it returns', async () => {
    const { log, lines } = captureLogs();
    const h = makeCollector({ log });
    await record(hb('a', 1));
    await h.collector.start();
    expect(h.collector.health().healthy).toBe(true);

    const killedAt = Date.now();
    await redis.kill();
    await waitFor(() => !h.collector.health().healthy, { what: 'unhealthy' });
    const blind = h.collector.health();
    expect(blind.blindSinceMs).toBeGreaterThanOrEqual(killedAt);
    expect(blind.blindSinceMs).toBeLessThanOrEqual(Date.now());
    expect(blind.detail).toMatch(/^redis: /);
    // Several retries while it is down, and blind since the same moment throughout…
    const since = await sampleFor(600, () => h.collector.health().blindSinceMs);
    expect(new Set(since)).toEqual(new Set([blind.blindSinceMs]));
    // …and the registry keeps what it knew: no mass "gone".
    expect(seqOf(h, 'a')).toBe(1);

    await redis.restart();
    await waitFor(() => h.collector.health().healthy, { what: 'healthy again' });
    await record(hb('b', 1));
    await record(hb('a', 2));
    await waitFor(() => seqOf(h, 'b') === 1 && seqOf(h, 'a') === 2, {
      what: 'new heartbeats after the outage',
    });
    expect(h.collector.stats().outages).toBe(1);
    expect(
      lines.filter((l) => l.message === 'collector cannot read heartbeats from redis; data is degraded'),
    ).toHaveLength(1);
    expect(lines.filter((l) => l.message === 'collector reads heartbeats from redis again')).toHaveLength(1);
  });

  it('starts blind when Redis is unreachable, and never shows its password', async () => {
    const port = await freePort();
    const h = makeCollector({ engine: serverEngine(`redis://user:pa55word-secret@127.0.0.1:${port}`) });
    await h.collector.start();
    const health = h.collector.health();
    expect(health.healthy).toBe(false);
    expect(health.blindSinceMs).toEqual(expect.any(Number));
    expect(health.detail).toMatch(/ECONNREFUSED/);
    expect(health.detail).not.toContain('pa55word-secret');
    await waitFor(() => h.collector.stats().outages === 1, { what: 'a few retries' });
    expect(h.registry.size).toBe(0);
  });

  it('continues from its last id after an outage: what was written meanwhile, goodbyes included, arrives', async () => {
    const clock = gatedClock();
    // The backoff is what the test holds: the reconnect must not end it.
    const h = makeCollector({ clock, resumeOnReconnect: false });
    await record(hb('a', 1));
    await record(hb('b', 1));
    await h.collector.start();

    clock.hold();
    await killCollectorConnections();
    await waitFor(() => clock.held() === 1, { what: 'the collector waiting in backoff' });
    expect(h.collector.health().healthy).toBe(false);
    await record(hb('a', 2));
    await record(goodbyeOf(hb('b', 1)));
    await record(hb('c', 1));
    clock.release();

    await waitFor(
      () => seqOf(h, 'a') === 2 && h.registry.get('b')?.leftAtMs !== null && seqOf(h, 'c') === 1,
      { what: 'a, b and c' },
    );
    expect(h.collector.health().healthy).toBe(true);
    expect(h.collector.stats().feedGaps).toBe(0);
    expect(h.appliedCount('a', 2)).toBe(1);
  });

  it('covers a feed trimmed past its last id with the resync from the index', async () => {
    const clock = gatedClock();
    // The backoff is what the test holds: the reconnect must not end it.
    const h = makeCollector({ clock, resumeOnReconnect: false });
    await record(hb('a', 1));
    await h.collector.start();
    await record(hb('a', 2));
    await waitFor(() => seqOf(h, 'a') === 2, { what: 'a seq 2' });
    const lastId = h.collector.stats().lastId;

    clock.hold();
    await killCollectorConnections();
    await waitFor(() => clock.held() === 1, { what: 'the collector waiting in backoff' });
    for (const id of ['a', 'b', 'c', 'd']) await record(hb(id, 5));
    await redis.client.xTrim(keys.feed, 'MAXLEN', 1);
    const oldest = await redis.client.xRange(keys.feed, '-', '+', { COUNT: 1 });
    expect(compareStreamIds(oldest?.[0]?.id ?? '0-0', lastId ?? '0-0')).toBeGreaterThan(0);
    clock.release();

    await waitFor(() => ['a', 'b', 'c', 'd'].every((id) => seqOf(h, id) === 5), {
      what: 'every instance at seq 5',
    });
    expect(h.collector.stats().feedGaps).toBe(1);
    for (const id of ['a', 'b', 'c', 'd']) expect(h.appliedCount(id, 5)).toBe(1);
    await record(hb('e', 1));
    await waitFor(() => seqOf(h, 'e') === 1, { what: 'e via the feed' });
  });
});

describe('RedisCollector: failovers', () => {
  it('tries again at once when its connections are back, not after the rest of its backoff', async () => {
    // Every backoff sleep lasts until it is aborted: only the reconnect can end it.
    const endless: Clock = {
      now: () => Date.now(),
      sleep: (_ms, signal) =>
        new Promise<void>((resolve) => {
          if (signal?.aborted) return resolve();
          signal?.addEventListener('abort', () => resolve(), { once: true });
        }),
    };
    const h = makeCollector({ clock: endless });
    await record(hb('a', 1));
    await h.collector.start();
    await killCollectorConnections();
    await waitFor(() => h.collector.stats().outages === 1, { what: 'the collector blind' });
    await record(hb('a', 2));
    await waitFor(() => h.collector.health().healthy && seqOf(h, 'a') === 2, {
      what: 'seeing again, a at seq 2',
    });
    expect(h.collector.stats().resyncs).toBe(2);
  });

  it('reads on from the end of a feed that lost the entries it had read (a promoted replica)', async () => {
    const h = makeCollector();
    await record(hb('a', 1));
    await h.collector.start();
    // The old primary's newest entry, written with a clock ahead of the new primary's.
    await redis.client.xAdd(keys.feed, `${Date.now() + 3_600_000}-0`, {
      [FEED_FIELD]: serializeHeartbeat(hb('a', 2)),
    });
    await waitFor(() => seqOf(h, 'a') === 2, { what: 'a at seq 2 from the feed' });
    // The failover: the new primary's feed ends at what it had replicated, in its own time.
    await redis.client.del(keys.feed);
    await redis.client.xAdd(keys.feed, `${Date.now() - 1_000}-0`, {
      [FEED_FIELD]: serializeHeartbeat(hb('a', 1)),
    });
    await killCollectorConnections();
    await waitFor(() => h.collector.stats().feedRewinds === 1, { what: 'the feed read on from its end' });
    // Written by the new primary, with ids below the last one read: still read from the feed.
    await record(hb('b', 1));
    await waitFor(() => seqOf(h, 'b') === 1, { what: 'b from the feed', timeoutMs: 5_000 });
    expect(h.collector.stats().resyncs).toBe(2);
  });
});

describe('RedisCollector: close', () => {
  it('is idempotent (start too), ends a blocking read at once, and works before start', async () => {
    const unstarted = makeCollector();
    await unstarted.collector.close();

    const h = makeCollector({ blockMs: 10_000 });
    const starting = h.collector.start();
    expect(h.collector.start()).toBe(starting);
    await starting;
    // Once the loop is in its 10 s XREAD (Redis counts it as a blocked client).
    await waitFor(async () => /^blocked_clients:[1-9]/m.test(await redis.client.info('clients')), {
      what: 'the collector blocked in XREAD',
    });
    const t0 = Date.now();
    const a = h.collector.close();
    const b = h.collector.close();
    expect(b).toBe(a);
    await a;
    expect(Date.now() - t0).toBeLessThan(2_000);
    // Closed means closed: nothing it reads any more.
    await record(hb('late', 1));
    const late = await sampleFor(300, () => h.registry.get('late'));
    expect(late.filter((record) => record !== undefined)).toEqual([]);
  });
});

/** Cuts the collector's connections from the server side, as a network blip would. */
async function killCollectorConnections(): Promise<void> {
  const list = await redis.client.clientList();
  const ours = list.filter((c) => c.name.startsWith('replica-watch-aggregator'));
  expect(ours.length).toBeGreaterThanOrEqual(2);
  for (const c of ours) await redis.client.clientKill({ filter: 'ID', id: Number(c.id) });
}

it('orders stream ids numerically', () => {
  expect(compareStreamIds('9-0', '10-0')).toBeLessThan(0);
  expect(compareStreamIds('10-2', '10-10')).toBeLessThan(0);
  expect(compareStreamIds('10-2', '10-2')).toBe(0);
  expect(compareStreamIds('1700000000001-0', '1700000000000-99')).toBeGreaterThan(0);
});
