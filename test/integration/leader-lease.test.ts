/** The Redis leader lease and the fenced alert-state writes, against a real redis-server. */
import { RedisLeaderLease } from '../../aggregator/leader';
import { RedisAlertStateStore, alertKey } from '../../aggregator/notify';
import { firingAlert } from '../support/alert-states';
import { appKeys } from '../../shared/redis-keys';
import { silentLogger } from '../../shared/logger';
import { useTestRedis } from '../support/redis-rig';
import { sampleFor, waitFor } from '../support/wait';
import { serverEngine } from '../../shared/redis-engine';

/**
 * Long enough that the windows below (each twice the bound it checks) leave a loaded 2-core
 * machine a second of slack.
 */
const LEASE_MS = 1_000;
const log = silentLogger();

describe('leader lease', () => {
  const redis = useTestRedis();
  const open: { close(): Promise<void> }[] = [];
  let appCounter = 0;
  const nextApp = () => `lease-${++appCounter}`;

  afterEach(async () => {
    await Promise.all(open.splice(0).map((o) => o.close()));
  });

  function lease(app: string, holderId: string): RedisLeaderLease {
    const l = new RedisLeaderLease({
      engine: serverEngine(redis.url),
      app,
      leaseMs: LEASE_MS,
      log,
      holderId,
    });
    open.push(l);
    return l;
  }

  test('of two aggregators exactly one leads; the other takes over at once when it gives the lease up', async () => {
    const app = nextApp();
    const a = lease(app, 'a');
    const b = lease(app, 'b');
    const changes: string[] = [];
    a.onChange((leader) => changes.push(`a:${leader}`));
    b.onChange((leader) => changes.push(`b:${leader}`));
    await a.start();
    await b.start();
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    expect(a.fencingToken()).toBe(1);
    expect(b.fencingToken()).toBeNull();

    // Several lease periods: the leader keeps renewing, nobody else gets in, at any moment.
    const held = await sampleFor(3 * LEASE_MS, () => `${a.isLeader()},${b.isLeader()}`);
    expect([...new Set(held)]).toEqual(['true,false']);

    const released = Date.now();
    await a.close();
    await waitFor(async () => b.isLeader(), { until: (leader) => leader, everyMs: 10 });
    // At once: the follower retries every lease/3, well before the released lease would run out.
    expect(Date.now() - released).toBeLessThan(LEASE_MS);
    expect(b.fencingToken()).toBe(2);
    expect(changes).toEqual(['a:true', 'a:false', 'b:true']);
  });

  test('a lease left by a dead holder is taken within one lease period of its last renewal', async () => {
    const app = nextApp();
    await redis.client.set(appKeys(app).leader, 'dead-holder', { PX: LEASE_MS });
    const renewedAt = Date.now();
    const b = lease(app, 'b');
    await b.start();
    expect(b.isLeader()).toBe(false);
    await waitFor(async () => b.isLeader(), { until: (leader) => leader, everyMs: 10 });
    // One lease, and twice that as the window: a follower that waited a second lease fails it.
    expect(Date.now() - renewedAt).toBeLessThan(2 * LEASE_MS);
    expect(await redis.client.get(appKeys(app).leader)).toBe('b');
  });

  test('a deposed leader cannot write alert states: the fencing token is checked inside Redis', async () => {
    const app = nextApp();
    const store = new RedisAlertStateStore({ engine: serverEngine(redis.url), app, log });
    open.push(store);
    const a = lease(app, 'a');
    await a.start();
    const oldToken = a.fencingToken();
    expect(await store.save({ upserted: [firingAlert('backend')], removed: [] }, oldToken)).toBe(true);

    await a.close();
    const b = lease(app, 'b');
    await b.start();
    expect(b.fencingToken()).toBe((oldToken ?? 0) + 1);
    // The old leader, still believing in its term, tries to resolve the alert: refused.
    expect(
      await store.save({ upserted: [], removed: [alertKey('backend', 'SURPLUS_INSTANCES')] }, oldToken),
    ).toBe(false);
    expect(await store.save({ upserted: [firingAlert('worker')], removed: [] }, null)).toBe(false);
    const loaded = await store.load();
    expect([...loaded.keys()].sort()).toEqual(['backend|SURPLUS_INSTANCES']);
    expect(
      await store.save(
        { upserted: [firingAlert('worker')], removed: ['backend|SURPLUS_INSTANCES'] },
        b.fencingToken(),
      ),
    ).toBe(true);
    expect([...(await store.load()).keys()]).toEqual(['worker|SURPLUS_INSTANCES']);
  });

  test('persisted states that do not fit are ignored, not trusted', async () => {
    const app = nextApp();
    await redis.client.hSet(appKeys(app).alerts, {
      'backend|SURPLUS_INSTANCES': JSON.stringify(firingAlert('backend')),
      'backend|NOT_SERVING': '{"status":"firing"}',
      junk: 'not json',
    });
    const store = new RedisAlertStateStore({ engine: serverEngine(redis.url), app, log });
    open.push(store);
    expect([...(await store.load()).keys()]).toEqual(['backend|SURPLUS_INSTANCES']);
  });

  test('a leader that cannot reach Redis stops leading when its lease runs out, and leads again after', async () => {
    const app = nextApp();
    const a = lease(app, 'a');
    await a.start();
    expect(a.isLeader()).toBe(true);
    const changes: boolean[] = [];
    a.onChange((leader) => changes.push(leader));
    const down = Date.now();
    await redis.kill();
    await waitFor(async () => a.isLeader(), { until: (leader) => !leader, everyMs: 10 });
    // It may have renewed just before the kill: at most one lease; the window is twice that.
    expect(Date.now() - down).toBeLessThan(2 * LEASE_MS);
    await redis.restart();
    await waitFor(async () => a.isLeader(), { until: (leader) => leader, everyMs: 20 });
    expect(changes).toEqual([false, true]);
  });
});
