/**
 * A deployment's progress steps as App Platform lays them out (see the deployment examples in
 * apps.yaml): `build` (initialize, then each component) and `deploy` (initialize, each
 * component's deploy and wait, finalize). The counts in `progress` are of the leaves, so a
 * deployment of one service has 6 steps. Pure functions of the deployment record.
 */
import type { DeploymentRecord } from './app-state';
import type { AppSpecJson, RunningComponent } from './spec';
import { runningComponents } from './spec';

type StepStatus = 'SUCCESS' | 'RUNNING' | 'ERROR' | 'PENDING';

/** An `apps_deployment_progress_step`. */
export interface StepJson {
  readonly name: string;
  readonly status: StepStatus;
  readonly component_name?: string;
  readonly message_base?: string;
  readonly reason?: { readonly code: string; readonly message: string };
  readonly steps?: readonly StepJson[];
}

/** How many leaf steps a deployment of `spec` has: the `total_steps` of its progress. */
export function stepCount(spec: AppSpecJson): number {
  // build: initialize + one per component; deploy: initialize + deploy and wait per component + finalize.
  return 3 + 3 * runningComponents(spec).length;
}

/** Whether the deployment has a failed step: it ended in ERROR, or a failure was recorded while it ran. */
export function hasFailedStep(deployment: DeploymentRecord): boolean {
  return deployment.failure !== null || deployment.phase === 'ERROR';
}

/**
 * The step tree of a deployment: the first `stepsDone` leaves succeeded; the next one failed
 * (with the recorded reason) when the deployment has a failed step, runs while it deploys, and
 * everything after it is pending.
 */
export function progressSteps(deployment: DeploymentRecord): StepJson[] {
  let index = 0;
  const leaf = (name: string, component?: RunningComponent, verb?: string): StepJson => {
    const status = leafStatus(deployment, index++);
    return {
      name,
      status,
      ...(component ? { component_name: component.name } : {}),
      ...(component && verb
        ? { message_base: `${verb} ${component.type === 'WORKER' ? 'worker' : 'service'}` }
        : {}),
      ...(status === 'ERROR' && deployment.failure ? { reason: deployment.failure } : {}),
    };
  };
  const running = runningComponents(deployment.spec);
  // Built in document order: `index` counts the leaves as they are made.
  const build = group('build', [
    leaf('initialize'),
    group(
      'components',
      running.map((c) => leaf(c.name, c, 'Building')),
    ),
  ]);
  const deploy = group('deploy', [
    leaf('initialize'),
    group(
      'components',
      running.map((c) =>
        group(c.name, [leaf('deploy', c, 'Deploying'), leaf('wait', c, 'Waiting for')], c.name),
      ),
    ),
    leaf('finalize'),
  ]);
  return [build, deploy];
}

function leafStatus(deployment: DeploymentRecord, index: number): StepStatus {
  if (index < deployment.stepsDone) return 'SUCCESS';
  if (index > deployment.stepsDone) return 'PENDING';
  if (hasFailedStep(deployment)) return 'ERROR';
  return deployment.phase === 'DEPLOYING' ? 'RUNNING' : 'PENDING';
}

function group(name: string, steps: StepJson[], component?: string): StepJson {
  const has = (status: StepStatus) => steps.some((s) => s.status === status);
  const status: StepStatus = has('ERROR')
    ? 'ERROR'
    : has('RUNNING')
      ? 'RUNNING'
      : steps.every((s) => s.status === 'SUCCESS')
        ? 'SUCCESS'
        : 'PENDING';
  return { name, status, ...(component ? { component_name: component } : {}), steps };
}
