/**
 * `npm run loadgen -- --instances N --interval-ms MS`: heartbeats of N simulated agents, written
 * the way real agents write them (Redis named by the environment as agents read it: REDIS_URL,
 * REDIS_CLUSTER_NODES or REDIS_SENTINELS; or --aggregator-url for HTTP ingest), until SIGINT/SIGTERM or --duration-ms. Prints a progress line every few seconds and
 * a JSON summary at the end. Exit codes: 0 done, 1 failed to start, 2 bad flags.
 */
import { parseArgs } from 'node:util';
import { systemClock } from '../shared/clock';
import { ConfigError, EnvReader } from '../shared/config';
import { maskUrlCredentials } from '../shared/logger';
import { NAME_PATTERN } from '../shared/names';
import type { RedisEngine } from '../shared/redis-engine';
import { readRedisEngine } from '../shared/redis-engine';
import { SimulatedFleet } from './loadgen/fleet';
import type { LoadgenProgress } from './loadgen/run';
import { runLoadgen } from './loadgen/run';
import type { HeartbeatWriter } from './loadgen/writers';
import { createHttpWriter, createRedisWriter } from './loadgen/writers';

const USAGE = `usage: npm run loadgen -- --instances N [options]

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
  --concurrency C        writes in flight at once (default 256)
  --connections C        Redis connections or HTTP sockets (default 4)
  --goodbyes             send every instance's goodbye when stopping
  --shard I/N            write only instances I, I+N, I+2N… (N processes share one fleet)
  --progress-ms MS       how often to print progress (default 2000)
  --help                 this text

HEARTBEAT_SECRET from the environment signs every heartbeat, as agents do.`;

class UsageError extends Error {}

interface LoadgenCli {
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

function parseCli(argv: string[], env: NodeJS.ProcessEnv): LoadgenCli | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
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
  if (aggregatorUrl === null && redis === null)
    throw new UsageError(
      'set REDIS_URL (or REDIS_CLUSTER_NODES, or REDIS_SENTINELS) in the environment, or pass --aggregator-url for HTTP ingest',
    );
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
    concurrency: integer('concurrency', v.concurrency, 256, 1, 100_000),
    connections: integer('connections', v.connections, 4, 1, 256),
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

async function main(): Promise<number> {
  let cli: LoadgenCli | 'help';
  try {
    cli = parseCli(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`loadgen: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (cli === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  let writer: HeartbeatWriter;
  try {
    writer = cli.aggregatorUrl
      ? createHttpWriter(cli.aggregatorUrl, cli.connections, process.env.AGGREGATOR_API_TOKEN || null)
      : await createRedisWriter(cli.redis as RedisEngine, cli.connections);
  } catch (err) {
    process.stderr.write(`loadgen: cannot connect: ${maskUrlCredentials((err as Error).message)}\n`);
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
    secret: process.env.HEARTBEAT_SECRET || null,
    bootTag: `loadgen-${process.pid}-${Date.now().toString(36)}`,
    shard: cli.shard,
  });
  const target = (fleet.size * 1000) / cli.intervalMs;
  process.stdout.write(
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
        onProgress: (p) => process.stdout.write(`${progressLine(p)}\n`),
      },
      abort.signal,
    );
    const { lastSeq: _perInstance, ...summary } = totals;
    process.stdout.write(`${JSON.stringify({ msg: 'loadgen done', transport: writer.kind, ...summary })}\n`);
    return 0;
  } finally {
    await writer.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `loadgen: ${maskUrlCredentials(err instanceof Error ? err.message : String(err))}\n`,
    );
    process.exitCode = 1;
  },
);
