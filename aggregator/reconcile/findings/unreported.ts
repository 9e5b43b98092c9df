/** UNREPORTED_INSTANCES: instances the platform lists that send no live heartbeat. */
import type { PlatformInstance } from '../../model';
import { restartCommand } from '../commands';
import type { ClassifiedInstance } from '../facts';
import { ageAt, withinDrainGrace } from '../instance-state';
import type { Finding } from '../report';
import { compareStrings, formatDuration, listWords, plural } from '../text';
import type { FindingContext } from './context';
import { finding } from './context';

function heartbeatOf(ctx: FindingContext, listed: PlatformInstance): ClassifiedInstance | undefined {
  return (
    ctx.instancesByName.get(listed.name) ??
    (listed.alias === null ? undefined : ctx.instancesByName.get(listed.alias))
  );
}

function describe(ctx: FindingContext, listed: PlatformInstance): string {
  const known = heartbeatOf(ctx, listed);
  if (known?.state === 'gone')
    return `${listed.name} (heartbeats stopped ${formatDuration(ageAt(known.record, ctx.refNowMs))} ago)`;
  if (known?.state === 'left')
    return `${listed.name} (said goodbye ${formatDuration(ageAt(known.record, ctx.refNowMs))} ago)`;
  return listed.name;
}

/** Listed, said goodbye within the drain grace: the platform is still stopping it. */
function isDraining(ctx: FindingContext, listed: PlatformInstance): boolean {
  const known = heartbeatOf(ctx, listed);
  return known?.state === 'left' && withinDrainGrace(known.record, ctx.refNowMs, ctx.drainGraceMs);
}

/**
 * A listed instance is reported when no live heartbeat carries its name or alias as instance id
 * (or pod name). Warning; info while a rollout is in progress (new instances are listed before
 * their first heartbeat) or while the platform data is stale. An instance that said goodbye
 * within DRAIN_GRACE_MS is draining: while every unreported instance is, the finding is info and
 * says so; past the grace a listed instance is a zombie. Never while the collector is blind,
 * nor for an app no agent reports for (agentless.ts): every instance would be "unreported".
 */
export function unreportedFinding(ctx: FindingContext): Finding | null {
  const { facts, appId } = ctx;
  const listed = facts.platform?.listed ?? null;
  if (!facts.standing || listed === null || !ctx.collector.healthy || ctx.agentless) return null;
  const unreported = listed
    .filter((instance) => heartbeatOf(ctx, instance)?.live !== true)
    .sort((a, b) => compareStrings(a.name, b.name));
  if (unreported.length === 0) return null;
  const generations = [
    ...new Set(unreported.flatMap((i) => (i.generation === null ? [] : [i.generation]))),
  ].sort();
  const names = unreported.map((instance) => instance.name);
  if (unreported.every((instance) => isDraining(ctx, instance))) {
    const message =
      `${plural(unreported.length, 'instance')} of ${facts.name} said goodbye and ${unreported.length === 1 ? 'is' : 'are'} ` +
      `still listed by the platform: draining, a zombie only if still listed ${formatDuration(ctx.drainGraceMs)} ` +
      `after the goodbye (DRAIN_GRACE_MS): ${listWords(unreported.map((instance) => describe(ctx, instance)))}`;
    return finding(
      'UNREPORTED_INSTANCES',
      'info',
      message,
      'No action needed: App Platform stops a replaced instance after draining it',
      names,
      generations,
    );
  }
  const them = unreported.length === 1 ? 'it' : 'them';
  const message =
    `The platform lists ${plural(unreported.length, 'instance')} of ${facts.name} with no live heartbeat ` +
    `(no agent beside ${them}, or ${unreported.length === 1 ? 'a zombie' : 'zombies'} the platform still counts): ` +
    listWords(unreported.map((instance) => describe(ctx, instance)));
  const recommendation =
    `Check that an agent runs beside every ${facts.name} instance (AGENT_ENABLED=true with REDIS_URL or ` +
    `AGGREGATOR_URL); a zombie is replaced by a rolling restart: ${restartCommand(appId, facts.name)}`;
  return finding(
    'UNREPORTED_INSTANCES',
    facts.rolling || !ctx.platformFresh ? 'info' : 'warning',
    message,
    recommendation,
    names,
    generations,
  );
}
