/**
 * Real processes for end-to-end tests: the built entry points (`dist/...`), their JSON log lines
 * read back from stdout, signals sent and exits awaited.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../..');

export interface LogLine {
  readonly message?: string;
  readonly level?: string;
  readonly [field: string]: unknown;
}

export interface SpawnedProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  /** Everything written to stdout and stderr, for failure messages. */
  output(): string;
  /** Resolves with the first log line (already seen or future) that matches. */
  waitForLine(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sends a signal and resolves with the exit code (or signal name) once the process is gone. */
  signal(signal: NodeJS.Signals): Promise<number | string>;
  exited(): Promise<number | string>;
  /**
   * Resolves with the exit code (or signal name) if the process exits within `timeoutMs`, else
   * rejects with its output. It does not kill: the test's cleanup (killAll) does.
   */
  exitWithin(timeoutMs: number): Promise<number | string>;
  /** Date.now() when the exit was seen; null while the process runs. */
  exitedAtMs(): number | null;
}

/** A child's output read back: its stdout JSON lines in order, and everything it wrote. */
export interface CollectedOutput {
  readonly lines: LogLine[];
  /** Everything written to stdout and stderr, for failure messages. */
  output(): string;
}

/**
 * Reads a child's stdout as JSON log lines (a line that is not JSON stays in output() only) and
 * its stderr as text; `onLine` sees each log line as it arrives.
 */
export function collectOutput(
  child: ChildProcess,
  onLine: (line: LogLine) => void = () => undefined,
): CollectedOutput {
  const lines: LogLine[] = [];
  let text = '';
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    pending += chunk.toString();
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const raw = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      let line: LogLine;
      try {
        line = JSON.parse(raw) as LogLine;
      } catch {
        continue;
      }
      lines.push(line);
      onLine(line);
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { lines, output: () => text };
}

/** Runs `node dist/<script>` with only the given environment (plus PATH). */
export function spawnBuilt(script: string, env: Record<string, string>): SpawnedProcess {
  const file = path.join(REPO_ROOT, 'dist', script);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [file], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  const { lines, output } = collectOutput(child, (line) => {
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  let exitedAt: number | null = null;
  const exit = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      exitedAt = Date.now();
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  return {
    child,
    lines,
    output,
    waitForLine: (match, timeoutMs = 20_000) => {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(
            new Error(`no matching log line within ${timeoutMs} ms from ${script}; output:\n${output()}`),
          );
        }, timeoutMs);
        const waiter = {
          match,
          resolve: (line: LogLine) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        waiters.push(waiter);
        exit.then(() => {
          if (waiters.includes(waiter)) {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(waiter), 1);
            reject(new Error(`${script} exited before the expected log line; output:\n${output()}`));
          }
        });
      });
    },
    signal: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exit;
    },
    exited: () => exit,
    exitWithin: (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${script} still running after ${timeoutMs} ms; output:\n${output()}`)),
          timeoutMs,
        );
      });
      return Promise.race([exit, late]).finally(() => clearTimeout(timer));
    },
    exitedAtMs: () => exitedAt,
  };
}

/**
 * The environment of a built agent with fast heartbeats (every 500 ms, TTL 1.5 s) and its health
 * server on a free loopback port; `env` adds the transport (REDIS_URL or AGGREGATOR_URL) and the rest.
 */
export function fastAgentEnv(
  app: string,
  instanceId: string,
  env: Record<string, string> = {},
): Record<string, string> {
  return {
    AGENT_ENABLED: 'true',
    AGENT_APP: app,
    AGENT_INSTANCE_ID: instanceId,
    AGENT_INTERVAL_MS: '500',
    AGENT_TTL_MS: '1500',
    AGENT_PORT: '0',
    AGENT_HOST: '127.0.0.1',
    ...env,
  };
}

/** One built agent (fastAgentEnv) per instance id. */
export function spawnAgents(
  app: string,
  instanceIds: readonly string[],
  env: Record<string, string> = {},
): SpawnedProcess[] {
  return instanceIds.map((id) => spawnBuilt('agent/main.js', fastAgentEnv(app, id, env)));
}

/** Kills every process still running (afterAll/afterEach safety net). */
export async function killAll(processes: readonly SpawnedProcess[]): Promise<void> {
  await Promise.all(processes.map((p) => p.signal('SIGKILL')));
}
