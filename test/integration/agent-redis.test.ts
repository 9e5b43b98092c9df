import type { RunningAgent } from '../../agent/app';
import { startAgent } from '../../agent/app';
import type { AgentConfig } from '../../agent/config';
import { agentSecrets, loadAgentConfig } from '../../agent/config';
import type { Heartbeat } from '../../shared/heartbeat';
import { parseHeartbeat } from '../../shared/heartbeat';
import type { Logger } from '../../shared/logger';
import { appKeys, FEED_FIELD } from '../../shared/redis-keys';
import { captureLogs } from '../support/logs';
import { useTestRedis } from '../support/redis-rig';
import { freePort } from '../support/redis-server';
import { sampleFor, waitFor } from '../support/wait';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const redis = useTestRedis();
/** A fake aggregator: records every heartbeat POSTed to it and accepts it. */
let receiver: WebhookReceiver;
const running: RunningAgent[] = [];

beforeAll(async () => {
  receiver = await startWebhookReceiver({
    answer: () => ({
      status: 202,
      headers: { 'content-type': 'application/json' },
      body: '{"accepted":true}',
    }),
  });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((agent) => agent.stop()));
});

afterAll(() => receiver.close());

function config(env: Record<string, string>): AgentConfig {
  return loadAgentConfig(
    {
      AGENT_ENABLED: 'true',
      REDIS_URL: redis.url,
      AGENT_INTERVAL_MS: '200',
      AGENT_TTL_MS: '1000',
      AGENT_PORT: '0',
      AGENT_HOST: '127.0.0.1',
      ...env,
    },
    { hostname: 'test-host' },
  );
}

async function start(cfg: AgentConfig, log?: Logger): Promise<RunningAgent> {
  const agent = await startAgent(cfg, log ? { log } : {});
  running.push(agent);
  return agent;
}

async function feed(app: string): Promise<Heartbeat[]> {
  const entries = await redis.client.xRange(appKeys(app).feed, '-', '+');
  return (entries ?? []).map((entry) => {
    const parsed = parseHeartbeat(String(entry.message[FEED_FIELD]));
    if (!parsed.ok) throw new Error(`feed entry does not parse: ${parsed.reason} ${parsed.detail}`);
    return parsed.heartbeat;
  });
}

function postedBy(instanceId: string): Heartbeat[] {
  return receiver.posts.flatMap((post) => {
    const parsed = parseHeartbeat(post.body);
    return parsed.ok && parsed.heartbeat.instance_id === instanceId ? [parsed.heartbeat] : [];
  });
}

async function getJson(port: number, path: string): Promise<{ status: number; body: unknown; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as unknown, text };
}

describe('agent with Redis', () => {
  it('writes the heartbeat key with a TTL, the seen index and parseable feed entries', async () => {
    const agent = await start(
      config({ AGENT_APP: 'write-app', AGENT_INSTANCE_ID: 'i-write', DEPLOYMENT_ID: 'dep-1' }),
    );
    const keys = appKeys('write-app');
    const entries = await waitFor(
      async () => {
        const all = await feed('write-app');
        return all.length >= 3 ? all : undefined;
      },
      { what: 'three heartbeats in the feed' },
    );

    const pttl = await redis.client.pTTL(keys.heartbeat('i-write'));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(1000);
    const stored = parseHeartbeat((await redis.client.get(keys.heartbeat('i-write'))) ?? '');
    expect(stored.ok && stored.heartbeat).toMatchObject({
      type: 'heartbeat',
      instance_id: 'i-write',
      deployment_id: 'dep-1',
      ttl_ms: 1000,
    });
    const seen = await redis.client.zScore(keys.seen, 'i-write');
    expect(seen).toBeGreaterThan(Date.now() - 60_000);

    expect(entries.every((hb) => hb.type === 'heartbeat' && hb.instance_id === 'i-write')).toBe(true);
    expect(new Set(entries.map((hb) => hb.boot_id)).size).toBe(1);
    const seqs = entries.map((hb) => hb.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs[0]).toBe(0);
    expect(entries[0]?.stats).not.toBeNull();

    const metrics = await fetch(`http://127.0.0.1:${agent.port}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/replica_watch_agent_heartbeats_sent_total\{transport="redis"\} [1-9]/);
    const live = await getJson(agent.port, '/livez');
    expect(live).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect((await getJson(agent.port, '/nope')).status).toBe(404);
    await agent.stop();
  });

  it('says goodbye on stop: key and index entry removed, goodbye in the feed, within 2 s', async () => {
    const agent = await start(config({ AGENT_APP: 'bye-app', AGENT_INSTANCE_ID: 'i-bye' }));
    const keys = appKeys('bye-app');
    await waitFor(async () => (await redis.client.exists(keys.heartbeat('i-bye'))) === 1, {
      what: 'the first heartbeat',
    });

    const started = Date.now();
    await Promise.all([agent.stop(), agent.stop()]);
    expect(Date.now() - started).toBeLessThan(2000);

    expect(await redis.client.exists(keys.heartbeat('i-bye'))).toBe(0);
    expect(await redis.client.zScore(keys.seen, 'i-bye')).toBeNull();
    const entries = await feed('bye-app');
    const last = entries[entries.length - 1];
    expect(last).toMatchObject({ type: 'goodbye', instance_id: 'i-bye', stats: null });
    expect(last?.seq).toBe(Math.max(...entries.map((hb) => hb.seq)));

    // Nothing arrives after the goodbye, for three intervals: the loop is really stopped.
    const length = await redis.client.xLen(keys.feed);
    const lengths = await sampleFor(600, () => redis.client.xLen(keys.feed));
    expect(new Set(lengths)).toEqual(new Set([length]));
    await expect(fetch(`http://127.0.0.1:${agent.port}/livez`)).rejects.toThrow();
  });

  it('carries the serving probe result in each heartbeat and in its metrics', async () => {
    let status = 200;
    const backend = await startWebhookReceiver({ answer: () => ({ status }) });
    const probeUrl = `${backend.baseUrl}/health`;
    try {
      const agent = await start(
        config({ AGENT_APP: 'probe-app', AGENT_INSTANCE_ID: 'i-probe', AGENT_PROBE_URL: probeUrl }),
      );
      const stored = (ok: boolean) =>
        waitFor(
          async () => {
            const parsed = parseHeartbeat(
              (await redis.client.get(appKeys('probe-app').heartbeat('i-probe'))) ?? '',
            );
            return parsed.ok && parsed.heartbeat.serving?.ok === ok ? parsed.heartbeat.serving : undefined;
          },
          { what: `a heartbeat with serving.ok=${ok}` },
        );
      expect(await stored(true)).toMatchObject({ ok: true, status: 200, error: null });
      status = 503;
      expect(await stored(false)).toMatchObject({ ok: false, status: 503 });
      const metrics = await fetch(`http://127.0.0.1:${agent.port}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/^replica_watch_agent_probe_up 0$/m);
      expect(metrics).toMatch(/^replica_watch_agent_probe_latency_seconds_count [1-9]/m);
      await agent.stop();
    } finally {
      await backend.close();
    }
  });

  it('stays idle when disabled: sends nothing, still answers /livez', async () => {
    const agent = await start(
      config({
        AGENT_ENABLED: 'false',
        AGENT_APP: 'idle-app',
        AGENT_INSTANCE_ID: 'i-idle',
        AGGREGATOR_URL: receiver.baseUrl,
      }),
    );
    const live = await getJson(agent.port, '/livez');
    expect(live).toMatchObject({ status: 200, body: { status: 'ok' } });
    const health = await getJson(agent.port, '/health/detailed');
    expect(health.body).toMatchObject({ enabled: false, heartbeats_sent: 0, transport: { active: null } });

    // Absence cannot be waited for: watch it for five intervals.
    const keys = appKeys('idle-app');
    const sent = await sampleFor(1000, async () => ({
      inRedis: await redis.client.exists([keys.heartbeat('i-idle'), keys.seen, keys.feed]),
      overHttp: postedBy('i-idle').length,
    }));
    expect(sent.filter((s) => s.inRedis !== 0 || s.overHttp !== 0)).toEqual([]);
    await agent.stop();
  });

  it('never shows a secret in /health/detailed or in its logs', async () => {
    const secrets = ['s3cretpassw0rd', 'httpPassw0rd1', 'tok3n-s3cret-value'];
    const env = {
      AGGREGATOR_URL: `http://agent:httpPassw0rd1@${receiver.baseUrl.slice('http://'.length)}`,
      AGGREGATOR_API_TOKEN: 'tok3n-s3cret-value',
    };
    // One agent whose Redis works (this server has no password, so any is accepted), one whose
    // Redis is unreachable, so that errors, failover logs and HTTP sends all get their chance to leak.
    const deadPort = await freePort();
    const cases = [
      { id: 'i-secret-up', redisUrl: `redis://:s3cretpassw0rd@127.0.0.1:${redis.port}`, active: 'redis' },
      { id: 'i-secret-down', redisUrl: `redis://:s3cretpassw0rd@127.0.0.1:${deadPort}`, active: 'http' },
    ];
    for (const { id, redisUrl, active } of cases) {
      const cfg = config({ ...env, AGENT_APP: 'secret-app', AGENT_INSTANCE_ID: id, REDIS_URL: redisUrl });
      const { log, text } = captureLogs({ service: 'agent', secrets: agentSecrets(cfg) });
      const agent = await start(cfg, log);
      const health = await waitFor(
        async () => {
          const answer = await getJson(agent.port, '/health/detailed');
          return (answer.body as { heartbeats_sent: number }).heartbeats_sent >= 2 ? answer : undefined;
        },
        { what: 'two heartbeats sent' },
      );
      expect(health.body).toMatchObject({
        enabled: true,
        identity: { app: 'secret-app', instance_id: id },
        transport: {
          active,
          redis: { configured: true, host: new URL(redisUrl).host },
          http: { configured: true, host: receiver.baseUrl.slice('http://'.length) },
        },
        last_stats: { node_version: process.version },
      });
      await agent.stop();
      for (const secret of secrets) {
        expect(health.text).not.toContain(secret);
        expect(text()).not.toContain(secret);
      }
      if (active === 'http') {
        // The failure was logged, without the password; the token went where it belongs.
        expect(text()).toContain('heartbeat transport failing over');
        const post = receiver.posts.find((p) => p.body.includes(`"${id}"`));
        expect(post?.headers.authorization).toBe('Bearer tok3n-s3cret-value');
      }
    }
  });

  it('fails over to HTTP while Redis is down and comes back to Redis after it restarts', async () => {
    const cfg = config({ AGENT_APP: 'fo-app', AGENT_INSTANCE_ID: 'i-fo', AGGREGATOR_URL: receiver.baseUrl });
    const { log, messages } = captureLogs({ service: 'agent', secrets: agentSecrets(cfg) });
    const agent = await start(cfg, log);
    const keys = appKeys('fo-app');
    await waitFor(async () => (await feed('fo-app')).length >= 2, { what: 'heartbeats in Redis' });
    expect(postedBy('i-fo')).toEqual([]);

    await redis.kill();
    const overHttp = await waitFor(
      async () => {
        const received = postedBy('i-fo');
        return received.length >= 3 ? received : undefined;
      },
      { what: 'heartbeats over HTTP' },
    );
    expect(overHttp.every((hb) => hb.type === 'heartbeat')).toBe(true);
    const health = await getJson(agent.port, '/health/detailed');
    expect(health.body).toMatchObject({ transport: { active: 'http' }, consecutive_failures: 0 });

    await redis.restart();
    // The restarted server is empty (no persistence): anything in it now was written after the outage.
    const lastHttpSeq = Math.max(...postedBy('i-fo').map((hb) => hb.seq));
    const back = await waitFor(
      async () => {
        const entries = await feed('fo-app');
        return entries.length >= 2 ? entries : undefined;
      },
      { what: 'heartbeats in Redis again', timeoutMs: 20_000 },
    );
    expect(back.every((hb) => hb.seq > lastHttpSeq)).toBe(true);
    expect(await redis.client.exists(keys.heartbeat('i-fo'))).toBe(1);
    // No HTTP heartbeat after Redis took over again.
    const posted = postedBy('i-fo').length;
    await waitFor(async () => (await feed('fo-app')).length >= back.length + 2, {
      what: 'two more heartbeats in Redis',
    });
    expect(postedBy('i-fo')).toHaveLength(posted);

    await agent.stop();
    expect(await redis.client.exists(keys.heartbeat('i-fo'))).toBe(0);
    const switches = messages().filter((m) => m.startsWith('heartbeat transport'));
    // Once when the outage starts, once when it ends — not on every heartbeat. (On a loaded
    // machine a slow Redis reply may start a further, genuine failover afterwards.)
    expect(switches.slice(0, 2)).toEqual([
      'heartbeat transport failing over',
      'heartbeat transport restored',
    ]);
    expect(switches.length).toBeLessThan(overHttp.length + back.length);
  }, 45_000);

  it('after failed sends, beats as soon as Redis is back instead of at its next interval', async () => {
    // Redis down from the start, and a long interval: only the reconnect can explain a heartbeat
    // soon after Redis returns.
    await redis.kill();
    const cfg = config({
      AGENT_APP: 'catch-up-app',
      AGENT_INSTANCE_ID: 'i-catch-up',
      AGENT_INTERVAL_MS: '20000',
      AGENT_TTL_MS: '60000',
    });
    const startedAtMs = Date.now();
    const agent = await start(cfg);
    await waitFor(async () => (await getJson(agent.port, '/health/detailed')).body, {
      until: (body) => (body as { consecutive_failures: number }).consecutive_failures > 0,
      what: 'the first send failed',
    });
    await redis.restart();
    const beats = await waitFor(() => feed('catch-up-app'), {
      until: (list) => list.length >= 1,
      what: 'a heartbeat right after Redis is back',
      timeoutMs: 10_000,
    });
    expect(beats.map((hb) => hb.instance_id)).toEqual(['i-catch-up']);
    // Well before the second tick of its schedule (20 s).
    expect(Date.now() - startedAtMs).toBeLessThan(10_000);
  }, 45_000);
});
