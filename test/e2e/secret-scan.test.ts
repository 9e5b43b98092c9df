/**
 * No secret ever leaves a process. A full scenario with every secret set — DO_API_TOKEN (the
 * aggregator reads a simulated App Platform as PLATFORM=digitalocean), AGGREGATOR_API_TOKEN,
 * HEARTBEAT_SECRET, METRICS_TOKEN, ALERT_WEBHOOK_SECRET, a Redis password in REDIS_URL — and
 * things going wrong on purpose so that errors get logged: the platform answering 500s, an
 * agent with the wrong Redis password and the wrong heartbeat secret, requests without or with
 * the wrong token, junk, oversized and too many heartbeats. Then every log line of every
 * process, every report, every error body, the agents' /health/detailed, both /metrics, the
 * audit trail, the history, the dashboard, the CLI's output and the alerts sent are searched for
 * every secret value.
 */
import { runCli } from '../../aggregator/cli/main';
import type { SimulatedPlatform } from '../../aggregator/platform/simulated';
import { startSimulatedPlatform } from '../../aggregator/platform/simulated';
import type { Report } from '../../aggregator/reconcile/report';
import { serializeHeartbeat } from '../../shared/heartbeat';
import { signHeartbeat } from '../../shared/signature';
import { AgentFleet, startAggregatorProcess } from '../chaos/harness';
import type { AggregatorProcess } from '../chaos/harness';
import { makeHeartbeat } from '../support/heartbeats';
import { freePort, launchRedisServer, type TestRedis } from '../support/redis-server';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { waitFor } from '../support/wait';

const SECRETS = {
  DO_API_TOKEN: 'dop_v1_scan0f3e8d9c7b6a5f4e3d2c1b0a9f8e7d6',
  AGGREGATOR_API_TOKEN: 'api-scan-token-5d4c3b2a1f0e',
  HEARTBEAT_SECRET: 'hb-scan-secret-9a8b7c6d5e4f',
  METRICS_TOKEN: 'metrics-scan-token-1a2b3c4d',
  ALERT_WEBHOOK_SECRET: 'webhook-scan-secret-7e6d5c4b',
  REDIS_PASSWORD: 'redis-scan-password-3c2b1a0f',
  // A misconfigured agent's own values: wrong, but secrets all the same.
  WRONG_REDIS_PASSWORD: 'redis-wrong-password-8f7e6d5c',
  WRONG_HEARTBEAT_SECRET: 'hb-wrong-secret-2b3c4d5e6f',
} as const;

/** Everything read during the scenario, by where it came from. */
const seen: { source: string; text: string }[] = [];

function keep(source: string, text: string): string {
  seen.push({ source, text });
  return text;
}

async function fetchText(
  source: string,
  url: string,
  init: { method?: string; token?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string }> {
  const controller = new AbortController();
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...init.headers },
    body: init.body,
    signal: controller.signal,
  });
  let text: string;
  if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
    // The first event (the report) is enough from a stream that never ends.
    const reader = res.body?.getReader();
    const first = reader ? await reader.read() : { value: undefined };
    text = Buffer.from(first.value ?? new Uint8Array()).toString();
    controller.abort();
  } else {
    text = await res.text();
  }
  const headers = [...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n');
  keep(`${source} (${res.status})`, `${headers}\n\n${text}`);
  return { status: res.status, text };
}

let redis: TestRedis;
let platform: SimulatedPlatform;
let aggregator: AggregatorProcess;
const fleet = new AgentFleet({});
let webhook: WebhookReceiver;
/** Each alert as it went over the wire: headers and body. */
const alertBodies = () => webhook.posts.map((post) => `${JSON.stringify(post.headers)}\n${post.body}`);

beforeAll(async () => {
  redis = await launchRedisServer({ password: SECRETS.REDIS_PASSWORD });
  platform = await startSimulatedPlatform({ scenario: 'steady', fault: null });
  webhook = await startWebhookReceiver();
}, 60_000);

afterAll(async () => {
  await fleet.killAll();
  await aggregator?.process.signal('SIGKILL');
  await webhook?.close();
  await platform?.close();
  await redis?.stop();
});

test('no secret in any log line, report, error body, health detail, metric, audit entry or alert', async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const redisUrl = `redis://default:${SECRETS.REDIS_PASSWORD}@127.0.0.1:${redis.port}`;
  const agentEnv = {
    AGENT_APP: platform.appId,
    AGENT_INTERVAL_MS: '500',
    AGENT_TTL_MS: '3000',
    AGGREGATOR_URL: base,
    LOG_LEVEL: 'debug',
  };
  aggregator = await startAggregatorProcess({
    PORT: String(port),
    REDIS_URL: redisUrl,
    PLATFORM: 'digitalocean',
    DO_API_BASE_URL: platform.url,
    DO_API_TOKEN: SECRETS.DO_API_TOKEN,
    DO_APP_ID: platform.appId,
    PLATFORM_CACHE_TTL_MS: '1000',
    AGGREGATOR_API_TOKEN: SECRETS.AGGREGATOR_API_TOKEN,
    HEARTBEAT_SECRET: SECRETS.HEARTBEAT_SECRET,
    METRICS_TOKEN: SECRETS.METRICS_TOKEN,
    ALERT_WEBHOOK_URL: webhook.url,
    ALERT_WEBHOOK_SECRET: SECRETS.ALERT_WEBHOOK_SECRET,
    ALERT_CONFIRMATIONS: '2',
    ALERT_FOR_MS: '0',
    RECONCILE_INTERVAL_MS: '500',
    INGEST_RATE_LIMIT_PER_S: '20',
    LOG_LEVEL: 'debug',
  });
  // The platform's two instances, and one more it does not list (so an alert fires), all right.
  const good = {
    ...agentEnv,
    REDIS_URL: redisUrl,
    AGGREGATOR_API_TOKEN: SECRETS.AGGREGATOR_API_TOKEN,
    HEARTBEAT_SECRET: SECRETS.HEARTBEAT_SECRET,
  };
  const agents = platform.state.agents();
  const started = await Promise.all([
    ...agents.map((a) => fleet.start(a.instanceId, { ...good, DEPLOYMENT_ID: a.deploymentId })),
    fleet.start('backend-extra-1', { ...good, DEPLOYMENT_ID: agents[0]?.deploymentId ?? '' }),
    // Everything wrong: Redis refuses its password, and over HTTP it has no token and signs
    // with another secret, so the aggregator refuses its heartbeats too.
    fleet.start('backend-misconfigured', {
      ...agentEnv,
      REDIS_URL: `redis://default:${SECRETS.WRONG_REDIS_PASSWORD}@127.0.0.1:${redis.port}`,
      HEARTBEAT_SECRET: SECRETS.WRONG_HEARTBEAT_SECRET,
    }),
  ]);
  /** Polls the report (with the API token) until its summary is as `until` wants. */
  const summaryUntil = (until: (summary: Report['summary']) => boolean, timeoutMs: number) =>
    waitFor(
      async () =>
        (
          await fetchText('poll', `${base}/api/v1/monitoring/replicas?instances=false`, {
            token: SECRETS.AGGREGATOR_API_TOKEN,
          })
        ).text,
      { until: (text) => until((JSON.parse(text) as Report).summary), timeoutMs },
    );
  await summaryUntil((summary) => summary.active_instances === 3, 20_000);
  await waitFor(async () => alertBodies().length, { until: (n) => n > 0, timeoutMs: 15_000 });

  // The platform fails for a while: refreshes fail, are retried and logged.
  platform.state.setFault({
    kind: 'server_error',
    afterRequests: 0,
    every: 1,
    retryAfterSeconds: 1,
    delayMs: 0,
  });
  await summaryUntil((summary) => summary.do_api_status === 'stale', 15_000);
  platform.state.setFault(null);

  // Every way in, right and wrong.
  const token = SECRETS.AGGREGATOR_API_TOKEN;
  for (const path of [
    '/api/v1/monitoring/replicas',
    '/api/v1/health/instances',
    '/api/v1/history',
    '/api/v1/audit',
    '/api/v1/events',
    '/api/v1/no-such-route',
  ]) {
    await fetchText(`GET ${path}`, base + path, { token });
    await fetchText(`GET ${path} without a token`, base + path);
    await fetchText(`GET ${path} with a wrong token`, base + path, { token: `${token}-wrong` });
  }
  for (const path of ['/livez', '/readyz', '/', '/openapi.json', '/dashboard/app.js', '/no-such-page']) {
    await fetchText(`GET ${path}`, base + path);
  }
  await fetchText('GET /metrics', `${base}/metrics`, { token: SECRETS.METRICS_TOKEN });
  expect((await fetchText('GET /metrics without a token', `${base}/metrics`)).status).toBe(401);
  const ingest = `${base}/api/v1/heartbeats`;
  const hb = makeHeartbeat({ app: platform.appId, instance_id: 'backend-probe', sent_at: Date.now() });
  expect((await fetchText('ingest junk', ingest, { method: 'POST', token, body: '{"v":1,' })).status).toBe(
    400,
  );
  expect(
    (await fetchText('ingest unsigned', ingest, { method: 'POST', token, body: serializeHeartbeat(hb) }))
      .status,
  ).toBe(400);
  const forged = serializeHeartbeat(signHeartbeat(hb, SECRETS.WRONG_HEARTBEAT_SECRET));
  expect((await fetchText('ingest forged, no token', ingest, { method: 'POST', body: forged })).status).toBe(
    401,
  );
  expect(
    (await fetchText('ingest too large', ingest, { method: 'POST', token, body: Buffer.alloc(20_000, 0x20) }))
      .status,
  ).toBe(413);
  const flood = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      fetchText(`ingest flood ${i}`, ingest, {
        method: 'POST',
        token,
        body: serializeHeartbeat(signHeartbeat(hb, SECRETS.HEARTBEAT_SECRET)),
      }),
    ),
  );
  expect(flood.some((r) => r.status === 429)).toBe(true);

  // Each agent's own endpoints.
  for (const { port: agentPort } of started) {
    await fetchText(`agent ${agentPort} /health/detailed`, `http://127.0.0.1:${agentPort}/health/detailed`);
    await fetchText(`agent ${agentPort} /metrics`, `http://127.0.0.1:${agentPort}/metrics`);
  }

  // The CLI, with the token and with a wrong one.
  for (const [args, cliToken] of [
    [['status'], token],
    [['diagnose'], token],
    [['diagnose', '--json'], token],
    [['status'], `${token}-wrong`],
  ] as const) {
    let output = '';
    await runCli([...args, '--url', base], {
      env: { AGGREGATOR_API_TOKEN: cliToken },
      out: (t) => (output += t),
      err: (t) => (output += t),
    });
    keep(`cli ${args.join(' ')}`, output);
  }

  // Stop everything gracefully, so the shutdown lines are in the logs too.
  for (const id of fleet.ids()) await fleet.signal(id, 'SIGTERM');
  expect(await aggregator.process.signal('SIGTERM')).toBe(0);
  for (const process of [aggregator.process, ...started.map((s) => s.process)]) {
    keep(`stdout+stderr of pid ${process.child.pid}`, process.output());
  }
  alertBodies().forEach((body, i) => keep(`alert ${i}`, body));

  // The scenario went through what it was meant to: failures were logged, alerts were sent.
  const logs = seen
    .filter((s) => s.source.startsWith('stdout'))
    .map((s) => s.text)
    .join('\n');
  for (const expected of [
    'platform refresh failing',
    'heartbeat rejected',
    'redis unavailable',
    'heartbeat send failed',
    'heartbeat transport failing over',
  ]) {
    expect({ expected, found: logs.includes(expected) }).toEqual({ expected, found: true });
  }
  expect(alertBodies().length).toBeGreaterThan(0);
  expect(seen.filter((s) => / \((400|401|404|413|429)\)$/.test(s.source)).length).toBeGreaterThan(20);

  const leaks = seen.flatMap(({ source, text }) =>
    Object.entries(SECRETS)
      .filter(([, value]) => text.includes(value) || text.includes(encodeURIComponent(value)))
      .map(([name]) => `${name} in ${source}`),
  );
  expect(leaks).toEqual([]);
}, 90_000);
