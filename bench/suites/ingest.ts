/**
 * Ingest: heartbeats per second through the agents' Redis path (one Lua call each) next to
 * `redis-benchmark` running the very same call (EVALSHA of the agents' script, same keys and
 * arguments) and SET on the same server, pipelined alike (-c 50 -P 16); and through HTTP ingest
 * (POST /api/v1/heartbeats to an aggregator, one heartbeat per request and in batches) next to
 * a bare node:http server taking the same bodies from the same client.
 *
 * The writer is the load generator itself, asked for far more than the machine can do, so it
 * runs closed-loop with a fixed number of heartbeats in flight. The machine is shared (other
 * work may run): the Redis figures are taken in alternating trials and their medians compared.
 *
 * `measureRedisIngestFrontier`, `measureHttpIngest` and `measureBareHttpIngest` are exported for
 * other suites; the suite below reports them.
 */
import { createClient } from 'redis';
import type { Heartbeat } from '../../shared/heartbeat';
import { SimulatedFleet } from '../loadgen/fleet';
import { callOf, callTemplateOf, scriptSourceOf } from '../loadgen/script-call';
import { MAX_BATCH } from '../loadgen/writers';
import { spawnNode } from '../support/processes';
import type { RedisBenchmarkFigure } from '../support/redis-benchmark';
import { runRedisBenchmark } from '../support/redis-benchmark';
import { median, round } from '../support/stats';
import type { BenchContext, Suite, SuiteResult } from './types';

const APP = 'bench-ingest';
const TTL_MS = 30_000;
/** Instances of the load generator's fleet, and redis-benchmark's -r: the same number of keys. */
const KEYSPACE = 100_000;

/** What the load generator achieved in one closed-loop run (summed over its processes). */
export interface LoadgenFigure {
  /** Heartbeats acknowledged per second. */
  readonly perSecond: number;
  /** Round trips per second (HTTP requests: a batch is one). */
  readonly requestsPerSecond: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Failed writes (refused or not sent). */
  readonly errors: number;
  readonly processes: number;
  readonly connections: number;
  readonly concurrency: number;
  readonly durationMs: number;
}

/** measureRedisIngestFrontier's answer. */
export interface RedisIngestFrontier {
  /** redis-benchmark running the agents' script via EVALSHA (median of the trials). */
  readonly evalsha: RedisBenchmarkFigure;
  /** redis-benchmark -t set, pipelined alike (median of the trials). */
  readonly set: RedisBenchmarkFigure;
  /** The load generator's Redis path (median of the trials). */
  readonly loadgen: LoadgenFigure;
  /** loadgen / evalsha: the target is ≥ 0.8. */
  readonly shareOfEvalsha: number;
  /** loadgen / set. */
  readonly shareOfSet: number;
  readonly trials: number;
  /** Every trial's figures, in the order taken. */
  readonly raw: { readonly evalsha: number[]; readonly set: number[]; readonly loadgen: number[] };
  /** The redis-benchmark command line of the script (the SHA and the sample arguments). */
  readonly evalshaCommand: readonly string[];
}

export interface RedisIngestOptions {
  /** Shorter runs (the bench's --quick). */
  readonly quick?: boolean;
  /** Alternating trials of each figure (default 3 quick, 5 full). */
  readonly trials?: number;
  /** Load generator processes (default 1: on a small machine a second only takes Redis' core). */
  readonly processes?: number;
  /** Redis connections per load generator process (default 4). */
  readonly connections?: number;
  /** Heartbeats in flight per process (default 1000: 250 pipelined per connection). */
  readonly concurrency?: number;
  /** A progress line. */
  readonly log?: (message: string) => void;
}

/** A heartbeat of the load generator's fleet, to learn the call and its size from. */
function sampleHeartbeat(): { heartbeat: Heartbeat; json: string } {
  return new SimulatedFleet({
    instances: 1,
    app: APP,
    components: ['backend'],
    deployments: 1,
    oldShare: 0,
    intervalMs: 1_000,
    ttlMs: TTL_MS,
    startedAtMs: Date.now(),
  }).heartbeat(0, Date.now());
}

/** Runs the load generator closed-loop (`processes` × `args`) for `durationMs`; the figures summed. */
async function runLoadgenProcesses(
  env: Record<string, string>,
  args: string[],
  shape: { processes: number; connections: number; concurrency: number; durationMs: number },
): Promise<LoadgenFigure> {
  const writers = Array.from({ length: shape.processes }, (_, shard) =>
    spawnNode('bench/loadgen.js', env, {
      // A larger young generation: the heartbeats in flight survive fewer scavenges (measured:
      // half the GC time at 1000 in flight), which leaves more of the machine to Redis.
      nodeFlags: ['--max-semi-space-size=64'],
      args: [
        '--instances',
        String(KEYSPACE),
        // 100k instances every 100 ms: a million a second asked for, far past what is possible.
        '--interval-ms',
        '100',
        '--ttl-ms',
        String(TTL_MS),
        '--duration-ms',
        String(shape.durationMs),
        '--concurrency',
        String(shape.concurrency),
        '--connections',
        String(shape.connections),
        '--shard',
        `${shard}/${shape.processes}`,
        '--app',
        APP,
        '--components',
        'backend',
        '--deployments',
        '1',
        '--progress-ms',
        '600000',
        ...args,
      ],
    }),
  );
  try {
    const done = await Promise.all(writers.map((w) => w.waitFor('loadgen done', shape.durationMs + 60_000)));
    const sum = (field: string) => done.reduce((total, d) => total + Number(d[field] ?? 0), 0);
    const perSecond = done.reduce(
      (total, d) => total + (Number(d.written) * 1000) / Math.max(1, Number(d.elapsedMs)),
      0,
    );
    const requestsPerSecond = done.reduce(
      (total, d) => total + (Number(d.requests ?? d.written) * 1000) / Math.max(1, Number(d.elapsedMs)),
      0,
    );
    return {
      perSecond,
      requestsPerSecond,
      accepted: sum('accepted'),
      rejected: sum('rejected'),
      errors: sum('errors'),
      processes: shape.processes,
      connections: shape.connections,
      concurrency: shape.concurrency,
      durationMs: shape.durationMs,
    };
  } finally {
    await Promise.all(writers.map((w) => w.stop()));
  }
}

/** The median trial of `figures` (the lower middle one for an even count, a figure actually taken). */
function medianFigure<T>(figures: T[], value: (figure: T) => number): T {
  const sorted = [...figures].sort((a, b) => value(a) - value(b));
  return sorted[Math.floor((sorted.length - 1) / 2)] as T;
}

/**
 * Against the given redis-server (the bench's own: bench/support/redis-server.ts, never the
 * machine's 6379): redis-benchmark running the agents' heartbeat script via EVALSHA (loaded with
 * SCRIPT LOAD first; the keys and arguments of a real heartbeat, `__rand_int__` as the instance
 * id over a 100k keyspace, -c 50 -P 16), redis-benchmark -t set alike, and the load generator's
 * Redis path at its maximum rate (100k instances, closed loop), in alternating trials with
 * FLUSHALL between runs. Returns the medians and the load generator's share of each.
 */
export async function measureRedisIngestFrontier(
  redis: { readonly url: string; readonly port: number },
  options: RedisIngestOptions = {},
): Promise<RedisIngestFrontier> {
  const quick = options.quick ?? false;
  const trials = options.trials ?? (quick ? 3 : 5);
  const log = options.log ?? (() => undefined);
  const shape = {
    processes: options.processes ?? 1,
    connections: options.connections ?? 4,
    concurrency: options.concurrency ?? 1_000,
    durationMs: quick ? 3_000 : 10_000,
  };
  const sample = sampleHeartbeat();
  const template = callTemplateOf(sample.heartbeat);
  const source = await scriptSourceOf(sample.heartbeat, sample.json);
  // The instance id as the fleet writes it, its last part random on every call.
  const call = callOf(template, 'backend-bbbcnwrk-__rand_int__', sample.json);
  const evalshaCommand = [
    'EVALSHA',
    template.sha1,
    String(call.keys.length),
    ...call.keys,
    ...call.arguments,
  ];
  const client = createClient({ url: redis.url });
  client.on('error', () => undefined);
  await client.connect();
  const raw = { evalsha: [] as number[], set: [] as number[], loadgen: [] as number[] };
  const evalshaRuns: RedisBenchmarkFigure[] = [];
  const setRuns: RedisBenchmarkFigure[] = [];
  const loadgenRuns: LoadgenFigure[] = [];
  try {
    const fresh = async () => {
      await client.flushAll();
      const sha = await client.scriptLoad(source);
      if (sha !== template.sha1) throw new Error(`SCRIPT LOAD gave ${sha}, the agents call ${template.sha1}`);
    };
    for (let trial = 0; trial < trials; trial++) {
      log(`ingest: trial ${trial + 1}/${trials}: redis-benchmark EVALSHA of the heartbeat script`);
      await fresh();
      const evalsha = await runRedisBenchmark({
        port: redis.port,
        command: evalshaCommand,
        requests: quick ? 150_000 : 500_000,
        keyspace: KEYSPACE,
      });
      evalshaRuns.push(evalsha);
      raw.evalsha.push(evalsha.perSecond);
      log(`ingest: trial ${trial + 1}/${trials}: the load generator's Redis path`);
      await fresh();
      const loadgen = await runLoadgenProcesses({ REDIS_URL: redis.url }, [], shape);
      loadgenRuns.push(loadgen);
      raw.loadgen.push(loadgen.perSecond);
      log(`ingest: trial ${trial + 1}/${trials}: redis-benchmark SET`);
      await client.flushAll();
      const set = await runRedisBenchmark({
        port: redis.port,
        command: ['-t', 'set'],
        requests: quick ? 1_000_000 : 3_000_000,
        keyspace: KEYSPACE,
      });
      setRuns.push(set);
      raw.set.push(set.perSecond);
    }
  } finally {
    await client.flushAll().catch(() => undefined);
    await client.close().catch(() => client.destroy());
  }
  const evalsha = medianFigure(evalshaRuns, (f) => f.perSecond);
  const set = medianFigure(setRuns, (f) => f.perSecond);
  const loadgen = medianFigure(loadgenRuns, (f) => f.perSecond);
  return {
    evalsha,
    set,
    loadgen,
    // Medians of the ratios would pair trials; the medians' ratio is steadier on a shared machine.
    shareOfEvalsha: median(raw.loadgen) / median(raw.evalsha),
    shareOfSet: median(raw.loadgen) / median(raw.set),
    trials,
    raw,
    evalshaCommand: evalshaCommand.map((arg) =>
      arg.length > 80 ? `${arg.slice(0, 60)}… (${arg.length} bytes)` : arg,
    ),
  };
}

/** HTTP ingest at its maximum rate, one heartbeat per request and in batches. */
export interface HttpIngestFigures {
  readonly single: LoadgenFigure;
  readonly batched: LoadgenFigure;
  /** Heartbeats per batched request. */
  readonly batch: number;
}

export interface HttpIngestOptions {
  readonly quick?: boolean;
  /** Heartbeats per batched request (default 100; at most the aggregator's 1000). */
  readonly batch?: number;
  /** Keep-alive sockets (default 8). */
  readonly connections?: number;
  /** AGGREGATOR_API_TOKEN, when the aggregator wants one. */
  readonly token?: string | null;
  readonly log?: (message: string) => void;
}

/**
 * HTTP ingest's maximum rate against `aggregatorUrl` (its POST /api/v1/heartbeats, rate limit
 * off): the load generator closed-loop, first one heartbeat per POST (64 in flight over the
 * sockets), then `batch` per POST (2 batches in flight per socket). `perSecond` counts accepted
 * heartbeats: an aggregator without the batch form refuses every batch, and shows 0 with errors.
 */
export async function measureHttpIngest(
  aggregatorUrl: string,
  options: HttpIngestOptions = {},
): Promise<HttpIngestFigures> {
  const batch = options.batch ?? 100;
  if (!Number.isInteger(batch) || batch < 2 || batch > MAX_BATCH)
    throw new Error(`batch must be from 2 to ${MAX_BATCH}`);
  const connections = options.connections ?? 8;
  const durationMs = options.quick ? 3_000 : 10_000;
  const env: Record<string, string> = options.token ? { AGGREGATOR_API_TOKEN: options.token } : {};
  const log = options.log ?? (() => undefined);
  log(`ingest: HTTP, one heartbeat per POST (${aggregatorUrl})`);
  const single = await runLoadgenProcesses(env, ['--aggregator-url', aggregatorUrl], {
    processes: 1,
    connections,
    concurrency: 64,
    durationMs,
  });
  log(`ingest: HTTP, ${batch} heartbeats per POST`);
  const batched = await runLoadgenProcesses(
    env,
    ['--aggregator-url', aggregatorUrl, '--batch', String(batch)],
    {
      processes: 1,
      connections,
      concurrency: 2 * batch * connections,
      durationMs,
    },
  );
  const accepted = (figure: LoadgenFigure): LoadgenFigure => ({
    ...figure,
    // What was acknowledged only: a refused batch is no ingest.
    perSecond: figure.errors > 0 && figure.accepted === 0 ? 0 : figure.perSecond,
  });
  return { single: accepted(single), batched: accepted(batched), batch };
}

/**
 * The same measurement against a bare node:http server (bench/support/bare-http.ts), run as a
 * process of its own as the aggregator is, started here and stopped afterwards: the floor HTTP
 * ingest's figures are compared with.
 */
export async function measureBareHttpIngest(
  options: Omit<HttpIngestOptions, 'token'> = {},
): Promise<HttpIngestFigures> {
  const server = spawnNode('bench/support/bare-http.js', {});
  try {
    const listening = await server.waitFor('bare http listening');
    return await measureHttpIngest(`http://127.0.0.1:${String(listening.port)}`, options);
  } finally {
    await server.stop();
  }
}

const pct = (share: number) => `${Math.round(share * 100)}%`;

export const ingestSuite: Suite = {
  name: 'ingest',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const frontier = await measureRedisIngestFrontier(ctx.redis, {
      quick: ctx.quick,
      log: (m) => ctx.log(m),
    });

    ctx.log('ingest: HTTP ingest');
    const aggregator = spawnNode('aggregator/main.js', {
      PORT: '0',
      HOST: '127.0.0.1',
      AGGREGATOR_APP: APP,
      RECONCILE_INTERVAL_MS: '1000',
      INGEST_RATE_LIMIT_PER_S: '0',
      LOG_LEVEL: 'info',
    });
    let viaHttp: HttpIngestFigures;
    try {
      const listening = await aggregator.waitFor('aggregator listening');
      viaHttp = await measureHttpIngest(`http://127.0.0.1:${String(listening.port)}`, {
        quick: ctx.quick,
        log: (m) => ctx.log(m),
      });
    } finally {
      await aggregator.stop();
    }
    ctx.log('ingest: bare node:http');
    const bare = await measureBareHttpIngest({ quick: ctx.quick, log: (m) => ctx.log(m) });

    const { evalsha, set, loadgen } = frontier;
    const row = (path: string, perSecond: number | null, errors: number, vsBare: number | null = null) => ({
      path,
      per_second: perSecond === null ? null : round(perSecond, 0),
      vs_script: perSecond === null ? null : round(perSecond / evalsha.perSecond, 2),
      vs_set: perSecond === null ? null : round(perSecond / set.perSecond, 2),
      vs_bare_http: vsBare === null ? null : round(vsBare, 2),
      errors,
    });
    // Unknown, not 0, when the aggregator took no batch at all (one without the batch form).
    const batched = viaHttp.batched.accepted > 0 ? viaHttp.batched.perSecond : null;
    return {
      name: 'ingest',
      title:
        "Ingest rate: heartbeats/s through Redis and HTTP, next to redis-benchmark running the agents' script",
      method:
        `redis-benchmark -c 50 -P 16 on the run's redis-server, running the agents' heartbeat script via EVALSHA ` +
        `(SCRIPT LOAD first; a real heartbeat's keys and ${sampleHeartbeat().json.length}-byte JSON, random instance ids ` +
        `over ${KEYSPACE / 1000}k keys), and SET; then the load generator's Redis path closed-loop ` +
        `(${loadgen.processes} process, ${loadgen.connections} pipelined connections, ${loadgen.concurrency} heartbeats ` +
        `in flight, ${loadgen.durationMs / 1000} s): one EVALSHA per heartbeat (TIME, SET PX, ZADD, XADD MINID). ` +
        `${frontier.trials} alternating trials, medians, FLUSHALL between runs. Then HTTP ingest against an aggregator ` +
        `(embedded mode, no rate limit) and against a bare node:http server taking the same bodies, from the same load ` +
        `generator: one heartbeat per POST, and ${viaHttp.batch} per POST as a JSON array. ` +
        "Writers, Redis, redis-benchmark and the aggregator share the machine's cores.",
      rows: [
        row('redis-benchmark SET -c 50 -P 16', set.perSecond, 0),
        row("redis-benchmark EVALSHA of the agents' heartbeat script -c 50 -P 16", evalsha.perSecond, 0),
        row(
          'load generator via Redis (the same EVALSHA, one per heartbeat)',
          loadgen.perSecond,
          loadgen.errors,
        ),
        row(
          'load generator via HTTP ingest, 1 per POST',
          viaHttp.single.perSecond,
          viaHttp.single.errors,
          bare.single.perSecond > 0 ? viaHttp.single.perSecond / bare.single.perSecond : null,
        ),
        row(
          `load generator via HTTP ingest, ${viaHttp.batch} per POST`,
          batched,
          viaHttp.batched.errors,
          batched !== null && bare.batched.perSecond > 0 ? batched / bare.batched.perSecond : null,
        ),
        row('bare node:http, 1 per POST', bare.single.perSecond, bare.single.errors, 1),
        row(`bare node:http, ${bare.batch} per POST`, bare.batched.perSecond, bare.batched.errors, 1),
      ],
      targets: [
        {
          target: 'ingest through the Redis path ≥ 80% of redis-benchmark running the same script (EVALSHA)',
          measured:
            `${Math.round(loadgen.perSecond)}/s = ${pct(frontier.shareOfEvalsha)} of ${Math.round(evalsha.perSecond)}/s ` +
            `(redis-benchmark SET: ${Math.round(set.perSecond)}/s; the load generator is ${pct(frontier.shareOfSet)} of it)`,
          met: frontier.shareOfEvalsha >= 0.8,
        },
      ],
      details: {
        redis: { ...frontier },
        http: viaHttp,
        bareHttp: bare,
      },
    };
  },
};
