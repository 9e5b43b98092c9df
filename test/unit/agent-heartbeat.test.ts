import { loadAgentConfig } from '../../agent/config';
import { createHeartbeatBuilder } from '../../agent/heartbeat-builder';
import { identityFromConfig } from '../../agent/identity';
import { createStatsSampler } from '../../agent/stats';
import type { Clock } from '../../shared/clock';
import type { Heartbeat, ServingStatus } from '../../shared/heartbeat';
import { parseHeartbeat, serializeHeartbeat, validateHeartbeat } from '../../shared/heartbeat';

function fakeClock(start: number): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

function valid(hb: Heartbeat): Heartbeat {
  const result = validateHeartbeat(hb);
  if (!result.ok) throw new Error(`invalid heartbeat: ${result.reason} ${result.detail}`);
  return result.heartbeat;
}

const config = loadAgentConfig(
  {
    AGENT_ENABLED: 'true',
    AGENT_INSTANCE_ID: 'backend-6b7f9-x2k4q',
    AGENT_APP: 'shop',
    DEPLOYMENT_ID: 'dep-1',
    APP_VERSION: 'v1.4.0',
    AGENT_INTERVAL_MS: '1000',
    AGENT_TTL_MS: '3000',
    REDIS_URL: 'redis://127.0.0.1:1',
  },
  { hostname: 'unused' },
);

/** The builder of `config`'s identity, every 1 s with a 3 s TTL, reading `clock`. */
const builderOn = (clock: Clock) =>
  createHeartbeatBuilder({ identity: identityFromConfig(config), intervalMs: 1000, ttlMs: 3000, clock });

describe('heartbeat builder', () => {
  const sampler = createStatsSampler();

  it('builds heartbeats that pass validation, with and without a probe result', async () => {
    const clock = fakeClock(1_700_000_000_000);
    const builder = builderOn(clock);
    const withoutProbe = valid(builder.heartbeat(await sampler.sample(), null));
    expect(withoutProbe).toMatchObject({
      v: 1,
      type: 'heartbeat',
      app: 'shop',
      component: 'backend',
      instance_id: 'backend-6b7f9-x2k4q',
      deployment_id: 'dep-1',
      version: 'v1.4.0',
      region: null,
      interval_ms: 1000,
      ttl_ms: 3000,
      serving: null,
      started_at: 1_700_000_000_000,
      sent_at: 1_700_000_000_000,
    });

    clock.advance(1000);
    const serving: ServingStatus = {
      ok: false,
      status: 503,
      latency_ms: 3.2,
      error: 'unexpected status 503',
      checked_at: clock.now(),
    };
    const withProbe = valid(builder.heartbeat(await sampler.sample(), serving));
    expect(withProbe.serving).toEqual(serving);
    expect(withProbe.sent_at).toBe(1_700_000_001_000);
    expect(withProbe.started_at).toBe(1_700_000_000_000);
    // The wire form round-trips through the aggregator's parser.
    expect(parseHeartbeat(serializeHeartbeat(withProbe))).toEqual({ ok: true, heartbeat: withProbe });
  });

  it('numbers heartbeats and the goodbye in sequence under one boot id', async () => {
    const clock = fakeClock(5_000);
    const builder = builderOn(clock);
    const stats = await sampler.sample();
    const built = [
      builder.heartbeat(stats, null),
      builder.heartbeat(stats, null),
      builder.heartbeat(stats, null),
    ];
    expect(built.map((hb) => hb.seq)).toEqual([0, 1, 2]);
    expect(new Set(built.map((hb) => hb.boot_id))).toEqual(new Set([builder.bootId]));

    const goodbye = valid(builder.goodbye());
    expect(goodbye).toMatchObject({
      type: 'goodbye',
      seq: 3,
      boot_id: builder.bootId,
      stats: null,
      serving: null,
    });
    expect(goodbye.instance_id).toBe('backend-6b7f9-x2k4q');
  });

  it('draws a fresh boot id for every start', () => {
    const clock = fakeClock(0);
    const ids = new Set(Array.from({ length: 5 }, () => builderOn(clock).bootId));
    expect(ids.size).toBe(5);
  });
});

describe('stats sampler', () => {
  it('returns the heartbeat stats shape with plausible values', async () => {
    const sampler = createStatsSampler();
    // Burn a little CPU so two samples have something between them.
    const until = Date.now() + 20;
    while (Date.now() < until);
    const stats = await sampler.sample();
    expect(Object.keys(stats).sort()).toEqual(
      [
        'cpu_count',
        'cpu_usage',
        'load_avg',
        'mem_total_bytes',
        'mem_free_bytes',
        'rss_bytes',
        'heap_used_bytes',
        'disk_total_bytes',
        'disk_free_bytes',
        'host_uptime_s',
        'process_uptime_s',
        'platform',
        'node_version',
        'container',
      ].sort(),
    );
    expect(stats.cpu_count).toBeGreaterThanOrEqual(1);
    expect(stats.cpu_usage).toBeGreaterThanOrEqual(0);
    expect(stats.cpu_usage).toBeLessThanOrEqual(1);
    expect(stats.load_avg).toHaveLength(3);
    expect(stats.mem_total_bytes).toBeGreaterThan(stats.mem_free_bytes);
    expect(stats.rss_bytes).toBeGreaterThan(stats.heap_used_bytes);
    expect(stats.disk_total_bytes).toBeGreaterThan(0);
    expect(stats.disk_free_bytes).toBeLessThanOrEqual(stats.disk_total_bytes ?? 0);
    expect(stats.process_uptime_s).toBeGreaterThan(0);
    expect(stats.node_version).toBe(process.version);
    const second = await sampler.sample();
    expect(second.cpu_usage).toBeGreaterThanOrEqual(0);
    expect(second.cpu_usage).toBeLessThanOrEqual(1);
  });

  it('reports null disk sizes when statfs fails, and still validates', async () => {
    const sampler = createStatsSampler({ statfs: () => Promise.reject(new Error('ENOSYS')) });
    const stats = await sampler.sample();
    expect(stats.disk_total_bytes).toBeNull();
    expect(stats.disk_free_bytes).toBeNull();
    const builder = builderOn(fakeClock(1));
    expect(validateHeartbeat(builder.heartbeat(stats, null)).ok).toBe(true);
  });
});
