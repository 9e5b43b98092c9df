/**
 * The demo's fleet: an account of several apps, some with agents in their instances and some
 * without, for `--apps N`. The first three tell the story: a healthy app, the reported problem
 * (#356: 4 orphans of the 1 GB size, 48.00 USD a month for nothing) and an agentless app whose
 * dashboard over-counts. The rest cycle through the other scenarios with names of their own;
 * only the #356 app runs surplus instances.
 */
import type { SimulatedAppSpec } from './account';

/** One app of the demo's fleet. */
export type SimulatedFleetApp = SimulatedAppSpec & {
  /** The spec's app name, distinct within the fleet. */
  readonly name: string;
  /** Whether its instances run a replica-watch agent (the demo starts one per instance). */
  readonly agents: boolean;
};

// In order: the first `count` make a fleet of `count` apps. Scenarios whose reads all answer (no
// faults, no refused token; token-read-only refuses writes only), so that the demo shows
// findings, not an API that fails. App ids are derived (see account.ts): a scenario used twice
// gets a second id, and deployment ids and instance names of its own.
const ENTRIES: SimulatedFleetApp[] = [
  { scenario: 'steady', name: 'storefront', agents: true },
  { scenario: 'orphans-356', name: 'replica-demo', agents: true },
  { scenario: 'dashboard-overcount', name: 'billing-api', agents: false },
  { scenario: 'rollout-in-progress', name: 'checkout-web', agents: true },
  { scenario: 'steady', name: 'search-api', agents: false },
  { scenario: 'deployment-failed', name: 'image-resizer', agents: true },
  { scenario: 'rollout-stuck', name: 'notifier', agents: true },
  { scenario: 'none-ready', name: 'report-worker', agents: true },
  { scenario: 'deployment-pending', name: 'auth-gateway', agents: true },
  { scenario: 'rollout-failing', name: 'inventory-api', agents: true },
  { scenario: 'token-read-only', name: 'admin-panel', agents: true },
  { scenario: 'steady', name: 'mailer', agents: true },
  { scenario: 'dashboard-overcount', name: 'analytics-api', agents: true },
  { scenario: 'steady', name: 'geo-lookup', agents: false },
  { scenario: 'rollout-in-progress', name: 'pdf-renderer', agents: false },
  { scenario: 'deployment-failed', name: 'webhooks', agents: false },
  { scenario: 'none-ready', name: 'scheduler', agents: false },
  { scenario: 'steady', name: 'cdn-purger', agents: true },
  { scenario: 'deployment-pending', name: 'ledger', agents: false },
  { scenario: 'token-read-only', name: 'status-page', agents: false },
];
/** The whole fleet, SIMULATED_FLEET_MAX apps; simulatedFleet(n) is its first n. */
export const SIMULATED_FLEET: readonly SimulatedFleetApp[] = Object.freeze(
  ENTRIES.map((app) => Object.freeze(app)),
);

/** The most apps simulatedFleet() makes: enough for a dashboard of many apps, few enough to run agents for. */
export const SIMULATED_FLEET_MAX = SIMULATED_FLEET.length;

/**
 * The first `count` apps of the demo's fleet (1 to SIMULATED_FLEET_MAX, 20), for
 * `startSimulatedPlatform({ apps })`; throws, naming the limit, for any other count.
 */
export function simulatedFleet(count: number): readonly SimulatedFleetApp[] {
  if (!Number.isInteger(count) || count < 1 || count > SIMULATED_FLEET_MAX) {
    throw new Error(
      `a simulated fleet has 1 to ${SIMULATED_FLEET_MAX} apps (SIMULATED_FLEET_MAX); ${String(count)} asked for`,
    );
  }
  return SIMULATED_FLEET.slice(0, count);
}
