/**
 * The locked-down API: with AGGREGATOR_API_TOKEN every /api/* route wants the bearer token
 * (ingest may prove itself by its heartbeat's signature instead), /metrics is open unless
 * METRICS_TOKEN is set, ingest is rate-limited per client, every answer carries helmet's
 * headers, and bodies are capped. A real aggregator in-process, real agents sending to it.
 */
import { Registry } from 'prom-client';
import { startAgent } from '../../agent/app';
import type { RunningAgent } from '../../agent/app';
import { loadAgentConfig } from '../../agent/config';
import type { RunningAggregator } from '../../aggregator/app';
import { startAggregator } from '../../aggregator/app';
import { aggregatorSecrets, loadAggregatorConfig } from '../../aggregator/config';
import { ConfigError } from '../../shared/config';
import type { Heartbeat } from '../../shared/heartbeat';
import { serializeHeartbeat } from '../../shared/heartbeat';
import { signHeartbeat } from '../../shared/signature';
import { makeHeartbeat } from '../support/heartbeats';
import { waitFor } from '../support/wait';

const APP = 'secure-app';
const API_TOKEN = 'api-token-0123456789abcdef';
const METRICS_TOKEN = 'metrics-token-0123456789';
const SECRET = 'heartbeat-secret-0123456789';

const started: { stop(): Promise<void> }[] = [];

afterAll(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

async function aggregator(env: Record<string, string>): Promise<RunningAggregator & { registry: Registry }> {
  const registry = new Registry();
  const running = await startAggregator(
    loadAggregatorConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      AGGREGATOR_APP: APP,
      DESIRED_REPLICAS: '1',
      RECONCILE_INTERVAL_MS: '100',
      ...env,
    }),
    { metricsRegistry: registry },
  );
  started.push(running);
  return Object.assign(running, { registry });
}

function hb(instance: string, overrides: Partial<Heartbeat> = {}): Heartbeat {
  const now = Date.now();
  return makeHeartbeat({
    app: APP,
    instance_id: instance,
    sent_at: now,
    started_at: now - 1_000,
    ...overrides,
  });
}

async function call(
  url: string,
  init: { method?: string; token?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; json: unknown; text: string }> {
  const controller = new AbortController();
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
    body: init.body,
    signal: controller.signal,
  });
  // An event stream never ends: its headers are all this test wants from it.
  if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
    controller.abort();
    return { status: res.status, headers: res.headers, json: null, text: '' };
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON (metrics, the dashboard).
  }
  return { status: res.status, headers: res.headers, json, text };
}

async function rejectedCount(registry: Registry, reason: string): Promise<number> {
  const metric = await registry.getSingleMetric('replica_watch_heartbeats_rejected_total')?.get();
  return metric?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

const API_ROUTES: readonly [string, string][] = [
  ['GET', '/api/v1/monitoring/replicas'],
  ['GET', '/api/v1/monitoring/replicas?instances=false'],
  ['GET', '/api/v1/health/instances'],
  ['GET', '/api/v1/history'],
  ['GET', '/api/v1/audit'],
  ['GET', '/api/v1/events'],
  ['POST', '/api/v1/heartbeats'],
  ['GET', '/api/v1/no-such-route'],
];

describe('with AGGREGATOR_API_TOKEN, HEARTBEAT_SECRET and METRICS_TOKEN', () => {
  let agg: RunningAggregator & { registry: Registry };

  beforeAll(async () => {
    agg = await aggregator({
      AGGREGATOR_API_TOKEN: API_TOKEN,
      HEARTBEAT_SECRET: SECRET,
      METRICS_TOKEN: METRICS_TOKEN,
    });
  });

  test.each(API_ROUTES)(
    '%s %s: 401 with a JSON error and a Bearer challenge without the token',
    async (method, path) => {
      const body = method === 'POST' ? serializeHeartbeat(hb('unsigned-1')) : undefined;
      const missing = await call(agg.url + path, { method, body });
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="replica-watch"');
      expect(missing.json).toEqual({
        error: 'unauthorized',
        detail: expect.stringContaining('AGGREGATOR_API_TOKEN'),
      });

      const wrong = await call(agg.url + path, { method, body, token: `${API_TOKEN}x` });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toBe(
        'Bearer realm="replica-watch", error="invalid_token"',
      );
      expect(wrong.text).not.toContain(API_TOKEN);
    },
  );

  test.each(API_ROUTES)('%s %s: served with the token', async (method, path) => {
    const body = method === 'POST' ? serializeHeartbeat(signHeartbeat(hb('with-token'), SECRET)) : undefined;
    const res = await call(agg.url + path, { method, body, token: API_TOKEN });
    const expected = path.includes('no-such-route') ? 404 : method === 'POST' ? 202 : 200;
    expect(res.status).toBe(expected);
  });

  test('a Basic or malformed Authorization header is no token', async () => {
    for (const authorization of [
      'Basic dXNlcjpwYXNz',
      'Bearer',
      `Bearer  ${API_TOKEN} extra`,
      `bearer${API_TOKEN}`,
    ]) {
      const res = await call(`${agg.url}/api/v1/monitoring/replicas`, { headers: { authorization } });
      expect(res.status).toBe(401);
    }
  });

  test('/livez and /readyz stay open; /metrics wants METRICS_TOKEN (not the API token)', async () => {
    expect((await call(`${agg.url}/livez`)).status).toBe(200);
    await waitFor(() => call(`${agg.url}/readyz`), { until: (r) => r.status === 200 });
    const open = await call(`${agg.url}/metrics`);
    expect(open.status).toBe(401);
    expect(open.headers.get('www-authenticate')).toContain('Bearer');
    expect(open.json).toEqual({ error: 'unauthorized', detail: expect.stringContaining('METRICS_TOKEN') });
    expect((await call(`${agg.url}/metrics`, { token: API_TOKEN })).status).toBe(401);
    const scraped = await call(`${agg.url}/metrics`, { token: METRICS_TOKEN });
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain('replica_watch_heartbeats_rejected_total');
  });

  test('ingest without the token: a valid signature is enough; anything else is 401, counted', async () => {
    const ingest = `${agg.url}/api/v1/heartbeats`;
    const signed = await call(ingest, {
      method: 'POST',
      body: serializeHeartbeat(signHeartbeat(hb('signed-1'), SECRET)),
    });
    expect(signed.status).toBe(202);

    const before = await rejectedCount(agg.registry, 'bad_signature');
    const forged = await call(ingest, {
      method: 'POST',
      body: serializeHeartbeat(signHeartbeat(hb('forged-1'), 'not-the-secret-123')),
    });
    expect(forged.status).toBe(401);
    const unsigned = await call(ingest, { method: 'POST', body: serializeHeartbeat(hb('unsigned-2')) });
    expect(unsigned.status).toBe(401);
    expect(await rejectedCount(agg.registry, 'bad_signature')).toBe(before + 2);

    // Signed, so authentic, but too old: the reason is worth telling.
    const old = Date.now() - 120_000;
    const replayed = await call(ingest, {
      method: 'POST',
      body: serializeHeartbeat(
        signHeartbeat(hb('replayed-1', { sent_at: old, started_at: old - 1 }), SECRET),
      ),
    });
    expect(replayed.status).toBe(400);
    expect(replayed.json).toMatchObject({ reason: 'replayed' });

    // With the token, a bad signature is still refused, as a bad request.
    const tokenButUnsigned = await call(ingest, {
      method: 'POST',
      token: API_TOKEN,
      body: serializeHeartbeat(hb('unsigned-3')),
    });
    expect(tokenButUnsigned.status).toBe(400);
    expect(tokenButUnsigned.json).toMatchObject({ reason: 'bad_signature' });

    agg.reconcileNow();
    const listed = (await call(`${agg.url}/api/v1/health/instances`, { token: API_TOKEN })).json as {
      instances: { instance_id: string }[];
    };
    const ids = listed.instances.map((i) => i.instance_id);
    expect(ids).toContain('signed-1');
    expect(ids.filter((id) => /unsigned|forged|replayed/.test(id))).toEqual([]);
  });

  test('agents get through: one with the token, one with only the secret', async () => {
    const agents: RunningAgent[] = [];
    for (const [id, env] of [
      ['agent-token', { AGGREGATOR_API_TOKEN: API_TOKEN, HEARTBEAT_SECRET: SECRET }],
      ['agent-secret-only', { HEARTBEAT_SECRET: SECRET }],
    ] as const) {
      const config = loadAgentConfig(
        {
          AGENT_ENABLED: 'true',
          AGENT_INSTANCE_ID: id,
          AGENT_APP: APP,
          AGENT_PORT: '0',
          AGENT_HOST: '127.0.0.1',
          AGENT_INTERVAL_MS: '200',
          AGENT_TTL_MS: '1000',
          AGGREGATOR_URL: agg.url,
          ...env,
        },
        { hostname: 'unused' },
      );
      agents.push(await startAgent(config));
    }
    try {
      await waitFor(
        async () => {
          agg.reconcileNow();
          const res = await call(`${agg.url}/api/v1/health/instances`, { token: API_TOKEN });
          return (res.json as { instances: { instance_id: string; state: string }[] }).instances;
        },
        {
          until: (list) =>
            ['agent-token', 'agent-secret-only'].every((id) =>
              list.some((i) => i.instance_id === id && i.state === 'live'),
            ),
        },
      );
    } finally {
      await Promise.all(agents.map((a) => a.stop()));
    }
    expect(agents).toHaveLength(2);
  });

  test('helmet headers everywhere; the CSP names no other origin', async () => {
    for (const path of ['/api/v1/monitoring/replicas', '/livez', '/', '/nope']) {
      const res = await call(agg.url + path, { token: API_TOKEN });
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(res.headers.get('x-frame-options')).toMatch(/^(DENY|SAMEORIGIN)$/);
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-powered-by')).toBeNull();
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/default-src '(self|none)'/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      // Only keywords and data: for images: no host, no scheme source other than data:.
      expect(csp.match(/https?:|\*|\/\//g)).toBeNull();
    }
  });

  test('a body declared larger than a route takes is refused unread with 413', async () => {
    const res = await call(`${agg.url}/api/v1/monitoring/replicas`, {
      method: 'POST',
      token: API_TOKEN,
      headers: { 'content-length': String(64 * 1024) },
      body: 'x'.repeat(64 * 1024),
    });
    expect(res.status).toBe(413);
    expect(res.json).toEqual({ error: 'request body too large', detail: expect.any(String) });
  });
});

describe('without METRICS_TOKEN; with a rate limit', () => {
  test('/metrics stays open while /api/* wants the API token', async () => {
    const agg = await aggregator({ AGGREGATOR_API_TOKEN: API_TOKEN });
    expect((await call(`${agg.url}/metrics`)).status).toBe(200);
    expect((await call(`${agg.url}/api/v1/monitoring/replicas`)).status).toBe(401);
    // Without HEARTBEAT_SECRET there is no signature to fall back on.
    const body = serializeHeartbeat(signHeartbeat(hb('x'), SECRET));
    expect((await call(`${agg.url}/api/v1/heartbeats`, { method: 'POST', body })).status).toBe(401);
  });

  test('ingest beyond INGEST_RATE_LIMIT_PER_S from one address gets 429 with a JSON error; other routes do not count', async () => {
    const agg = await aggregator({ INGEST_RATE_LIMIT_PER_S: '5' });
    const send = (i: number) =>
      call(`${agg.url}/api/v1/heartbeats`, { method: 'POST', body: serializeHeartbeat(hb(`burst-${i}`)) });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => send(i)));
    const limited = results.filter((r) => r.status === 429);
    const accepted = results.filter((r) => r.status === 202);
    // A window boundary may fall inside the burst: at most two windows' worth get through.
    expect(accepted.length).toBeGreaterThanOrEqual(5);
    expect(accepted.length).toBeLessThanOrEqual(10);
    expect(limited.length).toBe(30 - accepted.length);
    expect(limited[0]?.json).toEqual({
      error: 'too many requests',
      detail: expect.stringContaining('INGEST_RATE_LIMIT_PER_S'),
    });
    expect(limited[0]?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited[0]?.headers.get('ratelimit-policy')).toContain('5');
    // Reads are not rate-limited.
    const reads = await Promise.all(
      Array.from({ length: 20 }, () => call(`${agg.url}/api/v1/monitoring/replicas`)),
    );
    expect(reads.every((r) => r.status === 200)).toBe(true);
    // The window passes: ingest works again.
    await waitFor(() => send(100), { until: (r) => r.status === 202, timeoutMs: 5_000, everyMs: 200 });
  });
});

describe('configuration', () => {
  test('the new variables are validated, secrets are never echoed, and all of them are redacted', () => {
    let problems: readonly string[] = [];
    try {
      loadAggregatorConfig({
        AGGREGATOR_API_TOKEN: 'short',
        HEARTBEAT_SECRET: 'tiny',
        METRICS_TOKEN: 'small',
        INGEST_RATE_LIMIT_PER_S: '-1',
      });
    } catch (err) {
      if (err instanceof ConfigError) problems = err.problems;
    }
    expect(problems.map((p) => p.split(/[=:]/)[0]).sort()).toEqual(
      ['AGGREGATOR_API_TOKEN', 'HEARTBEAT_SECRET', 'INGEST_RATE_LIMIT_PER_S', 'METRICS_TOKEN'].sort(),
    );
    expect(problems.join('\n')).not.toMatch(/short|tiny|small/);

    const config = loadAggregatorConfig({
      AGGREGATOR_API_TOKEN: API_TOKEN,
      HEARTBEAT_SECRET: SECRET,
      METRICS_TOKEN: METRICS_TOKEN,
      REDIS_URL: 'rediss://default:p%40ss-word-1@redis.example:6380',
    });
    expect(config).toMatchObject({
      apiToken: API_TOKEN,
      heartbeatSecret: SECRET,
      metricsToken: METRICS_TOKEN,
      ingestRateLimitPerS: 100,
    });
    expect(aggregatorSecrets(config)).toEqual(
      expect.arrayContaining([API_TOKEN, SECRET, METRICS_TOKEN, 'p%40ss-word-1', 'p@ss-word-1']),
    );
    expect(loadAggregatorConfig({ INGEST_RATE_LIMIT_PER_S: '0' }).ingestRateLimitPerS).toBe(0);
  });
});
