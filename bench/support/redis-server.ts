/**
 * The benchmark run's redis-server, from the one launcher the tests use too
 * (test/support/redis-server.ts): a free loopback port, no persistence, stopped by PID; the
 * machine's own Redis on 6379 is never touched and REDIS_URL is not read. Also runs
 * `redis-benchmark` against it.
 */
import { spawnSync } from 'node:child_process';
import { createClient, type RedisClientType } from 'redis';
import { launchRedisServer, type LaunchedRedis } from '../../test/support/redis-server';

export { freePort } from '../../test/support/redis-server';

/** The run's own server: url, port, pid, version; `stop()` is idempotent. */
export type BenchRedis = LaunchedRedis;

/**
 * A plain node-redis client to the run's server, for what the suites arrange and count beside
 * replica-watch's own commands (FLUSHALL, XLEN, the naive design's HASHes). It satisfies
 * RedisCommands, so recordHeartbeat writes through it too. The caller closes it.
 */
export async function connectBenchClient(url: string): Promise<RedisClientType> {
  const client: RedisClientType = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Starts redis-server for one benchmark run (warnings only in its log: it is not read). */
export function startBenchRedis(): Promise<BenchRedis> {
  return launchRedisServer({ extraArgs: ['--loglevel', 'warning'] });
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
