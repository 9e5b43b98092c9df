/**
 * Chaos: a bad network between every process and Redis. The aggregator and six agents reach
 * Redis only through test/support/tcp-proxy.ts, which adds latency, drops every connection
 * and stalls traffic. As long as heartbeats still arrive within their TTL, nothing may be
 * reported missing, stale or surplus, and no alert may fire; a dropped connection may make the
 * aggregator briefly say it cannot read (DATA_DEGRADED, counts frozen), which is the truth.
 */
import { appKeys } from '../../shared/redis-keys';
import { connectTestClient, startRedis, type TestRedis } from '../support/redis-server';
import { pollUntil } from '../support/spawn';
import type { TcpProxy } from '../support/tcp-proxy';
import { startTcpProxy } from '../support/tcp-proxy';
import type { AggregatorProcess, ReportView, WebhookReceiver } from './harness';
import {
  AgentFleet,
  alive,
  findingCodes,
  reportOf,
  startAggregatorProcess,
  startSampler,
  startWebhookReceiver,
} from './harness';

const APP = 'chaos-proxy';
const AGENTS = 6;
const INTERVAL_MS = 500;
const TTL_MS = 3_000;

let redis: TestRedis;
let proxy: TcpProxy;
let webhook: WebhookReceiver;
let aggregator: AggregatorProcess;
const fleet = new AgentFleet({});

/** Reports that claim something about instances that is not so: all six run throughout. */
function falseFindings(samples: readonly ReportView[]): unknown[] {
  return samples
    .filter(
      (r) =>
        r.summary.active_instances !== AGENTS ||
        findingCodes(r).some((code) =>
          /MISSING_INSTANCES|STALE_HEARTBEATS|SURPLUS_INSTANCES|NOT_SERVING/.test(code),
        ),
    )
    .map((r) => ({ active: r.summary.active_instances, findings: findingCodes(r) }));
}

beforeAll(async () => {
  redis = await startRedis();
  proxy = await startTcpProxy({ host: '127.0.0.1', port: redis.port });
  webhook = await startWebhookReceiver();
  const proxied = `redis://127.0.0.1:${proxy.port}`;
  await fleet.startMany(
    Array.from({ length: AGENTS }, (_, i) => `backend-net-${i}`),
    {
      REDIS_URL: proxied,
      AGENT_APP: APP,
      AGENT_INTERVAL_MS: String(INTERVAL_MS),
      AGENT_TTL_MS: String(TTL_MS),
    },
  );
  const checker = await connectTestClient(redis.url);
  await pollUntil(
    () => checker.zCard(appKeys(APP).seen),
    (n) => n === AGENTS,
    30_000,
  );
  await checker.close();
  aggregator = await startAggregatorProcess({
    REDIS_URL: proxied,
    AGGREGATOR_APP: APP,
    DESIRED_REPLICAS: `backend=${AGENTS}`,
    RECONCILE_INTERVAL_MS: String(INTERVAL_MS),
    ALERT_CONFIRMATIONS: '2',
    ALERT_FOR_MS: '0',
    ALERT_WEBHOOK_URL: webhook.url,
  });
  await pollUntil(
    () => reportOf(aggregator.url),
    (r) => !r.degraded && r.summary.active_instances === AGENTS && !r.summary.discrepancy,
    30_000,
  );
}, 120_000);

afterAll(async () => {
  await fleet.killAll();
  await aggregator?.process.signal('SIGKILL');
  await proxy?.close();
  await webhook?.close();
  await redis?.stop();
});

test('latency of 150 ms each way: nothing changes in the report', async () => {
  const sampler = startSampler(aggregator.url, 150);
  proxy.setLatency(150);
  await new Promise((r) => setTimeout(r, 5_000));
  proxy.setLatency(0);
  await sampler.stop();
  expect(sampler.samples.length).toBeGreaterThan(10);
  expect(falseFindings(sampler.samples)).toEqual([]);
  expect(sampler.samples.filter((r) => r.degraded || findingCodes(r).length > 0).map(findingCodes)).toEqual(
    [],
  );
  expect(webhook.alerts).toEqual([]);
}, 30_000);

test('every connection dropped three times: clients reconnect, no instance is lost', async () => {
  const sampler = startSampler(aggregator.url, 150);
  const acceptedBefore = proxy.accepted();
  for (let round = 0; round < 3; round++) {
    expect(proxy.dropAll()).toBeGreaterThan(AGENTS);
    await new Promise((r) => setTimeout(r, 1_500));
  }
  const healthy = await pollUntil(
    () => reportOf(aggregator.url),
    (r) => !r.degraded && r.summary.active_instances === AGENTS,
    15_000,
  );
  expect(findingCodes(healthy)).toEqual([]);
  await new Promise((r) => setTimeout(r, 3 * INTERVAL_MS));
  await sampler.stop();
  // Every agent and both aggregator connections came back (at least once per round each).
  expect(proxy.accepted() - acceptedBefore).toBeGreaterThanOrEqual(3 * AGENTS);
  expect(falseFindings(sampler.samples)).toEqual([]);
  expect(webhook.received({ codes: ['MISSING_INSTANCES', 'STALE_HEARTBEATS', 'SURPLUS_INSTANCES'] })).toEqual(
    [],
  );
  expect(fleet.allAlive()).toBe(true);
  expect(alive(aggregator.process)).toBe(true);
}, 40_000);

test('a stall shorter than the TTL: heartbeats arrive late but in time, nothing is reported', async () => {
  const sampler = startSampler(aggregator.url, 150);
  proxy.stall();
  await new Promise((r) => setTimeout(r, 1_200));
  proxy.resume();
  await new Promise((r) => setTimeout(r, 4 * INTERVAL_MS));
  const after = await reportOf(aggregator.url);
  expect(after.summary.active_instances).toBe(AGENTS);
  await sampler.stop();
  expect(falseFindings(sampler.samples)).toEqual([]);
  expect(webhook.received({ codes: ['MISSING_INSTANCES', 'STALE_HEARTBEATS', 'SURPLUS_INSTANCES'] })).toEqual(
    [],
  );
  expect(fleet.allAlive()).toBe(true);
  expect(alive(aggregator.process)).toBe(true);
}, 30_000);
