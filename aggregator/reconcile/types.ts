/** The reconciler's input, output and the memory it carries from one reconcile to the next. */
import type { CollectorHealth, InstanceRecord, SnapshotChanges } from '../model';
import type { PlatformView } from '../model';
import type { InstanceReport, ReportWithoutInstances } from './report';
import type { CarriedFacts } from './carried-facts';
import type { ClassificationMemory } from './classification';
import type { SelfPreservationMemory } from './self-preservation';
import type { DeviationMemory } from './trend';

/** The defaults of the optional knobs below. */
export const RECONCILE_POLICY_DEFAULTS = Object.freeze({
  /** CLOCK_SKEW_MAX_MS: NTP keeps clocks within milliseconds; 5 s off is a broken clock, not jitter. */
  clockSkewMaxMs: 5_000,
  /** DRAIN_GRACE_MS: App Platform drains an instance for up to about a minute after SIGTERM; twice that. */
  drainGraceMs: 120_000,
  /** ALERT_FOR_MS's default. */
  alertForMs: 60_000,
});

/** The knobs of a reconcile, from the aggregator's configuration. */
export interface ReconcilePolicy {
  /** STALE_AFTER_MS: silence after which an instance is gone; null: each heartbeat's own ttl_ms. */
  readonly staleAfterMs: number | null;
  /** How long a rollout's phase and steps done may stand still before it is ROLLOUT_STUCK. */
  readonly rolloutGraceMs: number;
  /** How far back a surplus or gap is compared for "worsening"; default WORSENING_WINDOW_MS. */
  readonly worseningWindowMs?: number;
  /**
   * SELF_PRESERVATION_THRESHOLD: the share of live instances that may stop renewing at once
   * before the aggregator takes itself for blind (self-preservation.ts); default 0.5.
   */
  readonly selfPreservationThreshold?: number;
  /** CLOCK_SKEW_MAX_MS: an instance whose clock is off by more raises CLOCK_SKEW; default 5000. */
  readonly clockSkewMaxMs?: number;
  /** DRAIN_GRACE_MS: how long a `left` instance the platform still lists is draining, not a zombie; default 120000. */
  readonly drainGraceMs?: number;
  /** ALERT_FOR_MS: a blind platform view's DATA_DEGRADED turns critical after this long; default 60000. */
  readonly alertForMs?: number;
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
  /** Per component, the recent runs of its surplus or gap (trend.ts); absent when there are none. */
  readonly deviations?: DeviationMemory;
  /** The self-preservation episode in progress (self-preservation.ts); absent when there is none. */
  readonly selfPreservation?: SelfPreservationMemory;
  /** Since when the platform view has left the aggregator blind (ms); absent while it does not. */
  readonly platformBlindSinceMs?: number;
  /**
   * true once any instance record of the app was seen (agentless.ts): an app whose agents all
   * stopped is never taken for one without agents. Absent until then.
   */
  readonly agentsSeen?: boolean;
  /**
   * What the next reconcile may reuse instead of computing again; absent on the first one. A
   * cache: a reconcile given the memory without it gives the same report and the same memory.
   */
  readonly incremental?: IncrementalMemory;
}

/** The work a reconcile carries to the next, so that it redoes only what changed. */
export interface IncrementalMemory {
  /** Every instance's classification (classification.ts). */
  readonly classification: ClassificationMemory;
  /** Each component's facts and what they were built from (carried-facts.ts). */
  readonly facts: ReadonlyMap<string, CarriedFacts>;
}

export interface ReconcileInput {
  /** The moment of this reconcile (ms); the reconciler never reads a clock. */
  readonly nowMs: number;
  /** The app whose heartbeats the aggregator reads (AGGREGATOR_APP). */
  readonly app: string;
  readonly platform: PlatformView;
  readonly instances: readonly InstanceRecord[];
  /**
   * Which of `instances` changed since the previous reconcile's, when the registry can say
   * (SnapshotChanges): a hint, used only when its basis is the previous reconcile's input. The
   * report is the same without it; it only costs more to find out what changed.
   */
  readonly changes?: SnapshotChanges | null;
  readonly collector: CollectorHealth;
  readonly policy: ReconcilePolicy;
  /** The memory the previous reconcile returned; null on the first one. */
  readonly memory: ReconcileMemory | null;
}

export interface ReconcileResult {
  readonly report: ReportWithoutInstances;
  /**
   * The report's instance list (by component, then instance id), built on the first call and
   * the same array on every later one: a consumer that never asks never pays for it.
   */
  readonly instances: () => readonly InstanceReport[];
  readonly memory: ReconcileMemory;
}
