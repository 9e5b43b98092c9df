/**
 * The failure modes of the field, named truthfully: a blind platform view is never green, a
 * skewed clock is reported and still counted, a draining instance is no zombie, a failed
 * deployment is reported as such.
 */
import { isAlertable } from '../../aggregator/notify/alert-state';
import { reconcile } from '../../aggregator/reconcile';
import { component, deployment, fixed, listed, platformError, view } from '../support/platform';
import { codes, componentOf, findingOf, input, reconciledReport as run } from '../support/reconcile-io';
import { instance, instances, NOW } from '../support/records';

const twoLive = instances('backend', 2);
const goodView = view({ components: [component('backend', { ready: 2 })] });

describe('blind is never green', () => {
  test.each([
    {
      kind: 'not_found' as const,
      status: 404,
      text: 'DO_APP_ID app-123 not found (HTTP 404)',
      variable: 'DO_APP_ID',
    },
    {
      kind: 'unauthorized' as const,
      status: 401,
      text: 'DO_API_TOKEN was refused (HTTP 401)',
      variable: 'DO_API_TOKEN',
    },
    {
      kind: 'forbidden' as const,
      status: 403,
      text: 'DO_API_TOKEN may not read app app-123 (HTTP 403)',
      variable: 'DO_API_TOKEN',
    },
  ])(
    'a refresh refused with $status leaves it blind: degraded, naming $variable',
    ({ kind, status, text, variable }) => {
      const error = platformError(`GET /v2/apps/app-123: HTTP ${status}`, {
        kind,
        httpStatus: status,
        requestId: 'req-42',
        sinceMs: NOW - 10_000,
      });
      for (const platform of [
        view({ status: 'unavailable', fetchedAtMs: null, error }),
        { ...goodView, status: 'stale' as const, error },
      ]) {
        const report = run({ platform, instances: twoLive });
        expect(report.summary.verdict).toBe('degraded');
        expect(report.degraded).toBe(true);
        expect(componentOf(report).verdict).toBe('degraded');
        const degraded = findingOf(report, 'DATA_DEGRADED');
        expect(degraded.severity).toBe('warning');
        expect(degraded.message).toContain(text);
        expect(degraded.message).toContain('request_id req-42');
        expect(degraded.recommendation).toContain(variable);
        expect(report.summary.do_api_error).toEqual({
          kind,
          message: `GET /v2/apps/app-123: HTTP ${status}`,
          http_status: status,
          request_id: 'req-42',
          since: new Date(NOW - 10_000).toISOString(),
          fix_variable: variable,
        });
        expect(report.recommendations[0]).toBe(degraded.recommendation);
      }
    },
  );

  test('DATA_DEGRADED turns critical once the blindness has lasted ALERT_FOR_MS', () => {
    const error = platformError('HTTP 404', { kind: 'not_found', httpStatus: 404, sinceMs: NOW - 60_000 });
    const platform = view({ status: 'unavailable', fetchedAtMs: null, error });
    const policy = { staleAfterMs: null, rolloutGraceMs: 600_000, alertForMs: 60_000 };
    expect(findingOf(run({ platform, policy }), 'DATA_DEGRADED').severity).toBe('critical');
    expect(
      findingOf(run({ platform, policy: { ...policy, alertForMs: 60_001 } }), 'DATA_DEGRADED').severity,
    ).toBe('warning');
  });

  test('an API that has not answered yet is unseen, not green, and alerts only once a refresh fails', () => {
    const platform = view({ status: 'unavailable', fetchedAtMs: null, error: null });
    const first = reconcile(input({ platform, nowMs: NOW - 60_000 }));
    expect(first.report.summary.verdict).toBe('degraded');
    // The first refresh may wait its turn in the token's budget (many apps): no failure yet, info.
    expect(findingOf(first.report, 'DATA_DEGRADED')).toMatchObject({ severity: 'info' });
    expect(findingOf(first.report, 'DATA_DEGRADED').message).toContain('has not answered yet');
    expect(first.memory.platformBlindSinceMs).toBe(NOW - 60_000);
    const waiting = reconcile(input({ platform, memory: first.memory }));
    expect(waiting.report.summary.verdict).toBe('degraded');
    expect(findingOf(waiting.report, 'DATA_DEGRADED').severity).toBe('info');
    // The refresh failed: blind since the failure, warning, critical once it lasts ALERT_FOR_MS.
    const failing = {
      ...platform,
      error: platformError('no answer within 10 s', {
        kind: 'unreachable',
        httpStatus: null,
        sinceMs: NOW - 5_000,
      }),
    };
    expect(findingOf(run({ platform: failing }), 'DATA_DEGRADED').severity).toBe('warning');
    const lasting = { ...failing, error: { ...failing.error, sinceMs: NOW - 61_000 } };
    const later = reconcile(input({ platform: lasting, memory: waiting.memory }));
    expect(findingOf(later.report, 'DATA_DEGRADED').severity).toBe('critical');
    // Seen again: the memory lets go of it.
    const seen = reconcile(input({ platform: goodView, instances: twoLive, memory: later.memory }));
    expect(seen.memory.platformBlindSinceMs).toBeUndefined();
    expect(seen.report.summary.verdict).toBe('ok');
  });

  test('a transient failure keeps the last good view: stale, info, still judged', () => {
    const error = platformError('HTTP 503', { sinceMs: NOW - 10_000 });
    const report = run({ platform: { ...goodView, status: 'stale', error }, instances: twoLive });
    expect(report.summary.verdict).toBe('ok');
    expect(codes(report)).toEqual([['DATA_DEGRADED', 'info']]);
    expect(report.summary.do_api_error).toMatchObject({ kind: 'server_error', fix_variable: null });
  });
});

describe('CLOCK_SKEW', () => {
  test('an instance whose clock is 60 s behind is still counted and named with its offset', () => {
    const report = run({
      platform: goodView,
      instances: [instance('backend-1'), instance('backend-2', { clockOffsetMs: -60_000 })],
    });
    expect(componentOf(report).live).toBe(2);
    expect(codes(report)).toEqual([['CLOCK_SKEW', 'warning']]);
    const skew = findingOf(report, 'CLOCK_SKEW');
    expect(skew.instances).toEqual(['backend-2']);
    expect(skew.message).toContain('backend-2 (1 min behind)');
    expect(report.instances.map((i) => i.clock_offset_ms)).toEqual([0, -60_000]);
  });

  test('within CLOCK_SKEW_MAX_MS, or no longer live, it says nothing', () => {
    const policy = { staleAfterMs: null, rolloutGraceMs: 600_000, clockSkewMaxMs: 10_000 };
    const report = run({
      platform: view({ components: [component('backend', { desired: fixed(1) })] }),
      policy,
      instances: [
        instance('backend-1', { clockOffsetMs: 10_000 }),
        instance('backend-2', { clockOffsetMs: 90_000, lastSeenMs: NOW - 600_000 }),
      ],
    });
    expect(codes(report).map(([code]) => code)).not.toContain('CLOCK_SKEW');
  });
});

describe('draining', () => {
  const listedBoth = view({
    components: [
      component('backend', {
        ready: 3,
        listed: [listed('backend-1'), listed('backend-2'), listed('backend-3')],
      }),
    ],
  });
  const leftAt = (ms: number) => instance('backend-3', { leftAtMs: ms, lastSeenMs: ms });

  test('a goodbye still listed within DRAIN_GRACE_MS is information: counts and verdict hold', () => {
    const report = run({
      platform: listedBoth,
      instances: [...instances('backend', 2), leftAt(NOW - 30_000)],
    });
    expect(codes(report)).toEqual([['UNREPORTED_INSTANCES', 'info']]);
    expect(findingOf(report, 'UNREPORTED_INSTANCES').message).toContain('draining');
    expect(componentOf(report)).toMatchObject({ live: 2, verdict: 'ok' });
    expect(report.summary.discrepancy).toBe(false);
    expect(report.instances.map((i) => [i.instance_id, i.state, i.draining])).toEqual([
      ['backend-1', 'live', false],
      ['backend-2', 'live', false],
      ['backend-3', 'left', true],
    ]);
  });

  test('listed longer than DRAIN_GRACE_MS after its goodbye, it is a zombie', () => {
    const report = run({
      platform: listedBoth,
      instances: [...instances('backend', 2), leftAt(NOW - 120_000)],
      policy: { staleAfterMs: null, rolloutGraceMs: 600_000, drainGraceMs: 120_000 },
    });
    expect(codes(report)).toEqual([
      ['PLATFORM_COUNT_MISMATCH', 'warning'],
      ['UNREPORTED_INSTANCES', 'warning'],
    ]);
    expect(findingOf(report, 'UNREPORTED_INSTANCES').message).toContain('zombie');
    expect(report.instances.find((i) => i.instance_id === 'backend-3')?.draining).toBe(false);
  });
});

describe('DEPLOYMENT_FAILED and queued deployments', () => {
  const active = deployment('dep-good', { createdAtMs: NOW - 7_200_000 });
  const failed = deployment('dep-bad', {
    phase: 'ERROR',
    createdAtMs: NOW - 600_000,
    progress: { stepsDone: 3, stepsTotal: 6, errorSteps: 1 },
    failedStep: 'deploy › backend: health check failed',
    cause: 'commit 1a2b3c pushed',
  });

  test('the newest deployment ended ERROR after the active one: a warning naming the step and what still runs', () => {
    const report = run({
      platform: view({
        components: [component('backend', { ready: 2 })],
        activeDeployment: active,
        deployments: [failed, active],
      }),
      instances: twoLive,
    });
    expect(codes(report)).toEqual([['DEPLOYMENT_FAILED', 'warning']]);
    const found = findingOf(report, 'DEPLOYMENT_FAILED');
    expect(found.message).toContain(
      'Deployment dep-bad ended ERROR at deploy › backend: health check failed',
    );
    expect(found.message).toContain('the app still runs dep-good');
    expect(found.recommendation).toContain(
      'doctl apps logs app-123 backend --deployment dep-bad --type deploy',
    );
    expect(found.recommendation).toContain('POST /v2/apps/app-123/rollback {"deployment_id":"dep-good"}');
    expect(found.deployment_ids).toEqual(['dep-bad', 'dep-good']);
    expect(report.summary.verdict).toBe('discrepancy');
  });

  test('a failure older than the active deployment is history, not a finding', () => {
    const newer = deployment('dep-new', { createdAtMs: NOW - 60_000 });
    const report = run({
      platform: view({
        components: [component('backend', { ready: 2 })],
        activeDeployment: newer,
        deployments: [failed, newer].sort((a, b) => (b.createdAtMs ?? 0) - (a.createdAtMs ?? 0)),
      }),
      instances: twoLive,
    });
    expect(codes(report)).toEqual([]);
  });

  test('a rollout with failed steps is DEPLOYMENT_FAILED, not a routine ROLLOUT_IN_PROGRESS, and it alerts', () => {
    const rolling = { ...failed, phase: 'DEPLOYING' };
    const report = run({
      platform: view({
        components: [component('backend', { ready: 2 })],
        activeDeployment: active,
        inProgressDeployment: rolling,
      }),
      instances: twoLive,
    });
    expect(codes(report)).toEqual([['DEPLOYMENT_FAILED', 'warning']]);
    expect(findingOf(report, 'DEPLOYMENT_FAILED').message).toContain('is failing as it rolls out');
    const backend = componentOf(report);
    expect(backend.verdict).toBe('rolling');
    expect(isAlertable(findingOf(report, 'DEPLOYMENT_FAILED'), backend, report.degraded)).toBe(true);
  });

  test('a queued deployment is shown in the report and in the rollout finding', () => {
    const report = run({
      platform: view({
        components: [component('backend', { ready: 2 })],
        activeDeployment: active,
        inProgressDeployment: deployment('dep-rolling', {
          phase: 'DEPLOYING',
          createdAtMs: NOW - 60_000,
          progress: { stepsDone: 2, stepsTotal: 6, errorSteps: 0 },
        }),
        pendingDeployment: deployment('dep-queued', { phase: 'PENDING_BUILD', createdAtMs: NOW - 10_000 }),
      }),
      instances: twoLive,
    });
    expect(report.in_progress_deployment).toEqual({
      id: 'dep-rolling',
      phase: 'DEPLOYING',
      created_at: new Date(NOW - 60_000).toISOString(),
    });
    expect(report.pending_deployment).toEqual({
      id: 'dep-queued',
      phase: 'PENDING_BUILD',
      created_at: new Date(NOW - 10_000).toISOString(),
    });
    expect(findingOf(report, 'ROLLOUT_IN_PROGRESS').message).toContain(
      'deployment dep-queued is queued behind it',
    );
  });

  test('the deployment history says when the orphans were superseded', () => {
    const old = deployment('dep-old', { phase: 'SUPERSEDED', createdAtMs: NOW - 86_400_000 });
    const current = deployment('dep-2', { createdAtMs: NOW - 3_600_000 });
    const report = run({
      platform: view({
        components: [component('backend', { ready: 4 })],
        activeDeployment: current,
        deployments: [current, old],
      }),
      instances: [
        ...instances('backend-new', 2, { deploymentId: 'dep-2' }),
        ...instances('backend-old', 2, { deploymentId: 'dep-old' }),
      ],
    });
    expect(findingOf(report, 'ORPHANED_INSTANCES').message).toContain(
      `2 of dep-old, superseded by dep-2 deployed ${new Date(NOW - 3_600_000).toISOString()}`,
    );
  });
});
