/**
 * The facts findings are judged from: every instance classified (state, age, generation) and,
 * per component, its live instances, active generation and orphans.
 */
import type { InstanceRecord } from '../model';
import type { ComponentPlan } from './components';
import { hasStandingInstances } from './components';
import { activeGeneration, instanceGeneration } from './generation';
import { countsAsLive, instanceStatus, withinDrainGrace } from './instance-state';
import type { InstanceState } from './report';
import { compareStrings } from './text';

export interface ClassifiedInstance {
  readonly record: InstanceRecord;
  readonly state: InstanceState;
  readonly ageMs: number;
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
}

/** What componentFacts needs beyond the instances: the deployments and the drain rule. */
export interface FactsContext {
  readonly activeDeploymentId: string | null;
  readonly inProgressDeploymentId: string | null;
  /** The time ages are measured at (see referenceTimeMs). */
  readonly refNowMs: number;
  readonly drainGraceMs: number;
}

/** Classifies one record at the reference time. */
export function classifyInstance(
  record: InstanceRecord,
  refNowMs: number,
  staleAfterMs: number | null,
): ClassifiedInstance {
  const { state, ageMs } = instanceStatus(record, refNowMs, staleAfterMs);
  return {
    record,
    state,
    ageMs,
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

/** A live instance fails its probe only when the probe says so; no probe is not a failure. */
export function failsProbe(instance: ClassifiedInstance): boolean {
  // Read once per reconcile in classifyInstance: the heartbeat is cold in the cache by now.
  return instance.probeFails;
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
  return {
    ...plan,
    standing,
    instances: sorted,
    live,
    serving: countWhere(live, (i) => !failsProbe(i)),
    activeGeneration: active,
    orphans,
    rolling: standing && inProgressDeploymentId !== null,
    draining: drainingOf(plan, sorted, context),
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
