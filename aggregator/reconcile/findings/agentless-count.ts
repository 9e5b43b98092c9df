/**
 * PLATFORM_COUNT_MISMATCH for an app no agent reports for (agentless.ts): the platform against
 * itself. Three numbers, each from its own place: the desired range (the spec), `replicas_ready`
 * (GET /health, what the dashboard shows) and the instance list (GET /instances). They agree when
 * the ready count equals the list and both lie within the range; with no heartbeat to say which
 * is right, the finding names all three and what each disagreement may mean.
 */
import { restartCommand, runLogsCommand, specEditCommand } from '../commands';
import { installAgentAdvice } from '../agentless';
import type { Finding } from '../report';
import { formatDuration, formatUsd, listWords, plural } from '../text';
import type { FindingContext } from './context';
import { describeDesired, desiredSource, finding, rollingNote } from './context';

/** ", an estimated $48.00 a month at $12.00 each (apps-s-1vcpu-1gb)" when the waste is known and not 0. */
function wasteNote(ctx: FindingContext): string {
  const { wasteCents, monthlyCents, slug } = ctx.cost;
  if (wasteCents === null || wasteCents === 0 || monthlyCents === null) return '';
  return `, an estimated ${formatUsd(wasteCents)} a month at ${formatUsd(monthlyCents)} each${slug === null ? '' : ` (${slug})`}`;
}

/** Why the numbers may be of different moments: old platform data. */
function staleNote(ctx: FindingContext): string {
  if (ctx.platformFresh) return '';
  const fetched = ctx.view.fetchedAtMs;
  return fetched === null
    ? ' (the platform data is stale)'
    : ` (the platform data is ${formatDuration(ctx.nowMs - fetched)} old)`;
}

/**
 * When the ready count or the list is known and: ready ≠ listed, or either lies outside the
 * desired range. Warning; info while a rollout is in progress (counts move then) or while the
 * platform data is stale (the numbers may be of different moments).
 */
export function agentlessCountFinding(ctx: FindingContext): Finding | null {
  const { facts, view, appId } = ctx;
  if (!facts.standing || facts.platform === null) return null;
  const ready = facts.platform.ready;
  const listed = facts.platform.listed?.length ?? null;
  if (ready === null && listed === null) return null;
  const { desired } = facts;
  const inRange = (count: number | null) =>
    count === null || desired === null || (count >= desired.min && count <= desired.max);
  const bothKnown = ready !== null && listed !== null;
  if ((!bothKnown || ready === listed) && inRange(ready) && inRange(listed)) return null;

  const source = desiredSource(view);
  const numbers = [
    desired === null ? 'no desired count is known' : `${source} asks for ${describeDesired(facts)}`,
    ...(ready === null
      ? []
      : [`its health (GET /v2/apps/${appId}/health, what the dashboard shows) counts ${ready} ready`]),
    ...(listed === null
      ? []
      : [`its instance list (GET /v2/apps/${appId}/instances) names ${plural(listed, 'instance')}`]),
  ];

  // The list names instances, so it is the better count of what runs; the ready count stands in without it.
  const running = (listed ?? ready) as number;
  // "4 more run than the spec allows", or by the ready count alone "the dashboard counts 4 more than…".
  const beyond = (n: number, more: 'more' | 'fewer') =>
    listed === null ? `the dashboard counts ${n} ${more}` : `${n} ${more} run`;
  const explanations: string[] = [];
  const fixes: string[] = [];
  if (desired !== null && running > desired.max) {
    explanations.push(
      `${beyond(running - desired.max, 'more')} than ${source} allows (instances the platform did not stop: ` +
        `an old deployment's, or a count changed outside the spec)${wasteNote(ctx)}`,
    );
    fixes.push(
      `Check the count in the spec: ${specEditCommand(appId, facts.name)}; if it is right, replace the ` +
        `instances it does not ask for with a rolling restart: ${restartCommand(appId, facts.name)}`,
    );
  }
  if (desired !== null && running < desired.min) {
    explanations.push(
      `${beyond(desired.min - running, 'fewer')} than ${source} asks for (crashing, failing to start, or not placed yet)`,
    );
    fixes.push(
      `Find out why instances are down: ${runLogsCommand(appId, facts.name)} and doctl apps list-deployments ${appId}; ` +
        `then replace them with a rolling restart: ${restartCommand(appId, facts.name)}`,
    );
  }
  if (ready !== null && listed !== null && ready > listed) {
    explanations.push(
      `the dashboard counts ${ready - listed} more ready than the list names (a display bug, or instances ` +
        'running that the list does not name)',
    );
    fixes.push(
      `Compare the platform's health (GET /v2/apps/${appId}/health) with its instance list ` +
        `(GET /v2/apps/${appId}/instances); a rolling restart replaces instances the list does not name: ` +
        restartCommand(appId, facts.name),
    );
  }
  if (ready !== null && listed !== null && ready < listed) {
    explanations.push(
      `${listed - ready} of the listed instances ${listed - ready === 1 ? 'is' : 'are'} not counted ready ` +
        '(starting, or failing the health check)',
    );
    fixes.push(
      `Check why the platform does not count them ready (the health check of ${facts.name}): ` +
        runLogsCommand(appId, facts.name),
    );
  }
  const message =
    `For ${facts.name}, the platform contradicts itself: ${listWords(numbers)}; ${explanations.join('; ')}` +
    `${rollingNote(ctx)}${staleNote(ctx)}. No agents report for this app, so the platform's numbers are all there is`;
  const recommendation = `${fixes[0] ?? `Check the count in the spec: ${specEditCommand(appId, facts.name)}`}; and ${installAgentAdvice(facts.name)}`;
  const quiet = facts.rolling || !ctx.platformFresh;
  return finding('PLATFORM_COUNT_MISMATCH', quiet ? 'info' : 'warning', message, recommendation);
}
