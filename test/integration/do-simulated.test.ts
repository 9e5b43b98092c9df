/**
 * The simulated App Platform as an HTTP API: auth and token access (401, 403 on writes, 404 for
 * an app it does not know, each with DigitalOcean's error body and request_id), rate-limit
 * headers, paging by links.pages, zero counts left out as protobuf JSON does, faults, failed,
 * failing and queued deployments with their progress steps, and state that really changes: a
 * restart ends the orphans, a whole-spec update rescales and deletes what it leaves out, a queued
 * deployment starts when the one before it completes, and the scenarios' agent lists match what
 * the API lists.
 */
import { request } from 'undici';
import { generationOf } from '../../aggregator/model';
import type {
  ScenarioName,
  SimulatedPlatform,
  SimulatedRequest,
  SimulatedScenarioPlatformOptions,
} from '../../aggregator/platform/simulated';
import {
  SCENARIO_NAMES,
  scenarioAgents,
  scenarioDeploymentId,
  SCENARIOS,
  startSimulatedPlatform,
} from '../../aggregator/platform/simulated';
import type { Clock } from '../../shared/clock';
import { systemClock } from '../../shared/clock';

const START = Date.parse('2026-03-01T12:00:00Z');
const platforms: SimulatedPlatform[] = [];

afterEach(async () => {
  await Promise.all(platforms.splice(0).map((p) => p.close()));
});

function manualClock(): Clock & { advance(ms: number): void } {
  let now = START;
  return { now: () => now, sleep: systemClock.sleep, advance: (ms) => (now += ms) };
}

async function start(
  scenario: ScenarioName,
  options: Omit<SimulatedScenarioPlatformOptions, 'scenario'> = {},
): Promise<SimulatedPlatform> {
  const fake = await startSimulatedPlatform({ scenario, ...options });
  platforms.push(fake);
  return fake;
}

interface Reply<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

async function call<T = Record<string, unknown>>(
  fake: SimulatedPlatform,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
  authorization: string | null = 'Bearer anything',
): Promise<Reply<T>> {
  const response = await request(`${fake.url}${path.replace('{app}', fake.appId)}`, {
    method,
    headers: {
      ...(authorization === null ? {} : { authorization }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.statusCode, headers: response.headers, body: (await response.body.json()) as T };
}

interface InstancesBody {
  instances: {
    component_name: string;
    instance_name: string;
    instance_alias: string;
    component_type: string;
  }[];
}
interface AppBody {
  app: {
    spec: { name: string; services: Record<string, unknown>[]; workers: Record<string, unknown>[] } & Record<
      string,
      unknown
    >;
    active_deployment?: { id: string };
    in_progress_deployment?: { id: string; phase: string };
  };
}
interface HealthBody {
  app_health: { components: { name: string; replicas_desired: number; replicas_ready?: number }[] };
}
interface Step {
  name: string;
  status: string;
  component_name?: string;
  reason?: { code: string; message: string };
  steps?: Step[];
}
interface DeploymentBody {
  id: string;
  phase: string;
  progress: Record<string, number | undefined> & { steps: Step[] };
}
interface PageBody {
  deployments: DeploymentBody[];
  links: { pages: Record<string, string> };
  meta: { total: number };
}
interface ErrorBody {
  id: string;
  message: string;
  request_id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The leaves of a step tree as `name › name`, with their status. */
function leaves(steps: Step[], prefix: string[] = []): [string, string][] {
  return steps.flatMap((step) =>
    step.steps
      ? leaves(step.steps, [...prefix, step.name])
      : [[[...prefix, step.name].join(' › '), step.status]],
  );
}

const names = (body: InstancesBody, component = 'backend') =>
  body.instances.filter((i) => i.component_name === component).map((i) => i.instance_name);

describe('the simulated App Platform API', () => {
  it('wants a Bearer token, any non-empty one', async () => {
    const fake = await start('steady');
    expect((await call(fake, 'GET', '/v2/apps/{app}', undefined, null)).status).toBe(401);
    expect((await call(fake, 'GET', '/v2/apps/{app}', undefined, 'Bearer ')).status).toBe(401);
    expect((await call(fake, 'GET', '/v2/apps/{app}', undefined, 'Basic abc')).status).toBe(401);
    expect((await call(fake, 'GET', '/v2/apps/{app}', undefined, 'Bearer x')).status).toBe(200);
    expect(fake.state.requestCount()).toBe(1);
  });

  it('sends the ratelimit headers, counting the hourly quota down', async () => {
    const fake = await start('steady');
    const first = await call(fake, 'GET', '/v2/apps/{app}/health');
    const second = await call(fake, 'GET', '/v2/apps/{app}/health');
    expect(first.headers['ratelimit-limit']).toBe('5000');
    expect([first.headers['ratelimit-remaining'], second.headers['ratelimit-remaining']]).toEqual([
      '4999',
      '4998',
    ]);
    expect(Number(first.headers['ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
  });

  it("answers unknown apps and routes with 404, with DigitalOcean's error body and a request id", async () => {
    const fake = await start('steady');
    const unknown = await call<ErrorBody>(fake, 'GET', '/v2/apps/another-app');
    expect(unknown).toMatchObject({
      status: 404,
      body: { id: 'not_found', message: 'The resource you were accessing could not be found.' },
    });
    expect(unknown.body.request_id).toMatch(UUID);
    expect((await call(fake, 'GET', '/v2/apps/{app}/nothing')).status).toBe(404);
    expect((await call(fake, 'GET', '/v2/apps/{app}/deployments/no-such-deployment')).status).toBe(404);
    expect((await call(fake, 'POST', '/v2/apps/{app}/instances')).status).toBe(404);
  });

  it('pages deployments newest first, honouring page and per_page', async () => {
    const fake = await start('orphans-356');
    const scenario = SCENARIOS['orphans-356'];
    type Page = {
      deployments: { id: string }[];
      links: { pages: Record<string, string> };
      meta: { total: number };
    };
    const one = await call<Page>(fake, 'GET', '/v2/apps/{app}/deployments?page=1&per_page=1');
    const two = await call<Page>(fake, 'GET', '/v2/apps/{app}/deployments?page=2&per_page=1');
    const past = await call<Page>(fake, 'GET', '/v2/apps/{app}/deployments?page=3&per_page=1');
    const all = await call<Page>(fake, 'GET', '/v2/apps/{app}/deployments');

    expect(one.body.deployments.map((d) => d.id)).toEqual([scenarioDeploymentId(scenario, 'D2')]);
    expect(two.body.deployments.map((d) => d.id)).toEqual([scenarioDeploymentId(scenario, 'D1')]);
    expect(past.body.deployments).toEqual([]);
    expect(Object.keys(one.body.links.pages).sort()).toEqual(['last', 'next']);
    expect(one.body.links.pages.next).toBe(`${fake.url}/v2/apps/${fake.appId}/deployments?page=2&per_page=1`);
    expect(Object.keys(two.body.links.pages).sort()).toEqual(['first', 'prev']);
    expect(all.body.deployments).toHaveLength(2);
    expect(all.body.links.pages).toEqual({});
    expect([one.body.meta.total, all.body.meta.total]).toEqual([2, 2]);
  });

  it('shows the dashboard over-count on the health endpoint only', async () => {
    const fake = await start('dashboard-overcount');
    const health = await call<HealthBody>(fake, 'GET', '/v2/apps/{app}/health');
    const instances = await call<InstancesBody>(fake, 'GET', '/v2/apps/{app}/instances');
    expect(health.body.app_health.components).toEqual([
      expect.objectContaining({ name: 'backend', replicas_desired: 2, replicas_ready: 6 }),
    ]);
    expect(names(instances.body)).toHaveLength(2);
  });

  it('rate-limits every other request after the first ones when told to', async () => {
    const fake = await start('rate-limited', { fault: { afterRequests: 2, every: 2, retryAfterSeconds: 7 } });
    const statuses: number[] = [];
    let limited: Reply<unknown> | null = null;
    for (let i = 0; i < 6; i++) {
      const reply = await call(fake, 'GET', '/v2/apps/{app}/instances');
      statuses.push(reply.status);
      if (reply.status === 429) limited = reply;
    }
    expect(statuses).toEqual([200, 200, 429, 200, 429, 200]);
    expect(limited?.headers['retry-after']).toBe('7');
    expect(limited?.headers['ratelimit-remaining']).toBe('0');
    const reset = Number(limited?.headers['ratelimit-reset']);
    expect(reset).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 5);
    expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 8);
    expect(limited?.body).toEqual({
      id: 'too_many_requests',
      message: 'API rate limit exceeded.',
      request_id: expect.stringMatching(UUID),
    });
  });

  it('pages with first, prev, next and last links and the total', async () => {
    const fake = await start('deployment-failed');
    const page = await call<PageBody>(fake, 'GET', '/v2/apps/{app}/deployments?page=2&per_page=1');
    const link = (n: number) => `${fake.url}/v2/apps/${fake.appId}/deployments?page=${n}&per_page=1`;
    expect(page.body.links.pages).toEqual({ first: link(1), prev: link(1), next: link(3), last: link(3) });
    expect(page.body.meta.total).toBe(3);
  });

  it('leaves out counts that are 0, as protobuf JSON does', async () => {
    const fake = await start('none-ready');
    const health = await call<HealthBody>(fake, 'GET', '/v2/apps/{app}/health');
    const [component] = health.body.app_health.components;
    expect(component).toMatchObject({ name: 'backend', replicas_desired: 2, state: 'UNHEALTHY' });
    expect(component && 'replicas_ready' in component).toBe(false);
    const app = await call<{ app: { active_deployment: DeploymentBody } }>(fake, 'GET', '/v2/apps/{app}');
    const { steps, ...counts } = app.body.app.active_deployment.progress;
    expect(counts).toEqual({ success_steps: 6, total_steps: 6 });
    expect(leaves(steps).every(([, status]) => status === 'SUCCESS')).toBe(true);
  });

  it('is an account of one app: GET /v2/apps lists the scenario app, its fault left to the app routes', async () => {
    const fake = await start('rate-limited', { fault: { afterRequests: 0 } });
    const listed = await call<{ apps: { id: string }[]; meta: { total: number } }>(fake, 'GET', '/v2/apps');
    expect([listed.status, listed.body.apps.map((a) => a.id), listed.body.meta.total]).toEqual([
      200,
      [fake.appId],
      1,
    ]);
    expect((await call(fake, 'GET', '/v2/apps/{app}')).status).toBe(429);
    expect(fake.apps().map((a) => [a.appId, a.name, a.state])).toEqual([
      [fake.appId, 'replica-demo', fake.state],
    ]);
    expect([fake.state.requestCount(), fake.requestCount()]).toEqual([1, 2]);
  });

  it('can change its fault at run time', async () => {
    const fake = await start('steady');
    fake.state.setFault({
      kind: 'server_error',
      afterRequests: 0,
      every: 1,
      retryAfterSeconds: 1,
      delayMs: 0,
    });
    expect((await call(fake, 'GET', '/v2/apps/{app}')).status).toBe(500);
    fake.state.setFault(null);
    expect((await call(fake, 'GET', '/v2/apps/{app}')).status).toBe(200);
  });
});

describe('token access', () => {
  it("token-invalid answers every call 401 with DigitalOcean's body, counting none", async () => {
    const fake = await start('token-invalid');
    const replies = [
      await call<ErrorBody>(fake, 'GET', '/v2/apps/{app}'),
      await call<ErrorBody>(fake, 'GET', '/v2/apps/{app}/health'),
      await call<ErrorBody>(fake, 'POST', '/v2/apps/{app}/restart', { components: ['backend'] }),
    ];
    for (const reply of replies) {
      expect(reply).toMatchObject({
        status: 401,
        body: {
          id: 'unauthorized',
          message: 'Unable to authenticate you.',
          request_id: expect.stringMatching(UUID),
        },
      });
      expect(reply.headers['ratelimit-limit']).toBe('5000');
    }
    expect(new Set(replies.map((r) => r.body.request_id)).size).toBe(3);
    expect(fake.state.requestCount()).toBe(0);
  });

  it('token-read-only reads, and answers every write 403 without changing anything', async () => {
    const fake = await start('token-read-only', { transitionDelayMs: 0 });
    const before = await call<AppBody>(fake, 'GET', '/v2/apps/{app}');
    expect(before.status).toBe(200);
    const writes = [
      await call<ErrorBody>(fake, 'POST', '/v2/apps/{app}/restart', { components: ['backend'] }),
      await call<ErrorBody>(fake, 'POST', '/v2/apps/{app}/deployments', { force_build: true }),
      await call<ErrorBody>(fake, 'PUT', '/v2/apps/{app}', { spec: before.body.app.spec }),
    ];
    expect(writes.map((w) => [w.status, w.body.id, w.body.message])).toEqual(
      Array.from({ length: 3 }, () => [
        403,
        'forbidden',
        'You are not authorized to perform this operation.',
      ]),
    );
    expect(writes.every((w) => UUID.test(w.body.request_id))).toBe(true);
    expect((await call<AppBody>(fake, 'GET', '/v2/apps/{app}')).body).toEqual(before.body);
  });

  it('app-not-found answers every call about the app 404, as for a wrong app id', async () => {
    const fake = await start('app-not-found');
    for (const path of ['/v2/apps/{app}', '/v2/apps/{app}/instances', '/v2/apps/{app}/deployments']) {
      expect(await call<ErrorBody>(fake, 'GET', path)).toMatchObject({
        status: 404,
        body: { id: 'not_found', request_id: expect.stringMatching(UUID) },
      });
    }
  });

  it('changes access at run time, and a start option overrides the scenario', async () => {
    const fake = await start('token-invalid', { access: 'read_write' });
    expect((await call(fake, 'GET', '/v2/apps/{app}')).status).toBe(200);
    fake.state.setAccess('token_rejected');
    expect((await call(fake, 'GET', '/v2/apps/{app}')).status).toBe(401);
    fake.state.setAccess('read_only');
    expect((await call(fake, 'POST', '/v2/apps/{app}/restart', {})).status).toBe(403);
  });
});

describe('deployments that fail, fail while rolling, or wait', () => {
  it('deployment-failed: the newest deployment ended in ERROR with a failed step and its reason; the previous is active', async () => {
    const fake = await start('deployment-failed');
    const scenario = SCENARIOS['deployment-failed'];
    const app = (await call<AppBody>(fake, 'GET', '/v2/apps/{app}')).body.app;
    expect(app.active_deployment?.id).toBe(scenarioDeploymentId(scenario, 'D2'));
    expect(app.in_progress_deployment).toBeUndefined();
    const [newest] = (await call<PageBody>(fake, 'GET', '/v2/apps/{app}/deployments')).body.deployments;
    expect(newest?.id).toBe(scenarioDeploymentId(scenario, 'D3'));
    expect(newest?.phase).toBe('ERROR');
    const { steps, ...counts } = newest?.progress ?? { steps: [] };
    expect(counts).toEqual({ success_steps: 4, error_steps: 1, pending_steps: 1, total_steps: 6 });
    expect(leaves(steps)).toEqual([
      ['build › initialize', 'SUCCESS'],
      ['build › components › backend', 'SUCCESS'],
      ['deploy › initialize', 'SUCCESS'],
      ['deploy › components › backend › deploy', 'SUCCESS'],
      ['deploy › components › backend › wait', 'ERROR'],
      ['deploy › finalize', 'PENDING'],
    ]);
    expect(steps.map((s) => s.status)).toEqual(['SUCCESS', 'ERROR']);
    const wait = steps[1]?.steps?.[1]?.steps?.[0]?.steps?.[1];
    expect(wait).toMatchObject({
      name: 'wait',
      component_name: 'backend',
      reason: { code: 'DeployHealthChecksFailed', message: expect.stringMatching(/health checks/) },
    });
  });

  it('rollout-failing: the deployment in progress has an error step and nothing running', async () => {
    const fake = await start('rollout-failing');
    const app = (
      await call<{ app: { in_progress_deployment: DeploymentBody } }>(fake, 'GET', '/v2/apps/{app}')
    ).body.app;
    const { steps, ...counts } = app.in_progress_deployment.progress;
    expect(app.in_progress_deployment.phase).toBe('DEPLOYING');
    expect(counts).toEqual({ success_steps: 3, error_steps: 1, pending_steps: 2, total_steps: 6 });
    expect(leaves(steps).find(([, status]) => status === 'ERROR')?.[0]).toBe(
      'deploy › components › backend › deploy',
    );
  });

  it('deployment-pending: the queued deployment is pending_deployment, and starts when the one in progress completes', async () => {
    const clock = manualClock();
    const fake = await start('deployment-pending', { clock, rolloutStepMs: 1_000 });
    const scenario = SCENARIOS['deployment-pending'];
    const [d2, d3] = ['D2', 'D3'].map((key) => scenarioDeploymentId(scenario, key));
    type Deployments = {
      in_progress_deployment?: DeploymentBody;
      pending_deployment?: DeploymentBody;
      active_deployment?: DeploymentBody;
    };
    const read = async () => (await call<{ app: Deployments }>(fake, 'GET', '/v2/apps/{app}')).body.app;

    const before = await read();
    expect([before.in_progress_deployment?.id, before.pending_deployment?.id]).toEqual([d2, d3]);
    expect(before.pending_deployment?.phase).toBe('PENDING_BUILD');
    expect(before.pending_deployment?.progress).toMatchObject({ pending_steps: 6, total_steps: 6 });

    clock.advance(4_000);
    const next = await read();
    expect([next.active_deployment?.id, next.in_progress_deployment?.id, next.pending_deployment]).toEqual([
      d2,
      d3,
      undefined,
    ]);
    expect(next.in_progress_deployment?.phase).toBe('DEPLOYING');

    clock.advance(6_000);
    const done = await read();
    expect([done.active_deployment?.id, done.in_progress_deployment, done.pending_deployment]).toEqual([
      d3,
      undefined,
      undefined,
    ]);
    const phases = (await call<PageBody>(fake, 'GET', '/v2/apps/{app}/deployments')).body.deployments.map(
      (d) => d.phase,
    );
    expect(phases).toEqual(['ACTIVE', 'SUPERSEDED', 'SUPERSEDED']);
  });

  it('cancels the deployment in progress and the queued one when an action starts another', async () => {
    const fake = await start('deployment-pending');
    const restart = await call<{ deployment: DeploymentBody }>(fake, 'POST', '/v2/apps/{app}/restart', {});
    const app = (
      await call<{ app: { in_progress_deployment?: DeploymentBody; pending_deployment?: DeploymentBody } }>(
        fake,
        'GET',
        '/v2/apps/{app}',
      )
    ).body.app;
    expect([app.in_progress_deployment?.id, app.pending_deployment]).toEqual([
      restart.body.deployment.id,
      undefined,
    ]);
    const phases = (await call<PageBody>(fake, 'GET', '/v2/apps/{app}/deployments')).body.deployments.map(
      (d) => d.phase,
    );
    expect(phases).toEqual(['DEPLOYING', 'CANCELED', 'CANCELED', 'ACTIVE']);
  });

  it('names the deployment an update started as pending_deployment in its answer', async () => {
    const fake = await start('steady');
    const current = (await call<AppBody>(fake, 'GET', '/v2/apps/{app}')).body.app.spec;
    const put = await call<{
      app: { in_progress_deployment: { id: string }; pending_deployment: { id: string } };
    }>(fake, 'PUT', '/v2/apps/{app}', { spec: current });
    expect(put.body.app.pending_deployment.id).toBe(put.body.app.in_progress_deployment.id);
    expect(
      (await call<{ app: Record<string, unknown> }>(fake, 'GET', '/v2/apps/{app}')).body.app
        .pending_deployment,
    ).toBeUndefined();
  });

  it('tells onRequest every request it serves, with its operation, query and body', async () => {
    const seen: SimulatedRequest[] = [];
    const fake = await start('steady', { onRequest: (r) => seen.push(r) });
    await call(fake, 'GET', '/v2/apps/{app}/deployments?page=2&per_page=1');
    await call(fake, 'POST', '/v2/apps/{app}/restart');
    await call(fake, 'POST', '/v2/apps/{app}/restart', { components: ['backend'] });
    await call(fake, 'GET', '/v2/apps/another-app');
    expect(seen).toEqual([
      {
        method: 'GET',
        route: 'GET /v2/apps/{app_id}/deployments',
        path: `/v2/apps/${fake.appId}/deployments`,
        query: [
          ['page', '2'],
          ['per_page', '1'],
        ],
        body: undefined,
      },
      {
        method: 'POST',
        route: 'POST /v2/apps/{app_id}/restart',
        path: `/v2/apps/${fake.appId}/restart`,
        query: [],
        body: undefined,
      },
      {
        method: 'POST',
        route: 'POST /v2/apps/{app_id}/restart',
        path: `/v2/apps/${fake.appId}/restart`,
        query: [],
        body: { components: ['backend'] },
      },
    ]);
  });
});

describe('the simulated state', () => {
  it('ends the orphans of orphans-356 with a restart of backend, after the transition delay', async () => {
    const clock = manualClock();
    const fake = await start('orphans-356', { clock, transitionDelayMs: 3_000 });
    const before = await call<InstancesBody>(fake, 'GET', '/v2/apps/{app}/instances');
    expect(names(before.body)).toHaveLength(6);

    const restart = await call<{ deployment: { id: string; phase: string } }>(
      fake,
      'POST',
      '/v2/apps/{app}/restart',
      {
        components: ['backend'],
      },
    );
    expect(restart.body.deployment.phase).toBe('DEPLOYING');
    const during = await call<AppBody>(fake, 'GET', '/v2/apps/{app}');
    expect(during.body.app.in_progress_deployment?.id).toBe(restart.body.deployment.id);
    expect(names((await call<InstancesBody>(fake, 'GET', '/v2/apps/{app}/instances')).body)).toEqual(
      names(before.body),
    );

    clock.advance(3_000);
    const after = await call<InstancesBody>(fake, 'GET', '/v2/apps/{app}/instances');
    const app = await call<AppBody>(fake, 'GET', '/v2/apps/{app}');
    const health = await call<HealthBody>(fake, 'GET', '/v2/apps/{app}/health');
    const afterNames = names(after.body);
    expect(afterNames).toHaveLength(2);
    expect(afterNames.filter((n) => names(before.body).includes(n))).toEqual([]);
    const oldGenerations = new Set(names(before.body).map(generationOf));
    expect(afterNames.map(generationOf).filter((g) => oldGenerations.has(g))).toEqual([]);
    expect(new Set(afterNames.map(generationOf)).size).toBe(1);
    expect(app.body.app.active_deployment?.id).toBe(restart.body.deployment.id);
    expect(app.body.app.in_progress_deployment).toBeUndefined();
    expect(health.body.app_health.components[0]?.replicas_ready).toBe(2);
    expect(fake.state.agents()).toEqual(
      afterNames.map((instanceId) => ({
        instanceId,
        component: 'backend',
        deploymentId: restart.body.deployment.id,
        serving: true,
      })),
    );
  });

  it('refuses a restart of a component that does not exist', async () => {
    const fake = await start('steady');
    const reply = await call(fake, 'POST', '/v2/apps/{app}/restart', { components: ['nope'] });
    expect(reply).toMatchObject({ status: 400, body: { id: 'bad_request' } });
  });

  it('takes the whole spec on update: rescales, adds, and deletes what the spec leaves out', async () => {
    const clock = manualClock();
    const fake = await start('steady', { clock, transitionDelayMs: 1_000 });
    const current = (await call<AppBody>(fake, 'GET', '/v2/apps/{app}')).body.app.spec;

    const grown = {
      ...current,
      services: current.services.map((s) => ({ ...s, instance_count: 3 })),
      workers: [{ name: 'queue', autoscaling: { min_instance_count: 2, max_instance_count: 4 } }],
    };
    const put = await call<AppBody>(fake, 'PUT', '/v2/apps/{app}', { spec: grown });
    expect(put.status).toBe(200);
    expect(put.body.app.spec.services[0]).toMatchObject({ name: 'backend', instance_count: 3 });
    expect(put.body.app.in_progress_deployment?.phase).toBe('DEPLOYING');
    clock.advance(1_000);
    const grownInstances = (await call<InstancesBody>(fake, 'GET', '/v2/apps/{app}/instances')).body;
    expect([names(grownInstances).length, names(grownInstances, 'queue').length]).toEqual([3, 2]);
    expect(grownInstances.instances.find((i) => i.component_name === 'queue')?.component_type).toBe('WORKER');

    // Sending only backend deletes the worker, the job and the static site.
    const partial = { name: current.name, services: grown.services };
    expect((await call(fake, 'PUT', '/v2/apps/{app}', { spec: partial })).status).toBe(200);
    clock.advance(1_000);
    const app = (await call<AppBody>(fake, 'GET', '/v2/apps/{app}')).body.app;
    const shrunk = (await call<InstancesBody>(fake, 'GET', '/v2/apps/{app}/instances')).body;
    expect([app.spec.workers, app.spec.jobs, app.spec.static_sites]).toEqual([[], [], []]);
    expect(shrunk.instances.map((i) => i.component_name)).toEqual(['backend', 'backend', 'backend']);
  });

  it('refuses instance_count 0, as the real API does, and changes nothing', async () => {
    const fake = await start('steady');
    const current = (await call<AppBody>(fake, 'GET', '/v2/apps/{app}')).body.app.spec;
    const zero = { ...current, services: current.services.map((s) => ({ ...s, instance_count: 0 })) };
    const reply = await call<{ id: string; message: string }>(fake, 'PUT', '/v2/apps/{app}', { spec: zero });
    expect(reply.status).toBe(422);
    expect(reply.body.message).toMatch(/instance_count must be an integer of at least 1/);
    const after = (await call<AppBody>(fake, 'GET', '/v2/apps/{app}')).body.app;
    expect(after.spec).toEqual(current);
    expect(after.in_progress_deployment).toBeUndefined();
  });

  it('answers late in the slow scenario, past the delay it was given', async () => {
    const fake = await start('slow', { fault: { afterRequests: 0, delayMs: 300 } });
    const started = Date.now();
    expect((await call(fake, 'GET', '/v2/apps/{app}/health')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });
});

describe('the scenarios', () => {
  it.each(SCENARIO_NAMES.map((n) => [n]))(
    '%s lists exactly the instances its agents stand for',
    async (name) => {
      // Full access, so that the token and app-id scenarios answer too.
      const fake = await start(name as ScenarioName, { access: 'read_write' });
      const listed = (await call<InstancesBody>(fake, 'GET', '/v2/apps/{app}/instances')).body.instances;
      const agents = scenarioAgents(name as ScenarioName);
      expect(listed.map((i) => [i.instance_name, i.component_name])).toEqual(
        agents.map((a) => [a.instanceId, a.component]),
      );
      expect(fake.state.agents()).toEqual(agents);
      for (const agent of agents) {
        expect(agent.instanceId).toMatch(/^backend-[a-z0-9]{10}-[a-z0-9]{5}$/);
        expect(agent.deploymentId).toMatch(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
      }
    },
  );

  it('orphans-356 is the reported problem: 2 of the active deployment, 4 of the older, one not serving', () => {
    const scenario = SCENARIOS['orphans-356'];
    const agents = scenarioAgents('orphans-356');
    const d1 = scenarioDeploymentId(scenario, 'D1');
    const d2 = scenarioDeploymentId(scenario, 'D2');
    expect(agents.map((a) => a.deploymentId)).toEqual([d2, d2, d1, d1, d1, d1]);
    expect(agents.filter((a) => !a.serving)).toHaveLength(1);
    // Each deployment has its own template hash, shared by its instances.
    const hashes = agents.map((a) => generationOf(a.instanceId));
    expect(new Set(hashes.slice(0, 2)).size).toBe(1);
    expect(new Set(hashes.slice(2)).size).toBe(1);
    expect(hashes[0]).not.toBe(hashes[2]);
    expect(new Set(agents.map((a) => a.instanceId)).size).toBe(6);
  });

  it('are pure: the same scenario always gives the same ids and names', async () => {
    const a = await start('rollout-stuck');
    const b = await start('rollout-stuck');
    expect(a.appId).toBe(b.appId);
    expect(a.state.agents()).toEqual(b.state.agents());
    expect(scenarioAgents('rollout-stuck')).toEqual(scenarioAgents('rollout-stuck'));
    expect(scenarioAgents('rollout-stuck').map((x) => x.serving)).toEqual([true, true, false]);
  });
});
