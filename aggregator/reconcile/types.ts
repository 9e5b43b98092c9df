/** The reconciler's input, output and the memory it carries from one reconcile to the next. */
import type { CollectorHealth, InstanceRecord } from '../collector/registry-types';
import type { PlatformView } from '../platform/source';
import type { Report } from './report';

/** The knobs of a reconcile, from the aggregator's configuration. */
export interface ReconcilePolicy {
  /** STALE_AFTER_MS: silence after which an instance is gone; null: each heartbeat's own ttl_ms. */
  readonly staleAfterMs: number | null;
  /** How long a rollout's phase and steps done may stand still before it is ROLLOUT_STUCK. */
  readonly rolloutGraceMs: number;
}

/** The rollout progress last seen, and since when it has not moved. */
export interface RolloutMemory {
  readonly deploymentId: string;
  readonly phase: string;
  /** null when the platform reports no progress. */
  readonly stepsDone: number | null;
  /** When this (deployment, phase, stepsDone) was first seen (ms). */
  readonly sinceMs: number;
}

/** What must persist between reconciles; the caller hands back what the last reconcile returned. */
export interface ReconcileMemory {
  /** null while no rollout is in progress. */
  readonly rollout: RolloutMemory | null;
}

export interface ReconcileInput {
  /** The moment of this reconcile (ms); the reconciler never reads a clock. */
  readonly nowMs: number;
  /** The app whose heartbeats the aggregator reads (AGGREGATOR_APP). */
  readonly app: string;
  readonly platform: PlatformView;
  readonly instances: readonly InstanceRecord[];
  readonly collector: CollectorHealth;
  readonly policy: ReconcilePolicy;
  /** The memory the previous reconcile returned; null on the first one. */
  readonly memory: ReconcileMemory | null;
}

export interface ReconcileResult {
  readonly report: Report;
  readonly memory: ReconcileMemory;
}
