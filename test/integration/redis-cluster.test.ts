/**
 * REDIS_CLUSTER_NODES against a real Redis Cluster (six redis-server processes, three masters
 * with a replica each, AUTH on every node), in-process: each app's keys share one slot, apps
 * land on different masters, and every part works there: the agents' script and the collector's
 * feed and resync, the ingest relay, the leader lease with fenced alert states, the journals, a
 * whole aggregator of three apps; a wrong password is named by the seeds' own WRONGPASS, never
 * shown. Failover: test/chaos/cluster-failover.test.ts.
 */
import { loadAggregatorConfig } from '../../aggregator/config';
import { closeQuietly, connectOrFail, createRedisClient } from '../../shared/redis-client';
import { appKeys } from '../../shared/redis-keys';
import { captureLogs } from '../support/logs';
import {
  checkAggregator,
  checkHeartbeatsFlow,
  checkJournals,
  checkLeaseAndAlerts,
} from '../support/redis-engine-checks';
import type { TestRedisCluster } from '../support/redis-cluster';
import { startRedisCluster } from '../support/redis-cluster';

const PASSWORD = 'cluster-pass-5d1e8b';
let cluster: TestRedisCluster;

/** The engine as operators name it: the seeds, and REDIS_PASSWORD for every node. */
const env = () => ({ REDIS_CLUSTER_NODES: cluster.nodesEnv, REDIS_PASSWORD: PASSWORD });
const engine = () => {
  const redis = loadAggregatorConfig(env()).redis;
  if (redis === null) throw new Error('no engine');
  return redis;
};

/** Every key of an app, as the key module builds them. */
function keysOf(app: string): string[] {
  const k = appKeys(app);
  return [k.heartbeat('i-1'), k.seen, k.feed, k.history, k.audit, k.leader, k.fencing, k.alerts];
}

/** Three apps named `<prefix>-<n>` whose hash tags land on the three masters, one each. */
async function appsOnEachMaster(prefix: string): Promise<string[]> {
  const byMaster = new Map<number, string>();
  for (let n = 0; n < 50 && byMaster.size < 3; n++) {
    const candidate = `${prefix}-${n}`;
    const { master } = await cluster.ownerOf(appKeys(candidate).seen);
    if (!byMaster.has(master.port)) byMaster.set(master.port, candidate);
  }
  return [...byMaster.values()];
}

beforeAll(async () => {
  cluster = await startRedisCluster({ password: PASSWORD });
}, 60_000);

afterAll(() => cluster?.stop());

test('each app has one slot for all its keys, and the apps land on three different masters', async () => {
  const apps = await appsOnEachMaster('slot');
  expect(apps).toHaveLength(3);
  for (const app of apps) {
    const slots = new Set(await Promise.all(keysOf(app).map((key) => cluster.slotOf(key))));
    expect(slots.size).toBe(1);
  }
});

test("agents' heartbeats reach each app's collector from the feed and the resync, on its own master", async () => {
  const apps = await appsOnEachMaster('flow');
  await checkHeartbeatsFlow(engine(), apps);
  // Written where the slot's master is: the data of each app is on its own node.
  for (const app of apps) {
    const { master } = await cluster.ownerOf(appKeys(app).seen);
    const node = await cluster.nodeClient(master);
    try {
      expect(await node.zCard(appKeys(app).seen)).toBe(3);
      expect(await node.xLen(appKeys(app).feed)).toBe(8);
    } finally {
      node.destroy();
    }
  }
});

test('the leader lease and the fenced alert states, per app', async () => {
  await checkLeaseAndAlerts(engine(), await appsOnEachMaster('lease'));
});

test('the history and audit streams, per app', async () => {
  await checkJournals(engine(), await appsOnEachMaster('journal'));
});

test('an aggregator of three apps with in-process agents counts each right; credentials in the seed URLs do too', async () => {
  await checkAggregator(env(), await appsOnEachMaster('fleet'));
  // The password in the seeds' URLs instead of REDIS_PASSWORD: it serves every node found.
  const withUrlCredentials = cluster.nodesEnv.replace(/redis:\/\//g, `redis://:${PASSWORD}@`);
  await checkAggregator({ REDIS_CLUSTER_NODES: withUrlCredentials }, ['url-credentials']);
}, 60_000);

test("a wrong REDIS_PASSWORD fails the connection with the seeds' own WRONGPASS, never the password", async () => {
  const wrong = loadAggregatorConfig({
    REDIS_CLUSTER_NODES: cluster.nodesEnv,
    REDIS_PASSWORD: 'not-the-password',
  }).redis;
  if (wrong === null) throw new Error('no engine');
  // No redaction: the code itself must never write it.
  const { log, text, messages } = captureLogs({ service: 'test' });
  const client = createRedisClient({ engine: wrong, log, name: 'test' });
  try {
    await expect(connectOrFail(client)).rejects.toThrow(/WRONGPASS/);
    expect(client.isReady).toBe(false);
  } finally {
    await closeQuietly(client);
  }
  expect(messages()).toContain('redis unavailable');
  expect(text()).toMatch(/WRONGPASS/);
  expect(text()).not.toContain('not-the-password');
});
