/**
 * What the platform says about an app: the PlatformView every platform source produces and the
 * reconciler reads. Sources: `static` (configuration), `digitalocean` (the real App Platform API)
 * and `simulated` (a fake App Platform server with scenarios); see platform/source.ts.
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

export interface DeploymentProgress {
  readonly stepsDone: number;
  readonly stepsTotal: number;
  /** `progress.error_steps`; an absent field is 0 (proto3 JSON omits zeros). */
  readonly errorSteps: number;
}

export interface DeploymentInfo {
  readonly id: string;
  /** App Platform phase: PENDING_BUILD, BUILDING, PENDING_DEPLOY, DEPLOYING, ACTIVE, SUPERSEDED, ERROR, CANCELED… */
  readonly phase: string;
  readonly progress: DeploymentProgress | null;
  /**
   * The first step that failed, as the platform names it (e.g. `build` or `deploy › backend`,
   * nested steps joined with ` › `), with its reason when the platform gives one; null when
   * no step failed or the platform does not say.
   */
  readonly failedStep: string | null;
  /** What started it (`cause`), e.g. "manual" or "commit 1a2b3c pushed"; null when unknown. */
  readonly cause: string | null;
  readonly createdAtMs: number | null;
  readonly updatedAtMs: number | null;
}

/** Phases in which a deployment has ended without becoming active. */
export const FAILED_DEPLOYMENT_PHASES: readonly string[] = ['ERROR', 'CANCELED'];

/** One instance as the platform lists it (GET /v2/apps/{id}/instances). */
export interface PlatformInstance {
  readonly name: string;
  readonly alias: string | null;
  /** The pod template hash from `<component>-<hash>-<suffix>`, null when the name has no such form. */
  readonly generation: string | null;
}

/** The instance size a component runs on, and what one instance of it costs. */
export interface InstanceSize {
  /** `instance_size_slug` from the spec, e.g. `apps-s-1vcpu-1gb`. */
  readonly slug: string;
  /**
   * `usd_per_month` of that size (GET /v2/apps/tiers/instance_sizes) in whole cents, so that a
   * sum of instances stays exact; null while the price is unknown (the size list not read yet,
   * or a slug it does not name).
   */
  readonly monthlyCents: number | null;
}

export interface PlatformComponent {
  readonly name: string;
  readonly kind: ComponentKind;
  /** null when the spec names no size (or the source has no spec: static). */
  readonly instanceSize: InstanceSize | null;
  /** null when the platform does not say (static source without DESIRED_REPLICAS for it). */
  readonly desired: DesiredRange | null;
  /** `replicas_ready` from GET /health: the number the dashboard shows. null when unknown. */
  readonly ready: number | null;
  /** The instances the platform lists. null when unknown. */
  readonly listed: readonly PlatformInstance[] | null;
}

/** ok: fresh; stale: the last good view, a refresh failed; unavailable: never fetched; not_configured: static. */
export type PlatformStatus = 'ok' | 'stale' | 'unavailable' | 'not_configured';

/**
 * Why the platform could not be read, classified so that the report can name the variable to
 * fix. unauthorized (401: DO_API_TOKEN wrong or revoked), forbidden (403: the token lacks the
 * scope), not_found (404: DO_APP_ID names no app this token sees) make the aggregator blind;
 * the rest are transient: the last good view is still worth showing.
 */
export const PLATFORM_FAILURE_KINDS = [
  'unauthorized',
  'forbidden',
  'not_found',
  'rate_limited',
  'server_error',
  'unreachable',
  'bad_response',
] as const;
export type PlatformFailureKind = (typeof PLATFORM_FAILURE_KINDS)[number];

export interface PlatformFailure {
  readonly kind: PlatformFailureKind;
  /** What failed, naming the call and the app id; never a secret. */
  readonly message: string;
  /** The HTTP status of the failed call; null when no answer came (network, timeout). */
  readonly httpStatus: number | null;
  /** DigitalOcean's `request_id` of the failed answer (quote it to their support); null when none. */
  readonly requestId: string | null;
  /** Since when the refreshes have been failing (ms). */
  readonly sinceMs: number;
}

/** The failures that leave the aggregator blind: no view of this app can be had with this configuration. */
export function isBlindingFailure(kind: PlatformFailureKind): boolean {
  return kind === 'unauthorized' || kind === 'forbidden' || kind === 'not_found';
}

export interface PlatformView {
  readonly source: PlatformKind;
  readonly appId: string | null;
  /** The app's name in its spec (`spec.name`); null when unknown (static, never fetched). */
  readonly appName: string | null;
  readonly status: PlatformStatus;
  /** When the data in this view was fetched (ms), null when never. Its age tells how stale it is. */
  readonly fetchedAtMs: number | null;
  /** Why the last refresh failed; null while the last one succeeded (or none has answered yet). */
  readonly error: PlatformFailure | null;
  readonly components: readonly PlatformComponent[];
  /** Desired count for components the view does not name (static `DESIRED_REPLICAS=2`). */
  readonly defaultDesired: DesiredRange | null;
  /** The deployment serving now; from ACTIVE_DEPLOYMENT_ID for the static source. */
  readonly activeDeployment: DeploymentInfo | null;
  readonly inProgressDeployment: DeploymentInfo | null;
  /** A deployment queued behind the one in progress (`pending_deployment`); null when none. */
  readonly pendingDeployment: DeploymentInfo | null;
  /** Recent deployments, newest first, when the source knows them. */
  readonly deployments: readonly DeploymentInfo[];
}

export function fixedDesired(count: number): DesiredRange {
  return { min: count, max: count, autoscaling: false };
}
