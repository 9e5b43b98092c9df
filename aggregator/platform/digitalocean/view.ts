/**
 * App Platform responses → PlatformView. Pure: no I/O, no clock; the fetch time is an argument.
 *
 * Fields the OpenAPI does not require may be absent, and the API (protobuf JSON) leaves out
 * every count that is 0. So: an absent count is 0; a health entry without `replicas_ready`
 * says 0 are ready; what cannot be attributed (an instance without a component name, a
 * deployment without an id) is left out rather than failing the whole view.
 */
import { generationOf } from '../../model';
import type {
  ComponentKind,
  DeploymentInfo,
  DeploymentProgress,
  DesiredRange,
  InstanceSize,
  PlatformComponent,
  PlatformInstance,
  PlatformKind,
  PlatformView,
} from '../../model';
import { fixedDesired } from '../../model';
import type { App, ComponentHealth, ComponentSpec, Deployment, Instance, ProgressStep } from './schemas';
import { readProgressSteps } from './schemas';

/** A size's `usd_per_month` in cents, null when unknown (see InstanceSize). */
export type MonthlyPrice = (slug: string) => number | null;

/** Everything one refresh fetched. */
export interface DigitalOceanSnapshot {
  /** The app id the source asked for: the view's id when the app does not name its own. */
  readonly appId: string;
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

/** Separates the names of nested steps in DeploymentInfo.failedStep. */
const STEP_SEPARATOR = ' › ';
/** A failure reason is shown in reports and alerts: long ones are cut. */
const REASON_LIMIT = 200;

/** An instance the platform lists, attributed to its component. */
interface AttributedInstance {
  readonly component: string;
  readonly type: string | null;
  readonly instance: PlatformInstance;
}

/** A fresh ('ok') view of what the platform said. */
export function toPlatformView(
  snapshot: DigitalOceanSnapshot,
  source: PlatformKind = 'digitalocean',
  monthlyCentsOf: MonthlyPrice = () => null,
): PlatformView {
  const { app } = snapshot;
  const instances = snapshot.instances.flatMap(attributed);
  const listedBy = groupBy(instances, (i) => i.component);
  // A health entry that is present speaks for its component: an absent replicas_ready is 0.
  const health = snapshot.health.flatMap((h) =>
    h.name ? [{ name: h.name, ready: h.replicas_ready ?? 0 }] : [],
  );
  const readyBy = new Map(health.map((h) => [h.name, h.ready]));

  const sized = (c: ComponentSpec): InstanceSize | null =>
    c.instance_size_slug
      ? { slug: c.instance_size_slug, monthlyCents: monthlyCentsOf(c.instance_size_slug) }
      : null;
  const specComponents: Omit<PlatformComponent, 'ready' | 'listed'>[] = [
    ...(app.spec.services ?? []).map((c) => ({
      name: c.name,
      kind: 'service' as const,
      instanceSize: sized(c),
      desired: desiredOf(c),
    })),
    ...(app.spec.workers ?? []).map((c) => ({
      name: c.name,
      kind: 'worker' as const,
      instanceSize: sized(c),
      desired: desiredOf(c),
    })),
    // Jobs and static sites keep no standing instances: no desired count to hold them to.
    ...(app.spec.jobs ?? []).map((c) => ({
      name: c.name,
      kind: 'job' as const,
      instanceSize: null,
      desired: null,
    })),
    ...(app.spec.static_sites ?? []).map((c) => ({
      name: c.name,
      kind: 'static_site' as const,
      instanceSize: null,
      desired: null,
    })),
  ];
  const inSpec = new Set(specComponents.map((c) => c.name));

  // A component that runs or reports health but is gone from the spec was deleted: it should
  // have no instances at all, so its desired count is a definite 0, not "unknown".
  const extra = new Map<string, ComponentKind>();
  for (const { component, type } of instances) {
    if (!inSpec.has(component) && !extra.has(component)) {
      extra.set(component, KIND_OF_TYPE[type ?? ''] ?? 'unknown');
    }
  }
  for (const { name } of health) {
    if (!inSpec.has(name) && !extra.has(name)) extra.set(name, 'unknown');
  }

  const components: PlatformComponent[] = [
    ...specComponents,
    ...[...extra].map(([name, kind]) => ({ name, kind, instanceSize: null, desired: fixedDesired(0) })),
  ].map((c) => ({
    ...c,
    ready: readyBy.get(c.name) ?? null,
    listed: (listedBy.get(c.name) ?? []).map((i) => i.instance),
  }));

  const active = app.active_deployment ? toDeploymentInfo(app.active_deployment) : null;
  const inProgress = app.in_progress_deployment ? toDeploymentInfo(app.in_progress_deployment) : null;
  const pending = app.pending_deployment ? toDeploymentInfo(app.pending_deployment) : null;
  return {
    source,
    appId: app.id || snapshot.appId,
    appName: app.spec.name || null,
    status: 'ok',
    fetchedAtMs: snapshot.fetchedAtMs,
    error: null,
    components,
    defaultDesired: null,
    activeDeployment: active,
    inProgressDeployment: inProgress,
    // The API may name the deployment in progress (or, just after it completed, the active one)
    // as the pending one too; queued is only one that is neither.
    pendingDeployment:
      pending !== null && pending.id !== inProgress?.id && pending.id !== active?.id ? pending : null,
    deployments: newestFirst(snapshot.deployments.flatMap((d) => toDeploymentInfo(d) ?? [])),
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

/** A deployment as the view keeps it; null when it has no id (it cannot be told apart from others). */
export function toDeploymentInfo(deployment: Deployment): DeploymentInfo | null {
  if (!deployment.id) return null;
  return {
    id: deployment.id,
    phase: deployment.phase ?? 'UNKNOWN',
    progress: progressOf(deployment.progress),
    failedStep: failedStepOf(deployment.progress?.steps),
    cause: deployment.cause || null,
    createdAtMs: parseTime(deployment.created_at),
    updatedAtMs: parseTime(deployment.updated_at),
  };
}

/**
 * The first step whose status is ERROR, and inside it its first failed child, and so on, as
 * `deploy › components › backend › wait`, followed by the deepest reason given (its message, else
 * its code); null when no step failed.
 */
function failedStepOf(steps: readonly unknown[] | null | undefined): string | null {
  const path: string[] = [];
  let reason: string | null = null;
  let failed: ProgressStep | undefined = readProgressSteps(steps).find(isError);
  while (failed !== undefined) {
    path.push(failed.name || failed.component_name || 'unnamed step');
    reason = reasonOf(failed) ?? reason;
    failed = readProgressSteps(failed.steps).find(isError);
  }
  if (path.length === 0) return null;
  const name = path.join(STEP_SEPARATOR);
  return reason === null ? name : `${name}: ${reason}`;
}

function isError(step: ProgressStep): boolean {
  return step.status === 'ERROR';
}

function reasonOf(step: ProgressStep): string | null {
  const text = (step.reason?.message || step.reason?.code || '').replace(/\s+/g, ' ').trim();
  if (text.length === 0) return null;
  return text.length > REASON_LIMIT ? `${text.slice(0, REASON_LIMIT)}…` : text;
}

/**
 * Counts the API left out are 0; a total left out is the sum of the others. No steps at all
 * (or no progress) is null: nothing to judge a rollout's movement by.
 */
function progressOf(progress: Deployment['progress']): DeploymentProgress | null {
  if (!progress) return null;
  const stepsDone = progress.success_steps ?? 0;
  const errorSteps = progress.error_steps ?? 0;
  const stepsTotal =
    progress.total_steps ??
    stepsDone + errorSteps + (progress.pending_steps ?? 0) + (progress.running_steps ?? 0);
  return stepsTotal > 0 ? { stepsDone, stepsTotal, errorSteps } : null;
}

/**
 * An instance with its component; none when it names no component (it cannot be counted for
 * any) or neither a name nor an alias (it cannot be matched to a heartbeat, nor named).
 */
function attributed(instance: Instance): AttributedInstance[] {
  const name = instance.instance_name || instance.instance_alias;
  if (!instance.component_name || !name) return [];
  return [
    {
      component: instance.component_name,
      type: instance.component_type ?? null,
      instance: { name, alias: instance.instance_alias || null, generation: generationOf(name) },
    },
  ];
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
