/**
 * Chaos: the App Platform API misbehaving — 429 with a reset, 500, answers that never come
 * (timeouts), and 200s whose body is not JSON, cut short, or JSON of another shape. The
 * simulated App Platform serves the app; a small HTTP proxy in front of it spoils bodies.
 * - In-process, measured exactly: every failed refresh keeps the last good view, marked stale
 *   with the time it was fetched; retryable failures are tried at most `attempts` times per
 *   endpoint, permanent ones once; a refresh ends within its budget; the next good answer
 *   clears it all.
 * - A real aggregator process through a run of faults: the report keeps the counts of the last
 *   good view, says `stale` with a growing age, raises no count alert, and recovers.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DigitalOceanClient, DigitalOceanSource } from '../../aggregator/platform/digitalocean';
import type { FaultSpec, SimulatedPlatform } from '../../aggregator/platform/simulated';
import { startSimulatedPlatform } from '../../aggregator/platform/simulated';
import type { PlatformFailureKind } from '../../aggregator/model';
import { freePort } from '../support/redis-server';
import { waitFor } from '../support/wait';
import type { AggregatorProcess } from './harness';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { AgentFleet, alive, reportOf, startAggregatorProcess, startSampler } from './harness';

/** What the proxy does to answers: pass them, or replace a 200's body. */
type BodyFault = 'none' | 'not_json' | 'truncated' | 'wrong_shape';

interface ApiProxy {
  readonly url: string;
  setFault(fault: BodyFault): void;
  /** Requests forwarded, by path without the query. */
  requests(): Map<string, number>;
  close(): Promise<void>;
}

/** Forwards to the simulated platform; with a body fault, a 200's body is replaced. */
async function startApiProxy(target: string): Promise<ApiProxy> {
  let fault: BodyFault = 'none';
  const counts = new Map<string, number>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const upstream = httpRequest(
      `${target}${req.url ?? '/'}`,
      { method: req.method, headers: req.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          let body = Buffer.concat(chunks).toString('utf8');
          if (answer.statusCode === 200 && fault !== 'none') {
            if (fault === 'not_json') body = '<html><body>502 Bad Gateway</body></html>';
            else if (fault === 'truncated') body = body.slice(0, Math.floor(body.length / 2));
            else body = JSON.stringify({ apps: 'not what you asked for', instances: 7 });
          }
          res.writeHead(answer.statusCode ?? 502, {
            'content-type': 'application/json',
            ...(answer.headers['retry-after'] ? { 'retry-after': answer.headers['retry-after'] } : {}),
            ...(answer.headers['ratelimit-reset']
              ? { 'ratelimit-reset': answer.headers['ratelimit-reset'] }
              : {}),
          });
          res.end(body);
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let closing: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setFault: (next) => {
      fault = next;
    },
    requests: () => new Map(counts),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })),
  };
}

function fault(kind: FaultSpec['kind'], extra: Partial<FaultSpec> = {}): FaultSpec {
  return { kind, afterRequests: 0, every: 1, retryAfterSeconds: 1, delayMs: 5_000, ...extra };
}

const ENDPOINT_PATHS = (appId: string) => [
  `/v2/apps/${appId}`,
  `/v2/apps/${appId}/deployments`,
  `/v2/apps/${appId}/instances`,
  `/v2/apps/${appId}/health`,
];

function delta(before: Map<string, number>, after: Map<string, number>, paths: readonly string[]): number[] {
  return paths.map((p) => (after.get(p) ?? 0) - (before.get(p) ?? 0));
}

describe('in-process: the last good view, retries within budget', () => {
  const ATTEMPTS = 3;
  const TIMEOUT_MS = 300;
  const MAX_DELAY_MS = 200;
  let platform: SimulatedPlatform;
  let proxy: ApiProxy;
  let source: DigitalOceanSource;

  beforeAll(async () => {
    platform = await startSimulatedPlatform({ scenario: 'steady', fault: null });
    proxy = await startApiProxy(platform.url);
    source = new DigitalOceanSource({
      client: new DigitalOceanClient({
        baseUrl: proxy.url,
        token: 'chaos-platform-token',
        timeoutMs: TIMEOUT_MS,
        retry: { attempts: ATTEMPTS, baseDelayMs: 20, maxDelayMs: MAX_DELAY_MS },
      }),
      appId: platform.appId,
    });
  });

  afterAll(async () => {
    await source.close();
    await proxy.close();
    await platform.close();
  });

  test.each<[string, () => void, 'retried' | 'once', PlatformFailureKind, RegExp]>([
    [
      '429 with a reset',
      () => platform.state.setFault(fault('rate_limit')),
      'retried',
      'rate_limited',
      /rate limited, HTTP 429/,
    ],
    ['500', () => platform.state.setFault(fault('server_error')), 'retried', 'server_error', /HTTP 500/],
    [
      'no answer (timeouts)',
      () => platform.state.setFault(fault('slow')),
      'retried',
      'unreachable',
      /no answer within 300 ms/,
    ],
    ['a 200 that is not JSON', () => proxy.setFault('not_json'), 'once', 'bad_response', /not JSON/],
    ['a 200 cut short', () => proxy.setFault('truncated'), 'once', 'bad_response', /not JSON/],
    ['a 200 of another shape', () => proxy.setFault('wrong_shape'), 'once', 'bad_response', /./],
  ])(
    '%s: the last good view stays, stale, with its age and the failure classified; tries within budget',
    async (_name, inject, retries, kind, error) => {
      const good = await source.refresh();
      expect(good.status).toBe('ok');

      inject();
      const before = proxy.requests();
      const startedMs = Date.now();
      const view = await source.refresh();
      const tookMs = Date.now() - startedMs;
      platform.state.setFault(null);
      proxy.setFault('none');

      expect(view).toMatchObject({
        status: 'stale',
        fetchedAtMs: good.fetchedAtMs,
        components: good.components,
      });
      expect(view.error).toMatchObject({ kind, message: expect.stringMatching(error) });
      // Every failure names the concrete call, with the app id.
      expect(view.error?.message).toContain(`/v2/apps/${platform.appId}`);
      const tries = delta(before, proxy.requests(), ENDPOINT_PATHS(platform.appId));
      // The first failure cancels the sibling calls, so some endpoints are tried fewer times.
      expect(Math.max(...tries)).toBe(retries === 'retried' ? ATTEMPTS : 1);
      expect(tries.every((n) => n <= (retries === 'retried' ? ATTEMPTS : 1))).toBe(true);
      // Attempts × timeout + the waits between them, and slack for a loaded machine.
      expect(tookMs).toBeLessThan(ATTEMPTS * TIMEOUT_MS + (ATTEMPTS - 1) * MAX_DELAY_MS + 2_000);

      const recovered = await source.refresh();
      expect(recovered.status).toBe('ok');
      expect(recovered.fetchedAtMs).toBeGreaterThan(good.fetchedAtMs ?? 0);
    },
  );
});

describe('a real aggregator through a run of platform faults', () => {
  let platform: SimulatedPlatform;
  let proxy: ApiProxy;
  let webhook: WebhookReceiver;
  let aggregator: AggregatorProcess;
  const fleet = new AgentFleet({});

  beforeAll(async () => {
    platform = await startSimulatedPlatform({ scenario: 'steady', fault: null });
    proxy = await startApiProxy(platform.url);
    webhook = await startWebhookReceiver();
    const port = await freePort();
    // Embedded mode: the agents post to the aggregator, which reads the platform through the proxy.
    await Promise.all(
      platform.state.agents().map((a) =>
        fleet.start(a.instanceId, {
          AGGREGATOR_URL: `http://127.0.0.1:${port}`,
          AGENT_APP: platform.appId,
          DEPLOYMENT_ID: a.deploymentId,
          AGENT_INTERVAL_MS: '500',
          AGENT_TTL_MS: '3000',
        }),
      ),
    );
    aggregator = await startAggregatorProcess({
      PORT: String(port),
      PLATFORM: 'digitalocean',
      DO_API_BASE_URL: proxy.url,
      DO_API_TOKEN: 'chaos-platform-token',
      DO_APP_ID: platform.appId,
      PLATFORM_CACHE_TTL_MS: '1000',
      RECONCILE_INTERVAL_MS: '500',
      ALERT_CONFIRMATIONS: '2',
      ALERT_FOR_MS: '0',
      ALERT_WEBHOOK_URL: webhook.url,
    });
    await waitFor(() => reportOf(aggregator.url), {
      until: (r) =>
        r.summary.do_api_status === 'ok' && r.summary.active_instances === 2 && !r.summary.discrepancy,
      timeoutMs: 30_000,
    });
  }, 120_000);

  afterAll(async () => {
    await fleet.killAll();
    await aggregator?.process.signal('SIGKILL');
    await proxy?.close();
    await webhook?.close();
    await platform?.close();
  });

  test('500s, 429s and junk bodies: counts from the last good view, stale with a growing age, no count alert', async () => {
    const sinceMs = Date.now();
    const sampler = startSampler(aggregator.url, 250);
    const faults: [string, () => void][] = [
      ['500', () => platform.state.setFault(fault('server_error'))],
      ['429', () => platform.state.setFault(fault('rate_limit', { retryAfterSeconds: 2 }))],
      ['not JSON', () => proxy.setFault('not_json')],
      ['wrong shape', () => proxy.setFault('wrong_shape')],
    ];
    const paths = ENDPOINT_PATHS(platform.appId);
    for (const [name, inject] of faults) {
      inject();
      const before = proxy.requests();
      const startedMs = Date.now();
      const stale = await waitFor(() => reportOf(aggregator.url), {
        until: (r) => r.summary.do_api_status === 'stale',
        timeoutMs: 15_000,
      });
      const firstAge = stale.summary.platform_data_age_ms ?? 0;
      // The fault goes on: the data grows older by seconds, and is still served as stale.
      const later = await waitFor(() => reportOf(aggregator.url), {
        until: (r) => (r.summary.platform_data_age_ms ?? 0) > firstAge + 2_000,
      });
      const windowMs = Date.now() - startedMs;
      platform.state.setFault(null);
      proxy.setFault('none');

      expect({ name, status: later.summary.do_api_status }).toEqual({ name, status: 'stale' });
      expect(later.summary.platform_data_age_ms ?? 0).toBeGreaterThan(firstAge + 2_000);
      expect(later.components.find((c) => c.name === 'backend')).toMatchObject({
        desired: 2,
        platform_instances: 2,
        platform_ready: 2,
        live: 2,
      });
      // Retries within budget: at most 3 tries of each endpoint per refresh, one refresh per
      // PLATFORM_CACHE_TTL_MS (1 s) at most, the next one later when a 429 asks for it.
      const refreshes = Math.ceil(windowMs / 1_000) + 1;
      const tries = delta(before, proxy.requests(), paths);
      expect({ name, over: tries.filter((n) => n > 3 * refreshes) }).toEqual({ name, over: [] });

      await waitFor(() => reportOf(aggregator.url), {
        until: (r) => r.summary.do_api_status === 'ok',
        timeoutMs: 15_000,
      });
    }
    await sampler.stop();
    // Every report through all of it: the platform's counts never read as zero, the fleet never
    // as missing or unreported.
    const wrong = sampler.samples.filter((r) => {
      const backend = r.components.find((c) => c.name === 'backend');
      return backend?.desired !== 2 || backend.platform_instances !== 2 || backend.live !== 2;
    });
    expect(wrong).toEqual([]);
    expect(sampler.samples.some((r) => r.summary.do_api_status === 'stale')).toBe(true);
    expect(
      webhook.received({
        sinceMs,
        codes: ['MISSING_INSTANCES', 'UNREPORTED_INSTANCES', 'SURPLUS_INSTANCES', 'PLATFORM_COUNT_MISMATCH'],
      }),
    ).toEqual([]);
    expect(alive(aggregator.process)).toBe(true);
  }, 60_000);
});
