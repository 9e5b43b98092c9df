/**
 * Which components a report covers and what each is expected to run: the platform view's
 * components, every component an instance reports under, and `backend` when nothing names any
 * (the static `DESIRED_REPLICAS=2` case before the first heartbeat, or a platform not read yet).
 */
import type { ComponentKind, DesiredRange, PlatformComponent, PlatformView } from '../model';
import { compareStrings } from './text';

/** The component the agents report under by default (AGENT_COMPONENT). */
export const DEFAULT_COMPONENT = 'backend';

export interface ComponentPlan {
  readonly name: string;
  /** `unknown` for a component only the heartbeats name. */
  readonly kind: ComponentKind;
  /** null: unknown, so no MISSING or SURPLUS can be judged. */
  readonly desired: DesiredRange | null;
  /** What the platform says about it; null when only the heartbeats name it. */
  readonly platform: PlatformComponent | null;
}

/**
 * Services, workers and components of unknown kind run standing instances; jobs and static sites
 * do not, so counting their instances means nothing.
 */
export function hasStandingInstances(kind: ComponentKind): boolean {
  return kind !== 'job' && kind !== 'static_site';
}

/**
 * The components to report on (`reported`: the components the instances report under), sorted by name. desired = the view component's desired, else
 * view.defaultDesired, else null; a job or static site keeps only its own desired (no default).
 */
export function planComponents(view: PlatformView, reported: Iterable<string>): ComponentPlan[] {
  const plans = new Map<string, ComponentPlan>();
  for (const component of view.components) {
    if (plans.has(component.name)) continue;
    const desired = hasStandingInstances(component.kind)
      ? (component.desired ?? view.defaultDesired)
      : component.desired;
    plans.set(component.name, { name: component.name, kind: component.kind, desired, platform: component });
  }
  for (const name of reported) {
    if (plans.has(name)) continue;
    plans.set(name, {
      name,
      kind: 'unknown',
      desired: view.defaultDesired,
      platform: null,
    });
  }
  // Nothing named anywhere: the agents' default component stands for the app, so the report
  // still says what it expects (a default count), or that it knows no count at all.
  if (plans.size === 0) {
    plans.set(DEFAULT_COMPONENT, {
      name: DEFAULT_COMPONENT,
      kind: 'service',
      desired: view.defaultDesired,
      platform: null,
    });
  }
  return [...plans.values()].sort((a, b) => compareStrings(a.name, b.name));
}
