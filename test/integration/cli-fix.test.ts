/**
 * `replica-watch fix` against the simulated App Platform, through a recording proxy that keeps
 * every request body: scale PUTs the whole spec with only instance_count changed (every other
 * component and field kept), restart POSTs the rolling restart of one component, and a count
 * of 0, a missing confirmation or a "no" at the prompt send nothing.
 */
import type { IncomingMessage, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { runCli } from '../../aggregator/cli/main';
import type { FixIo } from '../../aggregator/cli/fix';
import { FIX_EXIT } from '../../aggregator/cli/fix';
import type { SimulatedPlatform } from '../../aggregator/platform/simulated';
import { startSimulatedPlatform } from '../../aggregator/platform/simulated';
import { freePort } from '../support/redis-server';
import { waitFor } from '../support/wait';

const TOKEN = 'dop_v1_cli_fix_test_token';

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

/**
 * What the proxy answers itself instead of forwarding (a token DigitalOcean refuses, a connection
 * cut before the answer); null: forward to the fake.
 */
type Intercept = (request: Recorded) => { status: number; body: unknown } | 'destroy' | null;

/** A proxy in front of the fake that records what the CLI sent. */
async function recordingProxy(target: string): Promise<{
  url: string;
  requests: Recorded[];
  intercept: { current: Intercept };
  close(): Promise<void>;
}> {
  const requests: Recorded[] = [];
  const intercept: { current: Intercept } = { current: () => null };
  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      const recorded = {
        method: req.method ?? '',
        path: req.url ?? '',
        body: text === '' ? undefined : JSON.parse(text),
      };
      requests.push(recorded);
      const own = intercept.current(recorded);
      if (own === 'destroy') return req.socket.destroy();
      if (own !== null) {
        res.statusCode = own.status;
        res.setHeader('content-type', 'application/json');
        return res.end(JSON.stringify(own.body));
      }
      const answer = await request(`${target}${req.url ?? '/'}`, {
        method: (req.method ?? 'GET') as 'GET',
        headers: { authorization: req.headers.authorization ?? '', 'content-type': 'application/json' },
        body: text === '' ? undefined : text,
      });
      res.statusCode = answer.statusCode;
      res.setHeader('content-type', 'application/json');
      res.end(await answer.body.text());
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    intercept,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let fake: SimulatedPlatform;
let proxy: Awaited<ReturnType<typeof recordingProxy>>;

beforeEach(async () => {
  fake = await startSimulatedPlatform({ scenario: 'steady', transitionDelayMs: 200 });
  proxy = await recordingProxy(fake.url);
});

afterEach(async () => {
  await proxy.close();
  await fake.close();
});

function io(options: { interactive?: boolean; answer?: string; env?: Record<string, string> } = {}) {
  let out = '';
  let err = '';
  const questions: string[] = [];
  const value: FixIo = {
    env: { DO_API_TOKEN: TOKEN, DO_APP_ID: fake.appId, DO_API_BASE_URL: proxy.url, ...options.env },
    out: (t) => (out += t),
    err: (t) => (err += t),
    interactive: options.interactive ?? false,
    ask: async (question) => {
      questions.push(question);
      return options.answer ?? '';
    },
  };
  return { io: value, out: () => out, err: () => err, questions };
}

const writes = () => proxy.requests.filter((r) => r.method !== 'GET');

describe('replica-watch fix scale', () => {
  test('PUTs the whole spec with only instance_count changed, keeping every other component', async () => {
    const before = fake.state.snapshot().spec;
    const cli = io();
    const code = await runCli(['fix', 'scale', '--component', 'backend', '--count', '3', '--yes'], cli.io);
    expect({ code, err: cli.err() }).toEqual({ code: FIX_EXIT.done, err: '' });

    const puts = proxy.requests.filter((r) => r.method === 'PUT');
    expect(puts).toHaveLength(1);
    expect(puts[0]?.path).toBe(`/v2/apps/${fake.appId}`);
    // The spec as the API served it, with the one field changed: nothing dropped, nothing added.
    const getBody = (await request(`${fake.url}/v2/apps/${fake.appId}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    }).then((r) => r.body.json())) as { app: { spec: Record<string, unknown> } };
    const sent = (puts[0]?.body as { spec: Record<string, unknown> }).spec;
    const expected = structuredClone(before) as unknown as Record<string, Record<string, unknown>[]>;
    expected.services![0]!.instance_count = 3;
    expect(sent).toEqual(JSON.parse(JSON.stringify(expected)));
    expect((sent.jobs as { name: string }[]).map((j) => j.name)).toEqual(['migrate']);
    expect((sent.static_sites as { name: string }[]).map((s) => s.name)).toEqual(['docs']);
    expect(getBody.app.spec).toEqual(sent);

    expect(cli.out()).toContain('services[0].instance_count (backend): 2 → 3');
    expect(cli.out()).toMatch(/deployment [0-9a-f-]+ rolls it out/);
    // The fake really rolls it out: 3 backend instances once the deployment completes.
    await waitFor(
      async () => fake.state.snapshot().instances.filter((i) => i.component === 'backend').length,
      { until: (n) => n === 3, timeoutMs: 10_000 },
    );
  });

  test('--count 0 is refused with the reason, before any request', async () => {
    const cli = io();
    const code = await runCli(['fix', 'scale', '--component', 'backend', '--count', '0', '--yes'], cli.io);
    expect(code).toBe(FIX_EXIT.refused);
    expect(cli.err()).toMatch(/--count 0: refused: instance_count minimum is 1/);
    expect(proxy.requests).toEqual([]);
  });

  test('without a terminal and without --yes it refuses, before any request', async () => {
    const cli = io({ interactive: false });
    const code = await runCli(['fix', 'scale', '--component', 'backend', '--count', '3'], cli.io);
    expect(code).toBe(FIX_EXIT.refused);
    expect(cli.err()).toMatch(/without confirmation: there is no terminal to ask on\. Re-run with --yes/);
    expect(cli.questions).toEqual([]);
    expect(proxy.requests).toEqual([]);
  });

  test('on a terminal it shows the diff and asks; "no" sends nothing', async () => {
    const cli = io({ interactive: true, answer: 'n' });
    const code = await runCli(['fix', 'scale', '--component', 'backend', '--count', '4'], cli.io);
    expect(code).toBe(FIX_EXIT.declined);
    expect(cli.questions).toEqual(['Proceed? [y/N] ']);
    expect(cli.out()).toContain('services[0].instance_count (backend): 2 → 4');
    expect(cli.err()).toContain('nothing was changed');
    expect(writes()).toEqual([]);
  });

  test('on a terminal "y" goes ahead', async () => {
    const cli = io({ interactive: true, answer: 'y' });
    const code = await runCli(['fix', 'scale', '--component', 'backend', '--count', '1'], cli.io);
    expect(code).toBe(FIX_EXIT.done);
    expect(writes().map((r) => r.method)).toEqual(['PUT']);
  });

  test('a job has no instance count: refused, nothing written', async () => {
    const cli = io();
    const code = await runCli(['fix', 'scale', '--component', 'migrate', '--count', '2', '--yes'], cli.io);
    expect(code).toBe(FIX_EXIT.refused);
    expect(cli.err()).toMatch(/migrate is in jobs/);
    expect(writes()).toEqual([]);
  });
});

describe('replica-watch fix restart', () => {
  test('POSTs the rolling restart of that one component', async () => {
    const cli = io();
    const code = await runCli(['fix', 'restart', '--component', 'backend', '--yes'], cli.io);
    expect({ code, err: cli.err() }).toEqual({ code: FIX_EXIT.done, err: '' });
    expect(writes()).toEqual([
      { method: 'POST', path: `/v2/apps/${fake.appId}/restart`, body: { components: ['backend'] } },
    ]);
    expect(cli.out()).toMatch(/Restart requested: deployment [0-9a-f-]+/);
    expect(fake.state.requestCount('POST /v2/apps/{app_id}/restart')).toBe(1);
  });

  test('an unknown component is refused, nothing written', async () => {
    const cli = io();
    const code = await runCli(['fix', 'restart', '--component', 'frontend', '--yes'], cli.io);
    expect(code).toBe(FIX_EXIT.refused);
    expect(cli.err()).toMatch(/no service or worker named "frontend" \(it has: backend\)/);
    expect(writes()).toEqual([]);
  });

  test('without a terminal and without --yes it refuses', async () => {
    const cli = io();
    expect(await runCli(['fix', 'restart', '--component', 'backend'], cli.io)).toBe(FIX_EXIT.refused);
    expect(proxy.requests).toEqual([]);
  });

  test('the token is never printed', async () => {
    const cli = io();
    await runCli(['fix', 'restart', '--component', 'backend', '--yes'], cli.io);
    await runCli(['fix', 'scale', '--component', 'backend', '--count', '0'], cli.io);
    expect(cli.out() + cli.err()).not.toContain(TOKEN);
  });
});

describe('fix scale to the count the spec already asks for', () => {
  /** The reported case: the spec asks for 2, and 6 run (4 orphans of an older deployment). */
  async function orphans356(): Promise<void> {
    await proxy.close();
    await fake.close();
    fake = await startSimulatedPlatform({ scenario: 'orphans-356' });
    proxy = await recordingProxy(fake.url);
  }

  test('orphans-356: says the spec asks for 2, that 6 are listed, and that fix restart removes the extra', async () => {
    await orphans356();
    const cli = io();
    const code = await runCli(['fix', 'scale', '--component', 'backend', '--count', '2', '--yes'], cli.io);
    expect({ code, err: cli.err() }).toEqual({ code: FIX_EXIT.done, err: '' });
    expect(cli.out()).toContain(
      `The spec of app ${fake.appId} already asks for 2 instances of backend: nothing to change.`,
    );
    expect(cli.out()).toContain('The platform lists 6 instances of backend, 4 more than the spec asks for.');
    expect(cli.out()).toContain('a rolling restart replaces every running instance from the spec');
    expect(cli.out()).toContain('replica-watch fix restart --component backend');
    expect(cli.out()).not.toMatch(/already runs/);
    expect(writes()).toEqual([]);
  });

  test('steady: the spec asks for 2 and 2 are listed; still points at fix restart for extra ones', async () => {
    const cli = io();
    const code = await runCli(
      ['fix', 'scale', '--component', 'backend', '--count', '2', '--app', fake.appId, '--yes'],
      cli.io,
    );
    expect(code).toBe(FIX_EXIT.done);
    expect(cli.out()).toContain('already asks for 2 instances of backend: nothing to change.');
    expect(cli.out()).toContain('The platform lists 2 instances of backend, as the spec asks.');
    expect(cli.out()).toContain(`replica-watch fix restart --component backend --app ${fake.appId}`);
    expect(writes()).toEqual([]);
  });
});

describe('fix failures name the cause and the setting to change', () => {
  const REQUEST_ID = '5b7f0f3e-2c1d-4e9a-8b6f-0a1b2c3d4e5f';
  const refuse = (status: number, id: string, message: string) => ({
    status,
    body: { id, message, request_id: REQUEST_ID },
  });

  test.each([
    ['restart', ['fix', 'restart', '--component', 'backend', '--yes']],
    ['scale', ['fix', 'scale', '--component', 'backend', '--count', '3', '--yes']],
  ])('%s against a wrong app id (404) names the id and DO_APP_ID or --app', async (_name, argv) => {
    const cli = io({ env: { DO_APP_ID: 'no-such-app-1234' } });
    const code = await runCli(argv, cli.io);
    expect(code).toBe(FIX_EXIT.failed);
    expect(cli.err()).toContain(
      'fix failed: DigitalOcean has no app no-such-app-1234 that this token can see (HTTP 404): check DO_APP_ID (or pass --app ID)',
    );
    expect(cli.err()).toContain('`doctl apps list` shows the app ids');
    expect(writes()).toEqual([]);
  });

  test('--app names --app first', async () => {
    const cli = io();
    const code = await runCli(
      ['fix', 'restart', '--component', 'backend', '--app', 'typo-app', '--yes'],
      cli.io,
    );
    expect(code).toBe(FIX_EXIT.failed);
    expect(cli.err()).toContain(
      'DigitalOcean has no app typo-app that this token can see (HTTP 404): check --app (or DO_APP_ID)',
    );
  });

  test.each([
    ['restart', ['fix', 'restart', '--component', 'backend', '--yes']],
    ['scale', ['fix', 'scale', '--component', 'backend', '--count', '3', '--yes']],
  ])(
    '%s with a refused token (401): DO_API_TOKEN is wrong or revoked, with the request id',
    async (_name, argv) => {
      proxy.intercept.current = () => refuse(401, 'unauthorized', 'Unable to authenticate you');
      const cli = io();
      const code = await runCli(argv, cli.io);
      expect(code).toBe(FIX_EXIT.failed);
      expect(cli.err()).toContain(
        'fix failed: DigitalOcean refused DO_API_TOKEN (HTTP 401): the token is wrong, expired or revoked.',
      );
      expect(cli.err()).toContain(
        `DigitalOcean request id: ${REQUEST_ID} (quote it to DigitalOcean support)`,
      );
      expect(cli.out() + cli.err()).not.toContain(TOKEN);
    },
  );

  test('restart with a read-only token (403 on the POST): the token lacks write scope', async () => {
    proxy.intercept.current = (r) =>
      r.method === 'POST'
        ? refuse(403, 'forbidden', 'You are not authorized to perform this operation')
        : null;
    const cli = io();
    const code = await runCli(['fix', 'restart', '--component', 'backend', '--yes'], cli.io);
    expect(code).toBe(FIX_EXIT.failed);
    expect(cli.err()).toContain(
      `fix failed: DigitalOcean refused to change app ${fake.appId} (HTTP 403): DO_API_TOKEN lacks write scope ` +
        '(a read-only token can look but not restart or update). Create a token with write scope',
    );
    expect(cli.err()).toContain(`DigitalOcean request id: ${REQUEST_ID} (quote it to DigitalOcean support)`);
    expect(fake.state.requestCount('POST /v2/apps/{app_id}/restart')).toBe(0);
  });

  test('scale with a read-only token (403 on the PUT): the token lacks write scope', async () => {
    proxy.intercept.current = (r) =>
      r.method === 'PUT'
        ? refuse(403, 'forbidden', 'You are not authorized to perform this operation')
        : null;
    const cli = io();
    const code = await runCli(['fix', 'scale', '--component', 'backend', '--count', '3', '--yes'], cli.io);
    expect(code).toBe(FIX_EXIT.failed);
    expect(cli.err()).toContain(
      `DigitalOcean refused to change app ${fake.appId} (HTTP 403): DO_API_TOKEN lacks write scope`,
    );
    expect(cli.err()).toContain(`DigitalOcean request id: ${REQUEST_ID}`);
    expect(fake.state.snapshot().spec).toMatchObject({ services: [{ name: 'backend', instance_count: 2 }] });
  });

  test('a 403 on the read says the token may not read the app', async () => {
    proxy.intercept.current = () =>
      refuse(403, 'forbidden', 'You are not authorized to perform this operation');
    const cli = io();
    const code = await runCli(['fix', 'restart', '--component', 'backend', '--yes'], cli.io);
    expect(code).toBe(FIX_EXIT.failed);
    expect(cli.err()).toContain(`DigitalOcean refused to read app ${fake.appId} (HTTP 403)`);
  });

  test.each([
    ['restart', ['fix', 'restart', '--component', 'backend', '--yes']],
    ['scale', ['fix', 'scale', '--component', 'backend', '--count', '3', '--yes']],
  ])(
    '%s: a connection cut before the answer is told in words; UND_ERR_SOCKET only in parentheses',
    async (_name, argv) => {
      proxy.intercept.current = () => 'destroy';
      const cli = io();
      const code = await runCli(argv, cli.io);
      expect(code).toBe(FIX_EXIT.failed);
      expect(cli.err()).toContain(
        `fix failed: could not reach the DigitalOcean API at ${proxy.url}: the connection closed before the answer came (UND_ERR_SOCKET).`,
      );
      expect(cli.err()).not.toMatch(/UND_ERR_SOCKET:|other side closed|\/v2\/apps/);
      expect(cli.err()).toContain('Check DO_API_BASE_URL');
    },
  );

  test('a refused connection is told in words; ECONNREFUSED only in parentheses', async () => {
    const cli = io({ env: { DO_API_BASE_URL: `http://127.0.0.1:${await freePort()}` } });
    const code = await runCli(['fix', 'restart', '--component', 'backend', '--yes'], cli.io);
    expect(code).toBe(FIX_EXIT.failed);
    expect(cli.err()).toMatch(
      /^fix failed: could not reach the DigitalOcean API at http:\/\/127\.0\.0\.1:\d+: the connection was refused \(nothing listens at that address and port\) \(ECONNREFUSED\)\./,
    );
    expect(cli.err()).not.toMatch(/ECONNREFUSED:|connect ECONNREFUSED/);
  });

  test('a cut connection after the restart was sent warns that it may have been applied', async () => {
    proxy.intercept.current = (r) => (r.method === 'POST' ? 'destroy' : null);
    const cli = io();
    const code = await runCli(['fix', 'restart', '--component', 'backend', '--yes'], cli.io);
    expect(code).toBe(FIX_EXIT.failed);
    expect(cli.err()).toContain('the connection closed before the answer came (UND_ERR_SOCKET).');
    expect(cli.err()).toContain(
      `The change may have been applied anyway: check the app (doctl apps list-deployments ${fake.appId})`,
    );
  });
});
