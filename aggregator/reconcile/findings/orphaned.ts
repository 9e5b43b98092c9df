/** ORPHANED_INSTANCES: live instances of an older deployment that were never terminated. */
import type { DeploymentInfo } from '../../model';
import { freshDeployCommand, restartCommand } from '../commands';
import type { ComponentFacts } from '../facts';
import type { Finding } from '../report';
import { isoTime, listWords, plural } from '../text';
import type { FindingContext } from './context';
import { finding, idsOf, rollingNote } from './context';

/**
 * When the deployment history knows it: "dep-old, superseded by dep-new deployed at T". The
 * successor is the oldest newer deployment that went live (ACTIVE or SUPERSEDED since).
 */
function supersededNote(generation: string, deployments: readonly DeploymentInfo[]): string {
  // Newest first: the ones before `generation` in the list are newer.
  const index = deployments.findIndex((d) => d.id === generation);
  if (index <= 0) return '';
  const successor = deployments
    .slice(0, index)
    .reverse()
    .find((d) => d.phase === 'ACTIVE' || d.phase === 'SUPERSEDED');
  if (successor === undefined) return '';
  const when = successor.createdAtMs === null ? '' : ` deployed ${isoTime(successor.createdAtMs)}`;
  return `, superseded by ${successor.id}${when}`;
}

/** "4 of dep-old (a, b, c and d)" per generation, with when it was superseded where known. */
export function describeOrphans(facts: ComponentFacts, deployments: readonly DeploymentInfo[]): string {
  return facts.orphanGroups
    .map(
      ([generation, group]) =>
        `${group.length} of ${generation}${supersededNote(generation, deployments)} (${listWords(idsOf(group))})`,
    )
    .join('; ');
}

/** The fix for orphans: a rolling restart replaces every instance; a fresh deployment if they survive it. */
export function orphanRecommendation(ctx: FindingContext): string {
  const { appId, facts } = ctx;
  return (
    `Replace the orphans with a rolling restart: ${restartCommand(appId, facts.name)}; ` +
    `if they survive it, start a fresh deployment: ${freshDeployCommand(appId)}`
  );
}

/** Warning; info while a rollout is in progress (old instances are expected then). */
export function orphanedFinding(ctx: FindingContext): Finding | null {
  const { facts } = ctx;
  if (!facts.standing || facts.orphans.length === 0) return null;
  const generations = facts.orphanGroups.map(([generation]) => generation);
  const message =
    `${plural(facts.orphans.length, 'live instance')} of ${facts.name} ${facts.orphans.length === 1 ? 'runs' : 'run'} ` +
    `on an old deployment ` +
    `while ${facts.activeGeneration} is active${rollingNote(ctx)}: ${describeOrphans(facts, ctx.view.deployments)}`;
  return finding(
    'ORPHANED_INSTANCES',
    facts.rolling ? 'info' : 'warning',
    message,
    orphanRecommendation(ctx),
    idsOf(facts.orphans),
    generations,
  );
}
