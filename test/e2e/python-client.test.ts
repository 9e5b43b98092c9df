/**
 * Heartbeats from Python: examples/python/replica_watch_heartbeat.py, run by python3 as a script,
 * against a real aggregator started in-process (embedded mode: HTTP ingest only) with
 * HEARTBEAT_SECRET and AGGREGATOR_API_TOKEN set. A signed client is counted live without the
 * token; one with the wrong secret is refused (400 bad_signature with the token, 401 without)
 * and never counted; SIGTERM to the python process sends the goodbye, so the instance is `left`
 * at once; several processes of one instance elect one sender, and a standby takes over when the
 * sender dies. The buildpack example's main.py does the same from its FastAPI lifespan. No
 * secret appears in anything the client writes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { startAggregator, type RunningAggregator } from '../../aggregator/app';
import { loadAggregatorConfig } from '../../aggregator/config';
import { collectOutput, REPO_ROOT, type LogLine } from '../support/spawn';
import { waitFor } from '../support/wait';

const CLIENT = path.join(REPO_ROOT, 'examples/python/replica_watch_heartbeat.py');
const APP = 'py-shop';
const SECRET = 'python-e2e-heartbeat-secret';
const TOKEN = 'python-e2e-api-token-0123';
const WRONG_SECRET = 'not-the-heartbeat-secret';

/** One python3 process running the client as a script, its JSON log lines read back. */
class PythonClient {
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  /** Everything it wrote, for failure messages. */
  readonly output: () => string;
  private readonly exit: Promise<number | string>;

  constructor(env: Record<string, string>) {
    this.child = spawn('python3', [CLIENT], {
      env: { PATH: process.env.PATH ?? '', PYTHONUNBUFFERED: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collected = collectOutput(this.child);
    this.lines = collected.lines;
    this.output = collected.output;
    this.exit = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve(code ?? signal ?? '?')),
    );
  }

  line(match: (line: LogLine) => boolean, what: string): Promise<LogLine> {
    return waitFor(() => this.lines.find(match), { what: `${what}; output so far:\n${this.output()}` });
  }

  /** Sends `signal` and resolves with the exit code, and how long the exit took. */
  async stop(signal: NodeJS.Signals): Promise<{ code: number | string; ms: number }> {
    const started = Date.now();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const code = await this.exit;
    return { code, ms: Date.now() - started };
  }
}

interface InstanceView {
  instance_id: string;
  component: string;
  state: string;
  deployment_id: string | null;
  rss_bytes: number | null;
  serving: boolean | null;
}

describe('the Python client against a real aggregator with HEARTBEAT_SECRET', () => {
  let aggregator: RunningAggregator;
  let metrics: Registry;
  let lockDir: string;
  const clients: PythonClient[] = [];

  beforeAll(async () => {
    lockDir = mkdtempSync(path.join(os.tmpdir(), 'rw-python-e2e-'));
    metrics = new Registry();
    const config = loadAggregatorConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      AGGREGATOR_APP: APP,
      HEARTBEAT_SECRET: SECRET,
      AGGREGATOR_API_TOKEN: TOKEN,
      DESIRED_REPLICAS: 'api=1',
      RECONCILE_INTERVAL_MS: '200',
    });
    aggregator = await startAggregator(config, { metricsRegistry: metrics });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop('SIGKILL')));
    await aggregator?.stop();
    rmSync(lockDir, { recursive: true, force: true });
  });

  function client(instanceId: string, env: Record<string, string> = {}): PythonClient {
    const started = new PythonClient({
      AGGREGATOR_URL: aggregator.url,
      AGENT_APP: APP,
      AGENT_COMPONENT: 'api',
      AGENT_INSTANCE_ID: instanceId,
      DEPLOYMENT_ID: 'dep-py-1',
      HEARTBEAT_SECRET: SECRET,
      AGENT_INTERVAL_MS: '300',
      AGENT_TTL_MS: '1500',
      TMPDIR: lockDir,
      ...env,
    });
    clients.push(started);
    return started;
  }

  async function instances(): Promise<InstanceView[]> {
    const res = await fetch(`${aggregator.url}/api/v1/health/instances`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    if (res.status !== 200) throw new Error(`health/instances answered ${res.status}`);
    return ((await res.json()) as { instances: InstanceView[] }).instances;
  }

  const instance = async (id: string) => (await instances()).find((i) => i.instance_id === id);

  async function counter(name: string, label: string, value: string): Promise<number> {
    const metric = (await metrics.getMetricsAsJSON()).find((m) => m.name === name);
    const values = (metric?.values ?? []) as { labels: Record<string, unknown>; value: number }[];
    return values.find((v) => v.labels[label] === value)?.value ?? 0;
  }

  test('counted live without the API token (the signature authenticates), then `left` right after SIGTERM', async () => {
    const py = client('api-py-1');
    await py.line(
      (l) => l.message === 'heartbeats started' && l.signed === true,
      'the client started, signing',
    );
    const live = await waitFor(() => instance('api-py-1'), {
      until: (i) => i?.state === 'live',
      what: 'api-py-1 live',
    });
    expect(live).toMatchObject({ component: 'api', deployment_id: 'dep-py-1', serving: null });
    expect(live?.rss_bytes).toBeGreaterThan(0);
    const report = (await (
      await fetch(`${aggregator.url}/api/v1/monitoring/replicas?instances=false`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).json()) as { components: { name: string; live: number }[] };
    expect(report.components.find((c) => c.name === 'api')?.live).toBe(1);
    // Several heartbeats of one boot, none refused as replays: seq and sent_at are what the guard expects.
    await waitFor(() => counter('replica_watch_heartbeats_applied_total', 'outcome', 'updated'), {
      until: (n) => n >= 2,
      what: 'two more heartbeats applied',
    });
    expect(await counter('replica_watch_heartbeats_rejected_total', 'reason', 'replayed')).toBe(0);

    const { code, ms } = await py.stop('SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(2_000);
    expect(py.lines.some((l) => l.message === 'goodbye sent')).toBe(true);
    // `left`, not `gone`: only a goodbye makes an instance `left` (an expired one is `gone`), so no
    // deadline is needed to prove it did not just time out.
    const left = await waitFor(() => instance('api-py-1'), {
      until: (i) => i?.state === 'left' || i?.state === 'gone',
      what: 'api-py-1 left',
    });
    expect(left?.state).toBe('left');
  });

  test('refused with the wrong HEARTBEAT_SECRET: 400 bad_signature with the token, 401 without; never counted', async () => {
    const rejectedBefore = await counter(
      'replica_watch_heartbeats_rejected_total',
      'reason',
      'bad_signature',
    );
    const withToken = client('api-py-forged-1', {
      HEARTBEAT_SECRET: WRONG_SECRET,
      AGGREGATOR_API_TOKEN: TOKEN,
    });
    const withoutToken = client('api-py-forged-2', { HEARTBEAT_SECRET: WRONG_SECRET });
    const refused400 = await withToken.line((l) => l.message === 'heartbeat not accepted', 'a refusal');
    expect(refused400).toMatchObject({ status: 400, err: expect.stringMatching(/400 bad_signature/) });
    const refused401 = await withoutToken.line((l) => l.message === 'heartbeat not accepted', 'a refusal');
    expect(refused401).toMatchObject({ status: 401, err: expect.stringMatching(/AGGREGATOR_API_TOKEN/) });
    await waitFor(() => counter('replica_watch_heartbeats_rejected_total', 'reason', 'bad_signature'), {
      until: (n) => n >= rejectedBefore + 4,
      what: 'the forged heartbeats counted as bad_signature',
    });
    // A persisting refusal is logged once, not on every tick.
    expect(withToken.lines.filter((l) => l.message === 'heartbeat not accepted')).toHaveLength(1);
    const ids = (await instances()).map((i) => i.instance_id);
    expect(ids).not.toContain('api-py-forged-1');
    expect(ids).not.toContain('api-py-forged-2');

    const stopped = await withToken.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    expect(withToken.lines.some((l) => /^goodbye not sent/.test(String(l.message)))).toBe(true);
    expect((await withoutToken.stop('SIGTERM')).code).toBe(0);
  });

  test('processes of one instance elect one sender; a standby takes over when it dies', async () => {
    const first = client('api-py-workers');
    await first.line((l) => l.message === 'heartbeats started', 'the first process sending');
    const second = client('api-py-workers');
    await second.line((l) => /^standing by/.test(String(l.message)), 'the second process standing by');
    await waitFor(() => instance('api-py-workers'), { until: (i) => i?.state === 'live', what: 'live' });

    // Killed without a goodbye (a crashed worker): the lock goes with it.
    await first.stop('SIGKILL');
    const takeover = await second.line((l) => l.message === 'heartbeats started', 'the standby taking over');
    const firstBoot = first.lines.find((l) => l.message === 'heartbeats started')?.boot_id;
    expect(takeover.boot_id).not.toBe(firstBoot);
    await waitFor(() => counter('replica_watch_heartbeats_applied_total', 'outcome', 'updated'), {
      until: (n) => n > 0,
    });
    expect((await instance('api-py-workers'))?.state).toBe('live');

    expect((await second.stop('SIGTERM')).code).toBe(0);
    await waitFor(() => instance('api-py-workers'), { until: (i) => i?.state === 'left', what: 'left' });
  });

  test("the buildpack example's main.py: its lifespan starts the client, its end sends the goodbye", async () => {
    // FastAPI is not installed here (stdlib only): a stand-in with the two things main.py uses,
    // FastAPI(lifespan=...) and @app.get. The lifespan itself is main.py's own code.
    const stub = path.join(lockDir, 'stub');
    mkdirSync(path.join(stub, 'fastapi'), { recursive: true });
    writeFileSync(
      path.join(stub, 'fastapi/__init__.py'),
      [
        'class FastAPI:',
        '    def __init__(self, lifespan=None, **_):',
        '        self.lifespan = lifespan',
        '    def get(self, _path):',
        '        return lambda fn: fn',
        '',
      ].join('\n'),
    );
    const runner = [
      'import asyncio, sys',
      'import main',
      'async def serve():',
      '    async with main.app.lifespan(main.app):',
      '        print("serving", flush=True)',
      '        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)',
      '    print("stopped", flush=True)',
      'asyncio.run(serve())',
    ].join('\n');
    const child = spawn('python3', ['-c', runner], {
      env: {
        PATH: process.env.PATH ?? '',
        PYTHONPATH: [
          stub,
          path.join(REPO_ROOT, 'deploy/digitalocean/python-buildpack'),
          path.dirname(CLIENT),
        ].join(path.delimiter),
        AGGREGATOR_URL: aggregator.url,
        AGENT_APP: APP,
        AGENT_COMPONENT: 'api',
        HOSTNAME: 'api-5d8f7c9b4-buildpack',
        HEARTBEAT_SECRET: SECRET,
        AGENT_INTERVAL_MS: '300',
        AGENT_TTL_MS: '1500',
        TMPDIR: lockDir,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => output.includes('serving'), { what: `main.py serving; output: ${output}` });
      await waitFor(() => instance('api-5d8f7c9b4-buildpack'), {
        until: (i) => i?.state === 'live',
        what: 'live',
      });
      child.stdin.end('\n');
      const left = await waitFor(() => instance('api-5d8f7c9b4-buildpack'), {
        until: (i) => i?.state === 'left' || i?.state === 'gone',
        what: 'left after the lifespan ended',
      });
      expect(left?.state).toBe('left');
      expect(await exited).toBe(0);
      expect(output).toContain('stopped');
      expect(output).not.toContain(SECRET);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('the Dockerfile example compiles (its main.py needs no client: the agent runs beside it)', () => {
    const main = path.join(REPO_ROOT, 'deploy/digitalocean/python-docker/main.py');
    const compiled = spawnSync(
      'python3',
      ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read())', main],
      {
        encoding: 'utf8',
      },
    );
    expect({ status: compiled.status, stderr: compiled.stderr }).toEqual({ status: 0, stderr: '' });
    expect(readFileSync(main, 'utf8')).not.toMatch(/replica_watch_heartbeat/);
  });

  test("docs/heartbeat-protocol.md's curl and openssl example, run as written, is accepted", async () => {
    const doc = readFileSync(path.join(REPO_ROOT, 'docs/heartbeat-protocol.md'), 'utf8');
    const script = /<!-- shell-example -->\s*```sh\n([\s\S]*?)\n```/.exec(doc)?.[1];
    expect(script).toBeDefined();
    // Not spawnSync: the aggregator answering curl runs in this process's event loop.
    const bash = spawn('bash', ['-euc', script ?? ''], {
      env: {
        PATH: process.env.PATH ?? '',
        AGGREGATOR_URL: aggregator.url,
        HEARTBEAT_SECRET: SECRET,
        AGENT_APP: APP,
      },
      // A socket as stdin (libuv's pipes) makes bash think sshd started it and read bashrc.
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run = { stdout: '', stderr: '', status: null as number | null };
    bash.stdout.on('data', (chunk: Buffer) => (run.stdout += chunk.toString()));
    bash.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
    run.status = await new Promise<number | null>((resolve) => bash.once('exit', (code) => resolve(code)));
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual({ status: 'accepted', outcome: 'new' });
    await waitFor(() => instance('shell-1'), { until: (i) => i?.state === 'live', what: 'shell-1 live' });
  });

  test('no secret or token in anything the clients wrote', () => {
    const written = clients.map((c) => c.output()).join('\n');
    expect(written.length).toBeGreaterThan(0);
    for (const secret of [SECRET, TOKEN, WRONG_SECRET]) expect(written).not.toContain(secret);
  });
});
