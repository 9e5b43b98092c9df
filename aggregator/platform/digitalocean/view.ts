/**
 * App Platform responses → PlatformView. Pure: no I/O, no clock; the fetch time is an argument.
 */
import { generationOf } from '../instance-name';
import type {
  ComponentKind,
  DeploymentInfo,
  DesiredRange,
  PlatformComponent,
  PlatformInstance,
  PlatformKind,
  PlatformView,
} from '../source';
import { fixedDesired } from '../source';
import type { App, ComponentHealth, ComponentSpec, Deployment, Instance } from './schemas';

/** Everything one refresh fetched. */
export interface DigitalOceanSnapshot {
  readonly app: App;
  readonly deployments: readonly Deployment[];
  readonly instances: readonly Instance[];
  readonly health: readonly ComponentHealth[];
  readonly fetchedAtMs: number;
}

const KIND_OF_TYPE: Readonly<Record<string, ComponentKind>> = {
  SERVICE: 'service',
  WORKER: 'worker',
  JOB: 'job',
};

/** A fresh ('ok') view of what the platform said. */
export function toPlatformView(
  snapshot: DigitalOceanSnapshot,
  source: PlatformKind = 'digitalocean',
): PlatformView {
  const { app } = snapshot;
  const listedBy = groupBy(snapshot.instances, (instance) => instance.component_name);
  const readyBy = new Map(snapshot.health.map((health) => [health.name, health.replicas_ready ?? null]));

  const specComponents: { name: string; kind: ComponentKind; desired: DesiredRange | null }[] = [
    ...(app.spec.services ?? []).map((c) => ({
      name: c.name,
      kind: 'service' as const,
      desired: desiredOf(c),
    })),
    ...(app.spec.workers ?? []).map((c) => ({
      name: c.name,
      kind: 'worker' as const,
      desired: desiredOf(c),
    })),
    // Jobs and static sites keep no standing instances: no desired count to hold them to.
    ...(app.spec.jobs ?? []).map((c) => ({ name: c.name, kind: 'job' as const, desired: null })),
    ...(app.spec.static_sites ?? []).map((c) => ({
      name: c.name,
      kind: 'static_site' as const,
      desired: null,
    })),
  ];
  const inSpec = new Set(specComponents.map((c) => c.name));

  // A component that runs or reports health but is gone from the spec was deleted: it should
  // have no instances at all, so its desired count is a definite 0, not "unknown".
  const extra = new Map<string, ComponentKind>();
  for (const instance of snapshot.instances) {
    if (!inSpec.has(instance.component_name) && !extra.has(instance.component_name)) {
      extra.set(instance.component_name, KIND_OF_TYPE[instance.component_type ?? ''] ?? 'unknown');
    }
  }
  for (const health of snapshot.health) {
    if (!inSpec.has(health.name) && !extra.has(health.name)) extra.set(health.name, 'unknown');
  }

  const components: PlatformComponent[] = [
    ...specComponents,
    ...[...extra].map(([name, kind]) => ({ name, kind, desired: fixedDesired(0) })),
  ].map(({ name, kind, desired }) => ({
    name,
    kind,
    desired,
    ready: readyBy.get(name) ?? null,
    listed: (listedBy.get(name) ?? []).map(toInstance),
  }));

  return {
    source,
    appId: app.id,
    status: 'ok',
    fetchedAtMs: snapshot.fetchedAtMs,
    error: null,
    components,
    defaultDesired: null,
    activeDeployment: app.active_deployment ? toDeploymentInfo(app.active_deployment) : null,
    inProgressDeployment: app.in_progress_deployment ? toDeploymentInfo(app.in_progress_deployment) : null,
    deployments: newestFirst(snapshot.deployments.map(toDeploymentInfo)),
  };
}

/** `instance_count` (default 1), or the autoscaling range when the component autoscales. */
export function desiredOf(component: ComponentSpec): DesiredRange {
  const scaling = component.autoscaling;
  const min = scaling?.min_instance_count ?? null;
  const max = scaling?.max_instance_count ?? null;
  if (min !== null || max !== null) {
    // The API's minimum, and its default when only the maximum is given.
    const low = min ?? 1;
    return { min: low, max: Math.max(low, max ?? low), autoscaling: true };
  }
  return fixedDesired(component.instance_count ?? 1);
}

export function toDeploymentInfo(deployment: Deployment): DeploymentInfo {
  const progress = deployment.progress;
  return {
    id: deployment.id,
    phase: deployment.phase ?? 'UNKNOWN',
    progress:
      progress?.total_steps != null
        ? { stepsDone: progress.success_steps ?? 0, stepsTotal: progress.total_steps }
        : null,
    createdAtMs: parseTime(deployment.created_at),
    updatedAtMs: parseTime(deployment.updated_at),
  };
}

function toInstance(instance: Instance): PlatformInstance {
  return {
    name: instance.instance_name,
    alias: instance.instance_alias ?? null,
    generation: generationOf(instance.instance_name),
  };
}

/** Newest first by creation time; those without one keep their order, after the rest. */
function newestFirst(deployments: readonly DeploymentInfo[]): DeploymentInfo[] {
  return deployments
    .map((deployment, index) => ({ deployment, index }))
    .sort((a, b) => {
      const ta = a.deployment.createdAtMs;
      const tb = b.deployment.createdAtMs;
      if (ta !== null && tb !== null && ta !== tb) return tb - ta;
      if (ta === null && tb !== null) return 1;
      if (ta !== null && tb === null) return -1;
      return a.index - b.index;
    })
    .map(({ deployment }) => deployment);
}

function parseTime(text: string | null | undefined): number | null {
  if (!text) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
