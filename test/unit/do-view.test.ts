import type {
  App,
  ComponentHealth,
  Deployment,
  Instance,
} from '../../aggregator/platform/digitalocean/schemas';
import {
  appResponseSchema,
  deploymentsResponseSchema,
  healthResponseSchema,
  instancesResponseSchema,
} from '../../aggregator/platform/digitalocean/schemas';
import { desiredOf, toDeploymentInfo, toPlatformView } from '../../aggregator/platform/digitalocean/view';
import { loadAppsOpenApi, responseExamples } from '../support/openapi';

const FETCHED_AT = Date.parse('2026-03-01T12:00:00Z');

const deployment = (id: string, phase: string, createdAt: string, done = 6, total = 6): Deployment => ({
  id,
  phase,
  progress: { success_steps: done, total_steps: total },
  created_at: createdAt,
  updated_at: createdAt,
});

function app(overrides: Partial<App> = {}): App {
  return {
    id: 'a1b2c3d4-0000-4000-8000-000000000001',
    spec: {
      name: 'shop',
      services: [{ name: 'backend', instance_count: 2 }, { name: 'api' }],
      workers: [{ name: 'queue', autoscaling: { min_instance_count: 2, max_instance_count: 5 } }],
      jobs: [{ name: 'migrate' }],
      static_sites: [{ name: 'docs' }],
    },
    active_deployment: deployment('dep-2', 'ACTIVE', '2026-03-01T10:00:00Z'),
    in_progress_deployment: null,
    ...overrides,
  };
}

const instance = (component: string, name: string, alias: string | null = null): Instance => ({
  component_name: component,
  component_type: 'SERVICE',
  instance_name: name,
  instance_alias: alias,
});

const CONFIGURED_APP = 'a1b2c3d4-0000-4000-8000-000000000001';

function view(parts: {
  app?: App;
  deployments?: Deployment[];
  instances?: Instance[];
  health?: ComponentHealth[];
}) {
  return toPlatformView({
    appId: CONFIGURED_APP,
    app: parts.app ?? app(),
    deployments: parts.deployments ?? [],
    instances: parts.instances ?? [],
    health: parts.health ?? [],
    fetchedAtMs: FETCHED_AT,
  });
}

describe('desiredOf', () => {
  it('defaults instance_count to 1, as the API does', () => {
    expect(desiredOf({ name: 'api' })).toEqual({ min: 1, max: 1, autoscaling: false });
    expect(desiredOf({ name: 'api', instance_count: null })).toEqual({ min: 1, max: 1, autoscaling: false });
  });

  it('takes instance_count when set', () => {
    expect(desiredOf({ name: 'backend', instance_count: 2 })).toEqual({ min: 2, max: 2, autoscaling: false });
  });

  it('takes the autoscaling range over any instance_count', () => {
    expect(
      desiredOf({
        name: 'q',
        instance_count: 3,
        autoscaling: { min_instance_count: 2, max_instance_count: 5 },
      }),
    ).toEqual({ min: 2, max: 5, autoscaling: true });
  });

  it('fills a half-given autoscaling range from the API minimum of 1', () => {
    expect(desiredOf({ name: 'q', autoscaling: { max_instance_count: 4 } })).toEqual({
      min: 1,
      max: 4,
      autoscaling: true,
    });
    expect(desiredOf({ name: 'q', autoscaling: { min_instance_count: 3 } })).toEqual({
      min: 3,
      max: 3,
      autoscaling: true,
    });
  });

  it('reads a spec without autoscaling counts as a fixed count', () => {
    expect(desiredOf({ name: 'q', instance_count: 2, autoscaling: {} })).toEqual({
      min: 2,
      max: 2,
      autoscaling: false,
    });
  });
});

describe('toPlatformView', () => {
  it('maps every component of the spec with its kind and desired count', () => {
    const result = view({});
    expect(result.components.map((c) => [c.name, c.kind, c.desired])).toEqual([
      ['backend', 'service', { min: 2, max: 2, autoscaling: false }],
      ['api', 'service', { min: 1, max: 1, autoscaling: false }],
      ['queue', 'worker', { min: 2, max: 5, autoscaling: true }],
      ['migrate', 'job', null],
      ['docs', 'static_site', null],
    ]);
    expect(result).toMatchObject({
      source: 'digitalocean',
      appId: 'a1b2c3d4-0000-4000-8000-000000000001',
      status: 'ok',
      fetchedAtMs: FETCHED_AT,
      error: null,
      defaultDesired: null,
    });
  });

  it('lists instances per component with the generation from their names', () => {
    const result = view({
      instances: [
        instance('backend', 'backend-76b84c7fb8-6p8kq', 'backend-0'),
        instance('backend', 'backend-5d9f8b7c6w-ngvpc', 'backend-1'),
        instance('backend', 'not-a-pod-name'),
      ],
    });
    const backend = result.components.find((c) => c.name === 'backend');
    expect(backend?.listed).toEqual([
      { name: 'backend-76b84c7fb8-6p8kq', alias: 'backend-0', generation: '76b84c7fb8' },
      { name: 'backend-5d9f8b7c6w-ngvpc', alias: 'backend-1', generation: '5d9f8b7c6w' },
      { name: 'not-a-pod-name', alias: null, generation: null },
    ]);
    expect(result.components.find((c) => c.name === 'api')?.listed).toEqual([]);
  });

  it('takes ready from the health replicas_ready, null where health has no entry', () => {
    const result = view({
      health: [{ name: 'backend', replicas_desired: 2, replicas_ready: 6, state: 'HEALTHY' }],
    });
    expect(result.components.map((c) => [c.name, c.ready])).toEqual([
      ['backend', 6],
      ['api', null],
      ['queue', null],
      ['migrate', null],
      ['docs', null],
    ]);
  });

  it('reads a health entry without replicas_ready as 0 ready: protobuf JSON leaves a 0 out', () => {
    const result = view({
      health: [
        { name: 'backend', replicas_desired: 2, state: 'UNHEALTHY' },
        { name: 'queue', replicas_desired: 2, replicas_ready: null },
      ],
    });
    expect(result.components.map((c) => [c.name, c.ready])).toEqual([
      ['backend', 0],
      ['api', null],
      ['queue', 0],
      ['migrate', null],
      ['docs', null],
    ]);
  });

  it('leaves out what it cannot attribute: instances without a component or a name, health without a name', () => {
    const result = view({
      instances: [
        instance('backend', 'backend-76b84c7fb8-6p8kq', 'backend-0'),
        { instance_name: 'backend-76b84c7fb8-ngvpc', component_type: 'SERVICE' },
        { component_name: 'backend', instance_alias: 'backend-1' },
        { component_name: 'backend' },
        {},
      ],
      health: [{ replicas_ready: 9 }, { name: 'backend', replicas_ready: 2 }],
    });
    expect(result.components.map((c) => c.name)).toEqual(['backend', 'api', 'queue', 'migrate', 'docs']);
    expect(result.components[0]).toMatchObject({
      ready: 2,
      listed: [
        { name: 'backend-76b84c7fb8-6p8kq', alias: 'backend-0', generation: '76b84c7fb8' },
        // Only the alias: still listed (an agent may report it), without a generation.
        { name: 'backend-1', alias: 'backend-1', generation: null },
      ],
    });
  });

  it('takes the configured app id when the app names none', () => {
    expect(view({ app: { ...app(), id: undefined } }).appId).toBe(CONFIGURED_APP);
    expect(view({ app: { ...app(), id: 'another-id' } }).appId).toBe('another-id');
  });

  it('adds components that run or report health but left the spec, wanting 0', () => {
    const result = view({
      instances: [{ ...instance('old-worker', 'old-worker-76b84c7fb8-6p8kq'), component_type: 'WORKER' }],
      health: [{ name: 'ghost', replicas_ready: 1 }],
    });
    expect(
      result.components.slice(5).map((c) => [c.name, c.kind, c.desired, c.ready, c.listed?.length]),
    ).toEqual([
      ['old-worker', 'worker', { min: 0, max: 0, autoscaling: false }, null, 1],
      ['ghost', 'unknown', { min: 0, max: 0, autoscaling: false }, 1, 0],
    ]);
  });

  it('gives the active and the in-progress deployment with phase, progress and times', () => {
    const result = view({
      app: app({ in_progress_deployment: deployment('dep-3', 'DEPLOYING', '2026-03-01T11:58:00Z', 2, 6) }),
    });
    expect(result.activeDeployment).toEqual({
      id: 'dep-2',
      phase: 'ACTIVE',
      progress: { stepsDone: 6, stepsTotal: 6, errorSteps: 0 },
      failedStep: null,
      cause: null,
      createdAtMs: Date.parse('2026-03-01T10:00:00Z'),
      updatedAtMs: Date.parse('2026-03-01T10:00:00Z'),
    });
    expect(result.inProgressDeployment).toEqual({
      id: 'dep-3',
      phase: 'DEPLOYING',
      progress: { stepsDone: 2, stepsTotal: 6, errorSteps: 0 },
      failedStep: null,
      cause: null,
      createdAtMs: Date.parse('2026-03-01T11:58:00Z'),
      updatedAtMs: Date.parse('2026-03-01T11:58:00Z'),
    });
  });

  it('has no deployment where the app has none', () => {
    const result = view({ app: app({ active_deployment: undefined }) });
    expect([result.activeDeployment, result.inProgressDeployment, result.pendingDeployment]).toEqual([
      null,
      null,
      null,
    ]);
  });

  it('gives the pending deployment when it is queued, not when it is the one in progress or active', () => {
    const queued = view({
      app: app({
        in_progress_deployment: deployment('dep-3', 'DEPLOYING', '2026-03-01T11:58:00Z', 2, 6),
        pending_deployment: {
          ...deployment('dep-4', 'PENDING_BUILD', '2026-03-01T11:59:00Z', 0, 6),
          cause: 'manual',
        },
      }),
    });
    expect(queued.pendingDeployment).toMatchObject({ id: 'dep-4', phase: 'PENDING_BUILD', cause: 'manual' });

    const same = view({
      app: app({
        in_progress_deployment: deployment('dep-3', 'DEPLOYING', '2026-03-01T11:58:00Z', 2, 6),
        pending_deployment: deployment('dep-3', 'DEPLOYING', '2026-03-01T11:58:00Z', 2, 6),
      }),
    });
    const done = view({
      app: app({ pending_deployment: deployment('dep-2', 'ACTIVE', '2026-03-01T10:00:00Z') }),
    });
    expect([same.pendingDeployment, done.pendingDeployment]).toEqual([null, null]);
  });

  it('leaves deployments without an id out of the history, and an active one without an id unknown', () => {
    const result = view({
      app: app({ active_deployment: { phase: 'ACTIVE' } }),
      deployments: [
        deployment('d2', 'ERROR', '2026-03-01T00:00:00Z'),
        { phase: 'ACTIVE', id: '' },
        { phase: 'SUPERSEDED' },
      ],
    });
    expect(result.deployments.map((d) => d.id)).toEqual(['d2']);
    expect(result.activeDeployment).toBeNull();
  });

  it('orders deployments newest first, those without a time last', () => {
    const result = view({
      deployments: [
        deployment('d1', 'SUPERSEDED', '2026-02-01T00:00:00Z'),
        { id: 'd0', phase: null },
        deployment('d3', 'ACTIVE', '2026-03-01T00:00:00Z'),
        deployment('d2', 'SUPERSEDED', '2026-02-15T00:00:00Z'),
      ],
    });
    expect(result.deployments.map((d) => d.id)).toEqual(['d3', 'd2', 'd1', 'd0']);
  });
});

/** A step of `apps_deployment_progress_step`'s shape. */
const step = (name: string, status: string, more: Record<string, unknown> = {}) => ({
  name,
  status,
  ...more,
});

describe('toDeploymentInfo', () => {
  it('reads a deployment without phase, progress, cause or valid times as UNKNOWN with nulls', () => {
    expect(toDeploymentInfo({ id: 'x', created_at: 'not a time', progress: {} })).toEqual({
      id: 'x',
      phase: 'UNKNOWN',
      progress: null,
      failedStep: null,
      cause: null,
      createdAtMs: null,
      updatedAtMs: null,
    });
  });

  it('is null without an id', () => {
    expect(toDeploymentInfo({ phase: 'ACTIVE' })).toBeNull();
  });

  it('counts the steps the API leaves out (at 0) as none, and a missing total as the sum of the others', () => {
    expect(toDeploymentInfo({ id: 'x', progress: { pending_steps: 6, total_steps: 6 } })?.progress).toEqual({
      stepsDone: 0,
      stepsTotal: 6,
      errorSteps: 0,
    });
    expect(
      toDeploymentInfo({ id: 'x', progress: { success_steps: 3, error_steps: 1, pending_steps: 2 } })
        ?.progress,
    ).toEqual({ stepsDone: 3, stepsTotal: 6, errorSteps: 1 });
  });

  it('takes the cause', () => {
    expect(toDeploymentInfo({ id: 'x', cause: 'commit 9a4df0b pushed' })?.cause).toBe(
      'commit 9a4df0b pushed',
    );
  });

  it('names the first failed step, nested steps joined with ›, with the deepest reason given', () => {
    const steps = [
      step('build', 'SUCCESS', { steps: [step('initialize', 'SUCCESS')] }),
      step('deploy', 'ERROR', {
        reason: { code: 'DeployFailed', message: 'the deploy failed' },
        steps: [
          step('initialize', 'SUCCESS'),
          step('components', 'ERROR', {
            steps: [
              step('api', 'SUCCESS', { component_name: 'api' }),
              step('backend', 'ERROR', {
                component_name: 'backend',
                steps: [
                  step('deploy', 'SUCCESS'),
                  step('wait', 'ERROR', {
                    reason: {
                      code: 'HealthChecksFailed',
                      message: '  Your container did not pass\n its health checks.',
                    },
                  }),
                  step('late', 'ERROR', { reason: { message: 'not the first' } }),
                ],
              }),
            ],
          }),
        ],
      }),
      step('finalize', 'ERROR'),
    ];
    const info = toDeploymentInfo({
      id: 'x',
      phase: 'ERROR',
      progress: { success_steps: 4, error_steps: 1, total_steps: 6, steps },
    });
    expect(info).toMatchObject({
      progress: { stepsDone: 4, stepsTotal: 6, errorSteps: 1 },
      failedStep: 'deploy › components › backend › wait: Your container did not pass its health checks.',
    });
  });

  it('names a failed step by its code, or by its name alone, when no message is given', () => {
    const failed = (reason?: Record<string, unknown>) =>
      toDeploymentInfo({
        id: 'x',
        progress: {
          total_steps: 2,
          steps: [step('build', 'ERROR', { steps: [step('backend', 'ERROR', { reason })] })],
        },
      })?.failedStep;
    expect(failed({ code: 'BuildJobExitNonZero' })).toBe('build › backend: BuildJobExitNonZero');
    expect(failed()).toBe('build › backend');
    expect(failed({ message: 'x'.repeat(500) })).toBe(`build › backend: ${'x'.repeat(200)}…`);
  });

  it('has no failed step when none has status ERROR, and skips steps of another shape', () => {
    const steps = [step('build', 'SUCCESS'), 'junk', { name: 7, status: 'ERROR' }, step('deploy', 'RUNNING')];
    expect(toDeploymentInfo({ id: 'x', progress: { total_steps: 6, steps } })?.failedStep).toBeNull();
    expect(toDeploymentInfo({ id: 'x', progress: { total_steps: 6 } })?.failedStep).toBeNull();
  });
});

describe('toPlatformView over the official examples of apps.yaml', () => {
  const api = loadAppsOpenApi();
  const example = (method: string, path: string) => responseExamples(api, method, path)[0]?.value;

  it('reads the sample app, its deployments, instances and health', () => {
    const { app: sample } = appResponseSchema.parse(example('get', '/v2/apps/{id}'));
    const page = deploymentsResponseSchema.parse(example('get', '/v2/apps/{app_id}/deployments'));
    const { instances } = instancesResponseSchema.parse(example('get', '/v2/apps/{app_id}/instances'));
    const { components } = healthResponseSchema.parse(example('get', '/v2/apps/{app_id}/health'));
    const result = toPlatformView({
      appId: 'configured-app-id',
      app: sample,
      deployments: page.deployments ?? [],
      instances: instances ?? [],
      health: components,
      fetchedAtMs: FETCHED_AT,
    });

    expect(result.appId).toBe('c2a93513-8d9b-4223-9d61-5e7272c81cf5');
    // The examples are independent of each other: the listed and the healthy components are
    // not in the sample app's spec, so they appear as components that should not run.
    expect(
      result.components.map((c) => [c.name, c.kind, c.desired, c.ready, c.listed?.map((i) => i.generation)]),
    ).toEqual([
      ['web', 'service', { min: 1, max: 1, autoscaling: false }, null, []],
      [
        'sample-golang',
        'service',
        { min: 0, max: 0, autoscaling: false },
        null,
        ['76b84c7fb8', '76b84c7fb8'],
      ],
      ['sample-php', 'service', { min: 0, max: 0, autoscaling: false }, null, ['767c6b49c4', '767c6b49c4']],
      ['sample-expressjs', 'unknown', { min: 0, max: 0, autoscaling: false }, 2, []],
    ]);
    expect(result.activeDeployment).toEqual({
      id: '991dfa59-6a23-459f-86d6-67dfa2c6f1e3',
      phase: 'ACTIVE',
      progress: { stepsDone: 6, stepsTotal: 6, errorSteps: 0 },
      failedStep: null,
      cause: 'manual',
      createdAtMs: Date.parse('2021-02-10T17:05:30Z'),
      updatedAtMs: Date.parse('2021-02-10T17:06:53Z'),
    });
    expect(result.inProgressDeployment).toBeNull();
    // The example's pending deployment carries only its id and spec: its phase is protobuf's
    // default, left out.
    expect(result.pendingDeployment).toMatchObject({
      id: '3aa4d20e-5527-4c00-b496-601fbd22520a',
      phase: 'UNKNOWN',
    });
    expect(result.deployments).toEqual([
      {
        id: 'b6bdf840-2854-4f87-a36c-5f231c617c84',
        phase: 'PENDING_BUILD',
        progress: { stepsDone: 0, stepsTotal: 6, errorSteps: 0 },
        failedStep: null,
        cause: 'commit 9a4df0b pushed to github/digitalocean/sample-golang',
        createdAtMs: Date.parse('2020-07-28T18:00:00Z'),
        updatedAtMs: Date.parse('2020-07-28T18:00:00Z'),
      },
    ]);
  });
});

describe('the response schemas, no stricter than the OpenAPI', () => {
  it('accept an instance without component_name or instance_name, and health without a name', () => {
    expect(instancesResponseSchema.parse({ instances: [{ instance_alias: 'backend-0' }, {}] })).toEqual({
      instances: [{ instance_alias: 'backend-0' }, {}],
    });
    expect(healthResponseSchema.parse({ app_health: { components: [{ replicas_desired: 2 }] } })).toEqual({
      components: [{ replicas_desired: 2 }],
    });
  });

  it('accept an app and deployments without ids', () => {
    const app = appResponseSchema.parse({
      app: { spec: { name: 'shop' }, active_deployment: { phase: 'ACTIVE' }, pending_deployment: {} },
    }).app;
    expect([app.id, app.active_deployment?.id]).toEqual([undefined, undefined]);
    expect(deploymentsResponseSchema.parse({ deployments: [{ phase: 'ERROR' }] }).deployments).toEqual([
      { phase: 'ERROR' },
    ]);
  });

  it('keep the progress steps unparsed: a step of another shape does not fail the answer', () => {
    const steps = [{ name: 'build', status: 'ERROR', steps: [{ status: 7 }] }, 'junk'];
    const parsed = deploymentsResponseSchema.parse({ deployments: [{ id: 'd', progress: { steps } }] });
    expect(parsed.deployments?.[0]?.progress?.steps).toEqual(steps);
  });
});
