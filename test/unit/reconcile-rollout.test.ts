import type { ReconcileMemory, ReportWithoutInstances } from '../../aggregator/reconcile';
import { reconcile } from '../../aggregator/reconcile';
import type { DeploymentInfo, PlatformView } from '../../aggregator/model';
import { component, deployment, fixed, view } from '../support/platform';
import { componentOf, fullReport, input, judged } from '../support/reconcile-io';
import { instance, instances, NOW } from '../support/records';

const GRACE_MS = 600_000;

function rollingView(
  progress: Partial<DeploymentInfo> = {},
  overrides: Partial<PlatformView> = {},
): PlatformView {
  return view({
    components: [
      component('backend', { desired: fixed(2) }),
      component('nightly', { kind: 'job', desired: null }),
    ],
    activeDeployment: deployment('dep-old'),
    inProgressDeployment: deployment('dep-new', {
      phase: 'DEPLOYING',
      progress: { stepsDone: 2, stepsTotal: 5, errorSteps: 0 },
      createdAtMs: NOW - 120_000,
      ...progress,
    }),
    ...overrides,
  });
}

function codesOf(report: ReportWithoutInstances): string[] {
  return componentOf(report).findings.map((f) => `${f.code}:${f.severity}`);
}

describe('a rollout in progress', () => {
  const midRollout = [
    ...instances('old', 2, { deploymentId: 'dep-old', startedAtMs: NOW - 86_400_000 }),
    ...instances('new', 2, { deploymentId: 'dep-new', startedAtMs: NOW - 60_000 }),
  ];

  test('surplus is information, the new deployment is not orphaned, the verdict is rolling', () => {
    const report = fullReport(reconcile(input({ platform: rollingView(), instances: midRollout })));
    expect(codesOf(report)).toEqual(['ROLLOUT_IN_PROGRESS:info', 'SURPLUS_INSTANCES:info']);
    expect(componentOf(report)).toMatchObject({ verdict: 'rolling', orphaned: 0, live: 4 });
    expect(report.instances.filter((i) => i.orphaned)).toEqual([]);
    expect(report.summary).toMatchObject({ verdict: 'rolling', discrepancy: false });
    expect(report.recommendations).toEqual([]);
  });

  test('the message has phase, steps and start time', () => {
    const report = fullReport(reconcile(input({ platform: rollingView(), instances: midRollout })));
    const found = componentOf(report).findings.find((f) => f.code === 'ROLLOUT_IN_PROGRESS');
    expect(found?.message).toContain('dep-new');
    expect(found?.message).toContain('phase DEPLOYING');
    expect(found?.message).toContain('2/5 steps');
    expect(found?.message).toContain(new Date(NOW - 120_000).toISOString());
    expect(found?.deployment_ids).toEqual(['dep-new']);
  });

  test('jobs do not roll', () => {
    const report = fullReport(reconcile(input({ platform: rollingView(), instances: midRollout })));
    const job = report.components.find((c) => c.name === 'nightly');
    expect(job).toMatchObject({ verdict: 'ok', findings: [] });
  });

  test.each([
    {
      name: 'missing while old instances drain',
      given: [instance('new-1', { deploymentId: 'dep-new' })],
      expected: ['ROLLOUT_IN_PROGRESS:info', 'MISSING_INSTANCES:info'],
    },
    {
      name: 'orphans of an even older deployment',
      given: [
        instance('old-1', { deploymentId: 'dep-old' }),
        instance('new-1', { deploymentId: 'dep-new' }),
        instance('older-1', { deploymentId: 'dep-older' }),
      ],
      expected: ['ORPHANED_INSTANCES:info', 'ROLLOUT_IN_PROGRESS:info', 'SURPLUS_INSTANCES:info'],
    },
    {
      name: 'the dashboard count moves',
      given: instances('old', 2, { deploymentId: 'dep-old' }),
      platform: { components: [component('backend', { desired: fixed(2), ready: 3 })] },
      expected: ['ROLLOUT_IN_PROGRESS:info', 'PLATFORM_COUNT_MISMATCH:info'],
    },
  ])('$name: no warning', ({ given, expected, platform }) => {
    const report = fullReport(reconcile(input({ platform: rollingView({}, platform), instances: given })));
    expect(codesOf(report)).toEqual(expected);
    expect(componentOf(report).verdict).toBe('rolling');
    expect(report.summary.discrepancy).toBe(false);
  });

  test('a failing probe still warns during a rollout', () => {
    const report = fullReport(
      reconcile(
        input({
          platform: rollingView(),
          instances: [instance('new-1', { deploymentId: 'dep-new', serving: false })],
        }),
      ),
    );
    expect(codesOf(report)).toContain('NOT_SERVING:critical');
    expect(report.summary.discrepancy).toBe(true);
  });
});

describe('ROLLOUT_STUCK: judged by progress, not by duration', () => {
  type Step = { atMs: number; stepsDone: number; phase?: string; id?: string; status?: 'ok' | 'stale' };

  /** Reconciles each step in turn, carrying the memory; returns each step's rollout finding. */
  function sequence(steps: readonly Step[]): string[] {
    let memory: ReconcileMemory | null = null;
    return steps.map((step) => {
      const platform = rollingView(
        {
          id: step.id ?? 'dep-new',
          phase: step.phase ?? 'DEPLOYING',
          progress: { stepsDone: step.stepsDone, stepsTotal: 5, errorSteps: 0 },
        },
        { status: step.status ?? 'ok', fetchedAtMs: step.atMs },
      );
      const result = reconcile(
        input({
          nowMs: step.atMs,
          platform,
          instances: instances('old', 2, { deploymentId: 'dep-old', lastSeenMs: step.atMs }),
          policy: { staleAfterMs: null, rolloutGraceMs: GRACE_MS },
          memory,
        }),
      );
      memory = result.memory;
      const found = componentOf(result.report).findings.filter((f) => f.code.startsWith('ROLLOUT_'));
      return found.map((f) => `${f.code}:${f.severity}`).join(',');
    });
  }

  test('stuck once the progress has stood still for the grace period', () => {
    expect(
      sequence([
        { atMs: NOW, stepsDone: 2 },
        { atMs: NOW + GRACE_MS - 1, stepsDone: 2 },
        { atMs: NOW + GRACE_MS, stepsDone: 2 },
        { atMs: NOW + GRACE_MS + 1, stepsDone: 3 },
      ]),
    ).toEqual([
      'ROLLOUT_IN_PROGRESS:info',
      'ROLLOUT_IN_PROGRESS:info',
      'ROLLOUT_STUCK:critical',
      'ROLLOUT_IN_PROGRESS:info',
    ]);
  });

  test('a slow rollout that keeps moving is never stuck, however long it takes', () => {
    const steps = [0, 1, 2, 3, 4].map((stepsDone) => ({ atMs: NOW + stepsDone * (GRACE_MS - 1), stepsDone }));
    expect(sequence(steps)).toEqual(Array(5).fill('ROLLOUT_IN_PROGRESS:info'));
  });

  test('a phase change is progress', () => {
    expect(
      sequence([
        { atMs: NOW, stepsDone: 2, phase: 'BUILDING' },
        { atMs: NOW + GRACE_MS - 1, stepsDone: 2, phase: 'DEPLOYING' },
        { atMs: NOW + 2 * GRACE_MS - 2, stepsDone: 2, phase: 'DEPLOYING' },
      ]),
    ).toEqual(['ROLLOUT_IN_PROGRESS:info', 'ROLLOUT_IN_PROGRESS:info', 'ROLLOUT_IN_PROGRESS:info']);
  });

  test('a new deployment starts its own clock', () => {
    expect(
      sequence([
        { atMs: NOW, stepsDone: 2, id: 'dep-a' },
        { atMs: NOW + GRACE_MS, stepsDone: 2, id: 'dep-b' },
      ]),
    ).toEqual(['ROLLOUT_IN_PROGRESS:info', 'ROLLOUT_IN_PROGRESS:info']);
  });

  test('not judged on stale platform data, judged again once it is fresh', () => {
    expect(
      sequence([
        { atMs: NOW, stepsDone: 2 },
        { atMs: NOW + 2 * GRACE_MS, stepsDone: 2, status: 'stale' },
        { atMs: NOW + 2 * GRACE_MS + 1, stepsDone: 2 },
      ]),
    ).toEqual(['ROLLOUT_IN_PROGRESS:info', 'ROLLOUT_IN_PROGRESS:info', 'ROLLOUT_STUCK:critical']);
  });

  test('a stuck rollout is a discrepancy with a concrete recommendation', () => {
    const result = reconcile(
      input({
        platform: rollingView(),
        instances: instances('old', 2, { deploymentId: 'dep-old' }),
        memory: {
          rollout: { deploymentId: 'dep-new', phase: 'DEPLOYING', stepsDone: 2, sinceMs: NOW - GRACE_MS },
        },
      }),
    );
    const stuck = componentOf(result.report).findings.find((f) => f.code === 'ROLLOUT_STUCK');
    expect(stuck?.message).toContain('has not progressed for 10 min');
    expect(stuck?.recommendation).toContain('doctl apps get-deployment app-123 dep-new');
    expect(stuck?.recommendation).toContain('POST /v2/apps/app-123/deployments/dep-new/cancel');
    expect(result.report.summary.discrepancy).toBe(true);
    expect(result.report.recommendations).toEqual([stuck?.recommendation]);
  });

  test('memory: kept while unchanged, reset on progress, cleared when the rollout ends', () => {
    const first = reconcile(input({ platform: rollingView() }));
    expect(judged(first.memory)).toEqual({
      rollout: { deploymentId: 'dep-new', phase: 'DEPLOYING', stepsDone: 2, sinceMs: NOW },
    });
    const later = reconcile(input({ nowMs: NOW + 5_000, platform: rollingView(), memory: first.memory }));
    expect(later.memory.rollout?.sinceMs).toBe(NOW);
    const moved = reconcile(
      input({
        nowMs: NOW + 6_000,
        platform: rollingView({ progress: { stepsDone: 3, stepsTotal: 5, errorSteps: 0 } }),
        memory: later.memory,
      }),
    );
    expect(moved.memory.rollout).toMatchObject({ stepsDone: 3, sinceMs: NOW + 6_000 });
    const done = reconcile(input({ nowMs: NOW + 7_000, platform: view(), memory: moved.memory }));
    expect(judged(done.memory)).toEqual({ rollout: null });
  });
});
