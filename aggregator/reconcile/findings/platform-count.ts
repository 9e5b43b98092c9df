/** PLATFORM_COUNT_MISMATCH: the dashboard's numbers disagree with the heartbeats or the spec. */
import { restartCommand, runLogsCommand, specEditCommand } from '../commands';
import { agentlessCountFinding } from './agentless-count';
import type { Finding } from '../report';
import { formatDuration, isoTime, listWords, plural } from '../text';
import type { FindingContext } from './context';
import { describeDesired, desiredSource, finding, rollingNote } from './context';
import { orphanRecommendation } from './orphaned';

/** Why the numbers may be off for a reason other than the fleet: blindness or old platform data. */
function caveats(ctx: FindingContext): string {
  const notes: string[] = [];
  if (!ctx.collector.healthy) {
    const since = ctx.collector.blindSinceMs;
    notes.push(
      since === null
        ? 'heartbeat counts are as of the moment the collector went blind'
        : `heartbeat counts are as of ${isoTime(since)}, when the collector went blind`,
    );
  }
  if (!ctx.platformFresh) {
    const fetched = ctx.view.fetchedAtMs;
    notes.push(
      fetched === null
        ? 'the platform data is stale'
        : `the platform data is ${formatDuration(ctx.nowMs - fetched)} old`,
    );
  }
  return notes.length === 0 ? '' : ` (${notes.join('; ')})`;
}

/**
 * When the platform's ready count or instance list is known and: ready ≠ live, listed ≠ live,
 * or ready > desired.max (the dashboard over-counts); instances draining within DRAIN_GRACE_MS
 * may be counted on the platform's side without a mismatch. Warning; info while a rollout is in
 * progress (counts move then), while the collector is blind or while the platform data is stale,
 * because then the two sides are not compared at the same moment. For an app no agent reports
 * for, the platform is compared with itself instead (agentless-count.ts).
 */
export function platformCountFinding(ctx: FindingContext): Finding | null {
  if (ctx.agentless) return agentlessCountFinding(ctx);
  const { facts, view, appId } = ctx;
  if (!facts.standing || facts.platform === null) return null;
  const ready = facts.platform.ready;
  const listed = facts.platform.listed?.length ?? null;
  const platformCount = ready ?? listed;
  if (platformCount === null) return null;
  const live = facts.live.length;
  // Draining instances said goodbye (not live) and may still be counted for DRAIN_GRACE_MS: a
  // platform count up to that many above the live one agrees, and so does a scale-down in flight.
  const draining = facts.draining.length;
  const agrees = (count: number | null) => count === null || (count >= live && count <= live + draining);
  const overDesired = ready !== null && facts.desired !== null && ready - draining > facts.desired.max;
  if (agrees(ready) && agrees(listed) && !overDesired) return null;

  const shown = [
    ready === null ? null : `the dashboard shows ${ready} ready`,
    listed === null ? null : `the platform lists ${plural(listed, 'instance')}`,
  ]
    .filter((part): part is string => part !== null)
    .join(' and ');
  const asks = facts.desired === null ? '' : `${desiredSource(view)} asks for ${describeDesired(facts)} and `;
  const active = facts.activeGeneration;
  const activeLive = facts.activeLive;
  const running =
    activeLive === null
      ? `${live} ${live === 1 ? 'sends' : 'send'} heartbeats`
      : `${activeLive} run on the active deployment ${active}`;

  let explanation = '';
  let recommendation: string;
  if (facts.orphans.length > 0 && platformCount > (activeLive ?? 0)) {
    const groups = facts.orphanGroups.map(([generation]) => generation);
    explanation = `; it counts the ${plural(facts.orphans.length, 'orphan')} of ${listWords(groups)}`;
    recommendation = orphanRecommendation(ctx);
  } else if (platformCount > live) {
    const gone = facts.instances.filter((i) => i.state === 'gone').length;
    explanation =
      `; ${platformCount - live} of the ${platformCount} it counts send no heartbeat` +
      (gone > 0 ? ` (${plural(gone, 'instance')} stopped heartbeating)` : '');
    recommendation =
      `Compare the platform's instances (GET /v2/apps/${appId}/instances) with the heartbeats: ` +
      `instances without an agent show in UNREPORTED_INSTANCES; a rolling restart replaces zombies: ` +
      restartCommand(appId, facts.name);
  } else if (platformCount < live) {
    explanation = `; ${live - platformCount} heartbeating instances are not counted (starting, failing readiness, or not listed yet)`;
    recommendation = `Check why the platform does not count them ready (health check of ${facts.name}): ${runLogsCommand(appId, facts.name)}`;
  } else {
    recommendation = `Check the count in the spec: ${specEditCommand(appId, facts.name)}`;
  }
  const message = `For ${facts.name}, ${shown} while ${asks}${running}${explanation}${rollingNote(ctx)}${caveats(ctx)}`;
  const quiet = facts.rolling || !ctx.collector.healthy || !ctx.platformFresh;
  const generations = facts.orphanGroups.map(([generation]) => generation);
  return finding(
    'PLATFORM_COUNT_MISMATCH',
    quiet ? 'info' : 'warning',
    message,
    recommendation,
    [],
    generations,
  );
}
