/**
 * The reconcile on its own, in this process: the same records reconciled incrementally (the
 * memory and the registry's word for what changed, as the aggregator does) and by a full
 * recomputation (the memory without what it carries: the seed's way), one after the other on
 * each snapshot. Between two reconciles a tenth of the fleet renews, as 10 s heartbeats do
 * under a 1 s reconcile interval, at places spread over the fleet as a feed delivers them.
 * The naive baseline of the reconcile figures, measured on the same machine in the same run.
 */
import { InstanceRegistry } from '../../aggregator/collector/registry';
import { decodeHeartbeatFast } from '../../aggregator/collector/fast-parse';
import { staticView } from '../../aggregator/platform/static';
import type { ReconcileMemory } from '../../aggregator/reconcile';
import { reconcile } from '../../aggregator/reconcile';
import { SimulatedFleet } from '../loadgen/fleet';
import { quantile } from './stats';

export interface ReconcileTimes {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly samples: number;
}

export interface InProcessReconcile {
  readonly instances: number;
  readonly incremental: ReconcileTimes;
  readonly full: ReconcileTimes;
}

/** The aggregator without a platform, DESIRED_REPLICAS unset: what the steady-state runs see. */
const STATIC_VIEW = staticView({ desired: null, activeDeploymentId: null, appId: null });

const HEALTHY = { healthy: true, blindSinceMs: null, detail: null } as const;
/** The first reconciles warm the JIT and the carried memory up; they are not counted. */
const WARM_UP = 5;

function times(samples: readonly number[]): ReconcileTimes {
  return { p50Ms: quantile(samples, 0.5), p99Ms: quantile(samples, 0.99), samples: samples.length };
}

/** `reconciles` reconciles of an `instances`-strong fleet, both ways. */
export function measureReconcileInProcess(instances: number, reconciles: number): InProcessReconcile {
  const startedAtMs = Date.now() - 60_000;
  const fleet = new SimulatedFleet({
    instances,
    app: 'inprocess',
    components: ['backend', 'worker', 'api'],
    deployments: 2,
    oldShare: 0.01,
    intervalMs: 10_000,
    ttlMs: 30_000,
    startedAtMs,
  });
  const registry = new InstanceRegistry();
  let nowMs = Date.now();
  const renew = (index: number) => {
    const decoded = decodeHeartbeatFast(fleet.heartbeat(index, nowMs).json);
    if (decoded.ok) registry.apply(decoded.heartbeat, nowMs);
  };
  for (let i = 0; i < instances; i++) renew(i);
  const perStep = Math.max(1, Math.floor(instances / 10));
  // A stride prime to any fleet size of these runs spreads a step's renewals over the fleet.
  const stride = 7_919;
  let memory: ReconcileMemory | null = null;
  const incremental: number[] = [];
  const full: number[] = [];
  for (let step = 0; step < reconciles + WARM_UP; step++) {
    nowMs += 1_000;
    for (let k = 0; k < perStep; k++) renew(((step * perStep + k) * stride) % instances);
    const records = registry.snapshot();
    const base = {
      nowMs,
      app: 'inprocess',
      platform: STATIC_VIEW,
      instances: records,
      collector: HEALTHY,
      policy: { staleAfterMs: null, rolloutGraceMs: 600_000 },
    };
    let started = performance.now();
    const carried = reconcile({ ...base, memory, changes: registry.changes() });
    const incrementalMs = performance.now() - started;
    started = performance.now();
    const judged: ReconcileMemory | null = memory === null ? null : { ...memory, incremental: undefined };
    reconcile({ ...base, memory: judged });
    const fullMs = performance.now() - started;
    memory = carried.memory;
    if (step >= WARM_UP) {
      incremental.push(incrementalMs);
      full.push(fullMs);
    }
  }
  return { instances, incremental: times(incremental), full: times(full) };
}
