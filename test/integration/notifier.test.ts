/**
 * The notifier with real Redis: states persisted before sending and fenced, so a restart or a
 * new leader neither re-fires nor loses a resolve, and a deposed leader sends nothing.
 */
import { AlwaysLeader, RedisLeaderLease } from '../../aggregator/leader';
import type { Leadership } from '../../aggregator/leader';
import type { AlertStateStore, Notification, Sink } from '../../aggregator/notify';
import { MemoryAlertStateStore, Notifier, RedisAlertStateStore, SinkQueue } from '../../aggregator/notify';
import type { Report } from '../../aggregator/reconcile';
import { reconcile } from '../../aggregator/reconcile';
import { ReportStore } from '../../aggregator/report-store';
import type { Clock } from '../../shared/clock';
import { systemClock } from '../../shared/clock';
import { silentLogger } from '../../shared/logger';
import { appKeys } from '../../shared/redis-keys';
import { component, fixed, view } from '../support/platform';
import { asReconciled, fullReport, input } from '../support/reconcile-io';
import { instances, NOW } from '../support/records';
import { useTestRedis } from '../support/redis-rig';
import { waitFor } from '../support/wait';
import { serverEngine } from '../../shared/redis-engine';

const log = silentLogger();

class RecordingSink implements Sink {
  readonly batches: Notification[][] = [];
  constructor(readonly name: Sink['name'] = 'webhook') {}
  send(notifications: readonly Notification[]): Promise<void> {
    this.batches.push([...notifications]);
    return Promise.resolve();
  }
  /** `kind code` of every notification received. */
  kinds(): string[] {
    return this.batches.flat().map((n) => `${n.kind} ${n.alert.labels.code}`);
  }
}

/** A clock the test moves; sleeping (retry backoff) stays real. */
function testClock(): Clock & { t: number } {
  const clock = { t: NOW, now: () => clock.t, sleep: systemClock.sleep };
  return clock;
}

function report(nowMs: number, live: number): Report {
  return fullReport(
    reconcile(
      input({
        nowMs,
        platform: view({ components: [component('backend', { desired: fixed(2) })] }),
        instances: instances('backend', live, { deploymentId: 'dep-1', lastSeenMs: nowMs }),
      }),
    ),
  );
}

interface Node {
  readonly reports: ReportStore;
  readonly notifier: Notifier;
  readonly sinks: readonly RecordingSink[];
}

describe('notifier', () => {
  const redis = useTestRedis();
  const closers: (() => Promise<void>)[] = [];
  let appCounter = 0;
  const nextApp = () => `notifier-${++appCounter}`;

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function node(
    app: string,
    leadership: Leadership,
    clock: Clock,
    states?: AlertStateStore,
  ): Promise<Node> {
    const store = states ?? new RedisAlertStateStore({ engine: serverEngine(redis.url), app, log });
    const sinks = [new RecordingSink('webhook'), new RecordingSink('alertmanager')];
    const reports = new ReportStore();
    const notifier = new Notifier({
      app,
      reports,
      leadership,
      states: store,
      sinks: sinks.map((sink) => new SinkQueue({ sink, log, clock })),
      settings: { confirmations: 2, forMs: 0, repeatMs: 3_600_000 },
      publicUrl: 'http://rw.test',
      expiresInMs: 30_000,
      clock,
      log,
    });
    await notifier.start();
    closers.push(async () => {
      await notifier.stop();
      await store.close();
    });
    return { reports, notifier, sinks };
  }

  async function lease(app: string, holderId: string): Promise<RedisLeaderLease> {
    const l = new RedisLeaderLease({ engine: serverEngine(redis.url), app, leaseMs: 2_000, log, holderId });
    closers.push(() => l.close());
    await l.start();
    return l;
  }

  /** Publishes a report at the clock's time on every node, waits until all processed it, moves time on. */
  async function publish(clock: { t: number }, live: number, ...nodes: Node[]): Promise<void> {
    const r = report(clock.t, live);
    for (const n of nodes) n.reports.publish(asReconciled(r));
    await Promise.all(nodes.map((n) => n.notifier.settled()));
    clock.t += 10_000;
  }

  /** Stops a node's notifier and waits for its queues to drain. */
  const stopped = (n: Node) => n.notifier.stop();

  test('a restarted aggregator neither re-fires an alert already notified nor loses a resolve', async () => {
    const app = nextApp();
    const clock = testClock();
    const leadership = await lease(app, 'a');
    const first = await node(app, leadership, clock);
    await publish(clock, 3, first);
    await publish(clock, 3, first);
    await stopped(first);
    expect(first.sinks[0]?.kinds()).toEqual(['firing SURPLUS_INSTANCES']);
    expect(first.notifier.firing()).toEqual([
      { component: 'backend', code: 'SURPLUS_INSTANCES', sinceMs: NOW + 10_000 },
    ]);

    const second = await node(app, leadership, clock);
    expect(second.notifier.firing()).toEqual(first.notifier.firing());
    await publish(clock, 3, second);
    await publish(clock, 2, second); // the resolve begins (1 of 2 confirmations)…
    await stopped(second);
    expect(second.sinks[0]?.kinds()).toEqual([]);
    // Still firing while the resolve is unconfirmed: Alertmanager keeps getting it.
    expect(second.sinks[1]?.kinds()).toEqual(['refresh SURPLUS_INSTANCES', 'refresh SURPLUS_INSTANCES']);

    const third = await node(app, leadership, clock);
    await publish(clock, 2, third); // …and completes after the restart.
    await stopped(third);
    expect(third.sinks[0]?.kinds()).toEqual(['resolved SURPLUS_INSTANCES']);
    expect(third.sinks[1]?.kinds()).toEqual(['resolved SURPLUS_INSTANCES']);
    const resolved = third.sinks[1]?.batches[0]?.[0]?.alert;
    expect(resolved?.endsAt).toBe(new Date(clock.t - 10_000).toISOString());
    expect(third.notifier.firing()).toEqual([]);
  });

  test('two aggregators: only the leader sends; after a handover nothing is sent twice', async () => {
    const app = nextApp();
    const clock = testClock();
    const leaseA = await lease(app, 'a');
    const leaseB = await lease(app, 'b');
    const a = await node(app, leaseA, clock);
    const b = await node(app, leaseB, clock);
    await publish(clock, 3, a, b);
    await publish(clock, 3, a, b);
    await publish(clock, 3, a, b);
    expect(a.sinks[0]?.kinds()).toEqual(['firing SURPLUS_INSTANCES']);
    expect(b.sinks[0]?.kinds()).toEqual([]);
    // The follower mirrors what the leader persisted.
    expect(b.notifier.firing()).toEqual(a.notifier.firing());

    await leaseA.close();
    await waitFor(async () => leaseB.isLeader(), {
      until: (leader) => leader,
      everyMs: 10,
    });
    for (let i = 0; i < 3; i++) await publish(clock, 3, a, b);
    await publish(clock, 2, a, b);
    await publish(clock, 2, a, b);
    await Promise.all([stopped(a), stopped(b)]);
    expect(a.sinks[0]?.kinds()).toEqual(['firing SURPLUS_INSTANCES']);
    expect(b.sinks[0]?.kinds()).toEqual(['resolved SURPLUS_INSTANCES']);
  });

  test('a deposed leader that still believes it leads sends nothing: its write is fenced off', async () => {
    const app = nextApp();
    const clock = testClock();
    const leadership = await lease(app, 'a');
    const n = await node(app, leadership, clock);
    await publish(clock, 3, n);
    // A newer leader's term began (its INCR), unknown to this one yet.
    await redis.client.incr(appKeys(app).fencing);
    await publish(clock, 3, n);
    await publish(clock, 3, n);
    await stopped(n);
    expect(leadership.isLeader()).toBe(true);
    expect(n.sinks[0]?.kinds()).toEqual([]);
    expect(n.notifier.firing()).toEqual([]);
  });

  test('embedded mode: always the leader, states in memory; stop() flushes what is queued', async () => {
    const app = nextApp();
    const clock = testClock();
    const n = await node(app, new AlwaysLeader(), clock, new MemoryAlertStateStore());
    await publish(clock, 3, n);
    await publish(clock, 3, n);
    await publish(clock, 2, n);
    await publish(clock, 2, n);
    await stopped(n);
    expect(n.sinks[0]?.kinds()).toEqual(['firing SURPLUS_INSTANCES', 'resolved SURPLUS_INSTANCES']);
    expect(n.sinks[1]?.kinds()).toEqual([
      'firing SURPLUS_INSTANCES',
      'refresh SURPLUS_INSTANCES',
      'resolved SURPLUS_INSTANCES',
    ]);
  });
});
