/**
 * run-with-agent.sh supervising real processes, under dash (/bin/sh) and bash: a stop (SIGTERM
 * or SIGINT) reaches the backend and the agent; a crashed agent is started again after 100, 200,
 * 400, 400 ms (capped) while the backend runs untouched; an agent that exits 2 (bad environment)
 * or cannot be executed is not restarted; a backend that dies on its own takes the agent down
 * without a goodbye, even while a restart is pending; the script exits with the backend's status.
 * Stand-ins record what happened to them with timestamps; one test runs the real built agent
 * against an aggregator started in-process: kill -9 it and it comes back with a new boot, stop
 * the script and its goodbye marks the instance `left`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { startAggregator, type RunningAggregator } from '../../aggregator/app';
import { loadAggregatorConfig } from '../../aggregator/config';
import { REPO_ROOT } from '../support/spawn';
import { sampleFor, waitFor } from '../support/wait';

const SCRIPT = path.join(REPO_ROOT, 'deploy/digitalocean/run-with-agent.sh');
/** The agent's stop budget (2 s) plus what a loaded 2-core machine adds to a process exit. */
const STOP_MS = 2_000 + 1_000;

let dir: string;
let logCount = 0;

/**
 * A stand-in appends `<role> <pid> <event> <ms>` to $LOG: start, TERM (then exits after 50 ms:
 * the agent 0, the backend 7), crash. The agent crashes right after its start with
 * AGENT_CRASH_CODE; the backend exits 3 once $LOG shows the agent's start (CRASH=running) or its
 * crash (CRASH=agent-crashed), so that there is an agent, or a pending restart, to take down.
 */
const STAND_IN = `
  const fs = require('node:fs');
  const role = process.argv[2];
  const log = (event) => fs.appendFileSync(process.env.LOG, role + ' ' + process.pid + ' ' + event + ' ' + Date.now() + '\\n');
  log('start');
  process.on('SIGTERM', () => { log('TERM'); setTimeout(() => process.exit(role === 'agent' ? 0 : 7), 50); });
  if (role === 'agent' && process.env.AGENT_CRASH_CODE) {
    setTimeout(() => { log('crash'); process.exit(Number(process.env.AGENT_CRASH_CODE)); }, 20);
  }
  const awaited = { running: 'agent ' , 'agent-crashed': ' crash ' }[process.env.CRASH ?? ''];
  if (role === 'backend' && awaited) setInterval(() => {
    if (fs.readFileSync(process.env.LOG, 'utf8').split('\\n').some((l) => l.startsWith('agent') && (l + ' ').includes(awaited))) {
      log('crash'); process.exit(3);
    }
  }, 20);
  setInterval(() => {}, 1000);
`;

interface Event {
  readonly role: string;
  readonly pid: number;
  readonly event: string;
  readonly atMs: number;
}

function events(log: string): Event[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [role = '', pid = '0', event = '', atMs = '0'] = line.split(' ');
      return { role, pid: Number(pid), event, atMs: Number(atMs) };
    });
}

const of = (all: readonly Event[], role: string, event: string) =>
  all.filter((e) => e.role === role && e.event === event);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Run {
  readonly child: ChildProcess;
  readonly log: string;
  readonly exited: Promise<number | string>;
  /** The script's own JSON lines (stderr). */
  readonly said: () => Record<string, unknown>[];
  output(): string;
}

const runs: Run[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rw-run-with-agent-'));
  writeFileSync(path.join(dir, 'stand-in.js'), STAND_IN);
  // The agent as an executable (REPLICA_WATCH_AGENT), as the packaged one is.
  const agent = path.join(dir, 'agent');
  writeFileSync(agent, `#!/bin/sh\nexec "${process.execPath}" "${path.join(dir, 'stand-in.js')}" agent\n`);
  chmodSync(agent, 0o755);
});

afterAll(() => {
  for (const run of runs) run.child.kill('SIGKILL');
  for (const run of runs) for (const e of events(run.log)) if (alive(e.pid)) process.kill(e.pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function run(shell: string, env: Record<string, string> = {}, backend?: readonly string[]): Run {
  const log = path.join(dir, `run-${++logCount}.log`);
  const command = backend ?? [process.execPath, path.join(dir, 'stand-in.js'), 'backend'];
  const child = spawn(shell, [SCRIPT, ...command], {
    env: {
      PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      LOG: log,
      REPLICA_WATCH_AGENT: path.join(dir, 'agent'),
      AGENT_RESTART_DELAY_MS: '100',
      AGENT_RESTART_MAX_DELAY_MS: '400',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? '?')),
  );
  const said = () =>
    stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.service === 'run-with-agent');
  const started = { child, log, exited, said, output: () => `${stdout}${stderr}` };
  runs.push(started);
  return started;
}

const bothStarted = (r: Run) =>
  waitFor(() => events(r.log), {
    until: (all) => of(all, 'agent', 'start').length >= 1 && of(all, 'backend', 'start').length === 1,
    what: 'the agent and the backend started',
  });

describe.each(['sh', 'bash'])('under %s', (shell) => {
  test.each(['SIGTERM', 'SIGINT'] as const)(
    '%s reaches the backend and the agent (as SIGTERM); the exit status is the backend’s',
    async (signal) => {
      const r = run(shell);
      await bothStarted(r);
      r.child.kill(signal);
      expect(await r.exited).toBe(7);
      const all = events(r.log);
      expect(of(all, 'agent', 'TERM')).toHaveLength(1);
      expect(of(all, 'backend', 'TERM')).toHaveLength(1);
      expect(all.filter((e) => alive(e.pid))).toEqual([]);
    },
  );

  test('a crashed agent is restarted with capped backoff; the backend is never touched', async () => {
    const r = run(shell, { AGENT_CRASH_CODE: '1' });
    const all = await waitFor(() => events(r.log), {
      until: (seen) => of(seen, 'agent', 'start').length >= 5,
      what: 'five agent starts',
    });
    const restarts = r.said().filter((l) => l.message === 'agent exited, restarting');
    expect(restarts.slice(0, 4).map((l) => [l.status, l.restart_in_ms])).toEqual([
      [1, 100],
      [1, 200],
      [1, 400],
      [1, 400],
    ]);
    // Each start comes at least its delay after the crash before it.
    const crashes = of(all, 'agent', 'crash');
    const starts = of(all, 'agent', 'start');
    [100, 200, 400, 400].forEach((delayMs, i) => {
      const crash = crashes[i] as Event;
      const next = starts[i + 1] as Event;
      expect(next.atMs - crash.atMs).toBeGreaterThanOrEqual(delayMs);
    });
    expect(new Set(starts.map((s) => s.pid)).size).toBe(starts.length);
    expect(of(all, 'backend', 'start')).toHaveLength(1);
    expect(of(all, 'backend', 'TERM')).toHaveLength(0);

    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(7);
    expect(events(r.log).filter((e) => alive(e.pid))).toEqual([]);
  });

  test.each([
    ['exits 2 (a bad environment)', { AGENT_CRASH_CODE: '2' }, 2, /bad environment, not restarted/],
    ['cannot be executed', { REPLICA_WATCH_AGENT: '/nonexistent/replica-watch-agent' }, 127, /not restarted/],
  ])('an agent that %s is not restarted; the backend runs on', async (_name, env, status, message) => {
    const r = run(shell, env);
    const refusal = await waitFor(() => r.said().find((l) => message.test(String(l.message))), {
      what: `"${String(message)}" from the script; output:\n${r.output()}`,
    });
    expect(refusal).toMatchObject({ level: 'error', status });
    const samples = await sampleFor(600, () => events(r.log), 50);
    expect(samples.every((all) => of(all, 'agent', 'start').length <= 1)).toBe(true);
    const backend = of(events(r.log), 'backend', 'start')[0] as Event;
    expect(alive(backend.pid)).toBe(true);
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(7);
  });

  test.each([
    ['while the agent runs', 'running'],
    ['while an agent restart is pending', 'agent-crashed'],
  ])('a backend that dies on its own %s takes the agent down, without a goodbye', async (_name, crash) => {
    // A long first delay: an exit that waited for the pending restart would show.
    const r = run(shell, {
      CRASH: crash,
      AGENT_RESTART_DELAY_MS: '20000',
      AGENT_RESTART_MAX_DELAY_MS: '20000',
      ...(crash === 'agent-crashed' ? { AGENT_CRASH_CODE: '1' } : {}),
    });
    expect(await r.exited).toBe(3);
    const all = events(r.log);
    const crashedAt = (of(all, 'backend', 'crash')[0] as Event).atMs;
    expect(Date.now() - crashedAt).toBeLessThan(STOP_MS);
    expect(of(all, 'agent', 'TERM')).toHaveLength(0);
    expect(of(all, 'agent', 'start')).toHaveLength(1);
    expect(all.filter((e) => alive(e.pid))).toEqual([]);
  });
});

describe('with the real agent (dist/agent/main.js) and an aggregator', () => {
  const APP = 'rwa-e2e';
  let aggregator: RunningAggregator;

  beforeAll(async () => {
    const config = loadAggregatorConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      AGGREGATOR_APP: APP,
      DESIRED_REPLICAS: 'backend=1',
      RECONCILE_INTERVAL_MS: '200',
    });
    aggregator = await startAggregator(config, { metricsRegistry: new Registry() });
  });

  afterAll(async () => {
    await aggregator?.stop();
  });

  interface InstanceView {
    readonly instance_id: string;
    readonly state: string;
    readonly started_at: string;
  }

  async function instance(id: string): Promise<InstanceView | undefined> {
    const res = await fetch(`${aggregator.url}/api/v1/health/instances`);
    if (res.status !== 200) throw new Error(`health/instances answered ${res.status}`);
    return ((await res.json()) as { instances: InstanceView[] }).instances.find((i) => i.instance_id === id);
  }

  /** The pid of the agent the script started: its descendant running dist/agent/main.js. */
  function agentPid(r: Run): number {
    const parents = new Map<number, number>();
    for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        // pid (comm) state ppid ...: the comm may hold spaces, so split after its ')'.
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch {
        // gone meanwhile
      }
    }
    const descends = (pid: number): boolean => {
      for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) {
        if (p === r.child.pid) return true;
      }
      return false;
    };
    const agents = [...parents.keys()].filter((pid) => {
      try {
        return descends(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dist/agent/main.js');
      } catch {
        return false;
      }
    });
    return agents.length === 1 ? (agents[0] as number) : 0;
  }

  test('kill -9 the agent: it comes back (a new boot) with the backend untouched; a stop: goodbye, `left`', async () => {
    const r = run('sh', {
      REPLICA_WATCH_AGENT_MAIN: path.join(REPO_ROOT, 'dist/agent/main.js'),
      AGENT_ENABLED: 'true',
      AGGREGATOR_URL: aggregator.url,
      AGENT_APP: APP,
      AGENT_COMPONENT: 'backend',
      AGENT_INSTANCE_ID: 'rwa-1',
      AGENT_PORT: '0',
      AGENT_HOST: '127.0.0.1',
      AGENT_INTERVAL_MS: '300',
      AGENT_TTL_MS: '1500',
    });
    const first = await waitFor(() => instance('rwa-1'), {
      until: (i) => i?.state === 'live',
      what: 'rwa-1 live',
    });

    const pid = await waitFor(() => agentPid(r), { until: (p) => p > 0, what: 'the agent’s process' });
    process.kill(pid, 'SIGKILL');
    const again = await waitFor(() => instance('rwa-1'), {
      until: (i) => i?.state === 'live' && i.started_at !== first?.started_at,
      what: 'rwa-1 live again with a new started_at',
    });
    expect(again?.started_at).not.toBe(first?.started_at);
    expect(r.said().find((l) => l.message === 'agent exited, restarting')).toMatchObject({ status: 137 });
    const all = events(r.log);
    expect(of(all, 'backend', 'start')).toHaveLength(1);
    expect(of(all, 'backend', 'TERM')).toHaveLength(0);

    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(7);
    expect(r.output()).toContain('goodbye sent');
    expect((await instance('rwa-1'))?.state).toBe('left');
  });
});
