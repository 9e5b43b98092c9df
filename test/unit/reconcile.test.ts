import type { FindingCode, Report, Severity } from '../../aggregator/reconcile';
import { reconcile } from '../../aggregator/reconcile';
import { UNKNOWN_APP_ID } from '../../aggregator/reconcile/commands';
import type { ReconcileInput, ReconcileResult } from '../../aggregator/reconcile';
import { autoscaled, component, deployment, fixed, listed, platformError, view } from '../support/platform';
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
import { instance, instances, NOW } from '../support/records';

/** A result with its instance list built, to compare whole. */
function built(result: ReconcileResult): { report: Report; memory: ReturnType<typeof judged> } {
  return { report: fullReport(result), memory: judged(result.memory) };
}

/** The #356 picture: spec asks for 2; 2 run on dep-new, 4 orphans of dep-old; one not serving; dashboard says 6. */
function issue356(): ReconcileInput {
  return input({
    platform: view({
      components: [component('backend', { desired: fixed(2), ready: 6 })],
      activeDeployment: deployment('dep-new'),
    }),
    instances: [
      instance('new-1', { deploymentId: 'dep-new', startedAtMs: NOW - 600_000, serving: false }),
      instance('new-2', { deploymentId: 'dep-new', startedAtMs: NOW - 500_000, serving: true }),
      ...instances('old', 4, { deploymentId: 'dep-old', startedAtMs: NOW - 86_400_000, serving: true }),
    ],
  });
}

describe('each finding alone', () => {
  const twoLive = instances('backend', 2, { deploymentId: 'dep-1' });
  const backend = (overrides = {}) => view({ components: [component('backend', overrides)] });

  test.each<{
    name: string;
    given: Partial<ReconcileInput>;
    expected: [FindingCode, Severity][];
    verdict: string;
    discrepancy: boolean;
  }>([
    {
      name: 'nothing wrong',
      given: { platform: backend({ ready: 2 }), instances: twoLive },
      expected: [],
      verdict: 'ok',
      discrepancy: false,
    },
    {
      name: 'orphans while the count is right',
      given: {
        platform: view({
          components: [component('backend', { desired: fixed(4) })],
          activeDeployment: deployment('dep-2'),
        }),
        instances: [
          ...instances('a', 2, { deploymentId: 'dep-2' }),
          ...instances('b', 2, { deploymentId: 'dep-1' }),
        ],
      },
      expected: [['ORPHANED_INSTANCES', 'warning']],
      verdict: 'discrepancy',
      discrepancy: true,
    },
    {
      name: 'a crashed instance while the count stays right',
      given: {
        platform: backend(),
        instances: [...twoLive, instance('crashed', { deploymentId: 'dep-1', lastSeenMs: NOW - 45_000 })],
      },
      expected: [['STALE_HEARTBEATS', 'info']],
      verdict: 'ok',
      discrepancy: false,
    },
    {
      name: 'one instance not serving',
      given: {
        platform: backend(),
        instances: [instance('a', { serving: false }), instance('b', { serving: true })],
      },
      expected: [['NOT_SERVING', 'warning']],
      verdict: 'discrepancy',
      discrepancy: true,
    },
    {
      name: 'no instance serving',
      given: {
        platform: backend(),
        instances: [instance('a', { serving: false }), instance('b', { serving: false })],
      },
      expected: [['NOT_SERVING', 'critical']],
      verdict: 'discrepancy',
      discrepancy: true,
    },
    {
      name: 'no probe counts as serving',
      given: {
        platform: backend(),
        instances: [instance('a', { serving: null }), instance('b', { serving: null })],
      },
      expected: [],
      verdict: 'ok',
      discrepancy: false,
    },
    {
      name: 'one instance missing',
      given: { platform: backend({ desired: fixed(3) }), instances: twoLive },
      expected: [['MISSING_INSTANCES', 'warning']],
      verdict: 'discrepancy',
      discrepancy: true,
    },
    {
      // Agents were seen before: an empty registry is a fleet that stopped, not an app without agents.
      name: 'nothing live at all',
      given: { platform: backend({ desired: fixed(2) }), instances: [], memory: AGENTS_SEEN },
      expected: [['MISSING_INSTANCES', 'critical']],
      verdict: 'discrepancy',
      discrepancy: true,
    },
    {
      name: 'one surplus instance of the active deployment',
      given: {
        platform: backend({ desired: fixed(2) }),
        instances: instances('backend', 3, { deploymentId: 'dep-1' }),
      },
      expected: [['SURPLUS_INSTANCES', 'warning']],
      verdict: 'discrepancy',
      discrepancy: true,
    },
    {
      name: 'the dashboard counts fewer ready than heartbeat',
      given: { platform: backend({ ready: 1 }), instances: twoLive },
      expected: [['PLATFORM_COUNT_MISMATCH', 'warning']],
      verdict: 'discrepancy',
      discrepancy: true,
    },
    {
      name: 'a listed instance without a heartbeat',
      given: {
        platform: backend({ listed: [listed('backend-1'), listed('zombie-x')] }),
        instances: twoLive,
      },
      expected: [['UNREPORTED_INSTANCES', 'warning']],
      verdict: 'discrepancy',
      discrepancy: true,
    },
    {
      name: 'stale platform data',
      given: {
        platform: view({
          status: 'stale',
          fetchedAtMs: NOW - 300_000,
          error: platformError('HTTP 503'),
          components: [component('backend')],
        }),
        instances: twoLive,
      },
      expected: [['DATA_DEGRADED', 'info']],
      verdict: 'ok',
      discrepancy: false,
    },
    {
      name: 'a rollout in progress',
      given: {
        platform: view({
          components: [component('backend')],
          activeDeployment: deployment('dep-1'),
          inProgressDeployment: deployment('dep-2', {
            phase: 'DEPLOYING',
            progress: { stepsDone: 2, stepsTotal: 5, errorSteps: 0 },
          }),
        }),
        instances: twoLive,
      },
      expected: [['ROLLOUT_IN_PROGRESS', 'info']],
      verdict: 'rolling',
      discrepancy: false,
    },
  ])('$name', ({ given, expected, verdict, discrepancy }) => {
    const report = run(given);
    expect(codes(report)).toEqual(expected);
    expect(componentOf(report).verdict).toBe(verdict);
    expect(report.summary.discrepancy).toBe(discrepancy);
  });
});

describe('the #356 picture', () => {
  const report = fullReport(reconcile(issue356()));

  test('orphans, surplus, not serving and the dashboard over-count, all at once', () => {
    expect(
      codes(report)
        .map(([code]) => code)
        .sort(),
    ).toEqual(['NOT_SERVING', 'ORPHANED_INSTANCES', 'PLATFORM_COUNT_MISMATCH', 'SURPLUS_INSTANCES']);
    expect(report.summary).toMatchObject({
      configured_replicas: 2,
      active_instances: 6,
      serving_instances: 5,
      discrepancy: true,
      verdict: 'discrepancy',
    });
  });

  test('the orphan finding names the old deployment and its instances', () => {
    const orphaned = findingOf(report, 'ORPHANED_INSTANCES');
    expect(orphaned.severity).toBe('warning');
    expect(orphaned.instances).toEqual(['old-1', 'old-2', 'old-3', 'old-4']);
    expect(orphaned.deployment_ids).toEqual(['dep-old']);
    expect(orphaned.message).toContain('4 of dep-old (old-1, old-2, old-3 and old-4)');
    expect(orphaned.message).toContain('dep-new is active');
  });

  test('the surplus are the orphans, and the message says so', () => {
    const surplus = findingOf(report, 'SURPLUS_INSTANCES');
    expect(surplus.instances).toEqual(['old-1', 'old-2', 'old-3', 'old-4']);
    expect(surplus.message).toContain('4 surplus, 4 of them orphaned');
  });

  test('the mismatch explains what the dashboard counts', () => {
    const mismatch = findingOf(report, 'PLATFORM_COUNT_MISMATCH');
    expect(mismatch.severity).toBe('warning');
    expect(mismatch.message).toContain(
      'the dashboard shows 6 ready while the spec asks for 2 and 2 run on the active deployment dep-new; ' +
        'it counts the 4 orphans of dep-old',
    );
  });

  test('not serving names the instance and its probe result', () => {
    const notServing = findingOf(report, 'NOT_SERVING');
    expect(notServing).toMatchObject({ severity: 'warning', instances: ['new-1'] });
    expect(notServing.message).toContain('new-1 (HTTP 503)');
  });

  test('instances carry their deployment and orphaned flag', () => {
    const byId = new Map(report.instances.map((i) => [i.instance_id, i]));
    expect(byId.get('new-1')).toMatchObject({
      deployment_id: 'dep-new',
      orphaned: false,
      serving: false,
      state: 'live',
    });
    expect(byId.get('old-3')).toMatchObject({ deployment_id: 'dep-old', orphaned: true, serving: true });
    expect(componentOf(report).deployments).toEqual([
      { deployment_id: 'dep-new', live: 2, active: true },
      { deployment_id: 'dep-old', live: 4, active: false },
    ]);
  });

  test('recommendations: the distinct ones of warning findings, restart first', () => {
    expect(report.recommendations).toHaveLength(2);
    expect(report.recommendations[0]).toContain('doctl apps restart app-123 --components backend');
    expect(report.recommendations[0]).toContain('doctl apps create-deployment app-123 --force-rebuild');
  });
});

describe('surplus order', () => {
  test('orphans first (oldest first), then the youngest of the active generation', () => {
    const report = run({
      platform: view({
        components: [component('backend', { desired: fixed(2) })],
        activeDeployment: deployment('new'),
      }),
      instances: [
        instance('n-old', { deploymentId: 'new', startedAtMs: NOW - 50_000 }),
        instance('n-mid', { deploymentId: 'new', startedAtMs: NOW - 40_000 }),
        instance('n-young', { deploymentId: 'new', startedAtMs: NOW - 30_000 }),
        instance('o-1', { deploymentId: 'old', startedAtMs: NOW - 90_000 }),
      ],
    });
    const surplus = findingOf(report, 'SURPLUS_INSTANCES');
    expect(surplus.instances).toEqual(['o-1', 'n-young']);
    expect(surplus.message).toContain('2 surplus, 1 of them orphaned');
  });

  test('without orphans the recommendation is a whole-spec edit, never a partial one', () => {
    const report = run({
      platform: view({ components: [component('backend', { desired: fixed(1) })] }),
      instances: instances('backend', 2),
    });
    const surplus = findingOf(report, 'SURPLUS_INSTANCES');
    expect(surplus.recommendation).toContain(
      'doctl apps spec get app-123 > spec.yaml, edit instance_count of backend, doctl apps update app-123 --spec spec.yaml',
    );
  });
});

describe('platform count mismatch', () => {
  test.each([
    { name: 'ready equals live', ready: 2, list: null, live: 2, found: false },
    { name: 'ready above live', ready: 3, list: null, live: 2, found: true },
    { name: 'listed differs from live', ready: null, list: 3, live: 2, found: true },
    { name: 'listed equals live', ready: null, list: 2, live: 2, found: false },
    { name: 'platform numbers unknown', ready: null, list: null, live: 5, found: false },
  ])('$name → $found', ({ ready, list, live, found }) => {
    const names = Array.from({ length: list ?? 0 }, (_, i) => listed(`backend-${i + 1}`));
    const report = run({
      platform: view({
        components: [
          component('backend', { desired: fixed(live), ready, listed: list === null ? null : names }),
        ],
      }),
      instances: instances('backend', live),
    });
    expect(codes(report).some(([code]) => code === 'PLATFORM_COUNT_MISMATCH')).toBe(found);
  });

  test('ready above desired while every ready one heartbeats still counts as a mismatch', () => {
    const report = run({
      platform: view({ components: [component('backend', { desired: fixed(2), ready: 3 })] }),
      instances: instances('backend', 3),
    });
    expect(findingOf(report, 'PLATFORM_COUNT_MISMATCH').message).toContain('the dashboard shows 3 ready');
  });

  test('stale platform data makes the mismatch information only', () => {
    const report = run({
      platform: view({
        status: 'stale',
        fetchedAtMs: NOW - 600_000,
        components: [component('backend', { ready: 5 })],
      }),
      instances: instances('backend', 2),
    });
    const mismatch = findingOf(report, 'PLATFORM_COUNT_MISMATCH');
    expect(mismatch.severity).toBe('info');
    expect(mismatch.message).toContain('the platform data is 10 min old');
  });
});

describe('unreported instances', () => {
  test('matched by instance name or alias; a gone heartbeat is named', () => {
    const report = run({
      platform: view({
        components: [
          component('backend', {
            desired: fixed(3),
            listed: [listed('backend-1'), listed('pod-xyz', { alias: 'backend-2' }), listed('backend-3')],
          }),
        ],
      }),
      instances: [
        instance('backend-1'),
        instance('backend-2'),
        instance('backend-3', { lastSeenMs: NOW - 120_000 }),
        instance('backend-4'),
      ],
    });
    const unreported = findingOf(report, 'UNREPORTED_INSTANCES');
    expect(unreported.instances).toEqual(['backend-3']);
    expect(unreported.message).toContain('backend-3 (heartbeats stopped 2 min ago)');
  });
});

describe('components and desired counts', () => {
  test('a bare default count applies to every reporting component, not to an extra backend', () => {
    const report = run({
      platform: view({ source: 'static', status: 'not_configured', defaultDesired: fixed(2) }),
      instances: [
        ...instances('api', 2, { component: 'api' }),
        ...instances('worker', 1, { component: 'worker' }),
      ],
    });
    expect(report.components.map((c) => [c.name, c.desired])).toEqual([
      ['api', 2],
      ['worker', 2],
    ]);
    expect(codes(report, 'worker')).toEqual([['MISSING_INSTANCES', 'warning']]);
    expect(report.summary.configured_replicas).toBe(4);
  });

  test('with a default count and nothing reporting, backend is expected', () => {
    const report = run({
      platform: view({ source: 'static', status: 'not_configured', defaultDesired: fixed(2) }),
      instances: [],
    });
    expect(report.components.map((c) => c.name)).toEqual(['backend']);
    expect(codes(report)).toEqual([['MISSING_INSTANCES', 'critical']]);
    expect(findingOf(report, 'MISSING_INSTANCES').message).toContain('DESIRED_REPLICAS asks for 2');
  });

  test('no default and nothing reporting: the desired count is unknown, never ok', () => {
    const report = run({ platform: view({ source: 'static', status: 'not_configured' }), instances: [] });
    expect(report.components.map((c) => [c.name, c.desired, c.verdict])).toEqual([
      ['backend', null, 'degraded'],
    ]);
    expect(codes(report)).toEqual([['DATA_DEGRADED', 'warning']]);
    expect(findingOf(report, 'DATA_DEGRADED').message).toContain('DESIRED_REPLICAS is not set');
    expect(report.degraded).toBe(true);
    expect(report.summary).toMatchObject({
      configured_replicas: 0,
      active_instances: 0,
      verdict: 'degraded',
    });
  });

  test('an unknown desired count judges no missing or surplus, and says it cannot judge', () => {
    const report = run({
      platform: view({ components: [component('worker', { desired: fixed(1) })] }),
      instances: instances('api', 5, { component: 'api' }),
    });
    expect(componentOf(report, 'api')).toMatchObject({
      desired: null,
      kind: 'unknown',
      live: 5,
      verdict: 'degraded',
    });
    expect(codes(report, 'api')).toEqual([['DATA_DEGRADED', 'warning']]);
    expect(findingOf(report, 'DATA_DEGRADED', 'api').message).toContain(
      "the app's spec has no service or worker of that name",
    );
    expect(findingOf(report, 'DATA_DEGRADED', 'api').recommendation).toContain('AGENT_COMPONENT');
    expect(report.summary.configured_replicas).toBe(1);
  });

  test('jobs and static sites are listed with a note and no count findings', () => {
    const report = run({
      platform: view({
        components: [
          component('migrate', { kind: 'job', desired: fixed(1), ready: 0 }),
          component('site', { kind: 'static_site', desired: null }),
        ],
      }),
      instances: [],
    });
    for (const name of ['migrate', 'site']) {
      expect(codes(report, name)).toEqual([]);
      expect(componentOf(report, name).note).toMatch(/runs no standing instances/);
      expect(componentOf(report, name).verdict).toBe('ok');
    }
    expect(report.summary.configured_replicas).toBe(0);
  });

  test.each([
    { live: 1, expected: [['MISSING_INSTANCES', 'warning']] },
    { live: 2, expected: [] },
    { live: 4, expected: [] },
    { live: 5, expected: [['SURPLUS_INSTANCES', 'warning']] },
  ])('autoscaling 2-4 with $live live', ({ live, expected }) => {
    const report = run({
      platform: view({ components: [component('backend', { desired: autoscaled(2, 4) })] }),
      instances: instances('backend', live),
    });
    expect(codes(report)).toEqual(expected);
    expect(componentOf(report)).toMatchObject({ desired: 2, autoscaling: { min: 2, max: 4 } });
    expect(report.summary.configured_replicas).toBe(2);
  });

  test('components are sorted by name, instances by component then id', () => {
    const report = run({
      platform: view({ components: [component('web'), component('api')] }),
      instances: [
        instance('z-1', { component: 'api' }),
        instance('b-2', { component: 'web' }),
        instance('a-1', { component: 'web' }),
        instance('m-1', { component: 'api' }),
      ],
    });
    expect(report.components.map((c) => c.name)).toEqual(['api', 'web']);
    expect(report.instances.map((i) => `${i.component}/${i.instance_id}`)).toEqual([
      'api/m-1',
      'api/z-1',
      'web/a-1',
      'web/b-2',
    ]);
  });
});

describe('report fields', () => {
  test('instance report: ISO times, age, stats; a goodbye has no stats', () => {
    const report = run({
      platform: view({ components: [component('backend', { desired: fixed(1) })] }),
      instances: [
        instance('backend-1', { lastSeenMs: NOW - 12_000, startedAtMs: NOW - 60_000 }),
        instance('backend-2', { leftAtMs: NOW - 1_000, lastSeenMs: NOW - 1_000 }),
      ],
    });
    const [live, left] = report.instances;
    expect(live).toMatchObject({
      instance_id: 'backend-1',
      state: 'live',
      last_seen: new Date(NOW - 12_000).toISOString(),
      age_ms: 12_000,
      started_at: new Date(NOW - 60_000).toISOString(),
      cpu_usage: 0.25,
      rss_bytes: 150_000_000,
      mem_used_bytes: 3_000_000_000,
      mem_total_bytes: 4_000_000_000,
    });
    expect(left).toMatchObject({
      instance_id: 'backend-2',
      state: 'left',
      cpu_usage: null,
      mem_used_bytes: null,
    });
    expect(componentOf(report)).toMatchObject({ live: 1, left: 1 });
  });

  test('header and summary fields', () => {
    const report = run({
      platform: view({
        components: [component('backend', { desired: fixed(2), ready: 2 })],
        activeDeployment: deployment('d1'),
      }),
      instances: instances('backend', 2, { deploymentId: 'd1' }),
    });
    expect(report).toMatchObject({
      generated_at: new Date(NOW).toISOString(),
      app: 'default',
      platform: 'digitalocean',
      app_id: 'app-123',
      app_name: 'replica-demo',
      active_deployment_id: 'd1',
      in_progress_deployment: null,
      pending_deployment: null,
      degraded: false,
      recommendations: [],
    });
    expect(report.summary).toEqual({
      configured_replicas: 2,
      active_instances: 2,
      serving_instances: 2,
      discrepancy: false,
      verdict: 'ok',
      do_api_status: 'ok',
      platform_data_age_ms: 5_000,
      do_api_error: null,
      agentless: false,
      surplus_instances: 0,
      estimated_monthly_waste_usd: 0,
    });
  });

  test('the summary verdict is the worst: a discrepancy outranks a rollout', () => {
    const report = run({
      platform: view({
        components: [component('api', { kind: 'job' }), component('backend')],
        inProgressDeployment: deployment('d2', { phase: 'DEPLOYING' }),
      }),
      instances: [instance('api-1', { component: 'api', serving: false }), ...instances('backend', 2)],
    });
    expect(componentOf(report, 'api').verdict).toBe('discrepancy');
    expect(componentOf(report).verdict).toBe('rolling');
    expect(report.summary.verdict).toBe('discrepancy');
  });
});

describe('recommendations', () => {
  const scenarios: [string, ReconcileInput][] = [
    ['#356', issue356()],
    [
      'missing',
      input({
        platform: view({ components: [component('backend', { desired: fixed(3) })] }),
        instances: instances('b', 1),
      }),
    ],
    [
      'surplus',
      input({
        platform: view({ components: [component('backend', { desired: fixed(1) })] }),
        instances: instances('b', 3),
      }),
    ],
    [
      'unreported and mismatch',
      input({
        platform: view({
          components: [component('backend', { ready: 4, listed: [listed('ghost-1'), listed('ghost-2')] })],
        }),
        instances: instances('b', 2),
      }),
    ],
    [
      'stuck rollout',
      input({
        platform: view({
          components: [component('backend')],
          inProgressDeployment: deployment('d2', {
            phase: 'DEPLOYING',
            progress: { stepsDone: 1, stepsTotal: 4, errorSteps: 0 },
          }),
        }),
        instances: instances('b', 2),
        memory: {
          rollout: { deploymentId: 'd2', phase: 'DEPLOYING', stepsDone: 1, sinceMs: NOW - 3_600_000 },
        },
      }),
    ],
    [
      'static, no app id',
      input({
        app: 'shop',
        platform: view({ source: 'static', status: 'not_configured', appId: null, defaultDesired: fixed(2) }),
        instances: [],
      }),
    ],
  ];

  test.each(scenarios)(
    '%s: never scale to 0, never a partial spec, always the app id and component',
    (_, given) => {
      const report = fullReport(reconcile(given));
      // Without a DigitalOcean app id, a placeholder to fill in, never the app's name.
      const appId = given.platform.appId ?? UNKNOWN_APP_ID;
      const warnings = report.components.flatMap((c) =>
        c.findings.filter((f) => f.severity !== 'info').map((f) => [c.name, f] as const),
      );
      expect(warnings.length).toBeGreaterThan(0);
      for (const [name, found] of warnings) {
        expect(found.recommendation).toContain(appId);
        expect(found.recommendation).toContain(name);
      }
      const all = [
        ...report.recommendations,
        ...report.components.flatMap((c) => c.findings.map((f) => f.recommendation)),
      ];
      expect(report.recommendations.length).toBeGreaterThan(0);
      for (const text of all) {
        expect(text).not.toMatch(/instance_count:\s*0/);
        expect(text).not.toMatch(/scale\S*\s+(\S+\s+)?(to|down to)\s+0/i);
        expect(text).not.toMatch(/instance_count\s*=\s*0/);
        if (text.includes('doctl apps update'))
          expect(text).toContain(`doctl apps spec get ${appId} > spec.yaml`);
      }
    },
  );

  test('critical recommendations come first', () => {
    const report = run({
      platform: view({
        components: [component('api', { desired: fixed(1) }), component('web', { desired: fixed(1) })],
      }),
      instances: [...instances('api', 2, { component: 'api' })],
    });
    expect(codes(report, 'web')).toEqual([['MISSING_INSTANCES', 'critical']]);
    expect(report.recommendations[0]).toContain('--components web');
    expect(report.recommendations[1]).toContain('instance_count of api');
  });
});

describe('purity', () => {
  function deepFreeze<T>(value: T): T {
    if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
      Object.freeze(value);
      for (const child of Object.values(value)) deepFreeze(child);
    }
    return value;
  }

  test('the same input gives a deep-equal output, without reading the clock or randomness', () => {
    const given = deepFreeze(issue356());
    const now = jest.spyOn(Date, 'now').mockImplementation(() => {
      throw new Error('the reconciler read the clock');
    });
    const random = jest.spyOn(Math, 'random').mockImplementation(() => {
      throw new Error('the reconciler used randomness');
    });
    try {
      // The instance list is built on demand: built here, so both results are compared whole.
      const first = built(reconcile(given));
      const second = built(reconcile(given));
      expect(second).toEqual(first);
      expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    } finally {
      now.mockRestore();
      random.mockRestore();
    }
  });

  test('the order of the instance records does not matter', () => {
    const given = issue356();
    const reversed = { ...given, instances: [...given.instances].reverse() };
    expect(built(reconcile(reversed))).toEqual(built(reconcile(given)));
  });
});
