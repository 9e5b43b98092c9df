/**
 * Rollout progress tracking for ROLLOUT_STUCK. A rollout is judged by progress, not by its total
 * duration: it is stuck only when its (phase, steps done) has stood still for the grace period,
 * so a slow but moving rollout never gets stuck (the lesson of the kubernetes-mixin replica
 * alerts, which fired on every slow rollout).
 */
import type { DeploymentInfo } from '../model';
import type { RolloutMemory } from './types';

export interface RolloutStatus {
  readonly deployment: DeploymentInfo;
  /** Since when its phase and steps done have not moved (ms). */
  readonly unchangedSinceMs: number;
  readonly stuck: boolean;
}

export interface RolloutObservation {
  /** null while no rollout is in progress. */
  readonly status: RolloutStatus | null;
  readonly memory: RolloutMemory | null;
}

/**
 * Compares the in-progress deployment with the progress remembered from earlier reconciles.
 * A new deployment, phase or step count restarts the clock at nowMs. `canJudge` is false while
 * the platform data is stale: progress that cannot be observed is not evidence of being stuck.
 */
export function observeRollout(
  deployment: DeploymentInfo | null,
  previous: RolloutMemory | null,
  nowMs: number,
  graceMs: number,
  canJudge: boolean,
): RolloutObservation {
  if (deployment === null) return { status: null, memory: null };
  const stepsDone = deployment.progress?.stepsDone ?? null;
  const unchanged =
    previous !== null &&
    previous.deploymentId === deployment.id &&
    previous.phase === deployment.phase &&
    previous.stepsDone === stepsDone;
  const sinceMs = unchanged ? Math.min(previous.sinceMs, nowMs) : nowMs;
  const memory: RolloutMemory = { deploymentId: deployment.id, phase: deployment.phase, stepsDone, sinceMs };
  const stuck = canJudge && nowMs - sinceMs >= graceMs;
  return { status: { deployment, unchangedSinceMs: sinceMs, stuck }, memory };
}
