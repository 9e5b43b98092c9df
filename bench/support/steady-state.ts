/**
 * An aggregator in steady state, as the aggregator and frontier suites measure it: N instances
 * written once (so that its first resync reads them all), the aggregator process started against
 * them (Redis mode, a reconcile every second), load generator processes heartbeating every
 * instance once per interval, then a window over which /proc/<pid> (CPU, RSS) and /metrics
 * (the reconcile histogram, the feed lag, heartbeats applied) are read. What the numbers mean is
 * up to the suite; this returns the raw readings.
 */
import { performance } from 'node:perf_hooks';
import { serverEngine } from '../../shared/redis-engine';
import type { BenchContext } from '../suites/types';
import { fillFleet } from './fill';
import { scrapeMetrics, type Scrape } from './metrics-scrape';
import {
  getText,
  pollFor,
  procUsage,
  resetPeakRss,
  sampleUsage,
  spawnNode,
  type NodeProcess,
  type UsageWindow,
} from './processes';

export interface SteadyOptions {
  /** What the progress lines start with (the suite's name). */
  readonly suite: string;
  readonly app: string;
  readonly instances: number;
  /** Each instance's heartbeat interval. */
  readonly intervalMs: number;
  /** How long the window lasts. */
  readonly windowMs: number;
  /** The pause between every instance being live and the window. */
  readonly settleMs: number;
  /** How often the feed lag is scraped during the window (the first one `lagEveryMs` in). */
  readonly lagEveryMs: number;
  /** How often /proc is read for RSS during the window. */
  readonly usageEveryMs: number;
  /** Aggregator environment added to (or overriding) the defaults. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Time the cold start: from spawn to "aggregator listening" and to the first report that
   * counts every instance (polled every 20 ms), before any writer starts.
   */
  readonly timeColdStart?: boolean;
  /** Runs after the fill and before the aggregator starts (a measurement of the filled Redis). */
  readonly beforeStart?: () => Promise<void>;
}

/** A cold start of the aggregator against a Redis already holding the fleet. */
export interface ColdStart {
  /** Spawn → the "aggregator listening" line (it is logged after the collector's first resync). */
  readonly listeningMs: number;
  /** Spawn → the first report whose active_instances is the whole fleet. */
  readonly fullReportMs: number;
  /** The first resync's duration as the aggregator logs it ("resync done", took_ms); null without it. */
  readonly ownResyncMs: number | null;
}

export interface SteadyReadings {
  readonly usage: UsageWindow;
  readonly before: Scrape;
  readonly after: Scrape;
  /** replica_watch_feed_lag_seconds scraped during the window, in ms. */
  readonly lagsMs: number[];
  /** Heartbeats applied (new or updated) per second over the window. */
  readonly heartbeatsPerS: number;
  /**
   * The kernel's peak RSS over the window exactly (VmHWM, reset by /proc/<pid>/clear_refs at the
   * window's start), in MB; null where the kernel does not allow the reset.
   */
  readonly rssPeakMb: number | null;
  readonly coldStart: ColdStart | null;
}

interface ReplicasSummary {
  readonly summary: { readonly active_instances: number };
}

async function activeInstances(base: string): Promise<number> {
  const body = JSON.parse(
    await getText(`${base}/api/v1/monitoring/replicas?instances=false`),
  ) as ReplicasSummary;
  return body.summary.active_instances;
}

/** The aggregator environment for an N-instance fleet of one app. */
export function steadyAggregatorEnv(
  redisUrl: string,
  app: string,
  instances: number,
): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: redisUrl,
    AGGREGATOR_APP: app,
    RECONCILE_INTERVAL_MS: '1000',
    // DESIRED_REPLICAS takes up to 4 digits: past that, the desired count stays unknown.
    ...(instances / 3 < 10_000 ? { DESIRED_REPLICAS: String(Math.ceil(instances / 3)) } : {}),
    LOG_LEVEL: 'info',
  };
}

/** Fills the fleet, starts the aggregator and the writers, and reads a window of steady state. */
export async function runSteadyState(ctx: BenchContext, options: SteadyOptions): Promise<SteadyReadings> {
  const { app, instances, intervalMs } = options;
  // Every instance written once before the aggregator starts: its first resync reads them all,
  // and the steady state begins at once instead of after a whole interval.
  await fillFleet({
    redis: serverEngine(ctx.redis.url),
    app,
    instances,
    intervalMs,
    ttlMs: 3 * intervalMs,
  });
  await options.beforeStart?.();
  const spawnedAt = performance.now();
  const aggregator = spawnNode('aggregator/main.js', {
    ...steadyAggregatorEnv(ctx.redis.url, app, instances),
    ...options.env,
  });
  const writers: NodeProcess[] = [];
  try {
    const listening = await aggregator.waitFor('aggregator listening', 60_000);
    const listeningMs = performance.now() - spawnedAt;
    const base = `http://127.0.0.1:${String(listening.port)}`;
    let coldStart: ColdStart | null = null;
    if (options.timeColdStart) {
      await pollFor(
        'the first report counting every instance',
        async () => ((await activeInstances(base)) >= instances ? true : undefined),
        60_000,
        20,
      );
      const fullReportMs = performance.now() - spawnedAt;
      const resync = await aggregator.waitFor('resync done');
      coldStart = {
        listeningMs,
        fullReportMs,
        ownResyncMs: typeof resync.took_ms === 'number' ? resync.took_ms : null,
      };
    }
    const writersStartedMs = Date.now();
    // One writer process keeps up with ~5k heartbeats/s here; more share the fleet.
    const shards = Math.max(1, Math.ceil(instances / 50_000));
    for (let shard = 0; shard < shards; shard++) {
      writers.push(
        spawnNode(
          'bench/loadgen.js',
          { REDIS_URL: ctx.redis.url },
          {
            args: [
              '--instances',
              String(instances),
              '--interval-ms',
              String(intervalMs),
              '--app',
              app,
              '--shard',
              `${shard}/${shards}`,
              '--progress-ms',
              '60000',
            ],
          },
        ),
      );
    }
    ctx.log(`${options.suite}: ${instances} instances warming up`);
    await pollFor(
      'every instance to be live',
      async () => ((await activeInstances(base)) >= instances * 0.99 ? true : undefined),
      intervalMs * 4 + 30_000,
      500,
    );
    // The load generator's agents are new boots of the instances the fill wrote (their own
    // started_at): until each has sent its first heartbeat, every one is a restart, which a steady
    // fleet does not see. The window opens once every instance was renewed by them, and settled.
    const firstRoundLeftMs = writersStartedMs + intervalMs - Date.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstRoundLeftMs) + options.settleMs));

    ctx.log(`${options.suite}: ${instances} instances, sampling for ${options.windowMs / 1000} s`);
    const before = scrapeMetrics(await getText(`${base}/metrics`));
    const peakReset = resetPeakRss(aggregator.pid);
    const lagsMs: number[] = [];
    let sampling = true;
    const lagLoop = (async () => {
      while (sampling) {
        await new Promise((resolve) => setTimeout(resolve, options.lagEveryMs));
        const [lag] = scrapeMetrics(await getText(`${base}/metrics`)).feedLagsS;
        if (lag !== undefined) lagsMs.push(lag * 1000);
      }
    })();
    const usage = await sampleUsage(aggregator.pid, options.windowMs, options.usageEveryMs);
    const rssPeakMb = peakReset ? procUsage(aggregator.pid).peakRssBytes / 2 ** 20 : null;
    sampling = false;
    await lagLoop;
    const after = scrapeMetrics(await getText(`${base}/metrics`));
    return {
      usage,
      before,
      after,
      lagsMs,
      heartbeatsPerS: ((after.applied - before.applied) * 1000) / usage.wallMs,
      rssPeakMb,
      coldStart,
    };
  } finally {
    await Promise.all(writers.map((w) => w.stop('SIGINT')));
    await aggregator.stop();
  }
}
