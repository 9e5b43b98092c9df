/**
 * Test builders for the platform's side of a reconcile: desired ranges, deployments, listed
 * instances, components and whole PlatformViews, fresh and healthy unless a test says otherwise.
 */
import type {
  DeploymentInfo,
  DesiredRange,
  InstanceSize,
  PlatformComponent,
  PlatformFailure,
  PlatformInstance,
  PlatformView,
} from '../../aggregator/model';
import { NOW } from './records';

export function fixed(count: number): DesiredRange {
  return { min: count, max: count, autoscaling: false };
}

export function autoscaled(min: number, max: number): DesiredRange {
  return { min, max, autoscaling: true };
}

export function deployment(id: string, overrides: Partial<DeploymentInfo> = {}): DeploymentInfo {
  return {
    id,
    phase: 'ACTIVE',
    progress: null,
    failedStep: null,
    cause: null,
    createdAtMs: NOW - 86_400_000,
    updatedAtMs: null,
    ...overrides,
  };
}

/** A failed refresh of the given kind (default: a 503 from the API), failing since `sinceMs`. */
export function platformError(
  message = 'HTTP 503',
  overrides: Partial<PlatformFailure> = {},
): PlatformFailure {
  return {
    kind: 'server_error',
    message,
    httpStatus: 503,
    requestId: null,
    sinceMs: NOW - 60_000,
    ...overrides,
  };
}

export function listed(name: string, overrides: Partial<PlatformInstance> = {}): PlatformInstance {
  return { name, alias: null, generation: null, ...overrides };
}

/** An instance size; by default `apps-s-1vcpu-1gb` at $12.00 a month (1200 cents). */
export function instanceSize(slug = 'apps-s-1vcpu-1gb', monthlyCents: number | null = 1200): InstanceSize {
  return { slug, monthlyCents };
}

export function component(name: string, overrides: Partial<PlatformComponent> = {}): PlatformComponent {
  return {
    name,
    kind: 'service',
    instanceSize: null,
    desired: fixed(2),
    ready: null,
    listed: null,
    ...overrides,
  };
}

/** A fresh DigitalOcean view of app `app-123` with no components; override what matters. */
export function view(overrides: Partial<PlatformView> = {}): PlatformView {
  return {
    source: 'digitalocean',
    appId: 'app-123',
    appName: 'replica-demo',
    status: 'ok',
    fetchedAtMs: NOW - 5_000,
    error: null,
    components: [],
    defaultDesired: null,
    activeDeployment: null,
    inProgressDeployment: null,
    pendingDeployment: null,
    deployments: [],
    ...overrides,
  };
}

/** The view of a DO_APP_ID the API answered with 404 (request `requestId`): never fetched, blind. */
export function notFoundView(requestId: string, overrides: Partial<PlatformView> = {}): PlatformView {
  return view({
    status: 'unavailable',
    fetchedAtMs: null,
    error: platformError('GET /v2/apps/app-123: HTTP 404', { kind: 'not_found', httpStatus: 404, requestId }),
    ...overrides,
  });
}
