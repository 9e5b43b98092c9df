/**
 * The agent as one self-contained executable, as issue 12's "Done when" has it: `npm run
 * package:agent`, then dist/agent-bin/replica-watch-agent copied ALONE into an empty directory
 * and started there with `env -i` (no PATH, so no node to find; no node_modules anywhere near).
 * It heartbeats, signed with HEARTBEAT_SECRET, into an aggregator started in-process, is counted
 * live, and on SIGTERM says goodbye (the instance is `left` at once) and exits 0 within 2 s. Its
 * other exit codes hold too (2 a bad environment, 1 AGENT_PORT taken), and dist/agent-bin's
 * run-with-agent.sh finds the executable beside it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
} from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { startAggregator, type RunningAggregator } from '../../aggregator/app';
import { loadAggregatorConfig } from '../../aggregator/config';
import { collectOutput, REPO_ROOT, type LogLine } from '../support/spawn';
import { waitFor } from '../support/wait';

const BIN_DIR = path.join(REPO_ROOT, 'dist/agent-bin');
const APP = 'bin-e2e';
const SECRET = 'agent-binary-e2e-heartbeat-secret';
/** esbuild, node's blob step, a copy of node (~90 MB) and postject, on a loaded 2-core machine. */
const PACKAGE_TIMEOUT_MS = 240_000;
/** The agent's promise (DESIGN.md) plus the signal's delivery and the exit's notice on a busy box. */
const SIGTERM_EXIT_MS = 2_000 + 500;

/** A child process whose stdout JSON lines are collected, and whose exit can be awaited. */
interface Started {
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  output(): string;
  line(match: (line: LogLine) => boolean, what: string): Promise<LogLine>;
  /** Sends `signal` (unless it is gone) and resolves with the exit code or signal name. */
  stop(signal: NodeJS.Signals): Promise<number | string>;
  exited: Promise<number | string>;
}

const running: Started[] = [];

function start(command: string, args: readonly string[], cwd: string): Started {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const { lines, output } = collectOutput(child);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? '?')),
  );
  const started: Started = {
    child,
    lines,
    output,
    line: (match, what) => waitFor(() => lines.find(match), { what: `${what}; output so far:\n${output()}` }),
    stop: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    exited,
  };
  running.push(started);
  return started;
}

/** `env -i NAME=value ... ./replica-watch-agent`, in `dir`: nothing inherited. */
function startAlone(dir: string, env: Record<string, string>): Started {
  const assignments = Object.entries(env).map(([name, value]) => `${name}=${value}`);
  return start('env', ['-i', ...assignments, './replica-watch-agent'], dir);
}

/** The environment a process runs with, as the kernel has it. */
function environOf(pid: number): Record<string, string> {
  const raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
  return Object.fromEntries(
    raw
      .split('\0')
      .filter(Boolean)
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
}

interface InstanceView {
  readonly instance_id: string;
  readonly component: string;
  readonly state: string;
  readonly deployment_id: string | null;
  readonly started_at: string;
  readonly rss_bytes: number | null;
}

let aggregator: RunningAggregator;
const dirs: string[] = [];

function emptyDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

async function instance(id: string): Promise<InstanceView | undefined> {
  const res = await fetch(`${aggregator.url}/api/v1/health/instances`);
  if (res.status !== 200) throw new Error(`health/instances answered ${res.status}`);
  return ((await res.json()) as { instances: InstanceView[] }).instances.find((i) => i.instance_id === id);
}

function agentEnv(instanceId: string): Record<string, string> {
  return {
    AGENT_ENABLED: 'true',
    AGGREGATOR_URL: aggregator.url,
    HEARTBEAT_SECRET: SECRET,
    AGENT_APP: APP,
    AGENT_COMPONENT: 'backend',
    AGENT_INSTANCE_ID: instanceId,
    DEPLOYMENT_ID: 'dep-bin-1',
    AGENT_PORT: '0',
    AGENT_HOST: '127.0.0.1',
    AGENT_INTERVAL_MS: '300',
    AGENT_TTL_MS: '1500',
  };
}

beforeAll(async () => {
  // Exactly what a user runs on a clean clone; it needs no `npm run build` first.
  const packaged = spawnSync('npm', ['run', '-s', 'package:agent'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: PACKAGE_TIMEOUT_MS - 10_000,
  });
  if (packaged.status !== 0) {
    throw new Error(
      `npm run package:agent failed (${packaged.status}):\n${packaged.stderr}${packaged.stdout}`,
    );
  }
  const config = loadAggregatorConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    AGGREGATOR_APP: APP,
    HEARTBEAT_SECRET: SECRET,
    DESIRED_REPLICAS: 'backend=1',
    RECONCILE_INTERVAL_MS: '200',
  });
  aggregator = await startAggregator(config, { metricsRegistry: new Registry() });
}, PACKAGE_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(running.map((p) => p.stop('SIGKILL')));
  await aggregator?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the executable, alone in a new empty directory. */
function executableAlone(): string {
  const dir = emptyDir('rw-agent-bin-');
  copyFileSync(path.join(BIN_DIR, 'replica-watch-agent'), path.join(dir, 'replica-watch-agent'));
  chmodSync(path.join(dir, 'replica-watch-agent'), 0o755);
  expect(readdirSync(dir)).toEqual(['replica-watch-agent']);
  return dir;
}

test('copied alone and started with env -i: counted live, signed; SIGTERM: goodbye, `left`, exit 0 within 2 s', async () => {
  const dir = executableAlone();
  const env = agentEnv('bin-1');
  const agent = startAlone(dir, env);
  await agent.line((l) => l.message === 'agent listening', 'the agent listening');

  // What runs is the copied file, with nothing but the variables given: no PATH, no NODE_*.
  const pid = agent.child.pid as number;
  expect(readlinkSync(`/proc/${pid}/exe`)).toBe(path.join(dir, 'replica-watch-agent'));
  expect(environOf(pid)).toEqual(env);

  await agent.line((l) => l.message === 'first heartbeat sent', 'the first heartbeat');
  const live = await waitFor(() => instance('bin-1'), {
    until: (i) => i?.state === 'live',
    what: 'bin-1 live',
  });
  expect(live).toMatchObject({ component: 'backend', deployment_id: 'dep-bin-1' });
  expect(live?.rss_bytes).toBeGreaterThan(0);

  const terminatedAt = Date.now();
  const code = await agent.stop('SIGTERM');
  expect(code).toBe(0);
  expect(Date.now() - terminatedAt).toBeLessThan(SIGTERM_EXIT_MS);
  expect(agent.lines.some((l) => l.message === 'goodbye sent')).toBe(true);
  // The goodbye, not a TTL: `left` straight away.
  const left = await waitFor(() => instance('bin-1'), {
    until: (i) => i?.state === 'left',
    what: 'bin-1 left',
    timeoutMs: 1_000,
  });
  expect(left?.state).toBe('left');
  // Nothing was written beside it.
  expect(readdirSync(dir)).toEqual(['replica-watch-agent']);
});

test('keeps the exit codes: 2 on a bad environment (naming every bad variable), 1 when AGENT_PORT is taken', async () => {
  const dir = executableAlone();
  const bad = startAlone(dir, { AGENT_PORT: 'not-a-port', AGENT_INTERVAL_MS: 'soon' });
  expect(await bad.exited).toBe(2);
  expect(bad.output()).toContain('AGENT_PORT');
  expect(bad.output()).toContain('AGENT_INTERVAL_MS');

  const taken: Server = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  try {
    const port = String((taken.address() as AddressInfo).port);
    const refused = startAlone(dir, { ...agentEnv('bin-port'), AGENT_PORT: port });
    expect(await refused.exited).toBe(1);
    expect(refused.lines.find((l) => l.message === 'agent could not start')).toMatchObject({
      variable: 'AGENT_PORT',
      value: port,
      reason: 'port_in_use',
    });
  } finally {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
  }
});

test('dist/agent-bin/run-with-agent.sh runs the executable beside it with a backend; a stop reaches both', async () => {
  const dir = emptyDir('rw-agent-bin-pair-');
  for (const file of ['replica-watch-agent', 'run-with-agent.sh']) {
    copyFileSync(path.join(BIN_DIR, file), path.join(dir, file));
    chmodSync(path.join(dir, file), 0o755);
  }
  // A backend of plain sh that exits 7 on SIGTERM; the script needs only sh, date, sleep, kill.
  const backend = 'trap "exit 7" TERM; while :; do sleep 0.1; done';
  const assignments = Object.entries(agentEnv('bin-pair')).map(([name, value]) => `${name}=${value}`);
  const pair = start(
    'env',
    ['-i', 'PATH=/usr/bin:/bin', ...assignments, './run-with-agent.sh', 'sh', '-c', backend],
    dir,
  );
  await waitFor(() => instance('bin-pair'), { until: (i) => i?.state === 'live', what: 'bin-pair live' });
  expect(await pair.stop('SIGTERM')).toBe(7);
  expect(pair.lines.some((l) => l.message === 'goodbye sent')).toBe(true);
  expect((await instance('bin-pair'))?.state).toBe('left');
});
