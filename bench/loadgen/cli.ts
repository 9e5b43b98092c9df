/**
 * The load generator's command line (bench/loadgen.ts is its thin entry point): flags and the
 * environment → a typed config (`parseLoadgenCli`, pure), then the run (`runLoadgenCli`), which
 * returns the exit code: 0 done, 1 failed to start, 2 bad flags.
 */
import { parseArgs } from 'node:util';
import { systemClock } from '../../shared/clock';
import { ConfigError, EnvReader } from '../../shared/config';
import { maskUrlCredentials } from '../../shared/logger';
import { NAME_PATTERN } from '../../shared/names';
import type { RedisEngine } from '../../shared/redis-engine';
import { readRedisEngine } from '../../shared/redis-engine';
import { SimulatedFleet } from './fleet';
import type { LoadgenProgress } from './run';
import { runLoadgen } from './run';
import type { HeartbeatWriter } from './writers';
import { createHttpWriter, createRedisWriter, MAX_BATCH } from './writers';

/** The usage text (`--help`, and after every bad flag). */
export const LOADGEN_USAGE = `usage: npm run loadgen -- --instances N [options]

Writes heartbeats of N simulated instances, every instance once per interval, through Redis
(from the environment, as agents read it: REDIS_URL, REDIS_CLUSTER_NODES, or REDIS_SENTINELS
with REDIS_SENTINEL_MASTER; REDIS_USERNAME, REDIS_PASSWORD) or through HTTP ingest
(--aggregator-url), until stopped.

  --instances N          simulated instances (required, 1-1000000)
  --interval-ms MS       heartbeat interval of each instance (default 10000)
  --ttl-ms MS            heartbeat TTL (default 3 × interval)
  --duration-ms MS       stop by itself after MS (default: run until SIGINT/SIGTERM)
  --aggregator-url URL   POST to URL/api/v1/heartbeats instead of writing to Redis
                         (AGGREGATOR_API_TOKEN from the environment is sent as a bearer token)
  --app NAME             the app (default: AGGREGATOR_APP, else "default")
  --apps N               spread the instances over N apps, NAME-0 … NAME-<N-1> (default 1:
                         NAME itself); instance i belongs to app i mod N
  --components LIST      comma-separated component names (default backend,worker,api)
  --deployments K        deployments; the newest is active, each older one keeps
                         --old-share of the instances as orphans (default 2)
  --old-share F          share of instances per older deployment, 0-0.5 (default 0.01)
  --concurrency C        heartbeats in flight at once (default 256; with --batch N:
                         2 × N × connections, so every socket has a batch under way)
  --connections C        Redis connections or HTTP keep-alive sockets (default 4)
  --batch N              HTTP only: POST N heartbeats per request as one JSON array
                         (1-${MAX_BATCH}, the aggregator's limit; default 1: one heartbeat per
                         POST, as agents send them); items accepted and refused are counted
                         from the answer's per-item results
  --goodbyes             send every instance's goodbye when stopping
  --shard I/N            write only instances I, I+N, I+2N… (N processes share one fleet)
  --progress-ms MS       how often to print progress (default 2000)
  --help                 this text

HEARTBEAT_SECRET from the environment signs every heartbeat, as agents do.`;

/** A bad flag or environment: the message names it; exit code 2. */
export class UsageError extends Error {}

/** The parsed command line. */
export interface LoadgenCli {
  readonly instances: number;
  readonly intervalMs: number;
  readonly ttlMs: number;
  readonly durationMs: number | null;
  readonly aggregatorUrl: string | null;
  readonly redis: RedisEngine | null;
  readonly app: string;
  readonly apps: number;
  readonly components: string[];
  readonly deployments: number;
  readonly oldShare: number;
  readonly concurrency: number;
  readonly connections: number;
  /** Heartbeats per HTTP request (1: one per POST). */
  readonly batch: number;
  readonly goodbyes: boolean;
  readonly progressMs: number;
  readonly shard: { readonly index: number; readonly count: number };
}

function integer(
  name: string,
  text: string | undefined,
  fallback: number | null,
  min: number,
  max: number,
): number {
  if (text === undefined) {
    if (fallback === null) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  if (!/^\d+$/.test(text))
    throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(text)}`);
  const value = Number(text);
  if (value < min || value > max)
    throw new UsageError(`--${name} must be from ${min} to ${max}, got ${value}`);
  return value;
}

/** Parses flags and environment; throws a UsageError naming every problem it stops at. */
export function parseLoadgenCli(argv: readonly string[], env: NodeJS.ProcessEnv): LoadgenCli | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        instances: { type: 'string' },
        'interval-ms': { type: 'string' },
        'ttl-ms': { type: 'string' },
        'duration-ms': { type: 'string' },
        'aggregator-url': { type: 'string' },
        app: { type: 'string' },
        apps: { type: 'string' },
        components: { type: 'string' },
        deployments: { type: 'string' },
        'old-share': { type: 'string' },
        concurrency: { type: 'string' },
        connections: { type: 'string' },
        batch: { type: 'string' },
        goodbyes: { type: 'boolean' },
        'progress-ms': { type: 'string' },
        shard: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  const intervalMs = integer('interval-ms', v['interval-ms'], 10_000, 10, 3_600_000);
  const components = (v.components ?? 'backend,worker,api').split(',').map((c) => c.trim());
  const badComponent = components.find((c) => !NAME_PATTERN.test(c));
  if (badComponent !== undefined)
    throw new UsageError(`--components: ${JSON.stringify(badComponent)} is not a valid name`);
  const app = v.app ?? env.AGGREGATOR_APP ?? 'default';
  if (!NAME_PATTERN.test(app)) throw new UsageError(`--app: ${JSON.stringify(app)} is not a valid name`);
  const oldShareText = v['old-share'] ?? '0.01';
  const oldShare = Number(oldShareText);
  if (!/^\d*\.?\d+$/.test(oldShareText) || oldShare > 0.5)
    throw new UsageError(`--old-share must be a fraction from 0 to 0.5, got ${JSON.stringify(oldShareText)}`);
  let aggregatorUrl: string | null = null;
  if (v['aggregator-url'] !== undefined) {
    let url: URL;
    try {
      url = new URL(v['aggregator-url']);
    } catch {
      throw new UsageError(
        `--aggregator-url is not a URL: ${JSON.stringify(maskUrlCredentials(v['aggregator-url']))}`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new UsageError('--aggregator-url must be an http: or https: URL');
    aggregatorUrl = url.toString();
  }
  const shardMatch = /^(\d+)\/(\d+)$/.exec(v.shard ?? '0/1');
  const shard = shardMatch ? { index: Number(shardMatch[1]), count: Number(shardMatch[2]) } : null;
  if (shard === null || shard.count < 1 || shard.index >= shard.count)
    throw new UsageError(`--shard must be I/N with 0 ≤ I < N, got ${JSON.stringify(v.shard)}`);
  const read = new EnvReader(env);
  const redis = readRedisEngine(read);
  try {
    read.finish();
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.problems.join('; '));
    throw err;
  }
  const batch = integer('batch', v.batch, 1, 1, MAX_BATCH);
  if (v.batch !== undefined && aggregatorUrl === null)
    throw new UsageError(
      '--batch applies to HTTP ingest only: pass --aggregator-url, or drop --batch for Redis',
    );
  if (aggregatorUrl === null && redis === null)
    throw new UsageError(
      'set REDIS_URL (or REDIS_CLUSTER_NODES, or REDIS_SENTINELS) in the environment, or pass --aggregator-url for HTTP ingest',
    );
  const connections = integer('connections', v.connections, 4, 1, 256);
  return {
    instances: integer('instances', v.instances, null, 1, 1_000_000),
    apps: integer('apps', v.apps, 1, 1, 10_000),
    intervalMs,
    ttlMs: integer('ttl-ms', v['ttl-ms'], 3 * intervalMs, 1, 86_400_000),
    durationMs:
      v['duration-ms'] === undefined ? null : integer('duration-ms', v['duration-ms'], null, 1, 2 ** 31),
    aggregatorUrl,
    redis,
    app,
    components,
    deployments: integer('deployments', v.deployments, 2, 1, 50),
    oldShare,
    concurrency: integer(
      'concurrency',
      v.concurrency,
      batch > 1 ? Math.min(100_000, 2 * batch * connections) : 256,
      1,
      100_000,
    ),
    connections,
    batch,
    goodbyes: v.goodbyes ?? false,
    progressMs: integer('progress-ms', v['progress-ms'], 2_000, 100, 3_600_000),
    shard,
  };
}

function progressLine(p: LoadgenProgress): string {
  const seconds = (p.elapsedMs / 1000).toFixed(1);
  const error = p.lastError === null ? '' : ` last error: ${maskUrlCredentials(p.lastError)}`;
  return (
    `loadgen: ${seconds}s written=${p.written} rate=${Math.round(p.rate)}/s target=${Math.round(p.targetRate)}/s ` +
    `backlog=${p.backlog} errors=${p.errors}${error}`
  );
}

/** Where the CLI writes, and the signal that stops it (SIGINT/SIGTERM in bench/loadgen.ts). */
export interface LoadgenIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly pid: number;
}

/** Runs the load generator as the command line asks; resolves to the exit code. */
export async function runLoadgenCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: LoadgenIo,
  signal: AbortSignal,
): Promise<number> {
  let cli: LoadgenCli | 'help';
  try {
    cli = parseLoadgenCli(argv, env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`loadgen: ${err.message}\n\n${LOADGEN_USAGE}\n`);
    return 2;
  }
  if (cli === 'help') {
    io.stdout(`${LOADGEN_USAGE}\n`);
    return 0;
  }

  let writer: HeartbeatWriter;
  try {
    writer = cli.aggregatorUrl
      ? createHttpWriter({
          aggregatorUrl: cli.aggregatorUrl,
          connections: cli.connections,
          token: env.AGGREGATOR_API_TOKEN || null,
          batch: cli.batch,
        })
      : await createRedisWriter(cli.redis as RedisEngine, cli.connections);
  } catch (err) {
    io.stderr(`loadgen: cannot connect: ${maskUrlCredentials((err as Error).message)}\n`);
    return 1;
  }
  const fleet = new SimulatedFleet({
    instances: cli.instances,
    app: cli.app,
    apps: cli.apps,
    components: cli.components,
    deployments: cli.deployments,
    oldShare: cli.oldShare,
    intervalMs: cli.intervalMs,
    ttlMs: cli.ttlMs,
    startedAtMs: Date.now(),
    secret: env.HEARTBEAT_SECRET || null,
    bootTag: `loadgen-${io.pid}-${Date.now().toString(36)}`,
    shard: cli.shard,
  });
  const target = (fleet.size * 1000) / cli.intervalMs;
  io.stdout(
    `loadgen: ${fleet.size} instances every ${cli.intervalMs} ms (${Math.round(target)} heartbeats/s) via ${writer.kind}` +
      `${cli.durationMs === null ? ', until SIGINT/SIGTERM' : ` for ${cli.durationMs} ms`}\n`,
  );
  try {
    const totals = await runLoadgen(
      {
        fleet,
        writer,
        intervalMs: cli.intervalMs,
        durationMs: cli.durationMs,
        concurrency: cli.concurrency,
        goodbyes: cli.goodbyes,
        clock: systemClock,
        progressEveryMs: cli.progressMs,
        onProgress: (p) => io.stdout(`${progressLine(p)}\n`),
      },
      signal,
    );
    const { lastSeq: _perInstance, ...summary } = totals;
    // The writer's own counts too: requests (HTTP batches carry many heartbeats), items accepted and refused.
    const stats = writer.stats?.() ?? null;
    io.stdout(
      `${JSON.stringify({ msg: 'loadgen done', transport: writer.kind, ...summary, ...(stats ?? {}) })}\n`,
    );
    return 0;
  } finally {
    await writer.close();
  }
}
