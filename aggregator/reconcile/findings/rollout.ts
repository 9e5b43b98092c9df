/** ROLLOUT_IN_PROGRESS and ROLLOUT_STUCK, in every component that runs standing instances. */
import type { DeploymentInfo } from '../../model';
import { deploymentCommand, freshDeployCommand } from '../commands';
import type { Finding } from '../report';
import { formatDuration, isoTime } from '../text';
import type { FindingContext } from './context';
import { finding } from './context';

function progressWords(deployment: DeploymentInfo): string {
  const { progress } = deployment;
  const steps =
    progress === null ? 'progress unknown' : `${progress.stepsDone}/${progress.stepsTotal} steps done`;
  const started =
    deployment.createdAtMs === null ? 'start time unknown' : `started ${isoTime(deployment.createdAtMs)}`;
  return `phase ${deployment.phase}, ${steps}, ${started}`;
}

/**
 * ROLLOUT_STUCK (critical) once the phase and steps done have stood still for the grace period;
 * before that ROLLOUT_IN_PROGRESS (info). A stuck rollout reports only ROLLOUT_STUCK.
 */
export function rolloutFinding(ctx: FindingContext): Finding | null {
  const { facts, rollout, appId } = ctx;
  if (!facts.rolling || rollout === null) return null;
  const { deployment } = rollout;
  const inspect = deploymentCommand(appId, deployment.id);
  if (rollout.stuck) {
    const message =
      `Deployment ${deployment.id} has not progressed for ${formatDuration(ctx.nowMs - rollout.unchangedSinceMs)} ` +
      `(unchanged since ${isoTime(rollout.unchangedSinceMs)}): ${progressWords(deployment)}`;
    const recommendation =
      `Inspect it: ${inspect} and doctl apps logs ${appId} ${facts.name} --deployment ${deployment.id} --type deploy; ` +
      `if it is wedged, cancel it (POST /v2/apps/${appId}/deployments/${deployment.id}/cancel) ` +
      `and start a fresh one: ${freshDeployCommand(appId)}`;
    return finding('ROLLOUT_STUCK', 'critical', message, recommendation, [], [deployment.id]);
  }
  // A rollout with failed steps is DEPLOYMENT_FAILED (a warning), not a routine rollout.
  if ((deployment.progress?.errorSteps ?? 0) > 0) return null;
  const pending = ctx.view.pendingDeployment;
  const queued = pending === null ? '' : `; deployment ${pending.id} is queued behind it`;
  const message = `Deployment ${deployment.id} is rolling out: ${progressWords(deployment)}${queued}`;
  const recommendation = `No action needed; count findings are informational until it finishes. Follow it: ${inspect}`;
  return finding('ROLLOUT_IN_PROGRESS', 'info', message, recommendation, [], [deployment.id]);
}
