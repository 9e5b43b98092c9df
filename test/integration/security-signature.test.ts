/**
 * Heartbeat signatures end to end: the canonical form and HMAC of shared/signature.ts, the agent
 * signing what it sends, and both aggregator paths (HTTP ingest; Redis feed and resync) refusing
 * forged, altered and replayed heartbeats, each counted by reason.
 */
import { createHmac } from 'node:crypto';
import { Registry } from 'prom-client';
import { loadAgentConfig } from '../../agent/config';
import { createHeartbeatBuilder } from '../../agent/heartbeat-builder';
import { identityFromConfig } from '../../agent/identity';
import { startAgent } from '../../agent/app';
import { startAggregator } from '../../aggregator/app';
import { InstanceRegistry } from '../../aggregator/collector/registry';
import { loadAggregatorConfig } from '../../aggregator/config';
import type { Clock } from '../../shared/clock';
import { systemClock } from '../../shared/clock';
import type { Heartbeat, RejectReason } from '../../shared/heartbeat';
import { serializeHeartbeat, validateHeartbeat } from '../../shared/heartbeat';
import { appKeys, FEED_FIELD } from '../../shared/redis-keys';
import { recordHeartbeat } from '../../shared/redis-scripts';
import {
  canonicalHeartbeatContent,
  SIGNATURE_HEX_LENGTH,
  signatureOf,
  signHeartbeat,
  verifyHeartbeatSignature,
} from '../../shared/signature';
import { makeHeartbeat, SAMPLE_STATS } from '../support/heartbeats';
import { embeddedIngest } from '../support/http-deps';
import { testRedisCollector } from '../support/redis-collector';
import { useTestRedis } from '../support/redis-rig';
import { waitFor } from '../support/wait';
import { captureLogs } from '../support/logs';

const APP = 'test-app';
const SECRET = 'heartbeat-secret-0123456789';
const OTHER_SECRET = 'another-secret-9876543210';
const keys = appKeys(APP);

/** A fresh heartbeat of APP sent now (unless overridden). */
function hb(instance: string, seq: number, overrides: Partial<Heartbeat> = {}): Heartbeat {
  const now = Date.now();
  return makeHeartbeat({
    app: APP,
    instance_id: instance,
    seq,
    sent_at: now,
    started_at: now - 60_000,
    ...overrides,
  });
}

describe('canonical content and signature', () => {
  it('sorts keys at every level, leaves out the top-level sig and undefined values, writes no whitespace', () => {
    const value = { b: 1, a: { d: [3, { z: true, y: null }], c: 'x' }, sig: 'ignored', u: undefined };
    expect(canonicalHeartbeatContent(value)).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
    // Only the top-level sig is the signature: a nested one is content.
    expect(canonicalHeartbeatContent({ n: { sig: 1 } })).toBe('{"n":{"sig":1}}');
  });

  it('is the documented HMAC-SHA256 in lowercase hex, whatever the key order', () => {
    const heartbeat = hb('a', 1);
    const reordered = Object.fromEntries(Object.entries(heartbeat).reverse());
    const expected = createHmac('sha256', SECRET).update(canonicalHeartbeatContent(heartbeat)).digest('hex');
    expect(signatureOf(heartbeat, SECRET)).toBe(expected);
    expect(signatureOf(reordered, SECRET)).toBe(expected);
    expect(expected).toMatch(new RegExp(`^[0-9a-f]{${SIGNATURE_HEX_LENGTH}}$`));
    // A signed heartbeat is still a valid heartbeat (sig fits the schema).
    expect(validateHeartbeat(signHeartbeat(heartbeat, SECRET)).ok).toBe(true);
  });

  it('verifies what was signed, after the trip through JSON, unknown fields included', () => {
    const signed = signHeartbeat({ ...hb('a', 1), future_field: { nested: [1, 2] } }, SECRET);
    const received = JSON.parse(JSON.stringify(signed)) as object;
    expect(verifyHeartbeatSignature(received, SECRET)).toEqual({ ok: true });
  });

  it.each<[string, (signed: Record<string, unknown>) => Record<string, unknown>]>([
    ['an altered field', (s) => ({ ...s, seq: 999 })],
    ['an altered timestamp', (s) => ({ ...s, sent_at: (s.sent_at as number) + 1 })],
    ['an added field', (s) => ({ ...s, extra: 1 })],
    ['a removed field', ({ region: _region, ...rest }) => rest],
    ['no sig', ({ sig: _sig, ...rest }) => rest],
    ['a sig that is not hex', (s) => ({ ...s, sig: 'z'.repeat(SIGNATURE_HEX_LENGTH) })],
    ['a short sig', (s) => ({ ...s, sig: (s.sig as string).slice(2) })],
    ['a sig of another type', (s) => ({ ...s, sig: 42 })],
  ])('refuses %s', (_name, tamper) => {
    const signed = signHeartbeat(hb('a', 1), SECRET) as unknown as Record<string, unknown>;
    const check = verifyHeartbeatSignature(tamper(signed), SECRET);
    expect(check.ok).toBe(false);
    // The expected signature is never given away.
    expect(JSON.stringify(check)).not.toContain(signatureOf(tamper(signed), SECRET));
  });

  it('refuses a heartbeat signed with another key', () => {
    const forged = signHeartbeat(hb('a', 1), OTHER_SECRET);
    expect(verifyHeartbeatSignature(forged, SECRET)).toEqual({
      ok: false,
      detail: expect.stringMatching(/another/),
    });
  });

  it('the agent signs every heartbeat and its goodbye when it has the secret, and none without', () => {
    const config = loadAgentConfig(
      {
        AGENT_ENABLED: 'true',
        AGENT_INSTANCE_ID: 'backend-1',
        AGENT_APP: APP,
        REDIS_URL: 'redis://127.0.0.1:1',
        HEARTBEAT_SECRET: SECRET,
      },
      { hostname: 'unused' },
    );
    expect(config.heartbeatSecret).toBe(SECRET);
    const builder = createHeartbeatBuilder({
      identity: identityFromConfig(config),
      intervalMs: 1_000,
      ttlMs: 3_000,
      clock: systemClock,
      secret: config.heartbeatSecret,
    });
    for (const sent of [builder.heartbeat(SAMPLE_STATS, null), builder.goodbye()]) {
      const wire = JSON.parse(serializeHeartbeat(sent)) as object;
      expect(verifyHeartbeatSignature(wire, SECRET)).toEqual({ ok: true });
    }
    const unsigned = createHeartbeatBuilder({
      identity: identityFromConfig(config),
      intervalMs: 1_000,
      ttlMs: 3_000,
      clock: systemClock,
    });
    expect(unsigned.heartbeat(SAMPLE_STATS, null).sig).toBeUndefined();
  });
});

describe('HTTP ingest with HEARTBEAT_SECRET', () => {
  function makeIngest(secret: string | null = SECRET) {
    const registry = new InstanceRegistry();
    const rejected: RejectReason[] = [];
    const ingest = embeddedIngest(APP, {
      registry,
      heartbeatSecret: secret,
      onRejected: (reason) => rejected.push(reason),
    });
    return { ingest, registry, rejected };
  }

  it('admits a signed heartbeat; a re-delivery within the TTL is a duplicate that changes nothing', async () => {
    const { ingest, registry, rejected } = makeIngest();
    const body = serializeHeartbeat(signHeartbeat(hb('a', 1), SECRET));
    const now = Date.now();
    expect(await ingest.ingest(body, now)).toEqual({ ok: true, outcome: 'new' });
    expect(await ingest.ingest(body, now + 5_000)).toEqual({ ok: true, outcome: 'duplicate' });
    expect(registry.get('a')?.lastSeenMs).toBe(now);
    expect(rejected).toEqual([]);
    await ingest.close();
  });

  it.each<[string, () => Heartbeat, number, RejectReason]>([
    ['unsigned', () => hb('a', 1), 0, 'bad_signature'],
    ['signed with another key (forged)', () => signHeartbeat(hb('a', 1), OTHER_SECRET), 0, 'bad_signature'],
    [
      'altered after signing',
      () => ({ ...signHeartbeat(hb('a', 1), SECRET), deployment_id: 'dep-evil' }),
      0,
      'bad_signature',
    ],
    ['replayed after its TTL', () => signHeartbeat(hb('a', 1), SECRET), 30_001, 'replayed'],
  ])('refuses a heartbeat %s and counts it', async (_name, make, delayMs, reason) => {
    const { ingest, registry, rejected } = makeIngest();
    const heartbeat = make();
    const result = await ingest.ingest(serializeHeartbeat(heartbeat), heartbeat.sent_at + delayMs);
    expect(result).toEqual({ ok: false, reason, detail: expect.any(String) });
    expect(rejected).toEqual([reason]);
    expect(registry.size).toBe(0);
    await ingest.close();
  });

  it('admits an agent whose clock is 60 s behind from its second heartbeat, and refuses a copy replayed later', async () => {
    const { ingest, registry, rejected } = makeIngest();
    const now = Date.now();
    const behind = (seq: number, at: number) =>
      serializeHeartbeat(
        signHeartbeat(hb('skewed', seq, { sent_at: at - 60_000, started_at: now - 3_600_000 }), SECRET),
      );
    expect(await ingest.ingest(behind(1, now), now)).toMatchObject({ ok: false, reason: 'replayed' });
    expect(await ingest.ingest(behind(2, now + 10_000), now + 10_000)).toEqual({ ok: true, outcome: 'new' });
    expect(await ingest.ingest(behind(3, now + 20_000), now + 20_000)).toEqual({
      ok: true,
      outcome: 'updated',
    });
    expect(registry.get('skewed')).toMatchObject({ lastSeenMs: now + 20_000, clockOffsetMs: -60_000 });
    // Seq 4, captured and held back for two minutes: later than this boot's clock allows.
    expect(await ingest.ingest(behind(4, now + 30_000), now + 150_000)).toMatchObject({
      ok: false,
      reason: 'replayed',
      detail: expect.stringMatching(/held-back copy/),
    });
    // An old seq again is the registry's duplicate: it changes nothing.
    expect(await ingest.ingest(behind(2, now + 10_000), now + 160_000)).toEqual({
      ok: true,
      outcome: 'duplicate',
    });
    expect(registry.get('skewed')?.lastSeenMs).toBe(now + 20_000);
    expect(rejected).toEqual(['replayed', 'replayed']);
    await ingest.close();
  });

  it('without a secret nothing is verified (the unauthenticated mode)', async () => {
    const { ingest, rejected } = makeIngest(null);
    const old = hb('a', 1, { sent_at: 1_000, started_at: 0 });
    expect(await ingest.ingest(serializeHeartbeat(old), Date.now())).toEqual({ ok: true, outcome: 'new' });
    expect(rejected).toEqual([]);
    await ingest.close();
  });
});

describe('Redis feed and resync with HEARTBEAT_SECRET', () => {
  const redis = useTestRedis({ flush: true });

  function collector(clock: Clock = systemClock) {
    const registry = new InstanceRegistry();
    const rejected: RejectReason[] = [];
    const instance = testRedisCollector(redis.url, APP, {
      registry,
      clock,
      blockMs: 100,
      heartbeatSecret: SECRET,
      onRejected: (reason) => rejected.push(reason),
    });
    return { collector: instance, registry, rejected };
  }

  it('applies signed heartbeats from the feed and refuses forged, altered, unsigned and replayed ones', async () => {
    const { collector: c, registry, rejected } = collector();
    await c.start();
    const write = (heartbeat: Heartbeat) =>
      recordHeartbeat(redis.client, heartbeat, serializeHeartbeat(heartbeat));
    await write(signHeartbeat(hb('good', 1), SECRET));
    await write(signHeartbeat(hb('forged', 1), OTHER_SECRET));
    await write({ ...signHeartbeat(hb('altered', 1), SECRET), component: 'worker' });
    await write(hb('unsigned', 1));
    // Genuine, but sent long ago: a captured heartbeat written back into Redis now.
    const longAgo = Date.now() - 10 * 30_000;
    await write(signHeartbeat(hb('replayed', 1, { sent_at: longAgo, started_at: longAgo - 1 }), SECRET));
    // Straight into the stream, bypassing the script: a stranger with write access.
    await redis.client.xAdd(keys.feed, '*', {
      [FEED_FIELD]: serializeHeartbeat(signHeartbeat(hb('other', 1), OTHER_SECRET)),
    });

    await waitFor(() => c.stats().feedEntries >= 6, { what: 'every entry processed' });
    expect(registry.snapshot().map((r) => r.instanceId)).toEqual(['good']);
    expect([...rejected].sort()).toEqual(
      ['bad_signature', 'bad_signature', 'bad_signature', 'bad_signature', 'replayed'].sort(),
    );
    await c.close();
  });

  it('a resync judges age by when the index says the heartbeat was recorded, not by now', async () => {
    const signed = signHeartbeat(hb('current', 1), SECRET);
    await recordHeartbeat(redis.client, signed, serializeHeartbeat(signed));
    // A heartbeat key rewritten by hand with an old (genuine) heartbeat and a fresh index score.
    const longAgo = Date.now() - 10 * 30_000;
    const stale = signHeartbeat(hb('resurrected', 1, { sent_at: longAgo, started_at: longAgo - 1 }), SECRET);
    await redis.client.set(keys.heartbeat('resurrected'), serializeHeartbeat(stale), { PX: 30_000 });
    await redis.client.zAdd(keys.seen, { score: Date.now(), value: 'resurrected' });

    // This aggregator's clock runs two TTLs ahead: judged against now, even the current
    // heartbeat would look replayed; judged against its index score it is in time.
    const ahead: Clock = { now: () => Date.now() + 60_000, sleep: systemClock.sleep };
    const { collector: c, registry, rejected } = collector(ahead);
    await c.start();
    await waitFor(() => c.stats().resyncs >= 1, { what: 'the first resync' });
    expect(registry.snapshot().map((r) => r.instanceId)).toEqual(['current']);
    expect(rejected).toEqual(['replayed']);
    await c.close();
  });
});

describe('the warning without a secret', () => {
  const warning = /HEARTBEAT_SECRET is not set: heartbeats are unauthenticated/;

  it('the aggregator warns at start without HEARTBEAT_SECRET, and not with it', async () => {
    for (const secret of [undefined, SECRET]) {
      const { log, lines } = captureLogs();
      const config = loadAggregatorConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        AGGREGATOR_APP: APP,
        ...(secret ? { HEARTBEAT_SECRET: secret } : {}),
      });
      const aggregator = await startAggregator(config, { log, metricsRegistry: new Registry() });
      await aggregator.stop();
      const warned = lines.some((l) => l.level === 'warn' && warning.test(String(l.message)));
      expect(warned).toBe(secret === undefined);
      expect(JSON.stringify(lines)).not.toContain(SECRET);
    }
  });

  it('the agent warns at start without HEARTBEAT_SECRET, and not with it', async () => {
    for (const secret of [undefined, SECRET]) {
      const { log, lines } = captureLogs();
      const config = loadAgentConfig(
        {
          AGENT_ENABLED: 'true',
          AGENT_INSTANCE_ID: 'backend-1',
          AGENT_APP: APP,
          AGENT_PORT: '0',
          AGENT_HOST: '127.0.0.1',
          // Nowhere: the sends fail, which does not matter here.
          AGGREGATOR_URL: 'http://127.0.0.1:1',
          ...(secret ? { HEARTBEAT_SECRET: secret } : {}),
        },
        { hostname: 'unused' },
      );
      const agent = await startAgent(config, { log });
      await agent.stop();
      const warned = lines.some((l) => l.level === 'warn' && warning.test(String(l.message)));
      expect(warned).toBe(secret === undefined);
      expect(JSON.stringify(lines)).not.toContain(SECRET);
    }
  });
});
