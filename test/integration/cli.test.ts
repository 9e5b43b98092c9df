import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startAggregator, type RunningAggregator } from '../../aggregator/app';
import { EXIT, runCli } from '../../aggregator/cli/main';
import { loadAggregatorConfig } from '../../aggregator/config';
import { startSimulatedPlatform } from '../../aggregator/platform/simulated';
import type { Report } from '../../aggregator/reconcile/report';
import { componentReport, sampleReport } from '../support/published-reports';
import { freePort } from '../support/redis-server';
import { waitFor } from '../support/wait';
import { startWebhookReceiver } from '../support/webhook-receiver';

async function run(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { env, out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

/** An in-process aggregator on a free loopback port, configured by `env`. */
function aggregatorWith(env: Record<string, string>): Promise<RunningAggregator> {
  return startAggregator(loadAggregatorConfig({ PORT: '0', HOST: '127.0.0.1', ...env }));
}

describe('replica-watch status | diagnose', () => {
  let aggregator: RunningAggregator;

  beforeAll(async () => {
    aggregator = await aggregatorWith({ DESIRED_REPLICAS: 'backend=2', AGGREGATOR_APP: 'cli-test' });
  });
  afterAll(() => aggregator.stop());

  test('status prints one row per component with the counts and exits 1 on a discrepancy', async () => {
    const { code, out } = await run(['status', '--url', aggregator.url]);
    expect(code).toBe(EXIT.discrepancy);
    expect(out).toMatch(/COMPONENT\s+DESIRED\s+DASHBOARD READY\s+LISTED\s+LIVE\s+SERVING/);
    expect(out).toMatch(/backend\s+2\s+\?\s+\?\s+0\s+0/);
  });

  test('diagnose names the finding and what to do; --json gives the report', async () => {
    const text = await run(['diagnose', '--url', aggregator.url]);
    expect(text.out).toContain('MISSING_INSTANCES');
    expect(text.out).toContain('what to do:');
    const json = await run(['diagnose', '--json', '--url', aggregator.url]);
    expect(JSON.parse(json.out)).toMatchObject({
      app: 'cli-test',
      summary: { configured_replicas: 2, active_instances: 0 },
    });
  });

  test('REPLICA_WATCH_URL stands in for --url', async () => {
    const { out } = await run(['status', '--json'], { REPLICA_WATCH_URL: aggregator.url });
    expect(JSON.parse(out)).toMatchObject({ app: 'cli-test' });
    expect(JSON.parse(out).instances).toBeUndefined();
  });

  test('an aggregator served under a path prefix (--url https://app/replica-watch) is reached there', async () => {
    const report = await (await fetch(`${aggregator.url}/api/v1/monitoring/replicas`)).text();
    const proxy = await startWebhookReceiver({
      answer: (post) =>
        post.path.startsWith('/replica-watch/api/v1/monitoring/replicas')
          ? { status: 200, headers: { 'content-type': 'application/json' }, body: report }
          : { status: 404, body: '{}' },
    });
    try {
      const { code, out } = await run(['status', '--json', '--url', `${proxy.baseUrl}/replica-watch`]);
      expect(JSON.parse(out)).toMatchObject({ app: 'cli-test' });
      expect(code).toBe(EXIT.discrepancy);
    } finally {
      await proxy.close();
    }
  });

  test('an unreachable aggregator gets a clear error and exit code 3', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { code, err } = await run(['status', '--url', url]);
    expect(code).toBe(EXIT.unreachable);
    expect(err).toContain(`cannot read the report from ${url}`);
    expect(err).toMatch(/\(ECONNREFUSED\)/);
  });

  test.each([[[]], [['restart']], [['status', 'extra']], [['status', '--bogus']]])(
    'usage errors exit 2: %j',
    async (argv) => {
      const { code, err } = await run(argv);
      expect(code).toBe(EXIT.usage);
      expect(err).toContain('usage: replica-watch');
    },
  );

  test('a bad --url is named', async () => {
    const { code, err } = await run(['status', '--url', 'not a url']);
    expect(code).toBe(EXIT.usage);
    expect(err).toContain('"not a url"');
  });
});

/** A stand-in aggregator answering every request with `status` and `body`. */
async function fakeAggregator(
  status: number,
  body: unknown,
): Promise<{ url: string; close(): Promise<void> }> {
  const fake = await startWebhookReceiver({
    answer: () => ({
      status,
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  });
  return { url: fake.baseUrl, close: () => fake.close() };
}

describe('a token the aggregator refuses', () => {
  let aggregator: RunningAggregator;
  const API_TOKEN = 'cli-test-api-token-123';

  beforeAll(async () => {
    aggregator = await aggregatorWith({ DESIRED_REPLICAS: 'backend=2', AGGREGATOR_API_TOKEN: API_TOKEN });
  });
  afterAll(() => aggregator.stop());

  test('without AGGREGATOR_API_TOKEN: the 401 says to set it, never "Is the aggregator running there?"', async () => {
    const { code, err } = await run(['status', '--url', aggregator.url]);
    expect(code).toBe(EXIT.unreachable);
    expect(err).toContain(
      `cannot read the report from ${aggregator.url}: the aggregator refused the request (HTTP 401): ` +
        'it wants a token, and AGGREGATOR_API_TOKEN is not set.',
    );
    expect(err).toContain("Set AGGREGATOR_API_TOKEN to the aggregator's own AGGREGATOR_API_TOKEN");
    expect(err).not.toContain('Is the aggregator running there?');
  });

  test('a wrong AGGREGATOR_API_TOKEN: the aggregator refused the token; the token is not printed', async () => {
    const { code, err, out } = await run(['diagnose', '--url', aggregator.url], {
      AGGREGATOR_API_TOKEN: 'not-the-right-token',
    });
    expect(code).toBe(EXIT.unreachable);
    expect(err).toContain('the aggregator refused the token (HTTP 401)');
    expect(err).toContain('Set AGGREGATOR_API_TOKEN');
    expect(err).not.toContain('Is the aggregator running there?');
    expect(err + out).not.toContain('not-the-right-token');
  });

  test('the right token reads the report', async () => {
    const { code, out } = await run(['status', '--url', aggregator.url], { AGGREGATOR_API_TOKEN: API_TOKEN });
    expect(code).toBe(EXIT.discrepancy);
    expect(out).toMatch(/backend\s+2/);
  });

  test('a 403 is a refused token too', async () => {
    const fake = await fakeAggregator(403, { error: 'forbidden' });
    try {
      const { code, err } = await run(['status', '--url', fake.url], {
        AGGREGATOR_API_TOKEN: 'some-token-1234',
      });
      expect(code).toBe(EXIT.unreachable);
      expect(err).toContain('the aggregator refused the token (HTTP 403)');
      expect(err).not.toContain('Is the aggregator running there?');
    } finally {
      await fake.close();
    }
  });
});

describe('network failures in words', () => {
  test('a refused connection names the cause in words, the code in parentheses, and asks whether it runs', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { code, err } = await run(['status', '--url', url]);
    expect(code).toBe(EXIT.unreachable);
    expect(err).toContain(
      `cannot read the report from ${url}: the connection was refused (nothing listens at that address and port) (ECONNREFUSED).`,
    );
    expect(err).toContain('Is the aggregator running there?');
  });

  test('a connection closed before the answer is no "refused": UND_ERR_SOCKET only in parentheses', async () => {
    const server = createServer((req) => req.socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const { code, err } = await run(['status', '--url', url]);
      expect(code).toBe(EXIT.unreachable);
      expect(err).toContain(
        `cannot read the report from ${url}: the connection closed before the answer came (UND_ERR_SOCKET).`,
      );
      expect(err).not.toMatch(/: UND_ERR_SOCKET|other side closed|fetch failed/);
      expect(err).not.toContain('Is the aggregator running there?');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('a server that is not the aggregator is named as such', async () => {
    const notFound = await fakeAggregator(404, 'Cannot GET');
    const notAReport = await fakeAggregator(200, { hello: 'world' });
    try {
      const a = await run(['status', '--url', notFound.url]);
      expect(a.code).toBe(EXIT.unreachable);
      expect(a.err).toContain('there is no /api/v1/monitoring/replicas (HTTP 404).');
      const b = await run(['status', '--url', notAReport.url]);
      expect(b.code).toBe(EXIT.unreachable);
      expect(b.err).toContain('the answer is not a replica-watch report.');
    } finally {
      await Promise.all([notFound.close(), notAReport.close()]);
    }
  });
});

describe('blind is never green: a degraded verdict exits 4 with the cause', () => {
  let fake: Awaited<ReturnType<typeof fakeAggregator>>;
  const report = blindReport();

  beforeAll(async () => {
    fake = await fakeAggregator(200, report);
  });
  afterAll(() => fake.close());

  test('status exits EXIT.degraded (4), distinct from unreachable (3), and prints why', async () => {
    expect(EXIT.degraded).toBe(4);
    const { code, out } = await run(['status', '--url', fake.url]);
    expect(code).toBe(EXIT.degraded);
    expect(out).toContain('verdict degraded');
    expect(out).toContain('BLIND: these counts cannot be trusted:');
    expect(out).toContain(
      'the DigitalOcean API has no app with the id DO_APP_ID names (for this token) (HTTP 404) since ' +
        '2026-01-02T03:00:00.000Z: GET /v2/apps/wrong-app-id: HTTP 404: The resource you requested could not ' +
        'be found.; check DO_APP_ID; DigitalOcean request id 4a3c1e9b-7f2d-4b8a-9c1e-2f3a4b5c6d7e (quote it to ' +
        'DigitalOcean support)',
    );
    expect(out).toContain('DATA_DEGRADED (warning): DO_APP_ID "wrong-app-id" was not found (404)');
  });

  test('diagnose exits 4 too; --json keeps stdout JSON and says why on stderr', async () => {
    const text = await run(['diagnose', '--url', fake.url]);
    expect(text.code).toBe(EXIT.degraded);
    expect(text.out).toContain('BLIND: these counts cannot be trusted:');
    const json = await run(['diagnose', '--json', '--url', fake.url]);
    expect(json.code).toBe(EXIT.degraded);
    expect(JSON.parse(json.out)).toMatchObject({ summary: { verdict: 'degraded' } });
    expect(json.err).toContain('verdict degraded: the aggregator is blind:');
    expect(json.err).toContain('check DO_APP_ID');
    expect(json.err).toContain('4a3c1e9b-7f2d-4b8a-9c1e-2f3a4b5c6d7e (quote it to DigitalOcean support)');
  });

  test('an in-progress and a pending (queued) deployment are shown', async () => {
    const withDeployments = await fakeAggregator(200, {
      ...okReport(),
      in_progress_deployment: {
        id: 'dep-rolling',
        phase: 'DEPLOYING',
        created_at: '2026-01-02T02:58:00.000Z',
      },
      pending_deployment: {
        id: 'dep-queued',
        phase: 'PENDING_BUILD',
        created_at: '2026-01-02T02:59:00.000Z',
      },
    });
    try {
      for (const command of ['status', 'diagnose']) {
        const { code, out } = await run([command, '--url', withDeployments.url]);
        expect(code).toBe(EXIT.ok);
        expect(out).toContain(
          'deployment in progress: dep-rolling (DEPLOYING, created 2026-01-02T02:58:00.000Z)',
        );
        expect(out).toContain(
          'deployment pending (queued): dep-queued (PENDING_BUILD, created 2026-01-02T02:59:00.000Z), starts after dep-rolling',
        );
      }
    } finally {
      await withDeployments.close();
    }
  });

  test('an ok report shows no deployment lines and exits 0; a report without the new fields still reads', async () => {
    // As an aggregator from before these fields answers: neither deployment field at all.
    const { in_progress_deployment: _inProgress, pending_deployment: _pending, ...legacy } = okReport();
    const old = await fakeAggregator(200, legacy);
    try {
      const { code, out } = await run(['status', '--url', old.url]);
      expect(code).toBe(EXIT.ok);
      expect(out).not.toContain('deployment in progress');
      expect(out).not.toContain('BLIND');
    } finally {
      await old.close();
    }
  });
});

describe('through the real aggregator', () => {
  /** An in-process aggregator reading the simulated platform at `platformUrl` as app `appId`. */
  function aggregatorOver(platformUrl: string, appId: string): Promise<RunningAggregator> {
    return aggregatorWith({
      PLATFORM: 'digitalocean',
      DO_API_TOKEN: 'dop_v1_cli_test_token',
      DO_APP_ID: appId,
      DO_API_BASE_URL: platformUrl,
      RECONCILE_INTERVAL_MS: '100',
    });
  }

  test('a wrong DO_APP_ID (404) makes status exit 4 and name DO_APP_ID', async () => {
    const platform = await startSimulatedPlatform({ scenario: 'steady' });
    const aggregator = await aggregatorOver(platform.url, 'wrong-app-id');
    try {
      const result = await waitFor(() => run(['status', '--url', aggregator.url]), {
        until: (r) => r.code !== EXIT.ok && r.out.includes('DO_APP_ID'),
        timeoutMs: 10_000,
      }).catch(() => run(['status', '--url', aggregator.url]));
      expect(result.code).toBe(EXIT.degraded);
      expect(result.out).toContain('verdict degraded');
      expect(result.out).toContain('check DO_APP_ID');
    } finally {
      await aggregator.stop();
      await platform.close();
    }
  });

  test('a rollout in progress is shown with its deployment', async () => {
    const platform = await startSimulatedPlatform({ scenario: 'rollout-in-progress' });
    const aggregator = await aggregatorOver(platform.url, platform.appId);
    try {
      const result = await waitFor(() => run(['status', '--url', aggregator.url]), {
        until: (r) => r.out.includes('deployment in progress:'),
        timeoutMs: 10_000,
      });
      expect(result.out).toMatch(/deployment in progress: \S+ \([A-Z_]+, created \S+Z\)/);
    } finally {
      await aggregator.stop();
      await platform.close();
    }
  });
});

/** A report as an aggregator answers it while DO_APP_ID is wrong: blind, with the cause. */
function blindReport(): Report {
  const base = okReport();
  return {
    ...base,
    platform: 'digitalocean',
    app_id: 'wrong-app-id',
    summary: {
      ...base.summary,
      verdict: 'degraded',
      do_api_status: 'unavailable',
      platform_data_age_ms: null,
      do_api_error: {
        kind: 'not_found',
        message: 'GET /v2/apps/wrong-app-id: HTTP 404: The resource you requested could not be found.',
        http_status: 404,
        request_id: '4a3c1e9b-7f2d-4b8a-9c1e-2f3a4b5c6d7e',
        since: '2026-01-02T03:00:00.000Z',
        fix_variable: 'DO_APP_ID',
      },
    },
    components: base.components.map((c) => ({
      ...c,
      verdict: 'degraded',
      findings: [
        {
          code: 'DATA_DEGRADED',
          severity: 'warning',
          message: 'DO_APP_ID "wrong-app-id" was not found (404): the platform view cannot be read',
          instances: [],
          recommendation: 'Set DO_APP_ID to the id doctl apps list shows',
          deployment_ids: [],
        },
      ],
    })),
    degraded: true,
  };
}

/** Two of two backend instances live: nothing to report. */
function okReport(): Report {
  return sampleReport({
    app: 'cli-test',
    components: [componentReport({ platform_ready: null, platform_instances: null })],
  });
}
