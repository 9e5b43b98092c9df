/** MISSING_INSTANCES and SURPLUS_INSTANCES: the live count against the desired range. */
import { freshDeployCommand, restartCommand, runLogsCommand, specEditCommand } from '../commands';
import type { ClassifiedInstance } from '../facts';
import { byInstanceId, oldestFirst } from '../facts';
import { ageAt } from '../instance-state';
import type { Finding } from '../report';
import { formatDuration, listWords, plural } from '../text';
import type { FindingContext } from './context';
import { describeDesired, desiredSource, finding, idsOf, rollingNote } from './context';
import { orphanRecommendation } from './orphaned';

/**
 * live < desired.min. Warning; critical when nothing is live; info while a rollout is in
 * progress. Never while the collector is blind: not seeing heartbeats is not missing instances;
 * nor for an app no agent reports for (agentless.ts): it has no heartbeats to miss.
 */
export function missingFinding(ctx: FindingContext): Finding | null {
  const { facts, appId, view } = ctx;
  const { desired } = facts;
  if (!facts.standing || desired === null || !ctx.collector.healthy || ctx.agentless) return null;
  if (facts.live.length >= desired.min) return null;
  const gone = facts.instances.filter((i) => i.state === 'gone');
  const goneNote =
    gone.length === 0
      ? ''
      : `; heartbeats stopped for ${listWords(gone.map((i) => `${i.record.instanceId} (${formatDuration(ageAt(i.record, ctx.refNowMs))} ago)`))}`;
  const message =
    `${plural(facts.live.length, 'instance')} of ${facts.name} ${facts.live.length === 1 ? 'is' : 'are'} live ` +
    `while ${desiredSource(view)} asks for ` +
    `${describeDesired(facts)}${rollingNote(ctx)}: ${desired.min - facts.live.length} missing${goneNote}`;
  const recommendation =
    `Find out why instances are down: ${runLogsCommand(appId, facts.name)} and doctl apps list-deployments ${appId}; ` +
    `then replace them with a rolling restart: ${restartCommand(appId, facts.name)}, ` +
    `or a fresh deployment: ${freshDeployCommand(appId)}`;
  const severity = facts.rolling ? 'info' : facts.live.length === 0 ? 'critical' : 'warning';
  return finding('MISSING_INSTANCES', severity, message, recommendation, idsOf(gone));
}

/**
 * The instances to let go first: orphans (oldest first), then the youngest of the active
 * generation, then the youngest of the rest (unknown generation, the in-progress deployment).
 */
export function surplusOrder(
  live: readonly ClassifiedInstance[],
  activeGeneration: string | null,
  orphans: readonly ClassifiedInstance[],
): ClassifiedInstance[] {
  const orphanSet = new Set(orphans);
  const youngestFirst = (a: ClassifiedInstance, b: ClassifiedInstance) =>
    b.record.heartbeat.started_at - a.record.heartbeat.started_at || byInstanceId(a, b);
  const rest = live.filter((i) => !orphanSet.has(i));
  const active = rest
    .filter((i) => activeGeneration !== null && i.generation === activeGeneration)
    .sort(youngestFirst);
  const others = rest
    .filter((i) => activeGeneration === null || i.generation !== activeGeneration)
    .sort(youngestFirst);
  return [...orphans].sort(oldestFirst).concat(active, others);
}

/**
 * live > desired.max. Warning; info while a rollout is in progress. `instances` are the extra
 * ones in surplusOrder; the message says how many of them are orphans. Never for an agentless
 * app: its surplus by the platform's own numbers is PLATFORM_COUNT_MISMATCH's.
 */
export function surplusFinding(ctx: FindingContext): Finding | null {
  const { facts, appId, view } = ctx;
  const { desired } = facts;
  if (!facts.standing || desired === null || ctx.agentless || facts.live.length <= desired.max) return null;
  const extra = facts.live.length - desired.max;
  const surplus = surplusOrder(facts.live, facts.activeGeneration, facts.orphans).slice(0, extra);
  const orphanSet = new Set(facts.orphans);
  const orphanCount = surplus.filter((i) => orphanSet.has(i)).length;
  const generations = [
    ...new Set(surplus.flatMap((i) => (i.generation === null ? [] : [i.generation]))),
  ].sort();
  const message =
    `${facts.live.length} instances of ${facts.name} are live while ${desiredSource(view)} asks for ` +
    `${describeDesired(facts)}${rollingNote(ctx)}: ${extra} surplus, ${orphanCount} of them orphaned ` +
    `(${listWords(idsOf(surplus))})`;
  const recommendation =
    orphanCount > 0
      ? orphanRecommendation(ctx)
      : view.source === 'static'
        ? `If ${plural(facts.live.length, 'instance')} is right, correct DESIRED_REPLICAS for ${facts.name}; ` +
          `otherwise change the count on the platform: ${specEditCommand(appId, facts.name)}`
        : `Check the count in the spec and set the one you want: ${specEditCommand(appId, facts.name)}`;
  return finding(
    'SURPLUS_INSTANCES',
    facts.rolling ? 'info' : 'warning',
    message,
    recommendation,
    idsOf(surplus),
    generations,
  );
}
