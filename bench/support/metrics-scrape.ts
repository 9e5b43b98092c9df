/** What the benchmarks read of an aggregator's /metrics: the reconcile histogram, feed lags, heartbeats applied. */

export interface Scrape {
  readonly buckets: Map<string, number>;
  readonly sum: number;
  readonly count: number;
  /** replica_watch_feed_lag_seconds of every app, in the order scraped. */
  readonly feedLagsS: number[];
  readonly applied: number;
}

export function scrapeMetrics(text: string): Scrape {
  const buckets = new Map<string, number>();
  let sum = 0;
  let count = 0;
  const feedLagsS: number[] = [];
  let applied = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('replica_watch_reconcile_duration_seconds_bucket')) {
      const le = /le="([^"]+)"/.exec(line)?.[1] ?? '';
      buckets.set(le, value);
    } else if (line.startsWith('replica_watch_reconcile_duration_seconds_sum')) sum = value;
    else if (line.startsWith('replica_watch_reconcile_duration_seconds_count')) count = value;
    else if (line.startsWith('replica_watch_feed_lag_seconds')) feedLagsS.push(value);
    else if (
      line.startsWith('replica_watch_heartbeats_applied_total') &&
      /outcome="(new|updated)"/.test(line)
    )
      applied += value;
  }
  return { buckets, sum, count, feedLagsS, applied };
}

/**
 * The upper bound (ms) of the bucket holding the q-quantile (0..1, nearest rank) of the
 * observations between two scrapes: the quantile is at most that. +Infinity past the last finite
 * bucket; NaN without an observation in between.
 */
export function bucketQuantileMs(before: Scrape, after: Scrape, q: number): number {
  const total = after.count - before.count;
  if (total <= 0) return Number.NaN;
  // The rank of the quantile among the observations, as stats.quantile counts it.
  const rank = Math.min(total, Math.max(1, Math.ceil(q * total)));
  const bounds = [...after.buckets.keys()]
    .filter((le) => le !== '+Inf')
    .sort((a, b) => Number(a) - Number(b));
  for (const le of bounds) {
    // Rounded to the µs: 0.015 s × 1000 is not exactly 15 in binary floating point.
    if ((after.buckets.get(le) ?? 0) - (before.buckets.get(le) ?? 0) >= rank)
      return Math.round(Number(le) * 1e6) / 1e3;
  }
  return Number.POSITIVE_INFINITY;
}

/** The upper bound (ms) of the bucket holding the median of the reconciles between two scrapes. */
export function bucketMedianMs(before: Scrape, after: Scrape): number {
  return bucketQuantileMs(before, after, 0.5);
}
