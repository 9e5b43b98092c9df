import { ingestInto } from '../support/http-deps';
import { EmbeddedCollector } from '../../aggregator/collector/embedded-collector';
import type { HeartbeatIngestOptions } from '../../aggregator/collector/ingest';
import { HeartbeatIngest } from '../../aggregator/collector/ingest';
import type { ApplyOutcome } from '../../aggregator/collector/registry';
import { InstanceRegistry } from '../../aggregator/collector/registry';
import type { Clock } from '../../shared/clock';
import type { Heartbeat, RejectReason } from '../../shared/heartbeat';
import { MAX_HEARTBEAT_BYTES, serializeHeartbeat } from '../../shared/heartbeat';
import { silentLogger } from '../../shared/logger';
import { appKeys } from '../../shared/redis-keys';
import { testRedisCollector } from '../support/redis-collector';
import { goodbyeOf, makeHeartbeat } from '../support/heartbeats';
import { useTestRedis } from '../support/redis-rig';
import { freePort } from '../support/redis-server';
import { waitFor } from '../support/wait';
import { captureLogs } from '../support/logs';
import { serverEngine } from '../../shared/redis-engine';

const APP = 'test-app';
const keys = appKeys(APP);
const T0 = 1_700_000_000_000;

const redis = useTestRedis({ flush: true });
const toClose: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(toClose.splice(0).map((c) => c.close()));
});

function hb(instance: string, seq: number, overrides: Partial<Heartbeat> = {}): Heartbeat {
  return makeHeartbeat({ app: APP, instance_id: instance, seq, ...overrides });
}

function makeIngest({
  registry = new InstanceRegistry(),
  ...overrides
}: Partial<Omit<HeartbeatIngestOptions, 'apps'>> & { registry?: InstanceRegistry } = {}) {
  const applied: ApplyOutcome[] = [];
  const rejected: RejectReason[] = [];
  const ingest = new HeartbeatIngest({
    apps: ingestInto(APP, registry),
    redis: null,
    log: silentLogger(),
    onApplied: (outcome) => applied.push(outcome),
    onRejected: (reason) => rejected.push(reason),
    ...overrides,
  });
  toClose.push(ingest);
  return { ingest, registry, applied, rejected };
}

describe('HeartbeatIngest: admission', () => {
  it('applies a valid heartbeat (text or bytes) with the receive time as last-seen', async () => {
    const { ingest, registry, applied } = makeIngest();
    const text = serializeHeartbeat(hb('a', 1));
    expect(await ingest.ingest(text, T0)).toEqual({ ok: true, outcome: 'new' });
    expect(await ingest.ingest(Buffer.from(serializeHeartbeat(hb('a', 2))), T0 + 10_000)).toEqual({
      ok: true,
      outcome: 'updated',
    });
    expect(await ingest.ingest(text, T0 + 11_000)).toEqual({ ok: true, outcome: 'duplicate' });
    expect(await ingest.ingest(serializeHeartbeat(goodbyeOf(hb('a', 2))), T0 + 12_000)).toEqual({
      ok: true,
      outcome: 'left',
    });
    expect(registry.get('a')).toMatchObject({
      lastSeenMs: T0 + 12_000,
      firstSeenMs: T0,
      leftAtMs: T0 + 12_000,
    });
    expect(applied).toEqual(['new', 'updated', 'duplicate', 'left']);
  });

  it.each<[string, string | Buffer, RejectReason]>([
    ['not JSON', 'hello', 'malformed_json'],
    ['an array', '[1]', 'not_an_object'],
    ['another schema version', JSON.stringify({ ...hb('a', 1), v: 2 }), 'unsupported_version'],
    ['a missing field', JSON.stringify({ ...hb('a', 1), boot_id: undefined }), 'missing_field'],
    ['a wrong type', JSON.stringify({ ...hb('a', 1), seq: -1 }), 'invalid_field'],
    ['a name unusable in a key', JSON.stringify(hb('bad{tag}', 1)), 'invalid_field'],
    ['another app', serializeHeartbeat(hb('a', 1, { app: 'other-app' })), 'wrong_app'],
    ['an oversized body', Buffer.alloc(MAX_HEARTBEAT_BYTES + 1, 0x20), 'too_large'],
  ])('rejects %s without touching the registry', async (_name, body, reason) => {
    const { ingest, registry, applied, rejected } = makeIngest();
    const result = await ingest.ingest(body, T0);
    expect(result).toEqual({ ok: false, reason, detail: expect.any(String) });
    expect(rejected).toEqual([reason]);
    expect(applied).toEqual([]);
    expect(registry.size).toBe(0);
  });

  it('accepts a body of exactly the maximum size', async () => {
    const { ingest } = makeIngest();
    const text = serializeHeartbeat(hb('a', 1));
    const padded = text + ' '.repeat(MAX_HEARTBEAT_BYTES - Buffer.byteLength(text));
    expect(await ingest.ingest(padded, T0)).toEqual({ ok: true, outcome: 'new' });
  });

  it('logs rejections at most once a minute, and says how many it kept quiet about', async () => {
    const { log, lines } = captureLogs();
    const { ingest, rejected } = makeIngest({ log });
    for (let i = 0; i < 5; i++) await ingest.ingest('junk', T0 + i * 1_000);
    await ingest.ingest('junk', T0 + 61_000);
    await new Promise((r) => setImmediate(r));
    expect(rejected).toHaveLength(6);
    const logged = lines.filter((l) => l.message === 'heartbeat rejected');
    expect(logged).toHaveLength(2);
    expect(logged[0]).toMatchObject({ reason: 'malformed_json', source: 'http', suppressedSinceLastLog: 0 });
    expect(logged[1]).toMatchObject({ suppressedSinceLastLog: 4 });
  });
});

describe('HeartbeatIngest: relay into Redis', () => {
  it('writes accepted heartbeats into Redis (key, index and feed), once', async () => {
    const { ingest } = makeIngest({ redis: serverEngine(redis.url) });
    const text = serializeHeartbeat(hb('a', 1));
    expect(await ingest.ingest(text, Date.now())).toEqual({ ok: true, outcome: 'new' });
    expect(await redis.client.get(keys.heartbeat('a'))).toBe(text);
    expect(await redis.client.zScore(keys.seen, 'a')).toEqual(expect.any(Number));
    expect(await redis.client.xLen(keys.feed)).toBe(1);
    // A duplicate is already known: not relayed again.
    await ingest.ingest(text, Date.now());
    expect(await redis.client.xLen(keys.feed)).toBe(1);
    expect(ingest.stats()).toEqual({ relayed: 1, relayFailures: 0 });
  });

  it('relays a goodbye, removing the instance from the index', async () => {
    const { ingest } = makeIngest({ redis: serverEngine(redis.url) });
    await ingest.ingest(serializeHeartbeat(hb('a', 1)), Date.now());
    await ingest.ingest(serializeHeartbeat(goodbyeOf(hb('a', 1))), Date.now());
    expect(await redis.client.exists(keys.heartbeat('a'))).toBe(0);
    expect(await redis.client.zScore(keys.seen, 'a')).toBeNull();
    expect(await redis.client.xLen(keys.feed)).toBe(2);
  });

  it('lets other aggregators see HTTP heartbeats; its own return trip is a duplicate', async () => {
    const registry = new InstanceRegistry();
    const own: ApplyOutcome[] = [];
    const ownCollector = testRedisCollector(redis.url, APP, {
      registry,
      onApplied: (outcome) => own.push(outcome),
    });
    const otherRegistry = new InstanceRegistry();
    const otherCollector = testRedisCollector(redis.url, APP, { registry: otherRegistry });
    toClose.push(ownCollector, otherCollector);
    await Promise.all([ownCollector.start(), otherCollector.start()]);
    const { ingest } = makeIngest({ registry, redis: serverEngine(redis.url) });

    expect(await ingest.ingest(serializeHeartbeat(hb('a', 1)), Date.now())).toEqual({
      ok: true,
      outcome: 'new',
    });
    await waitFor(() => otherRegistry.get('a')?.heartbeat.seq === 1, { what: 'the other aggregator sees a' });
    await waitFor(() => own.length === 1, { what: 'the return trip' });
    expect(own).toEqual(['duplicate']);
    expect(registry.size).toBe(1);
  });

  it('succeeds when the relay Redis is unreachable', async () => {
    const port = await freePort();
    const { log, lines } = captureLogs();
    const { ingest, registry } = makeIngest({ redis: serverEngine(`redis://127.0.0.1:${port}`), log });
    const t0 = Date.now();
    expect(await ingest.ingest(serializeHeartbeat(hb('a', 1)), t0)).toEqual({ ok: true, outcome: 'new' });
    expect(await ingest.ingest(serializeHeartbeat(hb('a', 2)), t0)).toEqual({ ok: true, outcome: 'updated' });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(registry.get('a')?.heartbeat.seq).toBe(2);
    expect(ingest.stats()).toEqual({ relayed: 0, relayFailures: 2 });
    await new Promise((r) => setImmediate(r));
    expect(
      lines.filter((l) => String(l.message).startsWith('heartbeat relay into redis failed')),
    ).toHaveLength(1);
  });

  it('keeps accepting while its Redis is down, and relays again once it is back', async () => {
    const { ingest, registry } = makeIngest({ redis: serverEngine(redis.url) });
    expect(await ingest.ingest(serializeHeartbeat(hb('a', 1)), Date.now())).toEqual({
      ok: true,
      outcome: 'new',
    });
    await redis.kill();
    expect(await ingest.ingest(serializeHeartbeat(hb('a', 2)), Date.now())).toEqual({
      ok: true,
      outcome: 'updated',
    });
    expect(ingest.stats().relayFailures).toBe(1);
    expect(registry.get('a')?.heartbeat.seq).toBe(2);
    await redis.restart();

    let seq = 3;
    await waitFor(
      async () => {
        await ingest.ingest(serializeHeartbeat(hb('a', seq++)), Date.now());
        return (await redis.client.exists(keys.heartbeat('a'))) === 1;
      },
      { what: 'a relayed heartbeat in the restarted Redis' },
    );
    expect(ingest.stats().relayed).toBeGreaterThanOrEqual(2);
  });

  it('closes idempotently, also when it never connected', async () => {
    const ingest = new HeartbeatIngest({
      apps: ingestInto(APP, new InstanceRegistry()),
      redis: serverEngine(redis.url),
      log: silentLogger(),
    });
    const first = ingest.close();
    expect(ingest.close()).toBe(first);
    await first;
    // After close it still admits into the registry; it just relays no more.
    expect(await ingest.ingest(serializeHeartbeat(hb('a', 1)), Date.now())).toEqual({
      ok: true,
      outcome: 'new',
    });
    expect(ingest.stats()).toEqual({ relayed: 0, relayFailures: 0 });
  });
});

describe('EmbeddedCollector', () => {
  it('shows what the ingest applied, is always healthy, and forgets instances past retention', async () => {
    let now = T0;
    const clock: Clock = { now: () => now, sleep: () => Promise.resolve() };
    const registry = new InstanceRegistry({ retentionMs: 60_000 });
    const collector = new EmbeddedCollector({ registry, clock });
    toClose.push(collector);
    await collector.start();
    const { ingest } = makeIngest({ registry });
    await ingest.ingest(serializeHeartbeat(hb('a', 1)), now);
    now += 30_000;
    await ingest.ingest(serializeHeartbeat(hb('b', 1)), now);

    expect(collector.snapshot().map((r) => r.instanceId)).toEqual(['a', 'b']);
    expect(collector.health()).toEqual({ healthy: true, blindSinceMs: null, detail: null });
    now += 45_000;
    expect(collector.snapshot().map((r) => r.instanceId)).toEqual(['b']);
    expect(collector.snapshot()).not.toBe(collector.snapshot());
  });
});
