/**
 * The remediator's vocabulary: modes, what it is told (firing alerts, the leader lease), the
 * decision it takes per component and why it skips.
 */
import type { FindingCode } from '../reconcile/report';

/** REMEDIATION_MODE: off (default), dry-run (record the call it would make) or on. */
export const REMEDIATION_MODES = ['off', 'dry-run', 'on'] as const;
export type RemediationMode = (typeof REMEDIATION_MODES)[number];

/**
 * The findings a rolling restart fixes: instances the platform should not be running. A restart
 * replaces every instance of the component from the active spec, orphans included; it needs no
 * spec, so it can neither scale to 0 nor drop a component.
 */
export const REMEDIATION_TRIGGERS: readonly FindingCode[] = ['ORPHANED_INSTANCES', 'SURPLUS_INSTANCES'];

/** An alert that is firing now (the notifier's view, aggregator/notify). */
export interface FiringAlert {
  readonly component: string;
  readonly code: FindingCode;
  /** When it started firing (ms). */
  readonly sinceMs: number;
}

/** Who knows what is firing: the notifier. */
export interface FiringSource {
  firing(): readonly FiringAlert[];
}

/** The part of the leader lease the remediator needs (aggregator/leader.ts). */
export interface LeaderLease {
  isLeader(): boolean;
  /** The token of the lease held, null when not leading. */
  fencingToken(): number | null;
}

/** The knobs, from REMEDIATION_MODE, REMEDIATION_COOLDOWN_MS and REMEDIATION_MIN_FIRING_MS. */
export interface RemediationPolicy {
  readonly mode: RemediationMode;
  /** At most one action (or dry run) per component within this time. */
  readonly cooldownMs: number;
  /** How long a trigger must have been firing before anything is done about it. */
  readonly minFiringMs: number;
}

/**
 * Why nothing is done for a component:
 * mode_off (REMEDIATION_MODE=off), not_leader (another aggregator leads), platform_cannot_act
 * (static source: no platform API), degraded_collector (heartbeats unreadable),
 * stale_platform_data (the platform view is not fresh), rollout_in_progress, not_firing (the
 * finding has not been confirmed into a firing alert), firing_too_short, cooldown_unknown (the
 * audit trail cannot be read, so the last action is unknown), cooldown.
 */
export const SKIP_REASONS = [
  'mode_off',
  'not_leader',
  'platform_cannot_act',
  'degraded_collector',
  'stale_platform_data',
  'rollout_in_progress',
  'not_firing',
  'firing_too_short',
  'cooldown_unknown',
  'cooldown',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** The exact platform call of a rolling restart of one component. */
export interface RestartCall {
  readonly method: 'POST';
  readonly path: string;
  readonly body: { readonly components: readonly string[] };
}

interface DecisionBase {
  readonly component: string;
  /** The trigger findings the component has now. */
  readonly triggers: readonly FindingCode[];
  /** For humans: what and why, with times. */
  readonly detail: string;
}

/** What to do about one component now. */
export type Decision =
  | (DecisionBase & { readonly kind: 'act'; readonly call: RestartCall })
  | (DecisionBase & { readonly kind: 'dry-run'; readonly call: RestartCall })
  | (DecisionBase & {
      readonly kind: 'skip';
      readonly reason: SkipReason;
      /** When the reason ends by itself (cooldown, firing long enough), null otherwise. */
      readonly untilMs: number | null;
    });

export type DecisionKind = Decision['kind'];
