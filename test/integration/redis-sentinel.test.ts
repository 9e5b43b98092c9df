/**
 * REDIS_SENTINELS + REDIS_SENTINEL_MASTER against real sentinels (a master, its replica and
 * three sentinels; AUTH on the data nodes through REDIS_PASSWORD and on the sentinels through
 * the credentials in their URLs), in-process: the primary is found through the sentinels and
 * every part works on it: the agents' script and the collector's feed and resync, the ingest
 * relay, the leader lease with fenced alert states, the journals, a whole aggregator of several
 * apps. Failover: test/chaos/sentinel-failover.test.ts.
 */
import { loadAggregatorConfig } from '../../aggregator/config';
import { appKeys } from '../../shared/redis-keys';
import {
  checkAggregator,
  checkHeartbeatsFlow,
  checkJournals,
  checkLeaseAndAlerts,
} from '../support/redis-engine-checks';
import type { TestRedisSentinel } from '../support/redis-sentinel';
import { startRedisSentinel } from '../support/redis-sentinel';

const PASSWORD = 'data-pass-8c2f41';
const SENTINEL_PASSWORD = 'sentinel-pass-3b9e07';
let sentinel: TestRedisSentinel;

const env = () => ({
  REDIS_SENTINELS: sentinel.sentinelsEnv,
  REDIS_SENTINEL_MASTER: sentinel.masterName,
  REDIS_PASSWORD: PASSWORD,
});
const engine = () => {
  const redis = loadAggregatorConfig(env()).redis;
  if (redis === null) throw new Error('no engine');
  return redis;
};

beforeAll(async () => {
  sentinel = await startRedisSentinel({ password: PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
}, 60_000);

afterAll(() => sentinel?.stop());

test("agents' heartbeats reach each app's collector from the feed and the resync, on the primary", async () => {
  const apps = ['flow-a', 'flow-b'];
  await checkHeartbeatsFlow(engine(), apps);
  const primary = await sentinel.master();
  expect(primary.port).toBe(sentinel.servers[0]?.port);
  const node = await sentinel.serverClient(primary);
  try {
    for (const app of apps) expect(await node.zCard(appKeys(app).seen)).toBe(3);
  } finally {
    node.destroy();
  }
});

test('the leader lease and the fenced alert states, per app', async () => {
  await checkLeaseAndAlerts(engine(), ['lease-a', 'lease-b']);
});

test('the history and audit streams, per app', async () => {
  await checkJournals(engine(), ['journal-a', 'journal-b']);
});

test('an aggregator of two apps with in-process agents counts each right', async () => {
  await checkAggregator(env(), ['fleet-a', 'fleet-b']);
}, 60_000);

test('a master name the sentinels do not know is a connection failure naming it', async () => {
  const { createRedisClient, connectOrFail, closeQuietly } = await import('../../shared/redis-client');
  const { silentLogger } = await import('../../shared/logger');
  const wrongName = loadAggregatorConfig({ ...env(), REDIS_SENTINEL_MASTER: 'no-such-primary' }).redis;
  if (wrongName === null) throw new Error('no engine');
  const client = createRedisClient({ engine: wrongName, log: silentLogger(), name: 'test' });
  try {
    await expect(connectOrFail(client)).rejects.toThrow(/knows no primary named "no-such-primary"/);
    expect(client.isReady).toBe(false);
  } finally {
    await closeQuietly(client);
  }
});
