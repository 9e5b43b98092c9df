/**
 * High availability with real processes: two aggregators on one Redis with a short lease.
 * Exactly one leads; kill -9 the leader and the other leads within one lease; a lasting surplus
 * across the handover is notified exactly once.
 */
import { useTestRedis } from '../support/redis-rig';
import { killAll, spawnAgents, spawnBuilt, type SpawnedProcess } from '../support/spawn';
import { sampleFor, waitFor } from '../support/wait';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { appKeys } from '../../shared/redis-keys';

const APP = 'e2e-ha';
const LEASE_MS = 1_500;
const RECONCILE_MS = 200;

interface Readiness {
  readonly leader?: boolean;
  readonly generated_at: string;
}

async function readyz(url: string): Promise<Readiness> {
  const res = await fetch(`${url}/readyz`);
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return (await res.json()) as Readiness;
}

describe('two aggregators on one Redis', () => {
  const redis = useTestRedis();
  let webhook: WebhookReceiver | undefined;
  const processes: SpawnedProcess[] = [];

  afterAll(async () => {
    await killAll(processes);
    await webhook?.close();
  });

  test('one leads; kill -9 it and the other leads within one lease; the surplus is notified once', async () => {
    webhook = await startWebhookReceiver();
    const hook = webhook;
    const redisUrl = redis.url;
    const agents = spawnAgents(APP, ['backend-1', 'backend-2', 'backend-3'], { REDIS_URL: redisUrl });
    processes.push(...agents);
    await waitFor(() => redis.client.zCard(appKeys(APP).seen), { until: (n) => n === 3, timeoutMs: 20_000 });

    const aggregators = [1, 2].map(() =>
      spawnBuilt('aggregator/main.js', {
        REDIS_URL: redisUrl,
        PORT: '0',
        HOST: '127.0.0.1',
        AGGREGATOR_APP: APP,
        DESIRED_REPLICAS: '2',
        RECONCILE_INTERVAL_MS: String(RECONCILE_MS),
        LEADER_LEASE_MS: String(LEASE_MS),
        ALERT_CONFIRMATIONS: '2',
        ALERT_FOR_MS: '1000',
        ALERT_WEBHOOK_URL: hook.url,
      }),
    );
    processes.push(...aggregators);
    const urls = await Promise.all(
      aggregators.map(async (a) => {
        const { port } = await a.waitForLine((l) => l.message === 'aggregator listening');
        return `http://127.0.0.1:${String(port)}`;
      }),
    );

    // Exactly one leads, and it stays so over several lease renewals.
    const leaders = async () => (await Promise.all(urls.map(readyz))).map((r) => r.leader);
    await waitFor(leaders, { until: (l) => l.filter((x) => x === true).length === 1 });
    const held = await sampleFor((5 * LEASE_MS) / 3, leaders);
    expect(held.filter((l) => l.filter((x) => x === false).length !== 1)).toEqual([]);
    const roles = await leaders();
    const leaderIndex = roles.indexOf(true);
    const leader = aggregators[leaderIndex] as SpawnedProcess;
    const followerUrl = urls[1 - leaderIndex] as string;

    await waitFor(async () => hook.notifications(), { until: (ns) => ns.length > 0, timeoutMs: 20_000 });
    expect(hook.notifications().map((n) => `${n.kind} ${n.labels.code}`)).toEqual([
      'firing SURPLUS_INSTANCES',
    ]);

    const killedAt = Date.now();
    await leader.signal('SIGKILL');
    await waitFor(() => readyz(followerUrl), {
      until: (r) => r.leader === true,
      timeoutMs: 10_000,
      everyMs: 20,
    });
    // The dead leader's lease ran out at most one lease after its last renewal; the window is
    // twice that, for a loaded machine (a follower that waited out a second lease still fails it).
    expect(Date.now() - killedAt).toBeLessThan(2 * LEASE_MS);
    const metrics = await (await fetch(`${followerUrl}/metrics`)).text();
    expect(metrics).toContain(`replica_watch_leader{app="${APP}"} 1`);

    // The new leader carries on for many reconciles with the surplus still there: no second firing.
    const from = Date.parse((await readyz(followerUrl)).generated_at);
    await waitFor(() => readyz(followerUrl), {
      until: (r) => Date.parse(r.generated_at) >= from + 15 * RECONCILE_MS,
      timeoutMs: 20_000,
    });
    expect(hook.notifications().map((n) => `${n.kind} ${n.labels.code}`)).toEqual([
      'firing SURPLUS_INSTANCES',
    ]);

    // And the resolve comes from the new leader, once.
    expect(await (agents[0] as SpawnedProcess).signal('SIGTERM')).toBe(0);
    await waitFor(async () => hook.notifications(), { until: (ns) => ns.length > 1, timeoutMs: 20_000 });
    expect(hook.notifications().map((n) => `${n.kind} ${n.labels.code}`)).toEqual([
      'firing SURPLUS_INSTANCES',
      'resolved SURPLUS_INSTANCES',
    ]);
    // Each term took a new fencing token: at least the first leader's and the second's.
    expect(Number(await redis.client.get(appKeys(APP).fencing))).toBeGreaterThanOrEqual(2);
  });
});
