/**
 * The static platform source: what the configuration says (DESIRED_REPLICAS, ACTIVE_DEPLOYMENT_ID)
 * instead of a platform API. Its view never changes, so current() returns one frozen constant.
 */
import type { StaticDesired } from '../config';
import type { PlatformSource } from './source';
import type { DeploymentInfo, PlatformComponent, PlatformView } from '../model';

export interface StaticSourceOptions {
  /** From DESIRED_REPLICAS; null when it is not set (then every count is unknown). */
  readonly desired: StaticDesired | null;
  /** ACTIVE_DEPLOYMENT_ID; null when it is not set. */
  readonly activeDeploymentId: string | null;
  /** DO_APP_ID when known, for the commands recommendations name. */
  readonly appId: string | null;
}

/**
 * The constant view: status not_configured (there is no platform data to be fresh or stale),
 * one `service` component per DESIRED_REPLICAS entry (sorted by name, platform counts unknown),
 * defaultDesired from a bare count, and the active deployment from ACTIVE_DEPLOYMENT_ID.
 */
export function staticView(options: StaticSourceOptions): PlatformView {
  const byComponent = options.desired?.byComponent ?? {};
  const components: PlatformComponent[] = Object.keys(byComponent)
    .sort()
    .flatMap((name) => {
      const desired = byComponent[name];
      return desired === undefined
        ? []
        : [
            Object.freeze({
              name,
              kind: 'service' as const,
              instanceSize: null,
              desired: Object.freeze({ ...desired }),
              ready: null,
              listed: null,
            }),
          ];
    });
  const active: DeploymentInfo | null =
    options.activeDeploymentId === null
      ? null
      : Object.freeze({
          id: options.activeDeploymentId,
          phase: 'ACTIVE',
          progress: null,
          failedStep: null,
          cause: null,
          createdAtMs: null,
          updatedAtMs: null,
        });
  const fallback = options.desired?.fallback ?? null;
  return Object.freeze({
    source: 'static',
    appId: options.appId,
    appName: null,
    status: 'not_configured',
    fetchedAtMs: null,
    error: null,
    components: Object.freeze(components),
    defaultDesired: fallback === null ? null : Object.freeze({ ...fallback }),
    activeDeployment: active,
    inProgressDeployment: null,
    pendingDeployment: null,
    deployments: Object.freeze(active === null ? [] : [active]),
  });
}

/** A PlatformSource over staticView(options): nothing to start, nothing to close. */
export function createStaticSource(options: StaticSourceOptions): PlatformSource {
  const view = staticView(options);
  return {
    kind: 'static',
    actions: null,
    current: () => view,
    start: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
