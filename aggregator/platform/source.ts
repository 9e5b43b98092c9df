/**
 * What the platform says about an app, and the interface every platform source implements.
 * Sources: `static` (configuration), `digitalocean` (the real App Platform API) and `simulated`
 * (a fake App Platform server with scenarios). The reconciler only ever sees a PlatformView.
 */

export const PLATFORM_KINDS = ['digitalocean', 'static', 'simulated'] as const;
export type PlatformKind = (typeof PLATFORM_KINDS)[number];

/** App Platform component types; jobs and static sites run no standing instances. */
export type ComponentKind = 'service' | 'worker' | 'job' | 'static_site' | 'unknown';

/** How many instances the spec asks for: a fixed count (min = max) or an autoscaling range. */
export interface DesiredRange {
  readonly min: number;
  readonly max: number;
  readonly autoscaling: boolean;
}

export interface DeploymentInfo {
  readonly id: string;
  /** App Platform phase: PENDING_BUILD, BUILDING, PENDING_DEPLOY, DEPLOYING, ACTIVE, SUPERSEDED, ERROR, CANCELED… */
  readonly phase: string;
  readonly progress: { readonly stepsDone: number; readonly stepsTotal: number } | null;
  readonly createdAtMs: number | null;
  readonly updatedAtMs: number | null;
}

/** One instance as the platform lists it (GET /v2/apps/{id}/instances). */
export interface PlatformInstance {
  readonly name: string;
  readonly alias: string | null;
  /** The pod template hash from `<component>-<hash>-<suffix>`, null when the name has no such form. */
  readonly generation: string | null;
}

export interface PlatformComponent {
  readonly name: string;
  readonly kind: ComponentKind;
  /** null when the platform does not say (static source without DESIRED_REPLICAS for it). */
  readonly desired: DesiredRange | null;
  /** `replicas_ready` from GET /health: the number the dashboard shows. null when unknown. */
  readonly ready: number | null;
  /** The instances the platform lists. null when unknown. */
  readonly listed: readonly PlatformInstance[] | null;
}

/** ok: fresh; stale: the last good view, a refresh failed; unavailable: never fetched; not_configured: static. */
export type PlatformStatus = 'ok' | 'stale' | 'unavailable' | 'not_configured';

export interface PlatformView {
  readonly source: PlatformKind;
  readonly appId: string | null;
  readonly status: PlatformStatus;
  /** When the data in this view was fetched (ms), null when never. Its age tells how stale it is. */
  readonly fetchedAtMs: number | null;
  /** Why the last refresh failed, with no secret in it. */
  readonly error: string | null;
  readonly components: readonly PlatformComponent[];
  /** Desired count for components the view does not name (static `DESIRED_REPLICAS=2`). */
  readonly defaultDesired: DesiredRange | null;
  /** The deployment serving now; from ACTIVE_DEPLOYMENT_ID for the static source. */
  readonly activeDeployment: DeploymentInfo | null;
  readonly inProgressDeployment: DeploymentInfo | null;
  /** Recent deployments, newest first, when the source knows them. */
  readonly deployments: readonly DeploymentInfo[];
}

/** A source of PlatformViews. `current()` never blocks and never throws: it returns the last view. */
export interface PlatformSource {
  readonly kind: PlatformKind;
  current(): PlatformView;
  /** Starts background refreshing, if any. */
  start(): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
}

export function fixedDesired(count: number): DesiredRange {
  return { min: count, max: count, autoscaling: false };
}
