/**
 * The alert state machine driven by real reconciles, with time as a plain number advanced by the
 * test (the fake clock): every step reconciles at `now` and advances the alerts.
 */
import type { CollectorHealth, InstanceRecord } from '../../aggregator/model';
import type { AlertSettings, AlertState, AlertStates, AlertTransition } from '../../aggregator/notify';
import { alertName, stepAlerts, toAlert } from '../../aggregator/notify';
import type { DeploymentInfo, PlatformView } from '../../aggregator/model';
import type { ReconcileMemory, ReportWithoutInstances } from '../../aggregator/reconcile';
import { reconcile } from '../../aggregator/reconcile';
import { component, deployment, fixed, view } from '../support/platform';
import { fullReport, input } from '../support/reconcile-io';
import { blindSince, HEALTHY, instances, NOW } from '../support/records';

const INTERVAL = 10_000;
const SETTINGS: AlertSettings = { confirmations: 2, forMs: 60_000, repeatMs: 4 * 3_600_000 };

interface Step {
  readonly nowMs: number;
  readonly report: ReportWithoutInstances;
  readonly transitions: readonly AlertTransition[];
}

/** Reconciles and steps the alerts, carrying memory and states; `now` moves INTERVAL per step. */
class Harness {
  nowMs = NOW;
  states: AlertStates = new Map();
  private memory: ReconcileMemory | null = null;
  readonly steps: Step[] = [];

  constructor(private readonly settings: AlertSettings = SETTINGS) {}

  step(
    fleet: (nowMs: number) => readonly InstanceRecord[],
    platform: PlatformView,
    collector: CollectorHealth = HEALTHY,
  ): Step {
    const result = reconcile(
      input({ nowMs: this.nowMs, platform, instances: fleet(this.nowMs), collector, memory: this.memory }),
    );
    this.memory = result.memory;
    const next = stepAlerts(this.states, result.report, this.nowMs, this.settings);
    this.states = next.states;
    const step = { nowMs: this.nowMs, report: result.report, transitions: next.transitions };
    this.steps.push(step);
    this.nowMs += INTERVAL;
    return step;
  }

  /** `count` steps with the same fleet and platform. */
  run(
    count: number,
    fleet: (nowMs: number) => readonly InstanceRecord[],
    platform: PlatformView,
    collector?: CollectorHealth,
  ): Step[] {
    return Array.from({ length: count }, () => this.step(fleet, platform, collector));
  }

  /** Every transition so far as `kind code@seconds since NOW`. */
  history(): string[] {
    return this.steps.flatMap((s) =>
      s.transitions.map((t) => `${t.kind} ${t.state.code}@${(s.nowMs - NOW) / 1000}`),
    );
  }

  state(code: string): AlertState | undefined {
    return [...this.states.values()].find((s) => s.code === code);
  }
}

const platform = (overrides: Partial<PlatformView> = {}) =>
  view({ components: [component('backend', { desired: fixed(2) })], ...overrides });

/** `count` live backend instances of `deploymentId` heartbeating at every step. */
const live =
  (count: number, deploymentId = 'dep-1') =>
  (nowMs: number) =>
    instances('backend', count, { deploymentId, lastSeenMs: nowMs });

const rolling = (progress: Partial<DeploymentInfo> = {}) =>
  platform({
    activeDeployment: deployment('dep-1'),
    inProgressDeployment: deployment('dep-2', {
      phase: 'DEPLOYING',
      progress: { stepsDone: 1, stepsTotal: 4, errorSteps: 0 },
      ...progress,
    }),
  });

describe('the alert state machine', () => {
  test('a one-reconcile blip never alerts', () => {
    const h = new Harness();
    h.run(3, live(2), platform());
    const blip = h.step(live(3), platform());
    expect(blip.report.components[0]?.findings.map((f) => f.code)).toEqual(['SURPLUS_INSTANCES']);
    expect(h.state('SURPLUS_INSTANCES')?.status).toBe('pending');
    h.run(20, live(2), platform());
    expect(h.history()).toEqual([]);
    expect(h.states.size).toBe(0);
  });

  test('a lasting surplus fires after the confirmations and ALERT_FOR_MS, and resolves the same way', () => {
    const h = new Harness();
    h.run(6, live(3), platform()); // 0 … 50 s: pending, the confirmations met but not 60 s yet
    expect(h.history()).toEqual([]);
    expect(h.state('SURPLUS_INSTANCES')).toMatchObject({ status: 'pending', streak: 6 });
    h.step(live(3), platform()); // 60 s
    expect(h.history()).toEqual(['firing SURPLUS_INSTANCES@60']);
    h.run(10, live(3), platform());
    expect(h.history()).toHaveLength(1);

    h.run(6, live(2), platform()); // gone for 6 reconciles, 50 s: still firing
    expect(h.state('SURPLUS_INSTANCES')).toMatchObject({ status: 'firing', streak: 6 });
    h.step(live(2), platform());
    expect(h.history()).toEqual(['firing SURPLUS_INSTANCES@60', 'resolved SURPLUS_INSTANCES@230']);
    expect(h.states.size).toBe(0);
  });

  test('with ALERT_FOR_MS 0 the confirmations alone decide, both ways', () => {
    const h = new Harness({ ...SETTINGS, forMs: 0, confirmations: 3 });
    h.run(3, live(3), platform());
    h.run(3, live(2), platform());
    expect(h.history()).toEqual(['firing SURPLUS_INSTANCES@20', 'resolved SURPLUS_INSTANCES@50']);
  });

  test('an absence shorter than the confirmations does not resolve', () => {
    const h = new Harness({ ...SETTINGS, forMs: 0 });
    h.run(2, live(3), platform());
    h.step(live(2), platform());
    h.run(3, live(3), platform());
    expect(h.history()).toEqual(['firing SURPLUS_INSTANCES@10']);
    expect(h.state('SURPLUS_INSTANCES')).toMatchObject({ status: 'firing', streak: 0 });
  });

  test('a firing alert is notified again every ALERT_REPEAT_MS, with fresh annotations', () => {
    const h = new Harness({ ...SETTINGS, forMs: 0, repeatMs: 60_000 });
    h.run(2, live(3), platform());
    h.run(6, live(4), platform());
    expect(h.history()).toEqual(['firing SURPLUS_INSTANCES@10', 'repeat SURPLUS_INSTANCES@70']);
    const repeat = h.steps[7]?.transitions[0];
    expect(repeat?.state.content.live).toBe(4);
  });

  test('no alert during a rollout, and a firing one is neither resolved nor re-fired by it', () => {
    const h = new Harness({ ...SETTINGS, forMs: 0 });
    const surge = h.run(30, live(4), rolling({ progress: null, phase: 'DEPLOYING', updatedAtMs: null }));
    expect(surge[0]?.report.components[0]?.verdict).toBe('rolling');
    expect(h.history()).toEqual([]);
    expect(h.states.size).toBe(0);

    h.run(2, live(3), platform({ activeDeployment: deployment('dep-1') }));
    expect(h.history()).toEqual(['firing SURPLUS_INSTANCES@310']);
    // A rollout starts (counts move): the alert holds, even while the surplus is gone.
    h.run(5, live(2), rolling());
    expect(h.state('SURPLUS_INSTANCES')).toMatchObject({ status: 'firing', streak: 0 });
    h.run(2, live(2, 'dep-2'), platform({ activeDeployment: deployment('dep-2') }));
    expect(h.history()).toEqual(['firing SURPLUS_INSTANCES@310', 'resolved SURPLUS_INSTANCES@380']);
  });

  test('ROLLOUT_STUCK fires once the rollout has not moved for ROLLOUT_GRACE_MS, and only then', () => {
    const h = new Harness();
    // input() sets a 10-minute grace. Progress moves every minute for 20 minutes: slow, never stuck.
    for (let i = 0; i < 120; i++)
      h.step(live(3), rolling({ progress: { stepsDone: Math.floor(i / 6), stepsTotal: 40, errorSteps: 0 } }));
    expect(h.history()).toEqual([]);
    // Then it stands still at step 20.
    const still = rolling({ progress: { stepsDone: 20, stepsTotal: 40, errorSteps: 0 } });
    const before = h.run(59, live(3), still);
    expect(before.at(-1)?.report.components[0]?.findings.map((f) => f.code)).toContain('ROLLOUT_IN_PROGRESS');
    expect(h.history()).toEqual([]);
    h.run(8, live(3), still);
    // Step 20 first seen at 1,200 s, stuck from 1,800 s, firing ALERT_FOR_MS later. The surplus never alerts.
    expect(h.history()).toEqual(['firing ROLLOUT_STUCK@1860']);
    expect(h.state('ROLLOUT_STUCK')?.severity).toBe('critical');
  });

  test('Redis down: DATA_DEGRADED fires, MISSING_INSTANCES never; a firing alert is not resolved by blindness', () => {
    const h = new Harness({ ...SETTINGS, forMs: 0 });
    h.run(3, live(3), platform());
    expect(h.history()).toEqual(['firing SURPLUS_INSTANCES@10']);
    const downAt = h.nowMs;
    const frozen = instances('backend', 3, { deploymentId: 'dep-1', lastSeenMs: downAt - 1_000 });
    const outage = h.run(60, () => frozen, platform(), blindSince(downAt));
    const last = outage.at(-1)?.report;
    expect(last?.degraded).toBe(true);
    expect(last?.components[0]?.findings.map((f) => f.code)).not.toContain('MISSING_INSTANCES');
    expect(h.history()).toEqual(['firing SURPLUS_INSTANCES@10', 'firing DATA_DEGRADED@40']);
    expect(h.state('SURPLUS_INSTANCES')?.status).toBe('firing');
    expect([...h.states.values()].map((s) => s.code).sort()).toEqual(['DATA_DEGRADED', 'SURPLUS_INSTANCES']);

    h.run(2, live(3), platform());
    expect(h.history()).toEqual([
      'firing SURPLUS_INSTANCES@10',
      'firing DATA_DEGRADED@40',
      'resolved DATA_DEGRADED@640',
    ]);
    expect(h.state('SURPLUS_INSTANCES')?.status).toBe('firing');
  });

  test('self-preservation: most of the fleet silent at once is DATA_DEGRADED, not MISSING_INSTANCES', () => {
    const h = new Harness({ ...SETTINGS, forMs: 0 });
    const four = platform({ components: [component('backend', { desired: fixed(4) })] });
    h.run(3, live(4), four);
    const silentAt = h.nowMs;
    const partition = (nowMs: number) => [
      ...instances('backend', 3, { deploymentId: 'dep-1', lastSeenMs: silentAt - 2_000 }),
      ...instances('other', 1, { deploymentId: 'dep-1', lastSeenMs: nowMs }),
    ];
    const steps = h.run(30, partition, four);
    expect(steps.at(-1)?.report.degraded).toBe(true);
    expect(
      steps.some((s) => s.report.components[0]?.findings.some((f) => f.code === 'MISSING_INSTANCES')),
    ).toBe(false);
    expect(h.history()).toEqual(['firing DATA_DEGRADED@60']);
  });

  test('the same input gives deep-equal output (pure)', () => {
    const report = fullReport(reconcile(input({ platform: platform(), instances: live(3)(NOW) })));
    const a = stepAlerts(new Map(), report, NOW, SETTINGS);
    const b = stepAlerts(new Map(), report, NOW, SETTINGS);
    expect(a).toEqual(b);
    expect(a.upserted).toHaveLength(1);
  });
});

describe('the alert sinks receive', () => {
  test('labels that identify, annotations that describe, endsAt ahead while firing and now on resolve', () => {
    const h = new Harness({ ...SETTINGS, forMs: 0 });
    h.run(2, live(3), platform());
    const state = h.state('SURPLUS_INSTANCES');
    if (!state) throw new Error('no state');
    const ctx = {
      app: 'shop',
      publicUrl: 'https://rw.example.com/',
      nowMs: NOW + 20_000,
      expiresInMs: 40_000,
    };
    const firing = toAlert(state, false, ctx);
    expect(firing.labels).toEqual({
      alertname: 'ReplicaWatchSurplusInstances',
      app: 'shop',
      component: 'backend',
      code: 'SURPLUS_INSTANCES',
      severity: 'warning',
    });
    expect(firing.annotations).toMatchObject({
      summary: 'Surplus instances: backend of app shop (3 live, 2 desired)',
      instances: 'backend-1',
      deployment_ids: 'dep-1',
      counts: 'desired 2, live 3, platform ready ?, platform listed ?',
      report_url: 'https://rw.example.com/api/v1/monitoring/replicas',
    });
    expect(firing.annotations.description).toContain('1 surplus');
    expect(firing.annotations.recommendation.length).toBeGreaterThan(10);
    expect(firing.startsAt).toBe(new Date(NOW + 10_000).toISOString());
    expect(firing.endsAt).toBe(new Date(NOW + 60_000).toISOString());
    expect(firing.generatorURL).toBe('https://rw.example.com/api/v1/monitoring/replicas');
    expect(toAlert(state, true, ctx).endsAt).toBe(new Date(NOW + 20_000).toISOString());
    expect(alertName('DATA_DEGRADED')).toBe('ReplicaWatchDataDegraded');
  });
});
