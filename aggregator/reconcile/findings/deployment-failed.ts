/**
 * DEPLOYMENT_FAILED: the newest deployment ended ERROR or CANCELED after the active one, or the
 * rollout in progress has failed steps. The app still runs the previous deployment, so the counts
 * may all agree while the change the operator shipped never arrived. Warning, in every component
 * that runs standing instances (like the rollout findings: a deployment is the app's).
 */
import type { DeploymentInfo, PlatformView } from '../../model';
import { FAILED_DEPLOYMENT_PHASES } from '../../model';
import { freshDeployCommand } from '../commands';
import type { Finding } from '../report';
import { isoTime, plural } from '../text';
import type { FindingContext } from './context';
import { finding } from './context';

/** A deployment that failed, and whether it is still rolling (failing) or has ended. */
export interface FailedDeployment {
  readonly deployment: DeploymentInfo;
  readonly rolling: boolean;
}

/** The failed deployment worth reporting, null when there is none (see the module comment). */
export function failedDeployment(view: PlatformView): FailedDeployment | null {
  const inProgress = view.inProgressDeployment;
  if (inProgress !== null) {
    // A new rollout is the answer to an older failure: only its own failed steps count.
    return (inProgress.progress?.errorSteps ?? 0) > 0 ? { deployment: inProgress, rolling: true } : null;
  }
  const newest = view.deployments[0];
  if (newest === undefined || !FAILED_DEPLOYMENT_PHASES.includes(newest.phase)) return null;
  const active = view.activeDeployment;
  if (active !== null) {
    if (active.id === newest.id) return null;
    const olderThanActive =
      active.createdAtMs !== null && newest.createdAtMs !== null && newest.createdAtMs < active.createdAtMs;
    if (olderThanActive) return null;
  }
  return { deployment: newest, rolling: false };
}

function whatFailed(failed: FailedDeployment): string {
  const { deployment } = failed;
  const errors = deployment.progress?.errorSteps ?? 0;
  const step = deployment.failedStep === null ? '' : ` at ${deployment.failedStep}`;
  const steps =
    deployment.progress === null
      ? ''
      : `, ${plural(errors, 'step')} of ${deployment.progress.stepsTotal} failed`;
  const started = deployment.createdAtMs === null ? '' : `, started ${isoTime(deployment.createdAtMs)}`;
  const cause = deployment.cause === null ? '' : `, cause: ${deployment.cause}`;
  return failed.rolling
    ? `Deployment ${deployment.id} is failing as it rolls out (phase ${deployment.phase}${steps}${step}${started}${cause})`
    : `Deployment ${deployment.id} ended ${deployment.phase}${step} (${errors > 0 ? `${plural(errors, 'step')} failed` : 'no step failed'}${started}${cause})`;
}

export function deploymentFailedFinding(ctx: FindingContext): Finding | null {
  const { facts, view, appId } = ctx;
  if (!facts.standing) return null;
  const failed = failedDeployment(view);
  if (failed === null) return null;
  const { deployment } = failed;
  const active = view.activeDeployment;
  const stillRuns =
    active === null
      ? 'no deployment is active'
      : `the app still runs ${active.id}${active.createdAtMs === null ? '' : ` (deployed ${isoTime(active.createdAtMs)})`}`;
  const logType = deployment.failedStep?.toLowerCase().includes('build') ? 'build' : 'deploy';
  const rollback =
    active === null
      ? ''
      : `, or roll back to ${active.id}: POST /v2/apps/${appId}/rollback {"deployment_id":"${active.id}"}`;
  const recommendation =
    `Read why it failed: doctl apps logs ${appId} ${facts.name} --deployment ${deployment.id} --type ${logType}; ` +
    `fix it and deploy again (${freshDeployCommand(appId)})${rollback}`;
  return finding(
    'DEPLOYMENT_FAILED',
    'warning',
    `${whatFailed(failed)}: ${stillRuns}`,
    recommendation,
    [],
    active === null ? [deployment.id] : [deployment.id, active.id],
  );
}
