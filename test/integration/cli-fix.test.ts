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
import { pollUntil } from '../support/spawn';

const TOKEN = 'dop_v1_cli_fix_test_token';

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

/** A proxy in front of the fake that records what the CLI sent. */
async function recordingProxy(
  target: string,
): Promise<{ url: string; requests: Recorded[]; close(): Promise<void> }> {
  const requests: Recorded[] = [];
  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        body: text === '' ? undefined : JSON.parse(text),
      });
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

function io(options: { interactive?: boolean; answer?: string } = {}) {
  let out = '';
  let err = '';
  const questions: string[] = [];
  const value: FixIo = {
    env: { DO_API_TOKEN: TOKEN, DO_APP_ID: fake.appId, DO_API_BASE_URL: proxy.url },
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
    await pollUntil(
      async () => fake.state.snapshot().instances.filter((i) => i.component === 'backend').length,
      (n) => n === 3,
      10_000,
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
