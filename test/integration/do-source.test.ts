/**
 * DigitalOceanSource against the simulated App Platform: the view every scenario gives (failed,
 * failing and queued deployments, a ready count the API leaves out at 0), the last good view
 * kept (stale, ageing) through 429s, 500s and timeouts within the retry budget, each failure
 * classified (401, 403, 404 with DigitalOcean's request id), current() never waiting, and a
 * restart that ends the orphans of the reported problem.
 */
import { Writable } from 'node:stream';
import { DigitalOceanClient } from '../../aggregator/platform/digitalocean/client';
import type { DigitalOceanSourceOptions } from '../../aggregator/platform/digitalocean/source';
import { DigitalOceanSource } from '../../aggregator/platform/digitalocean/source';
import type { FaultSpec, ScenarioName, SimulatedPlatform } from '../../aggregator/platform/simulated';
import { scenarioDeploymentId, SCENARIOS, startSimulatedPlatform } from '../../aggregator/platform/simulated';
import { generationOf } from '../../aggregator/model';
import type { PlatformComponent, PlatformView } from '../../aggregator/model';
import type { Clock } from '../../shared/clock';
import { systemClock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import { createLogger, silentLogger } from '../../shared/logger';
import type { RetryPolicy } from '../../shared/retry';
import { waitFor } from '../support/wait';

const TOKEN = 'simulated-token-for-tests';
const RETRY: RetryPolicy = { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 };

const platforms: SimulatedPlatform[] = [];
const sources: DigitalOceanSource[] = [];

afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.close()));
  await Promise.all(platforms.splice(0).map((p) => p.close()));
});

async function platform(
  scenario: ScenarioName,
  options: {
    fault?: Partial<FaultSpec> | null;
    clock?: Clock;
    transitionDelayMs?: number;
    rolloutStepMs?: number;
  } = {},
): Promise<SimulatedPlatform> {
  const started = await startSimulatedPlatform({ scenario, ...options });
  platforms.push(started);
  return started;
}

function source(
  fake: SimulatedPlatform,
  options: {
    timeoutMs?: number;
    log?: Logger;
    retry?: RetryPolicy;
  } & Partial<DigitalOceanSourceOptions> = {},
): DigitalOceanSource {
  const log = options.log ?? silentLogger();
  const client = new DigitalOceanClient({
    baseUrl: fake.url,
    token: TOKEN,
    timeoutMs: options.timeoutMs ?? 2_000,
    retry: options.retry ?? RETRY,
    log,
  });
  const created = new DigitalOceanSource({
    client,
    appId: fake.appId,
    kind: 'simulated',
    cacheTtlMs: 60_000,
    log,
    ...options,
  });
  sources.push(created);
  return created;
}

function component(view: PlatformView, name: string): PlatformComponent {
  const found = view.components.find((c) => c.name === name);
  if (!found)
    throw new Error(`no component ${name} in ${JSON.stringify(view.components.map((c) => c.name))}`);
  return found;
}

/** backend: [desired min, listed, ready, listed per generation (sorted)]. */
function backendCounts(
  view: PlatformView,
): [number | undefined, number | undefined, number | null, number[]] {
  const backend = component(view, 'backend');
  const byGeneration = new Map<string | null, number>();
  for (const instance of backend.listed ?? []) {
    byGeneration.set(instance.generation, (byGeneration.get(instance.generation) ?? 0) + 1);
  }
  return [backend.desired?.min, backend.listed?.length, backend.ready, [...byGeneration.values()].sort()];
}

/** A clock for the simulated platform that moves only when told. */
function manualClock(startMs = Date.parse('2026-03-01T12:00:00Z')): Clock & { advance(ms: number): void } {
  let now = startMs;
  return { now: () => now, sleep: systemClock.sleep, advance: (ms) => (now += ms) };
}

describe('DigitalOceanSource over the simulated App Platform', () => {
  const expected: [ScenarioName, ReturnType<typeof backendCounts>, string | null][] = [
    ['steady', [2, 2, 2, [2]], null],
    ['orphans-356', [2, 6, 6, [2, 4]], null],
    ['rollout-in-progress', [2, 3, 3, [1, 2]], 'DEPLOYING'],
    ['rollout-stuck', [2, 3, 2, [1, 2]], 'DEPLOYING'],
    ['dashboard-overcount', [2, 2, 6, [2]], null],
    ['rate-limited', [2, 2, 2, [2]], null],
    ['server-errors', [2, 2, 2, [2]], null],
    ['slow', [2, 2, 2, [2]], null],
    ['deployment-failed', [2, 2, 2, [2]], null],
    ['rollout-failing', [2, 3, 2, [1, 2]], 'DEPLOYING'],
    ['deployment-pending', [2, 3, 3, [1, 2]], 'DEPLOYING'],
    // The API leaves replicas_ready out at 0: 0 ready, not unknown.
    ['none-ready', [2, 2, 0, [2]], null],
    ['token-read-only', [2, 2, 2, [2]], null],
  ];

  it.each(expected)('reads scenario %s as backend %j', async (name, counts, inProgressPhase) => {
    const fake = await platform(name);
    const view = await source(fake).refresh();
    const scenario = SCENARIOS[name];

    expect(view.status).toBe('ok');
    expect(view.source).toBe('simulated');
    expect(view.appId).toBe(fake.appId);
    expect(backendCounts(view)).toEqual(counts);
    expect(view.activeDeployment?.id).toBe(scenarioDeploymentId(scenario, scenario.active));
    expect(view.activeDeployment?.phase).toBe('ACTIVE');
    expect(view.inProgressDeployment?.phase ?? null).toBe(inProgressPhase);
    expect(view.deployments.map((d) => d.id)).toEqual(
      [...scenario.deployments].reverse().map((d) => scenarioDeploymentId(scenario, d.key)),
    );
    // The instances of the active deployment are listed under its template hash.
    const activeAgents = fake.state.agents().filter((a) => a.deploymentId === view.activeDeployment?.id);
    const activeHashes = new Set(activeAgents.map((a) => generationOf(a.instanceId)));
    const listedActive = component(view, 'backend').listed?.filter((i) => activeHashes.has(i.generation));
    expect([activeAgents.length, listedActive?.length]).toEqual([counts[0], counts[0]]);
  });

  it('reads jobs and static sites as components without a desired count or instances', async () => {
    const view = await source(await platform('steady')).refresh();
    expect(view.components.map((c) => [c.name, c.kind, c.desired, c.listed])).toEqual([
      ['backend', 'service', { min: 2, max: 2, autoscaling: false }, expect.any(Array)],
      ['migrate', 'job', null, []],
      ['docs', 'static_site', null, []],
    ]);
  });

  it('sees a moving rollout advance and complete, and a stuck one stand still', async () => {
    const clock = manualClock();
    const moving = await platform('rollout-in-progress', { clock, rolloutStepMs: 60_000 });
    const stuck = await platform('rollout-stuck', { clock });
    const movingSource = source(moving);
    const stuckSource = source(stuck);

    const before = await movingSource.refresh();
    const stuckBefore = await stuckSource.refresh();
    expect(before.inProgressDeployment?.progress).toEqual({ stepsDone: 2, stepsTotal: 6, errorSteps: 0 });
    expect(stuckBefore.inProgressDeployment?.progress).toEqual({
      stepsDone: 3,
      stepsTotal: 6,
      errorSteps: 0,
    });

    clock.advance(120_000);
    expect((await movingSource.refresh()).inProgressDeployment?.progress).toEqual({
      stepsDone: 4,
      stepsTotal: 6,
      errorSteps: 0,
    });
    const stuckLater = await stuckSource.refresh();
    expect(stuckLater.inProgressDeployment).toEqual(stuckBefore.inProgressDeployment);

    clock.advance(120_000);
    const done = await movingSource.refresh();
    expect(done.inProgressDeployment).toBeNull();
    expect(done.activeDeployment?.id).toBe(before.inProgressDeployment?.id);
    expect(done.deployments.map((d) => d.phase)).toEqual(['ACTIVE', 'SUPERSEDED']);
    expect(backendCounts(done)).toEqual([2, 2, 2, [2]]);
    expect((await stuckSource.refresh()).inProgressDeployment).toEqual(stuckBefore.inProgressDeployment);
  });

  it('is unavailable, with the error, until a refresh first succeeds', async () => {
    const fake = await platform('server-errors', { fault: { afterRequests: 0 } });
    const view = await source(fake).refresh();
    expect(view).toMatchObject({
      status: 'unavailable',
      fetchedAtMs: null,
      components: [],
      activeDeployment: null,
      deployments: [],
    });
    expect(view.error).toMatchObject({
      kind: 'server_error',
      httpStatus: 500,
      requestId: expect.any(String),
      message: expect.stringMatching(
        /HTTP 500 server_error: Unexpected server-side error \(request_id [0-9a-f-]{36}\)$/,
      ),
    });
  });

  it.each([
    ['token-invalid', 'unauthorized', 401, 'HTTP 401 unauthorized: Unable to authenticate you'],
    [
      'app-not-found',
      'not_found',
      404,
      'HTTP 404 not_found: The resource you were accessing could not be found',
    ],
  ] as const)(
    'is unavailable in %s, the failure classified as %s, naming the call and the request id',
    async (name, kind, status, detail) => {
      const fake = await platform(name);
      const view = await source(fake).refresh();
      expect(view).toMatchObject({
        status: 'unavailable',
        components: [],
        error: { kind, httpStatus: status },
      });
      const requestId = view.error?.requestId ?? '';
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      // Whichever of the four calls failed first, it names the app id.
      expect(view.error?.message).toMatch(
        new RegExp(
          `^GET /v2/apps/${fake.appId}(/\\w+)?(\\?[^:]*)?: ${detail} \\(request_id ${requestId}\\)$`,
        ),
      );
      expect(view.error?.message).not.toContain(TOKEN);
    },
  );

  it('keeps the last good view, stale, when the token is revoked, and says it is unauthorized', async () => {
    const fake = await platform('steady');
    const watched = source(fake);
    const good = await watched.refresh();
    fake.state.setAccess('token_rejected');
    const stale = await watched.refresh();
    expect(stale).toMatchObject({
      status: 'stale',
      fetchedAtMs: good.fetchedAtMs,
      components: good.components,
      error: { kind: 'unauthorized', httpStatus: 401, sinceMs: expect.any(Number) },
    });
  });

  it('refuses a restart with a read-only token: 403, naming the call and the request id', async () => {
    const fake = await platform('token-read-only');
    const err = (await source(fake)
      .actions.restart(['backend'])
      .catch((e: unknown) => e)) as Error & {
      status?: number;
      requestId?: string;
    };
    expect(err).toMatchObject({ status: 403, requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(err.message).toBe(
      `POST /v2/apps/${fake.appId}/restart: HTTP 403 forbidden: You are not authorized to perform this operation ` +
        `(request_id ${err.requestId ?? ''})`,
    );
  });

  it('deployment-failed: the history says the newest deployment failed, at which step and why', async () => {
    const fake = await platform('deployment-failed');
    const view = await source(fake).refresh();
    const scenario = SCENARIOS['deployment-failed'];
    expect(view.activeDeployment?.id).toBe(scenarioDeploymentId(scenario, 'D2'));
    expect(view.inProgressDeployment).toBeNull();
    expect(view.deployments[0]).toMatchObject({
      id: scenarioDeploymentId(scenario, 'D3'),
      phase: 'ERROR',
      cause: 'commit 5d0e4b8 pushed',
      progress: { stepsDone: 4, stepsTotal: 6, errorSteps: 1 },
      failedStep:
        'deploy › components › backend › wait: Your deploy failed because your container did not pass its health checks.',
    });
    expect(view.deployments.slice(1).map((d) => [d.phase, d.failedStep])).toEqual([
      ['ACTIVE', null],
      ['SUPERSEDED', null],
    ]);
  });

  it('rollout-failing: the deployment in progress has error steps and names its failed step', async () => {
    const view = await source(await platform('rollout-failing')).refresh();
    expect(view.inProgressDeployment).toMatchObject({
      phase: 'DEPLOYING',
      progress: { stepsDone: 3, stepsTotal: 6, errorSteps: 1 },
      failedStep: expect.stringMatching(/^deploy › components › backend › deploy: .*non-zero exit code/),
    });
  });

  it('deployment-pending: the queued deployment is the pending one until the one in progress completes', async () => {
    const clock = manualClock();
    const fake = await platform('deployment-pending', { clock, rolloutStepMs: 60_000 });
    const scenario = SCENARIOS['deployment-pending'];
    const watched = source(fake);
    const before = await watched.refresh();
    expect(before.inProgressDeployment?.id).toBe(scenarioDeploymentId(scenario, 'D2'));
    expect(before.pendingDeployment).toMatchObject({
      id: scenarioDeploymentId(scenario, 'D3'),
      phase: 'PENDING_BUILD',
      progress: { stepsDone: 0, stepsTotal: 6, errorSteps: 0 },
    });
    clock.advance(4 * 60_000);
    const after = await watched.refresh();
    expect(after.inProgressDeployment?.id).toBe(scenarioDeploymentId(scenario, 'D3'));
    expect(after.pendingDeployment).toBeNull();
  });

  it('reads the whole history over many pages by links.pages.next', async () => {
    const fake = await platform('deployment-failed');
    const client = new DigitalOceanClient({
      baseUrl: fake.url,
      token: TOKEN,
      retry: RETRY,
      deploymentsPerPage: 1,
    });
    try {
      expect((await client.listDeployments(fake.appId)).map((d) => d.phase)).toEqual([
        'ERROR',
        'ACTIVE',
        'SUPERSEDED',
      ]);
      expect(fake.state.requestCount('GET /v2/apps/{app_id}/deployments')).toBe(3);
    } finally {
      await client.close();
    }
  });

  it.each([
    ['rate-limited', { retryAfterSeconds: 1 }, 'rate_limited', /: rate limited, HTTP 429 too_many_requests/],
    ['server-errors', {}, 'server_error', /: HTTP 500 server_error/],
    ['slow', { delayMs: 3_000 }, 'unreachable', /: no answer within 500 ms$/],
  ] as const)(
    'keeps the last good view, stale and ageing, through %s, within the retry budget',
    async (name, fault, kind, error) => {
      const lines: string[] = [];
      const log = createLogger({
        level: 'info',
        service: 'test',
        pretty: false,
        stream: new Writable({
          write(chunk: Buffer, _encoding, done) {
            lines.push(chunk.toString('utf8'));
            done();
          },
        }),
      });
      const fake = await platform(name, { fault });
      const watched = source(fake, { timeoutMs: 500, log });

      const good = await watched.refresh();
      expect(good.status).toBe('ok');
      expect(fake.state.requestCount()).toBe(4);

      const refreshes = 3;
      const ages: number[] = [];
      for (let i = 0; i < refreshes; i++) {
        const view = await watched.refresh();
        expect(view.status).toBe('stale');
        expect(view.error?.kind).toBe(kind);
        expect(view.error?.message).toMatch(error);
        expect(view.fetchedAtMs).toBe(good.fetchedAtMs);
        expect(view.components).toEqual(good.components);
        ages.push(Date.now() - (view.fetchedAtMs ?? 0));
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(ages).toEqual([...ages].sort((a, b) => a - b));
      expect(ages[ages.length - 1]).toBeGreaterThan(ages[0] ?? Infinity);

      // At least the failing call was retried once; at most every call used its whole budget.
      const failing = fake.state.requestCount() - 4;
      expect(failing).toBeGreaterThanOrEqual(refreshes * RETRY.attempts);
      expect(failing).toBeLessThanOrEqual(refreshes * 4 * RETRY.attempts);

      fake.state.setFault(null);
      const recovered = await watched.refresh();
      expect(recovered.status).toBe('ok');
      expect(recovered.error).toBeNull();
      expect(recovered.fetchedAtMs).toBeGreaterThan(good.fetchedAtMs ?? Infinity);

      const messages = lines.map((line) => (JSON.parse(line) as { message: string }).message);
      expect(messages).toEqual([
        'platform refresh failing; keeping the last good view',
        'platform refresh recovered',
      ]);
      expect(lines.join('')).not.toContain(TOKEN);
    },
  );

  it('never makes current() or start() wait for the platform', async () => {
    const fake = await platform('slow', { fault: { afterRequests: 0, delayMs: 2_000 } });
    const watched = source(fake, { timeoutMs: 1_500 });
    const started = Date.now();
    await watched.start();
    const view = watched.current();
    // Half the platform's 2 s delay: waiting for it cannot pass, a loaded machine still does.
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(view).toMatchObject({ status: 'unavailable', error: null, fetchedAtMs: null });
    await waitFor(() => fake.state.requestCount(), {
      what: 'the four calls to reach the platform',
      until: (n) => n >= 4,
      timeoutMs: 5_000,
    });
    expect(watched.current().status).toBe('unavailable');
  });

  it('refreshes in the background every cacheTtlMs once started', async () => {
    const fake = await platform('steady');
    const watched = source(fake, { cacheTtlMs: 100 });
    await watched.start();
    await waitFor(() => watched.current().status, { what: 'a first view', until: (s) => s === 'ok' });
    await waitFor(() => fake.state.requestCount(), { what: 'three refreshes', until: (n) => n >= 12 });
  });

  it('makes the orphans of orphans-356 go away with a restart', async () => {
    const fake = await platform('orphans-356', { transitionDelayMs: 300 });
    const watched = source(fake, { cacheTtlMs: 100 });
    await watched.start();
    const before = await waitFor(() => watched.current(), {
      what: 'a first view',
      until: (v) => v.status === 'ok',
    });
    expect(backendCounts(before)).toEqual([2, 6, 6, [2, 4]]);

    const deployment = await watched.actions.restart(['backend']);
    expect(deployment.phase).toBe('DEPLOYING');

    const after = await waitFor(() => watched.current(), {
      what: 'the restart to end the orphans',
      until: (v) => v.activeDeployment?.id === deployment.id && component(v, 'backend').listed?.length === 2,
    });
    expect(backendCounts(after)).toEqual([2, 2, 2, [2]]);
    expect(after.inProgressDeployment).toBeNull();
    const oldGenerations = new Set(component(before, 'backend').listed?.map((i) => i.generation));
    expect(component(after, 'backend').listed?.every((i) => !oldGenerations.has(i.generation))).toBe(true);
    expect(fake.state.agents().map((a) => a.deploymentId)).toEqual([deployment.id, deployment.id]);
  });

  it('starts a new deployment through the actions', async () => {
    const fake = await platform('steady', { transitionDelayMs: 0 });
    const watched = source(fake);
    const deployment = await watched.actions.createDeployment({ forceBuild: true });
    const view = await watched.refresh();
    expect(view.activeDeployment?.id).toBe(deployment.id);
    expect(view.deployments[0]?.id).toBe(deployment.id);
  });

  it('closes idempotently, aborting a refresh in flight', async () => {
    const fake = await platform('slow', { fault: { afterRequests: 0, delayMs: 5_000 } });
    const watched = source(fake, { timeoutMs: 4_000 });
    await watched.start();
    await waitFor(() => fake.state.requestCount(), {
      what: 'the calls to be in flight',
      until: (n) => n >= 4,
    });
    const started = Date.now();
    await Promise.all([watched.close(), watched.close()]);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(watched.current().status).toBe('unavailable');
  });
});
