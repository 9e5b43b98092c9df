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

/** The upper bound (ms) of the bucket holding the median of the reconciles between two scrapes. */
export function bucketMedianMs(before: Scrape, after: Scrape): number {
  const total = after.count - before.count;
  const bounds = [...after.buckets.keys()]
    .filter((le) => le !== '+Inf')
    .sort((a, b) => Number(a) - Number(b));
  for (const le of bounds) {
    if ((after.buckets.get(le) ?? 0) - (before.buckets.get(le) ?? 0) >= total / 2) return Number(le) * 1000;
  }
  return Number.POSITIVE_INFINITY;
}
