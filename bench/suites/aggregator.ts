/**
 * The aggregator's own cost in steady state: N instances heartbeating every 10 s (the load
 * generator, in its own processes), a reconcile every second. CPU share and RSS of the
 * aggregator process from /proc; the reconcile histogram and the feed lag from its /metrics.
 */
import { runSteadyState } from '../support/steady-state';
import { median, round } from '../support/stats';
import { bucketMedianMs } from '../support/metrics-scrape';
import type { BenchContext, Suite, SuiteResult, TargetCheck } from './types';

const APP = 'bench-steady';
const INTERVAL_MS = 10_000;

async function steady(
  ctx: BenchContext,
  instances: number,
): Promise<{ row: SuiteResult['rows'][number]; targets: TargetCheck[] }> {
  const {
    usage,
    before,
    after,
    lagsMs: lags,
    heartbeatsPerS: rate,
  } = await runSteadyState(ctx, {
    suite: 'aggregator',
    app: APP,
    instances,
    intervalMs: INTERVAL_MS,
    windowMs: ctx.quick ? 5_000 : 60_000,
    settleMs: ctx.quick ? 2_000 : 5_000,
    lagEveryMs: 2_000,
    usageEveryMs: 1_000,
  });
  const reconciles = after.count - before.count;
  const meanMs = reconciles > 0 ? ((after.sum - before.sum) / reconciles) * 1000 : Number.NaN;
  const p50Bound = bucketMedianMs(before, after);
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
