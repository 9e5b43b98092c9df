/**
 * The aggregator's own cost in steady state: N instances heartbeating every 10 s (the load
 * generator, in its own processes), a reconcile every second. CPU share and RSS of the
 * aggregator process from /proc; the reconcile histogram and the feed lag from its /metrics.
 */
import { fillFleet } from '../support/fill';
import { getText, pollFor, sampleUsage, spawnNode, type NodeProcess } from '../support/processes';
import { median, round } from '../support/stats';
import { bucketMedianMs, scrapeMetrics as scrape } from '../support/metrics-scrape';
import type { BenchContext, Suite, SuiteResult, TargetCheck } from './types';
import { serverEngine } from '../../shared/redis-engine';

const APP = 'bench-steady';
const INTERVAL_MS = 10_000;

async function steady(
  ctx: BenchContext,
  instances: number,
): Promise<{ row: SuiteResult['rows'][number]; targets: TargetCheck[] }> {
  const windowMs = ctx.quick ? 5_000 : 60_000;
  // Every instance written once before the aggregator starts: its first resync reads them all,
  // and the steady state begins at once instead of after a whole interval.
  await fillFleet({
    redis: serverEngine(ctx.redis.url),
    app: APP,
    instances,
    intervalMs: INTERVAL_MS,
    ttlMs: 3 * INTERVAL_MS,
  });
  const aggregator = spawnNode('aggregator/main.js', {
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: ctx.redis.url,
    AGGREGATOR_APP: APP,
    RECONCILE_INTERVAL_MS: '1000',
    // DESIRED_REPLICAS takes up to 4 digits: past that, the desired count stays unknown.
    ...(instances / 3 < 10_000 ? { DESIRED_REPLICAS: String(Math.ceil(instances / 3)) } : {}),
    LOG_LEVEL: 'info',
  });
  const writers: NodeProcess[] = [];
  try {
    const base = `http://127.0.0.1:${String((await aggregator.waitFor('aggregator listening')).port)}`;
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
              String(INTERVAL_MS),
              '--app',
              APP,
              '--shard',
              `${shard}/${shards}`,
              '--progress-ms',
              '60000',
            ],
          },
        ),
      );
    }
    ctx.log(`aggregator: ${instances} instances warming up`);
    await pollFor(
      'every instance to be live',
      async () => {
        const body = JSON.parse(await getText(`${base}/api/v1/monitoring/replicas?instances=false`)) as {
          summary: { active_instances: number };
        };
        return body.summary.active_instances >= instances * 0.99 ? true : undefined;
      },
      INTERVAL_MS * 4 + 30_000,
      500,
    );
    await new Promise((resolve) => setTimeout(resolve, ctx.quick ? 2_000 : 5_000));

    ctx.log(`aggregator: ${instances} instances, sampling for ${windowMs / 1000} s`);
    const before = scrape(await getText(`${base}/metrics`));
    const lags: number[] = [];
    let sampling = true;
    const lagLoop = (async () => {
      while (sampling) {
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        const [lag] = scrape(await getText(`${base}/metrics`)).feedLagsS;
        if (lag !== undefined) lags.push(lag * 1000);
      }
    })();
    const usage = await sampleUsage(aggregator.pid, windowMs, 1_000);
    sampling = false;
    await lagLoop;
    const after = scrape(await getText(`${base}/metrics`));
    const reconciles = after.count - before.count;
    const meanMs = reconciles > 0 ? ((after.sum - before.sum) / reconciles) * 1000 : Number.NaN;
    const p50Bound = bucketMedianMs(before, after);
    const rate = ((after.applied - before.applied) * 1000) / usage.wallMs;
    const maxLag = Math.max(...lags);
    const rssMax = Math.max(...usage.rssMb);
    const label = `${instances / 1000}k`;
    const targets: TargetCheck[] = [];
    if (instances === 10_000) {
      targets.push({
        target: 'aggregator CPU ≤ 10% of one core at 10k, everything included',
        measured: `${round(usage.cpuShare * 100, 1)}%`,
        met: usage.cpuShare <= 0.1,
      });
    } else {
      const quickNote = instances < 100_000 ? ` (quick: ${label})` : '';
      targets.push({
        target: `100k at a 10 s interval: feed lag < 1 s${quickNote}`,
        measured: `max ${round(maxLag, 0)} ms sampled every 2 s at ${label}`,
        met: maxLag < 1_000,
      });
      targets.push({
        target: `100k: aggregator RSS ≤ 300 MB${quickNote}`,
        measured: `${round(rssMax, 0)} MB max at ${label}`,
        met: rssMax <= 300,
      });
    }
    const row = {
      instances,
      heartbeats_per_s: round(rate, 0),
      cpu_share_pct: round(usage.cpuShare * 100, 1),
      rss_median_mb: round(median(usage.rssMb), 0),
      rss_max_mb: round(rssMax, 0),
      reconciles,
      reconcile_mean_ms: round(meanMs, 2),
      reconcile_p50_bucket_ms: p50Bound,
      feed_lag_median_ms: round(median(lags), 0),
      feed_lag_max_ms: round(maxLag, 0),
    };
    return { row, targets };
  } finally {
    await Promise.all(writers.map((w) => w.stop('SIGINT')));
    await aggregator.stop();
  }
}

export const aggregatorSuite: Suite = {
  name: 'aggregator',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const sizes = ctx.quick ? [10_000, 20_000] : [10_000, 100_000];
    const rows: SuiteResult['rows'] = [];
    const targets: TargetCheck[] = [];
    for (const size of sizes) {
      const { targets: found, row } = await steady(ctx, size);
      rows.push(row);
      targets.push(...found);
    }
    return {
      name: 'aggregator',
      title: 'Aggregator cost in steady state',
      method:
        'node dist/aggregator/main.js (Redis mode, RECONCILE_INTERVAL_MS=1000) while load generator processes heartbeat ' +
        `every instance every ${INTERVAL_MS / 1000} s; after every instance is live, /proc/<pid> is read every second ` +
        'over the window (CPU share of one core, RSS) and /metrics every 2 s (feed lag); the reconcile histogram ' +
        "(replica_watch_reconcile_duration_seconds) gives the mean and the bucket holding the median. The writers' and " +
        "Redis's CPU are not counted, but they share the machine's 2 cores.",
      rows,
      targets,
    };
  },
};
