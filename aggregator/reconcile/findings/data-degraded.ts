/**
 * DATA_DEGRADED: the aggregator cannot see part of the truth, and says which part.
 * - The collector is blind (Redis down, self-preservation): info. The report's `degraded` flag
 *   and verdict carry the weight, so a blind aggregator never claims a discrepancy of its making.
 * - The platform view is missing (401, 403, 404): warning, critical once it has lasted
 *   ALERT_FOR_MS. Blind is never green: the cause and the variable to fix are named. Before the
 *   first answer it is info: still degraded, but a refresh waiting its turn is not an outage.
 * - The platform data is stale from a transient failure: info (the last good view still counts).
 * - A component runs standing instances but no desired count is known for it: warning.
 * - No agents report for the app and the platform counts none of a component's instances
 *   (neither a ready count nor an instance list): nothing is seen of them, warning.
 */
import { agentlessUnobserved, installAgentAdvice } from '../agentless';
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
    fix: "Restore the aggregator's heartbeat feed: check that its Redis (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS) answers and read the aggregator's logs",
  };
}

function platformProblem(ctx: FindingContext): Problem | null {
  const { view, nowMs, platformBlind } = ctx;
  if (platformBlind !== null) {
    const sinceMs = ctx.platformBlindSinceMs ?? nowMs;
    const lasting = nowMs - sinceMs >= ctx.alertForMs;
    // No answer yet (sinceMs null) is no failure yet: the first refresh may wait its turn in the
    // token's request budget (many apps), so it does not alert; a refresh that fails names why.
    const severity = platformBlind.sinceMs === null ? 'info' : lasting ? 'critical' : 'warning';
    return {
      severity,
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

/** Agentless and the platform gives no count: nothing at all is seen of the component's instances. */
function agentlessProblem(ctx: FindingContext): Problem | null {
  const { facts } = ctx;
  if (!agentlessUnobserved(facts, ctx.agentless) || ctx.platformBlind !== null) return null;
  return {
    severity: 'warning',
    text:
      `No agents report for this app and the platform counts none of ${facts.name}'s instances ` +
      '(no ready count, no instance list): nothing is known of what runs',
    fix: `To see what runs, ${installAgentAdvice(facts.name)}; check what the platform says: doctl apps get ${ctx.appId}`,
  };
}

/** One finding per component joining every problem, at the worst of their severities. */
export function dataDegradedFinding(ctx: FindingContext): Finding | null {
  const problems = [
    collectorProblem(ctx),
    platformProblem(ctx),
    desiredProblem(ctx),
    agentlessProblem(ctx),
  ].filter((p): p is Problem => p !== null);
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
