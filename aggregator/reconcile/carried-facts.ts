/**
 * A component's facts carried from one reconcile to the next (ReconcileMemory.facts): reused
 * while nothing they were built from changed. Which instances changed is classification.ts's
 * answer; the rest is checked here: the same kind, deployments, drain grace and skew limit, the
 * same platform listing, and no drain grace over since.
 */
import type { PlatformInstance } from '../model';
import type { ComponentPlan } from './components';
import type { ComponentFacts, FactsContext } from './facts';

/** The facts and the context they were built in. */
export interface CarriedFacts {
  readonly facts: ComponentFacts;
  readonly context: FactsContext;
}

function sameListing(
  a: readonly PlatformInstance[] | null | undefined,
  b: readonly PlatformInstance[] | null | undefined,
): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as PlatformInstance;
    const y = b[i] as PlatformInstance;
    if (x.name !== y.name || x.alias !== y.alias) return false;
  }
  return true;
}

/**
 * The carried facts of `plan`'s component, brought up to date with the plan (its desired count
 * and platform figures are the plan's, not computed), or null when they must be built again:
 * its instances changed (`instancesChanged`), or anything else they were built from did.
 */
export function reuseFacts(
  carried: CarriedFacts | undefined,
  plan: ComponentPlan,
  context: FactsContext,
  instancesChanged: boolean,
): ComponentFacts | null {
  if (carried === undefined || instancesChanged) return null;
  const { facts, context: built } = carried;
  if (
    facts.kind !== plan.kind ||
    built.activeDeploymentId !== context.activeDeploymentId ||
    built.inProgressDeploymentId !== context.inProgressDeploymentId ||
    built.drainGraceMs !== context.drainGraceMs ||
    built.clockSkewMaxMs !== context.clockSkewMaxMs ||
    context.refNowMs >= facts.drainChangesAtMs ||
    !sameListing(facts.platform?.listed, plan.platform?.listed)
  ) {
    return null;
  }
  if (facts.desired === plan.desired && facts.platform === plan.platform) return facts;
  return { ...facts, desired: plan.desired, platform: plan.platform };
}
