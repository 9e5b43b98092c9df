/**
 * The app spec as the simulated App Platform keeps it: DigitalOcean's JSON shape (snake_case),
 * reduced to what the simulation uses. PUT /v2/apps/{id} is checked the way the real API checks
 * the fields replica-watch cares about, traps included: instance_count has minimum 1, and the
 * spec is taken whole, so a component left out is deleted.
 */
import type { Scenario } from './scenarios';

export interface AutoscalingJson {
  readonly min_instance_count: number;
  readonly max_instance_count: number;
}

export interface ComponentSpecJson {
  readonly name: string;
  readonly instance_size_slug?: string;
  readonly instance_count?: number;
  readonly autoscaling?: AutoscalingJson;
  /** Services only. */
  readonly http_port?: number;
  /** Jobs only. */
  readonly kind?: 'UNSPECIFIED' | 'PRE_DEPLOY' | 'POST_DEPLOY' | 'FAILED_DEPLOY';
}

export interface AppSpecJson {
  readonly name: string;
  readonly region: string;
  readonly services: readonly ComponentSpecJson[];
  readonly workers: readonly ComponentSpecJson[];
  readonly jobs: readonly ComponentSpecJson[];
  readonly static_sites: readonly { readonly name: string }[];
}

/** Components that keep standing instances, with the instance type the API reports for them. */
export interface RunningComponent {
  readonly name: string;
  readonly type: 'SERVICE' | 'WORKER';
  /** The count the platform scales to: instance_count (default 1), or the autoscaling minimum. */
  readonly desired: number;
}

/** The instance size of a scenario component that names none: the smallest shared one. */
export const DEFAULT_INSTANCE_SIZE_SLUG = 'apps-s-1vcpu-0.5gb';
// The API's own pattern for app and component names.
const NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const REGIONS = ['atl', 'nyc', 'sfo', 'tor', 'ams', 'fra', 'lon', 'blr', 'sgp', 'syd'];

/** The spec a scenario starts with. */
export function scenarioSpec(scenario: Scenario): AppSpecJson {
  const of = (kind: string) => scenario.components.filter((c) => c.kind === kind);
  const sized = (c: Scenario['components'][number]): ComponentSpecJson => ({
    name: c.name,
    instance_size_slug: c.instanceSizeSlug ?? DEFAULT_INSTANCE_SIZE_SLUG,
    ...(c.autoscaling
      ? { autoscaling: { min_instance_count: c.autoscaling.min, max_instance_count: c.autoscaling.max } }
      : c.instanceCount === undefined
        ? {}
        : { instance_count: c.instanceCount }),
  });
  return {
    name: scenario.appName,
    region: 'ams',
    services: of('service').map((c) => ({ ...sized(c), http_port: 8080 })),
    workers: of('worker').map(sized),
    jobs: of('job').map((c) => ({
      name: c.name,
      instance_size_slug: c.instanceSizeSlug ?? DEFAULT_INSTANCE_SIZE_SLUG,
      kind: 'PRE_DEPLOY' as const,
    })),
    static_sites: of('static_site').map((c) => ({ name: c.name })),
  };
}

/** Whether `name` fits the API's pattern for app and component names (`replica-demo`). */
export function isValidName(name: string): boolean {
  return NAME.test(name);
}

export function runningComponents(spec: AppSpecJson): RunningComponent[] {
  const desired = (c: ComponentSpecJson) => c.autoscaling?.min_instance_count ?? c.instance_count ?? 1;
  return [
    ...spec.services.map((c) => ({ name: c.name, type: 'SERVICE' as const, desired: desired(c) })),
    ...spec.workers.map((c) => ({ name: c.name, type: 'WORKER' as const, desired: desired(c) })),
  ];
}

export function componentNames(spec: AppSpecJson): string[] {
  return [...spec.services, ...spec.workers, ...spec.jobs, ...spec.static_sites].map((c) => c.name);
}

/**
 * A PUT body's spec, checked and reduced to the kept fields; a string says what is wrong. The
 * region stays `region` when the body leaves it out: an app does not move by omission.
 */
export function normalizeSpec(raw: unknown, region: string): AppSpecJson | string {
  if (!isObject(raw)) return 'spec is required';
  if (typeof raw.name !== 'string' || !NAME.test(raw.name)) return 'spec.name is invalid';
  const problems: string[] = [];
  if (raw.region !== undefined && !REGIONS.includes(raw.region as string))
    problems.push('spec.region is invalid');
  const seen = new Set<string>();
  const list = (key: string): Record<string, unknown>[] => {
    const value = raw[key];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || !value.every(isObject)) {
      problems.push(`spec.${key} must be a list of components`);
      return [];
    }
    return value;
  };
  const component = (key: string, c: Record<string, unknown>, index: number): ComponentSpecJson => {
    const where = `spec.${key}[${index}]`;
    const name = typeof c.name === 'string' ? c.name : '';
    if (!NAME.test(name)) problems.push(`${where}.name is invalid`);
    else if (seen.has(name)) problems.push(`${where}.name "${name}" is used twice`);
    seen.add(name);
    const out: { -readonly [K in keyof ComponentSpecJson]: ComponentSpecJson[K] } = { name };
    if (typeof c.instance_size_slug === 'string') out.instance_size_slug = c.instance_size_slug;
    if (c.instance_count !== undefined) {
      if (!Number.isInteger(c.instance_count) || (c.instance_count as number) < 1) {
        problems.push(`${where}.instance_count must be an integer of at least 1`);
      } else out.instance_count = c.instance_count as number;
    }
    if (c.autoscaling !== undefined) {
      const a = isObject(c.autoscaling) ? c.autoscaling : {};
      const min = a.min_instance_count;
      const max = a.max_instance_count;
      if (
        !Number.isInteger(min) ||
        !Number.isInteger(max) ||
        (min as number) < 1 ||
        (max as number) < (min as number)
      ) {
        problems.push(`${where}.autoscaling needs 1 ≤ min_instance_count ≤ max_instance_count`);
      } else if (out.instance_count !== undefined) {
        problems.push(`${where}: instance_count must not be set with autoscaling`);
      } else out.autoscaling = { min_instance_count: min as number, max_instance_count: max as number };
    }
    if (key === 'services' && Number.isInteger(c.http_port)) out.http_port = c.http_port as number;
    if (key === 'jobs' && typeof c.kind === 'string') out.kind = c.kind as ComponentSpecJson['kind'];
    return out;
  };
  const spec: AppSpecJson = {
    name: raw.name,
    region: typeof raw.region === 'string' ? raw.region : region,
    services: list('services').map((c, i) => component('services', c, i)),
    workers: list('workers').map((c, i) => component('workers', c, i)),
    jobs: list('jobs').map((c, i) => component('jobs', c, i)),
    static_sites: list('static_sites').map((c, i) => ({ name: component('static_sites', c, i).name })),
  };
  return problems.length > 0 ? problems.join('; ') : spec;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
