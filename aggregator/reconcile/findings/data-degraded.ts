/**
 * DATA_DEGRADED: the aggregator cannot see part of the truth, and says which part.
 * - The collector is blind (Redis down, self-preservation): info. The report's `degraded` flag
 *   and verdict carry the weight, so a blind aggregator never claims a discrepancy of its making.
 * - The platform view is missing (never fetched, 401, 403, 404): warning, critical once it has
 *   lasted ALERT_FOR_MS. Blind is never green: the cause and the variable to fix are named.
 * - The platform data is stale from a transient failure: info (the last good view still counts).
 * - A component runs standing instances but no desired count is known for it: warning.
 */
import { restartCommand } from '../commands';
import type { Finding, Severity } from '../report';
import { SEVERITIES } from '../report';
import { formatDuration, isoTime } from '../text';
import type { FindingContext } from './context';
import { finding } from './context';

interface Problem {
  readonly severity: Severity;
  readonly text: string;
  readonly fix: string;
}

function collectorProblem(ctx: FindingContext): Problem | null {
  const { collector, nowMs } = ctx;
  if (collector.healthy) return null;
  const since =
    collector.blindSinceMs === null
      ? 'an unknown time'
      : `${isoTime(collector.blindSinceMs)} (${formatDuration(nowMs - collector.blindSinceMs)} ago)`;
  return {
    severity: 'info',
    text:
      `Heartbeats cannot be read since ${since}${collector.detail ? `: ${collector.detail}` : ''}; ` +
      'counts are frozen at that moment and no instance is being marked gone',
    fix: "Restore the aggregator's heartbeat feed: check that Redis at REDIS_URL answers and read the aggregator's logs",
  };
}

function platformProblem(ctx: FindingContext): Problem | null {
  const { view, nowMs, platformBlind } = ctx;
  if (platformBlind !== null) {
    const sinceMs = ctx.platformBlindSinceMs ?? nowMs;
    const lasting = nowMs - sinceMs >= ctx.alertForMs;
    return {
      severity: lasting ? 'critical' : 'warning',
      text:
        `${platformBlind.reason}; the desired and platform counts are unknown ` +
        `(since ${isoTime(sinceMs)}, ${formatDuration(nowMs - sinceMs)} ago)`,
      fix: platformBlind.fix,
    };
  }
  if (view.status !== 'stale') return null;
  const age =
    view.fetchedAtMs === null
      ? 'never fetched'
      : `last fetched ${formatDuration(nowMs - view.fetchedAtMs)} ago at ${isoTime(view.fetchedAtMs)}`;
  return {
    severity: 'info',
    text: `Platform data is stale: ${age}${view.error ? `; the last refresh failed: ${view.error.message}` : ''}`,
    fix: `Check the DigitalOcean API access (DO_API_TOKEN, DO_APP_ID): doctl apps get ${ctx.appId}`,
  };
}

function desiredProblem(ctx: FindingContext): Problem | null {
  const { facts, view } = ctx;
  if (!facts.standing || facts.desired !== null || ctx.platformBlind !== null) return null;
  if (view.source === 'static') {
    const configured = view.components.length > 0 || view.defaultDesired !== null;
    return {
      severity: 'warning',
      text: `No desired count is known for ${facts.name}: DESIRED_REPLICAS ${configured ? 'does not name it' : 'is not set'}, so its count cannot be judged`,
      fix:
        `Set DESIRED_REPLICAS (e.g. ${facts.name}=2, or a bare count for every component), or read the spec ` +
        'from App Platform: DO_API_TOKEN and DO_APP_ID',
    };
  }
  return {
    severity: 'warning',
    text: `No desired count is known for ${facts.name}: the app's spec has no service or worker of that name, so its count cannot be judged`,
    fix:
      `Check AGENT_COMPONENT on the agents reporting ${facts.name}: it must be the component's name in the spec ` +
      `(or the component was deleted and its instances still run: ${restartCommand(ctx.appId, facts.name)})`,
  };
}

/** One finding per component joining every problem, at the worst of their severities. */
export function dataDegradedFinding(ctx: FindingContext): Finding | null {
  const problems = [collectorProblem(ctx), platformProblem(ctx), desiredProblem(ctx)].filter(
    (p): p is Problem => p !== null,
  );
  if (problems.length === 0) return null;
  const severity = problems.reduce<Severity>(
    (worst, p) => (SEVERITIES.indexOf(p.severity) > SEVERITIES.indexOf(worst) ? p.severity : worst),
    'info',
  );
  return finding(
    'DATA_DEGRADED',
    severity,
    problems.map((p) => p.text).join('. '),
    problems.map((p) => p.fix).join('. '),
  );
}
