/**
 * Ingest: heartbeats per second through the agents' Redis path (one atomic Lua round trip each)
 * and through HTTP ingest (POST /api/v1/heartbeats to an aggregator), next to
 * `redis-benchmark -t set -P 1 -c 50` on the same server. The writers are the load generator
 * itself, asked for far more than the machine can do, so each runs closed-loop: 50 writes in
 * flight (two processes × 25, one per connection), like redis-benchmark's 50 clients without
 * pipelining.
 */
import type { Heartbeat } from '../../shared/heartbeat';
import type { RedisCommands } from '../../shared/redis-client';
import { appKeys } from '../../shared/redis-keys';
import { feedRetentionMs, recordHeartbeat } from '../../shared/redis-scripts';
import { SimulatedFleet } from '../loadgen/fleet';
import { spawnNode } from '../support/processes';
import { connectBenchClient, redisBenchmark } from '../support/redis-server';
import { round } from '../support/stats';
import type { BenchContext, Suite, SuiteResult } from './types';

const WRITERS = 2;

/** The SHA1 recordHeartbeat calls its script by: what a client stand-in is asked to EVALSHA. */
async function scriptShaOf(heartbeat: Heartbeat, json: string): Promise<string> {
  let sha = '';
  const standIn = {
    evalSha: (called: string) => {
      sha = called;
      return Promise.resolve(0);
    },
  };
  await recordHeartbeat(standIn as unknown as RedisCommands, heartbeat, json);
  return sha;
}
const PER_WRITER = 25;

/** Runs WRITERS loadgen processes for `durationMs`; the heartbeats/s they achieved together. */
async function saturate(
  env: Record<string, string>,
  target: string[],
  durationMs: number,
): Promise<{ rate: number; errors: number }> {
  const writers = Array.from({ length: WRITERS }, (_, shard) =>
    spawnNode('bench/loadgen.js', env, {
      args: [
        '--instances',
        '200000',
        '--interval-ms',
        '1000',
        '--duration-ms',
        String(durationMs),
        '--concurrency',
        String(PER_WRITER),
        '--connections',
        String(PER_WRITER),
        '--shard',
        `${shard}/${WRITERS}`,
        '--app',
        'bench-ingest',
        '--progress-ms',
        '60000',
        ...target,
      ],
    }),
  );
  const done = await Promise.all(writers.map((w) => w.waitFor('loadgen done', durationMs + 60_000)));
  await Promise.all(writers.map((w) => w.stop()));
  return {
    rate: done.reduce((sum, d) => sum + Number(d.rate), 0),
    errors: done.reduce((sum, d) => sum + Number(d.errors), 0),
  };
}

export const ingestSuite: Suite = {
  name: 'ingest',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const durationMs = ctx.quick ? 3_000 : 20_000;
    const client = await connectBenchClient(ctx.redis.url);
    try {
      await client.flushAll();
      ctx.log('ingest: redis-benchmark SET');
      const setRate = redisBenchmark(ctx.redis.port, ['-t', 'set'], ctx.quick ? 50_000 : 500_000);
      await client.flushAll();
      // The server's own ceiling for our write: redis-benchmark (a C client) running the very
      // Lua script the agents run, with a random instance per call.
      ctx.log('ingest: redis-benchmark EVALSHA of the heartbeat script');
      const sample = new SimulatedFleet({
        instances: 1,
        app: 'bench-ingest',
        components: ['backend'],
        deployments: 1,
        oldShare: 0,
        intervalMs: 10_000,
        ttlMs: 30_000,
        startedAtMs: Date.now(),
      }).heartbeat(0, Date.now());
      // Loads the script into the server's cache, and learns the SHA1 the agents call it by.
      await recordHeartbeat(client, sample.heartbeat, sample.json);
      const scriptSha = await scriptShaOf(sample.heartbeat, sample.json);
      const keys = appKeys('bench-ingest');
      const scriptRate = redisBenchmark(
        ctx.redis.port,
        [
          'evalsha',
          scriptSha,
          '3',
          keys.heartbeat('i-__rand_int__'),
          keys.seen,
          keys.feed,
          'i-__rand_int__',
          sample.json,
          '30000',
          String(feedRetentionMs(30_000)),
        ],
        ctx.quick ? 20_000 : 200_000,
      );
      await client.flushAll();
      ctx.log('ingest: the Redis path');
      const viaRedis = await saturate({ REDIS_URL: ctx.redis.url }, [], durationMs);
      await client.flushAll();

      ctx.log('ingest: HTTP ingest');
      const aggregator = spawnNode('aggregator/main.js', {
        PORT: '0',
        HOST: '127.0.0.1',
        AGGREGATOR_APP: 'bench-ingest',
        RECONCILE_INTERVAL_MS: '1000',
        INGEST_RATE_LIMIT_PER_S: '0',
        LOG_LEVEL: 'info',
      });
      let viaHttp: { rate: number; errors: number };
      try {
        const listening = await aggregator.waitFor('aggregator listening');
        viaHttp = await saturate(
          {},
          ['--aggregator-url', `http://127.0.0.1:${String(listening.port)}`],
          durationMs,
        );
      } finally {
        await aggregator.stop();
      }
      const share = viaRedis.rate / setRate;
      return {
        name: 'ingest',
        title: 'Ingest rate: heartbeats/s through Redis and HTTP, next to redis-benchmark SET',
        method:
          `redis-benchmark -t set -P 1 -c 50 on the run's redis-server; then ${WRITERS} load generator processes × ${PER_WRITER} ` +
          `writes in flight (closed loop, ${durationMs / 1000} s) through the agents' Lua script (SET + ZADD + XADD), ` +
          "then the same against an aggregator's POST /api/v1/heartbeats (embedded mode, no rate limit). " +
          "Writers, Redis and the aggregator share the machine's cores.",
        rows: [
          { path: 'redis-benchmark SET -P 1 -c 50', per_second: round(setRate, 0), vs_set: 1, errors: 0 },
          {
            path: 'redis-benchmark EVALSHA of the heartbeat script -P 1 -c 50',
            per_second: round(scriptRate, 0),
            vs_set: round(scriptRate / setRate, 2),
            errors: 0,
          },
          {
            path: 'heartbeat via Redis (Lua: SET+ZADD+XADD)',
            per_second: round(viaRedis.rate, 0),
            vs_set: round(share, 2),
            errors: viaRedis.errors,
          },
          {
            path: 'heartbeat via HTTP ingest',
            per_second: round(viaHttp.rate, 0),
            vs_set: round(viaHttp.rate / setRate, 2),
            errors: viaHttp.errors,
          },
        ],
        targets: [
          {
            target: "ingest through the Redis path ≥ 80% of redis-benchmark's SET rate",
            measured:
              `${Math.round(viaRedis.rate)}/s = ${Math.round(share * 100)}% of ${Math.round(setRate)}/s ` +
              `(the script itself from a C client: ${Math.round(scriptRate)}/s = ${Math.round((scriptRate / setRate) * 100)}%)`,
            met: share >= 0.8,
          },
        ],
      };
    } finally {
      await client.flushAll().catch(() => undefined);
      await client.close();
    }
  },
};
