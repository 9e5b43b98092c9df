/** A stored alert state for tests of where alert states are kept (leases, fencing, engines). */
import type { AlertState } from '../../aggregator/notify';

/** A firing SURPLUS_INSTANCES alert of `component`; override what matters. */
export function firingAlert(component: string, overrides: Partial<AlertState> = {}): AlertState {
  return {
    component,
    code: 'SURPLUS_INSTANCES',
    status: 'firing',
    streak: 0,
    streakSinceMs: 1,
    firingSinceMs: 1,
    notifiedAtMs: 1,
    severity: 'warning',
    content: {
      severity: 'warning',
      message: 'm',
      instances: ['a'],
      instanceCount: 1,
      deploymentIds: [],
      recommendation: 'r',
      desired: 2,
      live: 3,
      platformReady: null,
      platformInstances: null,
    },
    ...overrides,
  };
}
