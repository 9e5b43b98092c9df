/**
 * A private redis-server for one benchmark run, on a free loopback port (the approach of
 * test/support/redis-server.ts): the machine's own Redis on 6379 is never touched, and the
 * server dies with the run. Also runs `redis-benchmark` against it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createClient } from 'redis';

export interface BenchRedis {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly version: string;
  /** Idempotent: SIGTERM, then SIGKILL after 3 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/** A port nobody listens on right now (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function waitForPing(url: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const client = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 500 } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      await client.close();
      return;
    } catch {
      if (client.isOpen) client.destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`redis-server did not answer PING within ${deadlineMs} ms`);
}

/** Starts redis-server (no persistence) on a free port; retries once if the port was taken meanwhile. */
export async function startBenchRedis(): Promise<BenchRedis> {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'redis-server is not on PATH: the benchmarks need one (Debian: apt-get install redis-server)',
    );
  }
  const version = /v=([\d.]+)/.exec(probe.stdout)?.[1] ?? 'unknown';
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const url = `redis://127.0.0.1:${port}`;
    try {
      await waitForPing(url, child, 10_000);
    } catch (err) {
      child.kill('SIGKILL');
      await exited(child);
      if (attempt === 0 && output.includes('Address already in use')) continue;
      throw new Error(`${(err as Error).message}\n${output}`);
    }
    let stopping: Promise<void> | undefined;
    return {
      url,
      port,
      pid: child.pid as number,
      version,
      stop: () =>
        (stopping ??= (async () => {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
          await exited(child);
          clearTimeout(timer);
        })()),
    };
  }
}

/**
 * `redis-benchmark <args> -P 1 -c 50 -n <requests> -q` on the server: requests per second.
 * `__rand_int__` in the arguments becomes a random number below 100,000 on every call.
 */
export function redisBenchmark(port: number, args: string[], requests: number): number {
  const run = spawnSync(
    'redis-benchmark',
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-P',
      '1',
      '-c',
      '50',
      '-n',
      String(requests),
      '-r',
      '100000',
      '-q',
      ...args,
    ],
    { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
  );
  if (run.error || run.status !== 0) {
    throw new Error(`redis-benchmark failed: ${run.error?.message ?? run.stderr.slice(0, 500)}`);
  }
  // The final figure ends the output: "<test>: 81234.56 requests per second, p50=…".
  const matches = [...run.stdout.matchAll(/: ([\d.]+) requests per second/g)];
  const rps = Number(matches[matches.length - 1]?.[1]);
  if (!Number.isFinite(rps)) throw new Error(`cannot read redis-benchmark output: ${run.stdout.slice(-500)}`);
  return rps;
}
