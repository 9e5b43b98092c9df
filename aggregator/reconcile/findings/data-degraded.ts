/**
 * DATA_DEGRADED: the aggregator cannot see part of the truth. Severity info: the report's
 * `degraded` flag and the `degraded` verdict carry the weight, so a blind aggregator never claims
 * a replica discrepancy of its own making.
 */
import type { Finding } from '../report';
import { formatDuration, isoTime } from '../text';
import type { FindingContext } from './context';
import { finding } from './context';

/** In every component while the collector is blind, or while the platform view is stale or unavailable. */
export function dataDegradedFinding(ctx: FindingContext): Finding | null {
  const { collector, view, appId, nowMs } = ctx;
  const problems: string[] = [];
  const fixes: string[] = [];
  if (!collector.healthy) {
    const since =
      collector.blindSinceMs === null
        ? 'an unknown time'
        : `${isoTime(collector.blindSinceMs)} (${formatDuration(nowMs - collector.blindSinceMs)} ago)`;
    problems.push(
      `Heartbeats cannot be read since ${since}${collector.detail ? `: ${collector.detail}` : ''}; ` +
        'counts are frozen at that moment and no instance is being marked gone',
    );
    fixes.push(
      "Restore the aggregator's heartbeat feed: check that Redis at REDIS_URL answers and read the aggregator's logs",
    );
  }
  if (view.status === 'stale' || view.status === 'unavailable') {
    const age =
      view.fetchedAtMs === null
        ? 'never fetched'
        : `last fetched ${formatDuration(nowMs - view.fetchedAtMs)} ago at ${isoTime(view.fetchedAtMs)}`;
    problems.push(
      `Platform data is ${view.status}: ${age}${view.error ? `; the last refresh failed: ${view.error}` : ''}`,
    );
    fixes.push(`Check the DigitalOcean API access (DO_API_TOKEN, DO_APP_ID): doctl apps get ${appId}`);
  }
  if (problems.length === 0) return null;
  return finding('DATA_DEGRADED', 'info', problems.join('. '), fixes.join('. '));
}
