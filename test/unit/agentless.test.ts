/**
 * Agentless judgement: an app no agent has ever reported for is judged from the platform alone
 * (the spec, the ready count and the instance list against each other), and an app whose agents
 * all stopped is never mistaken for one.
 */
import type { ReconcileInput } from '../../aggregator/reconcile';
import { reconcile } from '../../aggregator/reconcile';
import type { PlatformComponent, PlatformView } from '../../aggregator/model';
import { AggregatorApiValidator } from '../support/aggregator-openapi';
import {
  autoscaled,
  component,
  deployment,
  fixed,
  instanceSize,
  listed,
  notFoundView,
  view,
} from '../support/platform';
import {
  AGENTS_SEEN,
  codes,
  componentOf,
  findingOf,
  fullReport,
  input,
  judged,
  reconciledReport as run,
} from '../support/reconcile-io';
import { blindSince, instances, NOW } from '../support/records';

const validator = new AggregatorApiValidator();

/** `count` listed instances of backend. */
function names(count: number, prefix = 'backend-7f9c-'): ReturnType<typeof listed>[] {
  return Array.from({ length: count }, (_, i) => listed(`${prefix}${i + 1}`));
}

/** A backend the spec asks `desired` of, that the dashboard shows `ready` of and the platform lists `list` of. */
function backend(
  desired: number,
  ready: number | null,
  list: number | null,
  overrides: Partial<PlatformComponent> = {},
) {
  return component('backend', {
    desired: fixed(desired),
    ready,
    listed: list === null ? null : names(list),
    instanceSize: instanceSize(),
    ...overrides,
  });
}

function platform(overrides: Partial<PlatformView> = {}, ...components: PlatformComponent[]): PlatformView {
  return view({ components, activeDeployment: deployment('dep-1'), ...overrides });
}

describe('an app without agents', () => {
  test('the dashboard over-counts (spec 2, ready 6, listed 2): a mismatch, no surplus, no heartbeat findings', () => {
    const report = run({ platform: platform({}, backend(2, 6, 2)) });
    expect(codes(report)).toEqual([['PLATFORM_COUNT_MISMATCH', 'warning']]);
    const mismatch = findingOf(report, 'PLATFORM_COUNT_MISMATCH');
    expect(mismatch.message).toContain('the platform contradicts itself');
    expect(mismatch.message).toContain('the spec asks for 2');
    expect(mismatch.message).toContain(
      'GET /v2/apps/app-123/health, what the dashboard shows) counts 6 ready',
    );
    expect(mismatch.message).toContain('(GET /v2/apps/app-123/instances) names 2 instances');
    expect(mismatch.message).toContain('the dashboard counts 4 more ready than the list names');
    expect(mismatch.message).toContain(
      "No agents report for this app, so the platform's numbers are all there is",
    );
    expect(mismatch.message).not.toContain('more run than');
    expect(mismatch.recommendation).toContain('GET /v2/apps/app-123/health');
    expect(mismatch.recommendation).toContain('doctl apps restart app-123 --components backend');
    expect(mismatch.recommendation).toContain('docs/heartbeat-protocol.md');
    expect(mismatch.recommendation).toContain('AGENT_ENABLED=true');
    expect(componentOf(report)).toMatchObject({
      verdict: 'discrepancy',
      live: 0,
      platform_ready: 6,
      platform_instances: 2,
      note: 'no agents report for this app: judged from the platform alone',
      surplus_instances: 0,
      estimated_monthly_waste_usd: 0,
      instance_size_slug: 'apps-s-1vcpu-1gb',
      usd_per_month: 12,
      app: 'default',
    });
    expect(report.summary).toMatchObject({
      agentless: true,
      verdict: 'discrepancy',
      discrepancy: true,
      surplus_instances: 0,
      estimated_monthly_waste_usd: 0,
    });
    expect(report.degraded).toBe(false);
    expect(report.recommendations).toEqual([mismatch.recommendation]);
  });

  test('#356 without agents (spec 2, ready 6, listed 6, $12 a month): 4 surplus, $48 a month', () => {
    const report = run({ platform: platform({}, backend(2, 6, 6)) });
    expect(codes(report)).toEqual([['PLATFORM_COUNT_MISMATCH', 'warning']]);
    const mismatch = findingOf(report, 'PLATFORM_COUNT_MISMATCH');
    expect(mismatch.message).toContain(
      "4 more run than the spec allows (instances the platform did not stop: an old deployment's, or a count " +
        'changed outside the spec), an estimated $48.00 a month at $12.00 each (apps-s-1vcpu-1gb)',
    );
    expect(mismatch.message).not.toContain('more ready than the list');
    expect(mismatch.recommendation).toContain(
      'doctl apps spec get app-123 > spec.yaml, edit instance_count of backend, doctl apps update app-123 --spec spec.yaml',
    );
    expect(componentOf(report)).toMatchObject({
      verdict: 'discrepancy',
      surplus_instances: 4,
      estimated_monthly_waste_usd: 48,
    });
    expect(report.summary).toMatchObject({
      agentless: true,
      surplus_instances: 4,
      estimated_monthly_waste_usd: 48,
    });
  });

  test('steady (2 asked, 2 ready, 2 listed): ok, the platform agrees with itself', () => {
    const report = run({ platform: platform({}, backend(2, 2, 2)) });
    expect(codes(report)).toEqual([]);
    expect(componentOf(report)).toMatchObject({
      verdict: 'ok',
      surplus_instances: 0,
      estimated_monthly_waste_usd: 0,
    });
    expect(componentOf(report).note).toContain('no agents report for this app');
    expect(report.summary).toMatchObject({ agentless: true, verdict: 'ok', discrepancy: false });
    expect(report.degraded).toBe(false);
    expect(report.recommendations).toEqual([]);
  });

  test.each([
    {
      name: 'listed instances not counted ready',
      ready: 1,
      list: 2,
      text: '1 of the listed instances is not counted ready',
    },
    { name: 'fewer listed than asked', ready: 1, list: 1, text: '1 fewer run than the spec asks for' },
    {
      name: 'only a ready count, above the spec',
      ready: 3,
      list: null,
      text: 'the dashboard counts 1 more than the spec allows',
    },
  ])('$name: a mismatch that names it', ({ ready, list, text }) => {
    const report = run({ platform: platform({}, backend(2, ready, list)) });
    expect(codes(report)).toEqual([['PLATFORM_COUNT_MISMATCH', 'warning']]);
    expect(findingOf(report, 'PLATFORM_COUNT_MISMATCH').message).toContain(text);
  });

  test('an autoscaled range: any count within it agrees', () => {
    const within = run({ platform: platform({}, backend(2, 3, 3, { desired: autoscaled(2, 4) })) });
    expect(codes(within)).toEqual([]);
    const above = run({ platform: platform({}, backend(2, 5, 5, { desired: autoscaled(2, 4) })) });
    expect(findingOf(above, 'PLATFORM_COUNT_MISMATCH').message).toContain(
      'the spec asks for 2-4 (autoscaling)',
    );
    expect(componentOf(above)).toMatchObject({ surplus_instances: 1, estimated_monthly_waste_usd: 12 });
  });

  test('while rolling out the mismatch is information and the surplus 0', () => {
    const report = run({
      platform: platform(
        {
          inProgressDeployment: deployment('dep-2', {
            phase: 'DEPLOYING',
            progress: { stepsDone: 2, stepsTotal: 5, errorSteps: 0 },
          }),
        },
        backend(2, 4, 4),
      ),
    });
    expect(codes(report)).toEqual([
      ['ROLLOUT_IN_PROGRESS', 'info'],
      ['PLATFORM_COUNT_MISMATCH', 'info'],
    ]);
    expect(findingOf(report, 'PLATFORM_COUNT_MISMATCH').message).toContain(
      'while deployment dep-2 rolls out',
    );
    expect(componentOf(report)).toMatchObject({
      verdict: 'rolling',
      surplus_instances: 0,
      estimated_monthly_waste_usd: 0,
    });
    expect(report.summary).toMatchObject({ verdict: 'rolling', discrepancy: false, agentless: true });
  });

  test('stale platform data: the mismatch is information, and says how old the numbers are', () => {
    const report = run({
      platform: platform({ status: 'stale', fetchedAtMs: NOW - 600_000 }, backend(2, 6, 6)),
    });
    expect(codes(report)).toEqual([
      ['PLATFORM_COUNT_MISMATCH', 'info'],
      ['DATA_DEGRADED', 'info'],
    ]);
    expect(findingOf(report, 'PLATFORM_COUNT_MISMATCH').message).toContain('the platform data is 10 min old');
    // The last good view still counts: its surplus and waste are reported, not hidden.
    expect(componentOf(report)).toMatchObject({
      verdict: 'ok',
      surplus_instances: 4,
      estimated_monthly_waste_usd: 48,
    });
  });

  test('a blind platform view without agents: nothing is seen, degraded, surplus unknown', () => {
    const report = run({ platform: notFoundView('req-1') });
    // Blind for ALERT_FOR_MS already: critical, as with agents.
    expect(codes(report)).toEqual([['DATA_DEGRADED', 'critical']]);
    expect(componentOf(report)).toMatchObject({
      verdict: 'degraded',
      surplus_instances: null,
      estimated_monthly_waste_usd: null,
      note: 'no agents report for this app: judged from the platform alone',
    });
    expect(report.summary).toMatchObject({
      agentless: true,
      verdict: 'degraded',
      surplus_instances: null,
      estimated_monthly_waste_usd: null,
    });
    expect(report.degraded).toBe(true);
  });

  test('a component the platform counts nothing of: degraded, never ok', () => {
    const report = run({ platform: platform({}, backend(2, null, null)) });
    expect(codes(report)).toEqual([['DATA_DEGRADED', 'warning']]);
    expect(findingOf(report, 'DATA_DEGRADED').message).toContain(
      "No agents report for this app and the platform counts none of backend's instances",
    );
    expect(findingOf(report, 'DATA_DEGRADED').recommendation).toContain('doctl apps get app-123');
    expect(componentOf(report)).toMatchObject({ verdict: 'degraded', surplus_instances: null });
    expect(report.degraded).toBe(true);
    expect(report.summary.verdict).toBe('degraded');
  });

  test('a failed deployment still applies', () => {
    const report = run({
      platform: view({
        components: [backend(2, 2, 2)],
        activeDeployment: deployment('dep-1'),
        deployments: [deployment('dep-2', { phase: 'ERROR', createdAtMs: NOW - 1_000 }), deployment('dep-1')],
      }),
    });
    expect(codes(report)).toEqual([['DEPLOYMENT_FAILED', 'warning']]);
    expect(report.summary).toMatchObject({ agentless: true, verdict: 'discrepancy' });
  });

  test('jobs and static sites keep their note, with the agentless one beside it', () => {
    const report = run({
      platform: platform({}, backend(2, 2, 2), component('migrate', { kind: 'job', desired: null })),
    });
    expect(componentOf(report, 'migrate').note).toBe(
      'a job runs no standing instances: its instances are not held against a desired count; ' +
        'no agents report for this app: judged from the platform alone',
    );
    expect(componentOf(report, 'migrate')).toMatchObject({ verdict: 'ok', surplus_instances: 0 });
  });

  test('the reports validate against the OpenAPI document', () => {
    for (const given of [
      { platform: platform({}, backend(2, 6, 2)) },
      { platform: platform({}, backend(2, 6, 6)) },
      { platform: notFoundView('req-1') },
    ]) {
      const report = fullReport(reconcile(input(given)));
      expect(validator.responseErrors('get', '/api/v1/monitoring/replicas', 200, report)).toEqual([]);
    }
  });
});

describe('agentless or not', () => {
  test('agents that all stop: MISSING_INSTANCES as before, because the memory saw them', () => {
    const platformView = platform({}, backend(2, 2, 2));
    const first = reconcile(
      input({ platform: platformView, instances: instances('backend-7f9c', 2, { deploymentId: 'dep-1' }) }),
    );
    expect(first.report.summary.agentless).toBe(false);
    expect(first.memory.agentsSeen).toBe(true);
    // Later the registry has forgotten them too: nothing is left but the memory.
    const later = reconcile(input({ platform: platformView, instances: [], memory: first.memory }));
    expect(later.report.summary.agentless).toBe(false);
    expect(codes(later.report)).toContainEqual(['MISSING_INSTANCES', 'critical']);
    expect(componentOf(later.report).note).toBeNull();
    expect(later.memory.agentsSeen).toBe(true);
    expect(run({ platform: platformView, memory: AGENTS_SEEN }).summary.agentless).toBe(false);
  });

  test('without agents the memory does not say any were seen', () => {
    const result = reconcile(input({ platform: platform({}, backend(2, 2, 2)) }));
    expect(judged(result.memory)).toEqual({ rollout: null });
    expect('agentsSeen' in result.memory).toBe(false);
  });

  test('a blind collector with no records is not taken for an app without agents', () => {
    const report = run({ platform: platform({}, backend(2, 2, 2)), collector: blindSince(NOW - 30_000) });
    expect(report.summary.agentless).toBe(false);
    expect(componentOf(report)).toMatchObject({ verdict: 'degraded', note: null, surplus_instances: null });
    // As today: counts frozen, the heartbeat findings quiet, nothing judged from the platform alone.
    expect(codes(report).map(([code]) => code)).toContain('DATA_DEGRADED');
    expect(codes(report).map(([code]) => code)).not.toContain('MISSING_INSTANCES');
  });

  test('the static source sees no instances: without heartbeats its app is judged as before', () => {
    const report = run({
      platform: view({ source: 'static', status: 'not_configured', defaultDesired: fixed(2) }),
    });
    expect(report.summary.agentless).toBe(false);
    expect(codes(report)).toEqual([['MISSING_INSTANCES', 'critical']]);
  });

  test('#356 with agents (6 live, 2 asked, $12 a month): 4 surplus, $48 a month, not agentless', () => {
    const given: ReconcileInput = input({
      platform: platform({}, backend(2, 6, null)),
      instances: instances('backend', 6, { deploymentId: 'dep-1' }),
    });
    const report = fullReport(reconcile(given));
    expect(codes(report).map(([code]) => code)).toContain('SURPLUS_INSTANCES');
    expect(componentOf(report)).toMatchObject({
      surplus_instances: 4,
      estimated_monthly_waste_usd: 48,
      usd_per_month: 12,
      note: null,
    });
    expect(report.summary).toMatchObject({
      agentless: false,
      surplus_instances: 4,
      estimated_monthly_waste_usd: 48,
    });
  });
});

describe('surplus and waste', () => {
  test("rolling: the surge is the platform's to remove, surplus 0", () => {
    const report = run({
      platform: platform(
        { inProgressDeployment: deployment('dep-2', { phase: 'DEPLOYING' }) },
        backend(2, 4, null),
      ),
      instances: instances('backend', 4, { deploymentId: 'dep-1' }),
    });
    expect(componentOf(report)).toMatchObject({
      verdict: 'rolling',
      surplus_instances: 0,
      estimated_monthly_waste_usd: 0,
    });
    expect(report.summary).toMatchObject({ surplus_instances: 0, estimated_monthly_waste_usd: 0 });
  });

  test('an unknown price with a surplus: the waste is unknown, and so is the total', () => {
    const report = run({
      platform: platform(
        {},
        backend(2, null, null, { instanceSize: instanceSize('apps-s-2vcpu-4gb', null) }),
        component('worker', {
          kind: 'worker',
          desired: fixed(1),
          instanceSize: instanceSize('apps-s-1vcpu-0.5gb', 500),
        }),
      ),
      instances: [...instances('backend', 3), ...instances('worker', 1, { component: 'worker' })],
    });
    expect(componentOf(report)).toMatchObject({
      instance_size_slug: 'apps-s-2vcpu-4gb',
      usd_per_month: null,
      surplus_instances: 1,
      estimated_monthly_waste_usd: null,
    });
    expect(componentOf(report, 'worker')).toMatchObject({
      usd_per_month: 5,
      surplus_instances: 0,
      estimated_monthly_waste_usd: 0,
    });
    expect(report.summary).toMatchObject({ surplus_instances: 1, estimated_monthly_waste_usd: null });
  });

  test('no surplus: no waste, whatever the price', () => {
    const report = run({
      platform: platform({}, backend(2, null, null, { instanceSize: null })),
      instances: instances('backend', 2),
    });
    expect(componentOf(report)).toMatchObject({
      instance_size_slug: null,
      usd_per_month: null,
      surplus_instances: 0,
      estimated_monthly_waste_usd: 0,
    });
  });

  test('a blind platform view: the surplus is unknown, never 0', () => {
    const report = run({ platform: notFoundView('req-2'), instances: instances('backend', 6) });
    expect(componentOf(report)).toMatchObject({ surplus_instances: null, estimated_monthly_waste_usd: null });
    expect(report.summary).toMatchObject({ surplus_instances: null, estimated_monthly_waste_usd: null });
  });

  test('a blind collector: the live count is frozen, so the surplus is unknown', () => {
    const report = run({
      platform: platform({}, backend(2, null, null)),
      instances: instances('backend', 6),
      collector: blindSince(NOW - 30_000),
    });
    expect(componentOf(report)).toMatchObject({ surplus_instances: null, estimated_monthly_waste_usd: null });
  });

  test('no desired count: the surplus is unknown', () => {
    const report = run({
      platform: platform({}, backend(2, null, null, { desired: null })),
      instances: instances('backend', 6),
    });
    expect(componentOf(report)).toMatchObject({ desired: null, surplus_instances: null });
    expect(report.summary.surplus_instances).toBeNull();
  });

  test('the app totals are sums in cents: exact to the cent across components', () => {
    const priced = (name: string, cents: number) =>
      component(name, { desired: fixed(1), instanceSize: instanceSize(`size-${cents}`, cents) });
    const report = run({
      platform: platform({}, priced('a', 10), priced('b', 20), priced('c', 1_234)),
      instances: [
        ...instances('a', 2, { component: 'a' }),
        ...instances('b', 2, { component: 'b' }),
        ...instances('c', 4, { component: 'c' }),
      ],
    });
    expect(
      report.components.map((c) => [c.name, c.surplus_instances, c.estimated_monthly_waste_usd]),
    ).toEqual([
      ['a', 1, 0.1],
      ['b', 1, 0.2],
      ['c', 3, 37.02],
    ]);
    // 0.1 + 0.2 + 37.02 in floating point is 37.320000000000004; in cents it is 3732.
    expect(report.summary).toMatchObject({ surplus_instances: 5, estimated_monthly_waste_usd: 37.32 });
  });

  test('the report names the app', () => {
    const report = run({ app: 'shop', platform: platform({ appName: 'shop-prod' }, backend(2, 2, 2)) });
    expect(report.app_name).toBe('shop-prod');
    expect(componentOf(report).app).toBe('shop');
    expect(run({ platform: view({ appName: null }) }).app_name).toBeNull();
  });
});
