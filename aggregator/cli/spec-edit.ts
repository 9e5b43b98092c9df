/**
 * The manual fix done right, as pure functions over the app spec exactly as the API returned it:
 * change one component's instance_count and nothing else, and show what changed. The spec is
 * handled as plain JSON (never through a schema that drops the fields it does not know),
 * because PUT /v2/apps/{id} takes the WHOLE spec: a field or component left out is deleted.
 */

/** One changed value: where (e.g. `services[0].instance_count`) and from what to what. */
export interface SpecChange {
  readonly path: string;
  /** undefined: absent before (or after). */
  readonly from: unknown;
  readonly to: unknown;
}

export type ScaleResult =
  | { readonly ok: true; readonly spec: Record<string, unknown>; readonly changes: readonly SpecChange[] }
  | { readonly ok: false; readonly reason: string };

/** App Platform's own limit: instance_count has minimum 1, so "scale to 0 and back" is refused. */
export const MIN_INSTANCE_COUNT = 1;

// Sections of the spec whose components keep standing instances (and have instance_count).
const SCALABLE = ['services', 'workers'] as const;
// Sections that name components without standing instances.
const NOT_SCALABLE = ['jobs', 'static_sites', 'functions'] as const;

/** Why a count cannot be used, or null when it can. */
export function countProblem(count: number): string | null {
  if (!Number.isSafeInteger(count) || count < MIN_INSTANCE_COUNT) {
    return (
      `instance_count minimum is ${MIN_INSTANCE_COUNT}: App Platform rejects 0, so "scale to 0 and back" ` +
      'cannot work; to replace orphaned instances use `replica-watch fix restart`'
    );
  }
  return null;
}

/** The spec with `component`'s instance_count set to `count`, and the changes (exactly one, or none). */
export function scaleComponent(spec: Record<string, unknown>, component: string, count: number): ScaleResult {
  const problem = countProblem(count);
  if (problem !== null) return { ok: false, reason: problem };
  const located = locate(spec, component);
  if (located === null) {
    return {
      ok: false,
      reason: `no component named "${component}" in the spec (${describeComponents(spec)})`,
    };
  }
  if (!(SCALABLE as readonly string[]).includes(located.section)) {
    return {
      ok: false,
      reason: `${component} is in ${located.section}: it runs no standing instances, so it has no instance count`,
    };
  }
  const autoscaling = located.component.autoscaling;
  if (isRecord(autoscaling)) {
    return {
      ok: false,
      reason:
        `${component} autoscales (${String(autoscaling.min_instance_count)}-${String(autoscaling.max_instance_count)}): ` +
        'instance_count cannot be set together with autoscaling; change min_instance_count/max_instance_count instead',
    };
  }
  // An absent instance_count means 1: asking for what already runs sends nothing.
  if (instanceCountOf(located.component) === count) return { ok: true, spec, changes: [] };
  const updated = structuredClone(spec);
  const target = (updated[located.section] as Record<string, unknown>[])[located.index] as Record<
    string,
    unknown
  >;
  target.instance_count = count;
  return { ok: true, spec: updated, changes: diffJson(spec, updated) };
}

/** Every leaf that differs between two JSON values, in document order. */
export function diffJson(before: unknown, after: unknown, path = ''): SpecChange[] {
  if (Object.is(before, after)) return [];
  if (Array.isArray(before) && Array.isArray(after)) {
    const changes: SpecChange[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      changes.push(...diffJson(before[i], after[i], `${path}[${i}]`));
    }
    return changes;
  }
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => diffJson(before[key], after[key], path === '' ? key : `${path}.${key}`));
  }
  return [{ path: path === '' ? '(spec)' : path, from: before, to: after }];
}

/** "  services[0].instance_count (backend): 2 → 3" per change; "(absent)" for a missing value. */
export function formatChanges(spec: Record<string, unknown>, changes: readonly SpecChange[]): string {
  const show = (value: unknown) => (value === undefined ? '(absent)' : JSON.stringify(value));
  return changes
    .map((change) => {
      const name = componentNameAt(spec, change.path);
      return `  ${change.path}${name === null ? '' : ` (${name})`}: ${show(change.from)} → ${show(change.to)}`;
    })
    .join('\n');
}

/** The section, index and body of the component named `name`, or null. */
export function locate(
  spec: Record<string, unknown>,
  name: string,
): { section: string; index: number; component: Record<string, unknown> } | null {
  for (const section of [...SCALABLE, ...NOT_SCALABLE]) {
    const list = spec[section];
    if (!Array.isArray(list)) continue;
    const index = list.findIndex((c) => isRecord(c) && c.name === name);
    if (index >= 0) return { section, index, component: list[index] as Record<string, unknown> };
  }
  return null;
}

/** The instance count a service or worker runs at (absent means 1), null for an autoscaled one. */
export function instanceCountOf(component: Record<string, unknown>): number | null {
  if (isRecord(component.autoscaling)) return null;
  return typeof component.instance_count === 'number' ? component.instance_count : 1;
}

function describeComponents(spec: Record<string, unknown>): string {
  const parts = [...SCALABLE, ...NOT_SCALABLE].flatMap((section) => {
    const list = spec[section];
    if (!Array.isArray(list) || list.length === 0) return [];
    return [`${section}: ${list.map((c) => (isRecord(c) ? String(c.name) : '?')).join(', ')}`];
  });
  return parts.length > 0 ? parts.join('; ') : 'it has no components';
}

/** The component name a path like `services[0].instance_count` points into, or null. */
function componentNameAt(spec: Record<string, unknown>, path: string): string | null {
  const match = /^([a-z_]+)\[(\d+)\]/.exec(path);
  if (!match) return null;
  const list = spec[match[1] as string];
  const item = Array.isArray(list) ? (list[Number(match[2])] as unknown) : undefined;
  return isRecord(item) && typeof item.name === 'string' ? item.name : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
