/**
 * The simulated App Platform's response bodies, rendered from a state snapshot in DigitalOcean's
 * JSON shapes (checked against apps.yaml by test/contract). Pure functions of the snapshot.
 *
 * Like the real API, whose JSON is protobuf's, counts that are 0 are left out (a health entry
 * with no ready replica has no `replicas_ready`, a deployment without errors no `error_steps`).
 */
import { commitHash, uuidFromSeed } from './ids';
import type { AppSnapshot, DeploymentRecord, InstanceRecord } from './app-state';
import { INSTANCE_SIZES, instanceSize } from './instance-sizes';
import { runningComponents } from './spec';
import { hasFailedStep, progressSteps } from './steps';

const iso = (ms: number): string => new Date(ms).toISOString();

/** The project every app of the simulated account belongs to (GET /v2/apps?with_projects=true). */
export const SIMULATED_PROJECT_ID = uuidFromSeed('simulated/project/default');

/** The counts without those that are 0, as protobuf's JSON mapping leaves them out. */
function withoutZeros(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, value]) => value !== 0));
}

/** An `apps_deployment`. */
export function deploymentJson(deployment: DeploymentRecord): Record<string, unknown> {
  const done = deployment.stepsDone;
  const left = deployment.stepsTotal - done;
  const errors = hasFailedStep(deployment) && left > 0 ? 1 : 0;
  const running = deployment.phase === 'DEPLOYING' && errors === 0 ? Math.min(1, left) : 0;
  const components = (list: readonly { name: string }[]) =>
    list.map((c) => ({ name: c.name, source_commit_hash: commitHash(`${deployment.id}/${c.name}`) }));
  return {
    id: deployment.id,
    spec: deployment.spec,
    services: components(deployment.spec.services),
    workers: components(deployment.spec.workers),
    jobs: components(deployment.spec.jobs),
    static_sites: components(deployment.spec.static_sites),
    phase_last_updated_at: iso(deployment.updatedAtMs),
    created_at: iso(deployment.createdAtMs),
    updated_at: iso(deployment.updatedAtMs),
    cause: deployment.cause,
    progress: {
      ...withoutZeros({
        success_steps: done,
        running_steps: running,
        pending_steps: Math.max(0, left - running - errors),
        error_steps: errors,
        total_steps: deployment.stepsTotal,
      }),
      steps: progressSteps(deployment),
    },
    phase: deployment.phase,
    tier_slug: 'basic',
  };
}

/**
 * GET and PUT /v2/apps/{id}: `{ app }`. `pending_deployment` is the deployment queued behind the
 * one in progress; in the answer to an update it is the deployment the update started
 * ("for CreateApp and UpdateApp transactions this is guaranteed to reflect the associated
 * deployment", apps.yaml).
 */
export function appJson(state: AppSnapshot, started?: DeploymentRecord): Record<string, unknown> {
  return { app: appObjectJson(state, started) };
}

/** An `app`, as GET /v2/apps/{id} and GET /v2/apps show it. */
function appObjectJson(state: AppSnapshot, started?: DeploymentRecord): Record<string, unknown> {
  const byId = new Map(state.deployments.map((d) => [d.id, d]));
  const active = state.activeId ? byId.get(state.activeId) : undefined;
  const inProgress = state.inProgressId ? byId.get(state.inProgressId) : undefined;
  const pending = started ? byId.get(started.id) : state.pendingId ? byId.get(state.pendingId) : undefined;
  const latest = state.deployments.at(-1);
  const host = `${state.spec.name}-${state.appId.slice(0, 5)}.ondigitalocean.app`;
  return {
    id: state.appId,
    owner_uuid: '7c0bd6a2-3c53-4ad5-9d4e-0b6e1f0d9a11',
    spec: state.spec,
    default_ingress: `https://${host}`,
    live_url: `https://${host}`,
    live_url_base: `https://${host}`,
    live_domain: host,
    created_at: iso(state.createdAtMs),
    updated_at: iso(state.updatedAtMs),
    ...(latest ? { last_deployment_created_at: iso(latest.createdAtMs) } : {}),
    ...(active ? { active_deployment: deploymentJson(active) } : {}),
    ...(inProgress ? { in_progress_deployment: deploymentJson(inProgress) } : {}),
    ...(pending ? { pending_deployment: deploymentJson(pending) } : {}),
    region: {
      slug: state.spec.region,
      label: state.spec.region,
      flag: state.spec.region,
      continent: 'Europe',
      data_centers: [`${state.spec.region}3`],
    },
    tier_slug: 'basic',
  };
}

/**
 * A page's `links.pages`: first and prev after the first page, next and last before the last
 * (none on a single page, as the API's own example shows `{}`), absolute like the API's.
 */
function pageLinks(page: number, last: number, pageUrl: (page: number) => string): Record<string, string> {
  const pages: Record<string, string> = {};
  if (page > 1) {
    pages.first = pageUrl(1);
    pages.prev = pageUrl(Math.min(page - 1, last));
  }
  if (page < last) {
    pages.next = pageUrl(page + 1);
    pages.last = pageUrl(last);
  }
  return pages;
}

/**
 * GET /v2/apps: one page of the account's apps, each exactly as GET /v2/apps/{id} shows it
 * (with its `project_id` when `withProjects`), with links and meta. `total` is the whole
 * account's count; `snapshots` holds this page's apps only, and `page` and `perPage` say where
 * they sit.
 */
export function appsPageJson(
  snapshots: readonly AppSnapshot[],
  total: number,
  page: number,
  perPage: number,
  pageUrl: (page: number) => string,
  withProjects = false,
): Record<string, unknown> {
  const last = Math.max(1, Math.ceil(total / perPage));
  return {
    apps: snapshots.map((s) => ({
      ...appObjectJson(s),
      ...(withProjects ? { project_id: SIMULATED_PROJECT_ID } : {}),
    })),
    links: { pages: pageLinks(page, last, pageUrl) },
    meta: { total },
  };
}

/** GET /v2/apps/tiers/instance_sizes. */
export function instanceSizesJson(): Record<string, unknown> {
  return { instance_sizes: INSTANCE_SIZES };
}

/** GET /v2/apps/tiers/instance_sizes/{slug}; null when there is no such size. */
export function instanceSizeJson(slug: string): Record<string, unknown> | null {
  const size = instanceSize(slug);
  return size ? { instance_size: size } : null;
}

/** GET /v2/apps/{app_id}/deployments: one page, newest first, with links and meta. */
export function deploymentsPageJson(
  state: AppSnapshot,
  page: number,
  perPage: number,
  pageUrl: (page: number) => string,
): Record<string, unknown> {
  const newestFirst = [...state.deployments].reverse();
  const last = Math.max(1, Math.ceil(newestFirst.length / perPage));
  return {
    deployments: newestFirst.slice((page - 1) * perPage, page * perPage).map(deploymentJson),
    links: { pages: pageLinks(page, last, pageUrl) },
    meta: { total: newestFirst.length },
  };
}

/** GET /v2/apps/{app_id}/instances. */
export function instancesJson(state: AppSnapshot): Record<string, unknown> {
  const position = new Map<string, number>();
  return {
    instances: state.instances.map((instance: InstanceRecord) => {
      const index = position.get(instance.component) ?? 0;
      position.set(instance.component, index + 1);
      return {
        component_name: instance.component,
        component_type: instance.type,
        instance_name: instance.name,
        instance_alias: `${instance.component}-${index}`,
      };
    }),
  };
}

/** GET /v2/apps/{app_id}/health: replicas_ready counts ready instances unless the scenario misreports it. */
export function healthJson(state: AppSnapshot): Record<string, unknown> {
  return {
    app_health: {
      components: runningComponents(state.spec).map((component, index) => {
        const ready =
          state.reportedReady[component.name] ??
          state.instances.filter((i) => i.component === component.name && i.ready).length;
        return {
          name: component.name,
          ...withoutZeros({
            cpu_usage_percent: 12.5 + index * 3.25,
            memory_usage_percent: 31.75 + index * 2.5,
            replicas_desired: component.desired,
            replicas_ready: ready,
          }),
          state: ready >= component.desired ? 'HEALTHY' : 'UNHEALTHY',
        };
      }),
    },
  };
}

/** A DigitalOcean error body, with the request id that DigitalOcean's support asks for. */
export function errorJson(id: string, message: string, requestId: string): Record<string, unknown> {
  return { id, message, request_id: requestId };
}
