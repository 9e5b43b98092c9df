/**
 * The built entry points run as real processes, and what they cost read from /proc: CPU time
 * (utime + stime) and resident memory, as `ps` and the kernel account them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** dist/, where this file runs from once built (dist/bench/support/). */
export const DIST = path.resolve(__dirname, '..', '..');

export interface NodeProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the first JSON log line whose `message` (or `msg`) is `message`. */
  waitFor(message: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Every stdout line so far that parsed as JSON. */
  readonly lines: Record<string, unknown>[];
  output(): string;
  /** Sends `signal` and resolves once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs `node [nodeFlags] dist/<script> [args]` with `env` (plus PATH). */
export function spawnNode(
  script: string,
  env: Record<string, string>,
  options: { readonly args?: string[]; readonly nodeFlags?: string[] } = {},
): NodeProcess {
  const file = path.join(DIST, script);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), file, ...(options.args ?? [])], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: { message: string; resolve: (line: Record<string, unknown>) => void }[] = [];
  let text = '';
  let pending = '';
  const onLine = (raw: string) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return;
    }
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (line.message === waiter.message || line.msg === waiter.message) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    const s = chunk.toString();
    // Keep the tail only: a long run must not hold its whole log.
    text = (text + s).slice(-20_000);
    pending += s;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (text = (text + chunk.toString()).slice(-20_000)));
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    pid: child.pid as number,
    lines,
    output: () => text,
    waitFor(message, timeoutMs = 30_000) {
      const seen = lines.find((l) => l.message === message || l.msg === message);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(`${script} did not log "${message}" within ${timeoutMs} ms:\n${text.slice(-3_000)}`),
          );
        }, timeoutMs);
        const onExit = () => {
          clearTimeout(timer);
          reject(new Error(`${script} exited before logging "${message}":\n${text.slice(-3_000)}`));
        };
        child.once('exit', onExit);
        waiters.push({
          message,
          resolve: (line) => {
            clearTimeout(timer);
            child.off('exit', onExit);
            resolve(line);
          },
        });
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exit;
        clearTimeout(timer);
      }
    },
  };
}

/**
 * CPU time (ms, user + system, in USER_HZ ticks of 10 ms), resident memory and its peak (VmHWM:
 * since start, or since the last reset through /proc/<pid>/clear_refs) in bytes, from /proc.
 */
export function procUsage(pid: number): { cpuMs: number; rssBytes: number; peakRssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start past the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100; // USER_HZ on Linux
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return {
    cpuMs: ((utime + stime) * 1000) / ticksPerSecond,
    rssBytes: rssKb * 1024,
    peakRssBytes: peakKb * 1024,
  };
}

export interface UsageWindow {
  /** CPU time over the window, as a share of one core (0.1 = 10%). */
  readonly cpuShare: number;
  readonly cpuMs: number;
  readonly wallMs: number;
  /** RSS samples taken every `everyMs` during the window (MB). */
  readonly rssMb: number[];
}

/** Samples a process for `durationMs`: its CPU share and RSS, every `everyMs`. */
export async function sampleUsage(pid: number, durationMs: number, everyMs = 1_000): Promise<UsageWindow> {
  const start = procUsage(pid);
  const startedMs = Date.now();
  const rssMb: number[] = [start.rssBytes / 2 ** 20];
  while (Date.now() - startedMs < durationMs) {
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(everyMs, durationMs - (Date.now() - startedMs))),
    );
    rssMb.push(procUsage(pid).rssBytes / 2 ** 20);
  }
  const end = procUsage(pid);
  const wallMs = Date.now() - startedMs;
  const cpuMs = end.cpuMs - start.cpuMs;
  return { cpuShare: cpuMs / wallMs, cpuMs, wallMs, rssMb };
}

/** GETs a URL and returns the body text (fails on non-2xx). */
export async function getText(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(url, { headers });
  const body = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}: ${body.slice(0, 200)}`);
  return body;
}

/** Polls until `check` returns a value other than undefined, or throws after `timeoutMs`. */
export async function pollFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  everyMs = 20,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < until) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
  );
}

/**
 * Resets a process's peak RSS (VmHWM) to its current RSS (Linux ≥ 4.0, a process of the same
 * user), so that a later VmHWM is the exact peak since now; false where the kernel refuses.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
