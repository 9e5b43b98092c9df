/**
 * The quantiles the benchmarks read from the reconcile histogram (bench/support/metrics-scrape.ts):
 * the upper bound of the bucket holding the q-quantile of the observations between two scrapes,
 * by nearest rank; +Infinity past the last finite bucket, NaN without an observation.
 */
import { bucketMedianMs, bucketQuantileMs, type Scrape } from '../../bench/support/metrics-scrape';

/** A scrape of cumulative bucket counts (le in seconds, as Prometheus writes them). */
function scrape(cumulative: Record<string, number>, count: number): Scrape {
  return {
    buckets: new Map(Object.entries(cumulative)),
    sum: 0,
    count,
    feedLagsS: [],
    applied: 0,
  };
}

const empty = scrape({ '0.005': 0, '0.015': 0, '0.02': 0, '0.06': 0, '+Inf': 0 }, 0);

describe('bucketQuantileMs', () => {
  it('finds the bucket holding the p50 and the p99 by nearest rank', () => {
    // 100 observations: 60 ≤ 5 ms, 38 in (5, 15], 1 in (15, 20], 1 in (20, 60].
    const after = scrape({ '0.005': 60, '0.015': 98, '0.02': 99, '0.06': 100, '+Inf': 100 }, 100);
    expect([bucketQuantileMs(empty, after, 0.5), bucketQuantileMs(empty, after, 0.99)]).toEqual([5, 20]);
  });

  it('counts only the observations between the two scrapes', () => {
    const before = scrape({ '0.005': 50, '0.015': 50, '0.02': 50, '0.06': 50, '+Inf': 50 }, 50);
    const after = scrape({ '0.005': 50, '0.015': 50, '0.02': 51, '0.06': 60, '+Inf': 60 }, 60);
    expect(bucketMedianMs(before, after)).toBe(60);
  });

  it('gives bounds in whole milliseconds where the seconds are not exact in binary', () => {
    const after = scrape({ '0.005': 0, '0.015': 3, '0.02': 3, '0.06': 3, '+Inf': 3 }, 3);
    expect(bucketMedianMs(empty, after)).toBe(15);
  });

  it('is +Infinity past the last finite bucket and NaN without observations', () => {
    const after = scrape({ '0.005': 0, '0.015': 0, '0.02': 0, '0.06': 1, '+Inf': 4 }, 4);
    expect([bucketQuantileMs(empty, after, 0.5), bucketQuantileMs(empty, empty, 0.5)]).toEqual([
      Number.POSITIVE_INFINITY,
      Number.NaN,
    ]);
  });
});
