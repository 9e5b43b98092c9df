/**
 * The facts findings are judged from: every instance classified (state, generation) and, per
 * component, its live instances, active generation and orphans. An instance's age is not a
 * fact: it grows with every reconcile, so it is measured where it is shown (ageAt), and facts
 * stay valid for as long as no instance changes state (see classification.ts).
 */
import type { InstanceRecord } from '../model';
import type { ComponentPlan } from './components';
import { hasStandingInstances } from './components';
import { activeGeneration, instanceGeneration } from './generation';
import { countsAsLive, instanceStatus, withinDrainGrace } from './instance-state';
import type { DeploymentCount, InstanceState } from './report';
import { compareStrings } from './text';

export interface ClassifiedInstance {
  readonly record: InstanceRecord;
  readonly state: InstanceState;
  readonly generation: string | null;
  /** live or suspect. */
  readonly live: boolean;
  /** The generation is a DEPLOYMENT_ID the agent was given (so this is a GenerationSample as is). */
  readonly explicit: boolean;
  /** heartbeat.started_at. */
  readonly startedAtMs: number;
  /** Its probe says it does not serve (serving.ok is false); no probe is not a failure. */
  readonly probeFails: boolean;
}

export interface ComponentFacts extends ComponentPlan {
  readonly standing: boolean;
  /** Every instance of the component, by instance id. */
  readonly instances: readonly ClassifiedInstance[];
  /** Its live and suspect instances, by instance id. */
  readonly live: readonly ClassifiedInstance[];
  /** Live instances not failing their serving probe (no probe = unknown = serving). */
  readonly serving: number;
  readonly activeGeneration: string | null;
  /** Live instances on a generation other than the active one (and not the in-progress one), oldest first. */
  readonly orphans: readonly ClassifiedInstance[];
  /** A rollout is in progress and this component runs standing instances. */
  readonly rolling: boolean;
  /**
   * Instances that said goodbye within the drain grace and that the platform still lists (by
   * instance id or pod name): draining, not zombies; by instance id.
   */
  readonly draining: readonly ClassifiedInstance[];
  /** Live instances failing their serving probe, by instance id. */
  readonly failing: readonly ClassifiedInstance[];
  /** Live instances whose clock is off by more than CLOCK_SKEW_MAX_MS, by instance id. */
  readonly skewed: readonly ClassifiedInstance[];
  /** Live instances on the active generation; null when there is none. */
  readonly activeLive: number | null;
  /** The orphans by generation, in generation order: [generation, its orphans (oldest first)]. */
  readonly orphanGroups: readonly (readonly [string, readonly ClassifiedInstance[]])[];
  /** Live instances per generation: the active one first (even at 0 live), then by id, unknown last. */
  readonly deployments: readonly DeploymentCount[];
  /** How many of its instances are suspect, gone and left. */
  readonly suspect: number;
  readonly gone: number;
  readonly left: number;
  /**
   * The reference time from which `draining` may differ (ms): the first drain grace to end.
   * Infinity when nothing drains. Instance states have their own deadlines (classification.ts).
   */
  readonly drainChangesAtMs: number;
}

/** What componentFacts needs beyond the instances: the deployments and the drain rule. */
export interface FactsContext {
  readonly activeDeploymentId: string | null;
  readonly inProgressDeploymentId: string | null;
  /** The time ages are measured at (see referenceTimeMs). */
  readonly refNowMs: number;
  readonly drainGraceMs: number;
  /** CLOCK_SKEW_MAX_MS, default applied. */
  readonly clockSkewMaxMs: number;
}

/** Classifies one record at the reference time. */
export function classifyInstance(
  record: InstanceRecord,
  refNowMs: number,
  staleAfterMs: number | null,
): ClassifiedInstance {
  const { state } = instanceStatus(record, refNowMs, staleAfterMs);
  return {
    record,
    state,
    generation: instanceGeneration(record),
    live: countsAsLive(state),
    explicit: record.heartbeat.deployment_id !== null,
    startedAtMs: record.heartbeat.started_at,
    probeFails: record.heartbeat.serving?.ok === false,
  };
}

/** Instance-id order, the order of every instance list in a report. */
export function byInstanceId(a: ClassifiedInstance, b: ClassifiedInstance): number {
  return compareStrings(a.record.instanceId, b.record.instanceId);
}

/** Oldest start first, instance id to break ties. */
export function oldestFirst(a: ClassifiedInstance, b: ClassifiedInstance): number {
  return a.record.heartbeat.started_at - b.record.heartbeat.started_at || byInstanceId(a, b);
}

/**
 * The facts of one component. An orphan is a live instance whose generation is known and is
 * neither the active generation nor the in-progress deployment's.
 */
export function componentFacts(
  plan: ComponentPlan,
  instances: readonly ClassifiedInstance[],
  context: FactsContext,
): ComponentFacts {
  const { activeDeploymentId, inProgressDeploymentId } = context;
  // The registry hands its snapshot over in id order, so this sort only confirms it in one pass.
  const sorted = [...instances].sort(byInstanceId);
  const live = sorted.filter((i) => i.live);
  const active = activeGeneration(sorted, activeDeploymentId);
  const orphans = live
    .filter(
      (i) =>
        i.generation !== null &&
        active !== null &&
        i.generation !== active &&
        i.generation !== inProgressDeploymentId,
    )
    .sort(oldestFirst);
  const standing = hasStandingInstances(plan.kind);
  const draining = drainingOf(plan, sorted, context);
  const failing = live.filter((i) => i.probeFails);
  let drainChangesAtMs = Number.POSITIVE_INFINITY;
  for (const instance of draining)
    drainChangesAtMs = Math.min(drainChangesAtMs, (instance.record.leftAtMs ?? 0) + context.drainGraceMs);
  return {
    ...plan,
    standing,
    instances: sorted,
    live,
    serving: live.length - failing.length,
    activeGeneration: active,
    orphans,
    failing,
    skewed: live.filter((i) => Math.abs(i.record.clockOffsetMs) > context.clockSkewMaxMs),
    activeLive: active === null ? null : countWhere(live, (i) => i.generation === active),
    orphanGroups: orphansByGeneration(orphans),
    deployments: deploymentCounts(live, active),
    rolling: standing && inProgressDeploymentId !== null,
    draining,
    suspect: countWhere(sorted, (i) => i.state === 'suspect'),
    gone: countWhere(sorted, (i) => i.state === 'gone'),
    left: countWhere(sorted, (i) => i.state === 'left'),
    drainChangesAtMs,
  };
}

function drainingOf(
  plan: ComponentPlan,
  instances: readonly ClassifiedInstance[],
  context: FactsContext,
): ClassifiedInstance[] {
  const listed = plan.platform?.listed;
  if (!listed || listed.length === 0) return [];
  const names = new Set(listed.flatMap((i) => (i.alias === null ? [i.name] : [i.name, i.alias])));
  return instances.filter(
    (i) =>
      i.state === 'left' &&
      withinDrainGrace(i.record, context.refNowMs, context.drainGraceMs) &&
      (names.has(i.record.instanceId) ||
        (i.record.heartbeat.pod_name !== null && names.has(i.record.heartbeat.pod_name))),
  );
}

/** How many of `instances` pass `test`, without building the filtered array. */
export function countWhere(
  instances: readonly ClassifiedInstance[],
  test: (instance: ClassifiedInstance) => boolean,
): number {
  let count = 0;
  for (const instance of instances) if (test(instance)) count++;
  return count;
}

/** Orphans grouped by generation, in generation order: [generation, its orphans]. */
export function orphansByGeneration(
  orphans: readonly ClassifiedInstance[],
): [string, ClassifiedInstance[]][] {
  const groups = new Map<string, ClassifiedInstance[]>();
  for (const orphan of orphans) {
    const generation = orphan.generation ?? '';
    const group = groups.get(generation) ?? [];
    group.push(orphan);
    groups.set(generation, group);
  }
  return [...groups.entries()].sort(([a], [b]) => compareStrings(a, b));
}

/** Live instances per generation: the active one first (even at 0 live), then by id, unknown last. */
function deploymentCounts(live: readonly ClassifiedInstance[], active: string | null): DeploymentCount[] {
  const counts = new Map<string | null, number>();
  if (active !== null) counts.set(active, 0);
  for (const instance of live) counts.set(instance.generation, (counts.get(instance.generation) ?? 0) + 1);
  const rank = (id: string | null) => (id === active ? 0 : id === null ? 2 : 1);
  return [...counts.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || compareStrings(a ?? '', b ?? ''))
    .map(([id, count]) => ({ deployment_id: id, live: count, active: id !== null && id === active }));
}
