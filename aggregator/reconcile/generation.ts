/**
 * Which deployment (generation) an instance belongs to, and which generation of a component is
 * the active one. A generation is a deployment id when the agent has DEPLOYMENT_ID, else the pod
 * template hash from the instance name: either way, instances of one deployment share it.
 */
import type { InstanceRecord } from '../model';
import { parseInstanceName } from '../model';

/** The name-hash generation of each record seen (records are immutable, so it never changes). */
const nameGenerations = new WeakMap<InstanceRecord, string | null>();

/**
 * heartbeat.deployment_id ?? the name's template hash ?? null (unknown: never an orphan). The
 * hash counts only when the name's component part is the instance's component, so an ordinary
 * hostname such as `api-server-1a2b3` is not mistaken for `<component>-<hash>-<suffix>`.
 */
export function instanceGeneration(record: InstanceRecord): string | null {
  if (record.heartbeat.deployment_id !== null) return record.heartbeat.deployment_id;
  // Records are immutable: the name is parsed once per record, not once per reconcile.
  const cached = nameGenerations.get(record);
  if (cached !== undefined) return cached;
  const name = parseInstanceName(record.instanceId);
  const generation = name !== null && name.component === record.component ? name.generation : null;
  nameGenerations.set(record, generation);
  return generation;
}

/** What the active-generation rule needs to know about one instance. */
export interface GenerationSample {
  readonly generation: string | null;
  /** The generation is a deployment id the agent was given (DEPLOYMENT_ID), not a name hash. */
  readonly explicit: boolean;
  readonly live: boolean;
  readonly startedAtMs: number;
}

/**
 * The active generation of a component:
 * 1. the platform's active deployment id, when the component's generations are deployment ids:
 *    some instance carries that id, or some instance has an explicit DEPLOYMENT_ID (then every
 *    instance on another id is an orphan, even when none is on the active one);
 * 2. otherwise the newest generation among its live instances: the one whose earliest
 *    started_at is the latest (a generation is as old as its first instance; later restarts of
 *    old instances do not make it new). Ties go to the greatest id, to stay deterministic;
 * 3. null when no live instance has a generation (then nothing is an orphan).
 */
export function activeGeneration(
  samples: readonly GenerationSample[],
  activeDeploymentId: string | null,
): string | null {
  if (activeDeploymentId !== null && samples.some((s) => s.explicit || s.generation === activeDeploymentId)) {
    return activeDeploymentId;
  }
  const firstStart = new Map<string, number>();
  for (const sample of samples) {
    if (!sample.live || sample.generation === null) continue;
    const known = firstStart.get(sample.generation);
    if (known === undefined || sample.startedAtMs < known)
      firstStart.set(sample.generation, sample.startedAtMs);
  }
  let best: { generation: string; startedAtMs: number } | null = null;
  for (const [generation, startedAtMs] of firstStart) {
    if (
      best === null ||
      startedAtMs > best.startedAtMs ||
      (startedAtMs === best.startedAtMs && generation > best.generation)
    ) {
      best = { generation, startedAtMs };
    }
  }
  return best?.generation ?? null;
}
