/**
 * `redis-benchmark`, the C client that comes with redis-server, run against the bench's own
 * server with its pipelining and clients spelled out: the figure a Node writer is held to.
 */
import { spawn } from 'node:child_process';

export interface RedisBenchmarkOptions {
  /** The bench's redis-server (bench/support/redis-server.ts), never the machine's 6379. */
  readonly port: number;
  readonly host?: string;
  /** What to run: `['-t', 'set']`, or a command line such as `['EVALSHA', sha, '3', …]`. */
  readonly command: readonly string[];
  /** -n: requests in all. */
  readonly requests: number;
  /** -c: parallel connections (default 50). */
  readonly clients?: number;
  /** -P: commands pipelined per connection (default 16). */
  readonly pipeline?: number;
  /** -r: `__rand_int__` becomes a random number below this on every call (default 100,000). */
  readonly keyspace?: number;
}

/** One run's figure and how it was taken. */
export interface RedisBenchmarkFigure {
  /** Requests per second, as redis-benchmark reports it. */
  readonly perSecond: number;
  readonly requests: number;
  readonly clients: number;
  readonly pipeline: number;
}

/** The argument list `runRedisBenchmark` passes (without the binary's name). */
export function redisBenchmarkArgs(options: RedisBenchmarkOptions): string[] {
  return [
    '-h',
    options.host ?? '127.0.0.1',
    '-p',
    String(options.port),
    '-n',
    String(options.requests),
    '-c',
    String(options.clients ?? 50),
    '-P',
    String(options.pipeline ?? 16),
    '-r',
    String(options.keyspace ?? 100_000),
    '-q',
    ...options.command,
  ];
}

/** Runs redis-benchmark to the end; its final requests-per-second figure. */
export function runRedisBenchmark(options: RedisBenchmarkOptions): Promise<RedisBenchmarkFigure> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-benchmark', redisBenchmarkArgs(options), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // -q still writes a progress line per quarter second ("\r…"): keep the tail only.
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out = (out + chunk.toString()).slice(-4_000)));
    child.stderr.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`redis-benchmark did not start (is it on PATH?): ${error.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      // The final figure: "<test>: 81234.56 requests per second, p50=…" (progress lines say "rps=").
      const matches = [...out.matchAll(/: ([\d.]+) requests per second/g)];
      const perSecond = Number(matches[matches.length - 1]?.[1]);
      if (code !== 0 || !Number.isFinite(perSecond)) {
        reject(new Error(`redis-benchmark failed (exit ${code}): ${(err || out).slice(-500)}`));
        return;
      }
      resolve({
        perSecond,
        requests: options.requests,
        clients: options.clients ?? 50,
        pipeline: options.pipeline ?? 16,
      });
    });
  });
}
