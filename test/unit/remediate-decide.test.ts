/**
 * The remediation decision table: every skip reason, act, dry-run and the cooldown, from a
 * pure function of (report, firing alerts, now, last actions, mode, leadership, platform).
 */
import type { ComponentReport, Finding, FindingCode, Report } from '../../aggregator/reconcile/report';
import type { DecisionInput } from '../../aggregator/remediate';
import { decideRemediation, restartCall, SKIP_REASONS } from '../../aggregator/remediate';
import type { Decision, FiringAlert, SkipReason } from '../../aggregator/remediate';
import { findingReport, orphanedComponentReport, sampleReport } from '../support/published-reports';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const MIN = 60_000;
const APP_ID = '6f1c2d3e-0000-4000-8000-000000000001';

function finding(code: FindingCode, severity: Finding['severity'] = 'warning'): Finding {
  return findingReport(code, severity, `${code} message`, { recommendation: 'fix it' });
}

function component(name: string, overrides: Partial<ComponentReport> = {}): ComponentReport {
  return orphanedComponentReport({
    name,
    findings: [finding('ORPHANED_INSTANCES'), finding('SURPLUS_INSTANCES')],
    ...overrides,
  });
}

function report(overrides: Partial<Report> = {}, summary: Partial<Report['summary']> = {}): Report {
  return sampleReport(
    {
      generated_at: new Date(NOW).toISOString(),
      platform: 'digitalocean',
      app_id: APP_ID,
      active_deployment_id: 'dep-2',
      components: [component('backend')],
      ...overrides,
    },
    {
      active_instances: 6,
      serving_instances: 5,
      discrepancy: true,
      verdict: 'discrepancy',
      do_api_status: 'ok',
      platform_data_age_ms: 5_000,
      ...summary,
    },
  );
}

const firingSince = (
  ms: number,
  code: FindingCode = 'ORPHANED_INSTANCES',
  name = 'backend',
): FiringAlert => ({
  component: name,
  code,
  sinceMs: ms,
});

/** A situation where everything allows a restart of backend; each case changes one thing. */
function input(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    report: report(),
    firing: [firingSince(NOW - 10 * MIN)],
    nowMs: NOW,
    policy: { mode: 'on', cooldownMs: 30 * MIN, minFiringMs: 5 * MIN },
    lastActionMs: new Map(),
    leader: true,
    canAct: true,
    ...overrides,
  };
}

const only = (decisions: Decision[]): Decision => {
  expect(decisions).toHaveLength(1);
  return decisions[0] as Decision;
};

describe('decideRemediation', () => {
  test('acts: a rolling restart of the component, with the exact call', () => {
    const decision = only(decideRemediation(input()));
    expect(decision).toMatchObject({
      kind: 'act',
      component: 'backend',
      triggers: ['ORPHANED_INSTANCES', 'SURPLUS_INSTANCES'],
      call: { method: 'POST', path: `/v2/apps/${APP_ID}/restart`, body: { components: ['backend'] } },
    });
    expect(decision.detail).toContain('ORPHANED_INSTANCES firing since 2026-03-01T11:50:00.000Z');
  });

  test('dry-run: the same call, recorded instead of made', () => {
    const decision = only(decideRemediation(input({ policy: { ...input().policy, mode: 'dry-run' } })));
    expect(decision).toEqual({
      kind: 'dry-run',
      component: 'backend',
      triggers: ['ORPHANED_INSTANCES', 'SURPLUS_INSTANCES'],
      call: restartCall(APP_ID, 'backend'),
      detail: expect.stringContaining(`would restart backend (POST /v2/apps/${APP_ID}/restart)`),
    });
  });

  const SKIP_CASES: [SkipReason, Partial<DecisionInput>, RegExp][] = [
    [
      'mode_off',
      { policy: { mode: 'off', cooldownMs: 30 * MIN, minFiringMs: 5 * MIN } },
      /REMEDIATION_MODE is off/,
    ],
    ['not_leader', { leader: false }, /leader lease/],
    [
      'platform_cannot_act',
      { canAct: false, report: report({ platform: 'static' }) },
      /static platform source/,
    ],
    ['degraded_collector', { report: report({ degraded: true }) }, /cannot read heartbeats/],
    [
      'stale_platform_data',
      { report: report({}, { do_api_status: 'stale', platform_data_age_ms: 180_000 }) },
      /stale \(3 min old\)/,
    ],
    [
      'stale_platform_data',
      { report: report({}, { do_api_status: 'unavailable', platform_data_age_ms: null }) },
      /unavailable/,
    ],
    [
      'rollout_in_progress',
      { report: report({ components: [component('backend', { verdict: 'rolling' })] }) },
      /rolling out backend/,
    ],
    [
      'rollout_in_progress',
      {
        report: report({
          components: [
            component('backend', {
              findings: [finding('ORPHANED_INSTANCES'), finding('ROLLOUT_STUCK', 'critical')],
            }),
          ],
        }),
      },
      /rolling out/,
    ],
    ['not_firing', { firing: [] }, /not a firing alert/],
    [
      'not_firing',
      { firing: [firingSince(NOW - 10 * MIN, 'ORPHANED_INSTANCES', 'worker')] },
      /not a firing alert/,
    ],
    ['not_firing', { firing: [firingSince(NOW - 10 * MIN, 'NOT_SERVING')] }, /not a firing alert/],
    [
      'firing_too_short',
      { firing: [firingSince(NOW - 2 * MIN)] },
      /firing for 2 min; acts once it has fired for 5 min, at 2026-03-01T12:03:00.000Z/,
    ],
    ['cooldown_unknown', { lastActionMs: null }, /audit trail cannot be read/],
    [
      'cooldown',
      { lastActionMs: new Map([['backend', NOW - 10 * MIN]]) },
      /acted on backend at 2026-03-01T11:50:00.000Z; cooldown until 2026-03-01T12:20:00.000Z/,
    ],
  ];

  test.each(SKIP_CASES)('skips: %s', (reason, overrides, detail) => {
    const decision = only(decideRemediation(input(overrides)));
    expect(decision.kind).toBe('skip');
    expect(decision.kind === 'skip' && decision.reason).toBe(reason);
    expect(decision.detail).toMatch(detail);
  });

  test('every skip reason is covered by the table above', () => {
    expect(new Set(SKIP_CASES.map(([reason]) => reason))).toEqual(new Set(SKIP_REASONS));
  });

  test('skips that end by themselves say when', () => {
    const tooShort = only(decideRemediation(input({ firing: [firingSince(NOW - 2 * MIN)] })));
    const cooling = only(decideRemediation(input({ lastActionMs: new Map([['backend', NOW - 10 * MIN]]) })));
    expect(tooShort).toMatchObject({ reason: 'firing_too_short', untilMs: NOW + 3 * MIN });
    expect(cooling).toMatchObject({ reason: 'cooldown', untilMs: NOW + 20 * MIN });
    expect(only(decideRemediation(input({ leader: false })))).toMatchObject({ untilMs: null });
  });

  describe('the cooldown', () => {
    test('acts again once the cooldown has passed, to the millisecond', () => {
      const last = new Map([['backend', NOW - 30 * MIN]]);
      expect(only(decideRemediation(input({ lastActionMs: last }))).kind).toBe('act');
      const almost = new Map([['backend', NOW - 30 * MIN + 1]]);
      expect(only(decideRemediation(input({ lastActionMs: almost }))).kind).toBe('skip');
    });

    test('is per component: another component acted on does not hold this one back', () => {
      const decision = only(decideRemediation(input({ lastActionMs: new Map([['worker', NOW - MIN]]) })));
      expect(decision.kind).toBe('act');
    });

    test('holds for dry runs too, so dry-run shows what on would do', () => {
      const decision = only(
        decideRemediation(
          input({
            policy: { mode: 'dry-run', cooldownMs: 30 * MIN, minFiringMs: 0 },
            lastActionMs: new Map([['backend', NOW - MIN]]),
          }),
        ),
      );
      expect(decision).toMatchObject({ kind: 'skip', reason: 'cooldown' });
    });
  });

  test('the broadest reason wins: a follower in cooldown says not_leader', () => {
    const decision = only(
      decideRemediation(
        input({ leader: false, lastActionMs: new Map([['backend', NOW - MIN]]), firing: [] }),
      ),
    );
    expect(decision).toMatchObject({ reason: 'not_leader' });
  });

  test('firing time counts from the earliest firing trigger', () => {
    const decision = only(
      decideRemediation(
        input({
          firing: [
            firingSince(NOW - MIN, 'ORPHANED_INSTANCES'),
            firingSince(NOW - 6 * MIN, 'SURPLUS_INSTANCES'),
          ],
        }),
      ),
    );
    expect(decision.kind).toBe('act');
  });

  test('one decision per component with a trigger; components without one get none', () => {
    const decisions = decideRemediation(
      input({
        report: report({
          components: [
            component('api', { findings: [finding('SURPLUS_INSTANCES')] }),
            component('backend'),
            component('web', { findings: [finding('NOT_SERVING'), finding('MISSING_INSTANCES')] }),
          ],
        }),
        firing: [firingSince(NOW - 10 * MIN), firingSince(NOW - 10 * MIN, 'SURPLUS_INSTANCES', 'api')],
        lastActionMs: new Map([['api', NOW - MIN]]),
      }),
    );
    expect(decisions.map((d) => [d.component, d.kind])).toEqual([
      ['api', 'skip'],
      ['backend', 'act'],
    ]);
  });

  test('a firing alert whose finding has cleared from the report is not acted on', () => {
    const decisions = decideRemediation(
      input({ report: report({ components: [component('backend', { findings: [], verdict: 'ok' })] }) }),
    );
    expect(decisions).toEqual([]);
  });

  test('the call never carries a spec or a count: only the component to restart', () => {
    const call = restartCall('app/with spaces', 'backend');
    expect(call).toEqual({
      method: 'POST',
      path: '/v2/apps/app%2Fwith%20spaces/restart',
      body: { components: ['backend'] },
    });
    expect(Object.keys(call.body)).toEqual(['components']);
  });
});
