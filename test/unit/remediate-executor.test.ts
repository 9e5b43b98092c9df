/**
 * The remediation executor with fakes for the platform, the notifier, the lease and the clock:
 * a skip is recorded when the decision changes, not on every report; every action and dry run
 * is recorded with its call and result; a follower writes nothing to a shared trail; a new
 * leader reads the last action from the trail and honours its cooldown.
 */
import type { CreateDeploymentOptions, PlatformActions } from '../../aggregator/platform/actions';
import type { DeploymentInfo } from '../../aggregator/model';
import type { Report } from '../../aggregator/reconcile/report';
import type {
  AuditEntry,
  AuditRecord,
  FiringAlert,
  LeaderLease,
  RemediationMode,
} from '../../aggregator/remediate';
import { MemoryAuditTrail, RemediationExecutor } from '../../aggregator/remediate';
import type { Clock } from '../../shared/clock';
import { systemClock } from '../../shared/clock';
import { silentLogger } from '../../shared/logger';
import { findingReport, orphanedComponentReport, sampleReport } from '../support/published-reports';

const START = Date.parse('2026-03-01T12:00:00Z');
const MIN = 60_000;

class FakeActions implements PlatformActions {
  readonly restarts: string[][] = [];
  failWith: Error | null = null;

  restart(components: readonly string[]): Promise<DeploymentInfo> {
    this.restarts.push([...components]);
    if (this.failWith) return Promise.reject(this.failWith);
    return Promise.resolve({
      id: `dep-restart-${this.restarts.length}`,
      phase: 'PENDING_DEPLOY',
      failedStep: null,
      cause: null,
      progress: null,
      createdAtMs: null,
      updatedAtMs: null,
    });
  }

  createDeployment(_options?: CreateDeploymentOptions): Promise<DeploymentInfo> {
    return Promise.reject(new Error('not expected'));
  }
}

class SharedTrail extends MemoryAuditTrail {
  override readonly shared = true;
}

class FakeLease implements LeaderLease {
  constructor(
    public leader: boolean,
    public token: number | null,
  ) {}
  isLeader(): boolean {
    return this.leader;
  }
  fencingToken(): number | null {
    return this.leader ? this.token : null;
  }
}

function clockAt(ms: number): Clock & { set(ms: number): void } {
  let now = ms;
  return { now: () => now, sleep: systemClock.sleep, set: (value) => (now = value) };
}

/** A report in which backend has orphans (and a surplus), with fresh platform data. */
function orphansReport(extra: Partial<Report> = {}): Report {
  return sampleReport(
    {
      generated_at: new Date(START).toISOString(),
      platform: 'simulated',
      app_id: 'app-1',
      active_deployment_id: 'dep-2',
      components: [
        orphanedComponentReport({
          serving: 6,
          findings: [
            findingReport('ORPHANED_INSTANCES', 'warning', '4 orphans', { recommendation: 'restart' }),
          ],
        }),
      ],
      ...extra,
    },
    {
      active_instances: 6,
      serving_instances: 6,
      discrepancy: true,
      verdict: 'discrepancy',
      do_api_status: 'ok',
      platform_data_age_ms: 1_000,
    },
  );
}

interface Setup {
  mode?: RemediationMode;
  lease?: LeaderLease | null;
  trail?: MemoryAuditTrail;
  actions?: FakeActions | null;
}

function setup(options: Setup = {}) {
  const clock = clockAt(START);
  const firing: FiringAlert[] = [];
  const actions = options.actions === undefined ? new FakeActions() : options.actions;
  const audit = options.trail ?? new MemoryAuditTrail();
  const executor = new RemediationExecutor({
    policy: { mode: options.mode ?? 'on', cooldownMs: 30 * MIN, minFiringMs: 0 },
    actions,
    firing: { firing: () => firing },
    leadership: options.lease ?? null,
    audit,
    clock,
    log: silentLogger(),
  });
  /** Considers the report at `ms` and waits until it has been handled. */
  const at = async (ms: number, report: Report = orphansReport()) => {
    clock.set(ms);
    executor.consider(report);
    await executor.idle();
  };
  const entries = async (): Promise<AuditEntry[]> => (await audit.newest(100)).reverse();
  return { clock, firing, actions, audit, executor, at, entries };
}

const summary = (entries: readonly AuditRecord[]) =>
  entries.map((e) => `${e.decision}${e.reason ? `:${e.reason}` : ''}`);

describe('RemediationExecutor', () => {
  test('records a skip once per change, then the action with its result, then the cooldown', async () => {
    const { at, firing, actions, entries, executor } = setup();
    await at(START);
    await at(START + 10_000);
    expect(summary(await entries())).toEqual(['skip:not_firing']);

    firing.push({ component: 'backend', code: 'ORPHANED_INSTANCES', sinceMs: START + 15_000 });
    await at(START + 20_000);
    for (let i = 3; i < 10; i++) await at(START + i * 10_000);

    expect(actions?.restarts).toEqual([['backend']]);
    const recorded = await entries();
    expect(summary(recorded)).toEqual(['skip:not_firing', 'act', 'skip:cooldown']);
    expect(recorded[1]).toMatchObject({
      component: 'backend',
      mode: 'on',
      triggers: ['ORPHANED_INSTANCES'],
      call: { method: 'POST', path: '/v2/apps/app-1/restart', body: { components: ['backend'] } },
      outcome: 'ok',
      deployment_id: 'dep-restart-1',
      error: null,
      at: new Date(START + 20_000).toISOString(),
    });
    expect(recorded[2]?.until).toBe(new Date(START + 20_000 + 30 * MIN).toISOString());
    await executor.close();
  });

  test('acts again only after the cooldown', async () => {
    const { at, firing, actions } = setup();
    firing.push({ component: 'backend', code: 'ORPHANED_INSTANCES', sinceMs: START });
    await at(START);
    await at(START + 29 * MIN);
    expect(actions?.restarts).toHaveLength(1);
    await at(START + 30 * MIN);
    expect(actions?.restarts).toHaveLength(2);
  });

  test('dry-run calls nothing and records the exact call it would have made, once per cooldown', async () => {
    const { at, firing, actions, entries } = setup({ mode: 'dry-run' });
    firing.push({ component: 'backend', code: 'ORPHANED_INSTANCES', sinceMs: START });
    for (let i = 0; i < 5; i++) await at(START + i * MIN);
    await at(START + 31 * MIN);
    await at(START + 32 * MIN);
    expect(actions?.restarts).toEqual([]);
    const recorded = await entries();
    expect(summary(recorded)).toEqual(['dry-run', 'skip:cooldown', 'dry-run', 'skip:cooldown']);
    expect(recorded[0]).toMatchObject({
      mode: 'dry-run',
      call: { method: 'POST', path: '/v2/apps/app-1/restart', body: { components: ['backend'] } },
      outcome: null,
    });
  });

  test('a failed restart is recorded with its error and still counts against the cooldown', async () => {
    const actions = new FakeActions();
    actions.failWith = new Error('POST /v2/apps/{app_id}/restart: HTTP 422: component is being deployed');
    const { at, firing, entries } = setup({ actions });
    firing.push({ component: 'backend', code: 'ORPHANED_INSTANCES', sinceMs: START });
    await at(START);
    await at(START + MIN);
    expect(actions.restarts).toHaveLength(1);
    const recorded = await entries();
    expect(recorded[0]).toMatchObject({
      decision: 'act',
      outcome: 'error',
      deployment_id: null,
      error: 'POST /v2/apps/{app_id}/restart: HTTP 422: component is being deployed',
    });
    expect(summary(recorded)).toEqual(['act', 'skip:cooldown']);
  });

  test('the static source cannot act: recorded as such, nothing called', async () => {
    const { at, firing, entries } = setup({ actions: null });
    firing.push({ component: 'backend', code: 'ORPHANED_INSTANCES', sinceMs: START });
    await at(START, orphansReport({ platform: 'static' }));
    expect(summary(await entries())).toEqual(['skip:platform_cannot_act']);
  });

  test('a follower writes nothing to a shared trail; the new leader honours the old leader’s cooldown', async () => {
    const trail = new SharedTrail();
    // What the previous leader recorded 10 minutes ago.
    await trail.record({
      at: new Date(START - 10 * MIN).toISOString(),
      component: 'backend',
      decision: 'act',
      reason: null,
      detail: 'rolling restart of backend',
      mode: 'on',
      triggers: ['ORPHANED_INSTANCES'],
      call: { method: 'POST', path: '/v2/apps/app-1/restart', body: { components: ['backend'] } },
      outcome: 'ok',
      deployment_id: 'dep-old-restart',
      error: null,
      until: null,
      fencing_token: 1,
    });
    const lease = new FakeLease(false, 2);
    const { at, firing, actions, entries } = setup({ trail, lease });
    firing.push({ component: 'backend', code: 'ORPHANED_INSTANCES', sinceMs: START - 20 * MIN });
    await at(START);
    expect(summary(await entries())).toEqual(['act']);

    lease.leader = true;
    await at(START + 10_000);
    expect(actions?.restarts).toEqual([]);
    const recorded = await entries();
    expect(summary(recorded)).toEqual(['act', 'skip:cooldown']);
    expect(recorded[1]).toMatchObject({ fencing_token: 2, until: new Date(START + 20 * MIN).toISOString() });

    await at(START + 20 * MIN);
    expect(actions?.restarts).toEqual([['backend']]);
  });

  test('an unreadable trail means an unknown cooldown: no action until it can be read', async () => {
    const trail = new MemoryAuditTrail();
    let readable = false;
    const lastActions = trail.lastActions.bind(trail);
    trail.lastActions = (sinceMs: number) =>
      readable ? lastActions(sinceMs) : Promise.reject(new Error('redis: connection refused'));
    const { at, firing, actions, entries } = setup({ trail });
    firing.push({ component: 'backend', code: 'ORPHANED_INSTANCES', sinceMs: START - 20 * MIN });
    await at(START);
    expect(actions?.restarts).toEqual([]);
    readable = true;
    await at(START + 10_000);
    await at(START + 20_000);
    expect(actions?.restarts).toEqual([['backend']]);
    expect(summary(await entries())).toEqual(['skip:cooldown_unknown', 'act', 'skip:cooldown']);
  });

  test('a component whose trigger clears forgets its last decision: the next episode is recorded again', async () => {
    const { at, entries } = setup({ mode: 'off' });
    const healthy = orphansReport({
      components: [{ ...orphansReport().components[0]!, findings: [], verdict: 'ok' }],
    });
    await at(START);
    await at(START + MIN, healthy);
    await at(START + 2 * MIN);
    expect(summary(await entries())).toEqual(['skip:mode_off', 'skip:mode_off']);
  });

  test('reports arriving while one is handled are coalesced to the latest', async () => {
    let release: () => void = () => undefined;
    const actions = new FakeActions();
    const slow = new Promise<void>((resolve) => (release = resolve));
    const restart = actions.restart.bind(actions);
    actions.restart = async (components) => {
      await slow;
      return restart(components);
    };
    const { executor, firing, clock, entries } = setup({ actions });
    firing.push({ component: 'backend', code: 'ORPHANED_INSTANCES', sinceMs: START });
    executor.consider(orphansReport());
    for (let i = 1; i <= 50; i++) {
      clock.set(START + i * 1_000);
      executor.consider(orphansReport());
    }
    release();
    await executor.idle();
    expect(actions.restarts).toHaveLength(1);
    // The action, then one cooldown skip for the one coalesced report: not fifty.
    expect(summary(await entries())).toEqual(['act', 'skip:cooldown']);
    await executor.close();
  });
});
