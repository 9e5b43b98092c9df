/**
 * Surplus and waste: how many instances run beyond the most the spec allows, and what they cost
 * a month. Money is counted in whole cents (the platform's `usd_per_month` as InstanceSize has
 * it), so that a surplus times a price and a sum over components stay exact to the cent; dollars
 * appear only at the end, by one division. What cannot be known is null, never 0: a total is
 * null as soon as one of its parts is.
 */
import type { InstanceSize } from '../model';
import type { ComponentFacts } from './facts';

/** What one component costs beyond its spec. */
export interface ComponentCost {
  /** `instance_size_slug`, null when the spec names none. */
  readonly slug: string | null;
  /** The price of one instance a month in whole cents, null while unknown. */
  readonly monthlyCents: number | null;
  /** Instances beyond desired.max; null when unknown. */
  readonly surplus: number | null;
  /** surplus × monthlyCents; null when unknown. */
  readonly wasteCents: number | null;
}

/** What decides which count a component's surplus is measured on, and whether it can be. */
export interface CostContext {
  /** No agent reports for the app: the platform's list is the running count. */
  readonly agentless: boolean;
  /** The heartbeat collector can read (self-preservation included). */
  readonly collectorHealthy: boolean;
  /** The platform view the report needs is missing (never fetched, 401, 403, 404). */
  readonly platformBlind: boolean;
}

/** The running count minus the most the spec allows, never below 0; null when either is unknown. */
export function surplusOf(running: number | null, desiredMax: number | null): number | null {
  if (running === null || desiredMax === null) return null;
  return Math.max(0, running - desiredMax);
}

/** A price the arithmetic can trust: a whole, non-negative number of cents; anything else is unknown. */
function knownCents(monthlyCents: number | null): number | null {
  return monthlyCents !== null && Number.isSafeInteger(monthlyCents) && monthlyCents >= 0
    ? monthlyCents
    : null;
}

/**
 * surplus × price in cents. 0 for no surplus, whatever the price (nothing is wasted on nothing);
 * null when the surplus is unknown, or when there is one and the price is unknown.
 */
export function wasteCentsOf(surplus: number | null, monthlyCents: number | null): number | null {
  if (surplus === null) return null;
  if (surplus === 0) return 0;
  const cents = knownCents(monthlyCents);
  return cents === null ? null : surplus * cents;
}

/** Cents to dollars (one division of an exact integer: 1234 → 12.34); null stays null. */
export function centsToUsd(cents: number | null): number | null {
  return cents === null ? null : cents / 100;
}

/** The sum, or null when any value is null (an unknown part makes the whole unknown); 0 for none. */
export function sumOrNull(values: readonly (number | null)[]): number | null {
  let total = 0;
  for (const value of values) {
    if (value === null) return null;
    total += value;
  }
  return total;
}

/**
 * The count a component's surplus is measured on: its live instances, or the platform's list
 * when no agent reports for the app; null when that count cannot be had (the collector is blind
 * for an app with agents, or the platform lists nothing for an agentless one).
 */
function runningCount(facts: ComponentFacts, context: CostContext): number | null {
  if (context.agentless) return facts.platform?.listed?.length ?? null;
  return context.collectorHealthy ? facts.live.length : null;
}

/**
 * The surplus of one component. 0 for a component without standing instances (a job, a static
 * site) and while a rollout is in progress (the surge is the platform's to remove); null when the
 * platform view is blind, the desired count is unknown, or the running count cannot be had.
 */
export function componentSurplus(facts: ComponentFacts, context: CostContext): number | null {
  if (!facts.standing) return 0;
  if (context.platformBlind || facts.desired === null) return null;
  const running = runningCount(facts, context);
  if (running === null) return null;
  return facts.rolling ? 0 : surplusOf(running, facts.desired.max);
}

/** The cost of one component beyond its spec (see componentSurplus and wasteCentsOf). */
export function componentCost(facts: ComponentFacts, context: CostContext): ComponentCost {
  const size: InstanceSize | null = facts.platform?.instanceSize ?? null;
  const monthlyCents = knownCents(size?.monthlyCents ?? null);
  const surplus = componentSurplus(facts, context);
  return { slug: size?.slug ?? null, monthlyCents, surplus, wasteCents: wasteCentsOf(surplus, monthlyCents) };
}

/** The app's totals: surplus instances and waste in cents, each null when any component's is. */
export function appCost(costs: readonly ComponentCost[]): {
  readonly surplus: number | null;
  readonly wasteCents: number | null;
} {
  return {
    surplus: sumOrNull(costs.map((c) => c.surplus)),
    wasteCents: sumOrNull(costs.map((c) => c.wasteCents)),
  };
}
