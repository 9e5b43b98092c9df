/**
 * Chaos: a bad network between every process and Redis. The aggregator and six agents reach
 * Redis only through test/support/tcp-proxy.ts, which adds latency, drops every connection
 * and stalls traffic. As long as heartbeats still arrive within their TTL, nothing may be
 * reported missing, stale or surplus, and no alert may fire; a dropped connection may make the
 * aggregator briefly say it cannot read (DATA_DEGRADED, counts frozen), which is the truth.
 */
import { appKeys } from '../../shared/redis-keys';
import { useTestRedis } from '../support/redis-rig';
import { sampleFor, waitFor } from '../support/wait';
import type { TcpProxy } from '../support/tcp-proxy';
import { startTcpProxy } from '../support/tcp-proxy';
import type { AggregatorProcess, ReportView } from './harness';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { AgentFleet, alive, findingCodes, reportOf, startAggregatorProcess, startSampler } from './harness';

const APP = 'chaos-proxy';
const AGENTS = 6;
const INTERVAL_MS = 500;
const TTL_MS = 3_000;

const redis = useTestRedis();
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
  await waitFor(() => redis.client.zCard(appKeys(APP).seen), {
    until: (n) => n === AGENTS,
    timeoutMs: 30_000,
  });
  aggregator = await startAggregatorProcess({
    REDIS_URL: proxied,
    AGGREGATOR_APP: APP,
    DESIRED_REPLICAS: `backend=${AGENTS}`,
    RECONCILE_INTERVAL_MS: String(INTERVAL_MS),
    ALERT_CONFIRMATIONS: '2',
    ALERT_FOR_MS: '0',
    ALERT_WEBHOOK_URL: webhook.url,
  });
  await waitFor(() => reportOf(aggregator.url), {
    until: (r) => !r.degraded && r.summary.active_instances === AGENTS && !r.summary.discrepancy,
    timeoutMs: 30_000,
  });
}, 120_000);

afterAll(async () => {
  await fleet.killAll();
  await aggregator?.process.signal('SIGKILL');
  await proxy?.close();
  await webhook?.close();
});

test('latency of 150 ms each way: nothing changes in the report', async () => {
  proxy.setLatency(150);
  // Every report served during five seconds of latency.
  const samples = await sampleFor(5_000, () => reportOf(aggregator.url), 150);
  proxy.setLatency(0);
  expect(samples.length).toBeGreaterThan(10);
  expect(falseFindings(samples)).toEqual([]);
  expect(samples.filter((r) => r.degraded || findingCodes(r).length > 0).map(findingCodes)).toEqual([]);
  expect(webhook.received()).toEqual([]);
}, 30_000);

test('every connection dropped three times: clients reconnect, no instance is lost', async () => {
  const sampler = startSampler(aggregator.url, 150);
  const acceptedBefore = proxy.accepted();
  let droppedSoFar = 0;
  for (let round = 0; round < 3; round++) {
    // The agents' connections and the aggregator's own.
    const dropped = proxy.dropAll();
    expect(dropped).toBeGreaterThan(AGENTS);
    droppedSoFar += dropped;
    // The next round once every dropped connection is back (the aggregator's too, or the next
    // drop would find fewer than the agents' and the aggregator's).
    await waitFor(() => proxy.accepted(), {
      until: (n) => n >= acceptedBefore + droppedSoFar,
      what: `every client reconnected after drop ${round + 1}`,
    });
  }
  const healthy = await waitFor(() => reportOf(aggregator.url), {
    until: (r) => !r.degraded && r.summary.active_instances === AGENTS,
    timeoutMs: 15_000,
  });
  expect(findingCodes(healthy)).toEqual([]);
  // Three more intervals watched: nothing reported late.
  const afterwards = await sampleFor(3 * INTERVAL_MS, () => reportOf(aggregator.url), 150);
  await sampler.stop();
  expect(falseFindings(afterwards)).toEqual([]);
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
  // The fault itself: traffic stalls for 1.2 s, well inside the 3 s TTL.
  await new Promise((r) => setTimeout(r, 1_200));
  proxy.resume();
  // Four intervals after it, watched: the late heartbeats count, nobody goes missing.
  const active = await sampleFor(
    4 * INTERVAL_MS,
    async () => (await reportOf(aggregator.url)).summary.active_instances,
    150,
  );
  expect(new Set(active)).toEqual(new Set([AGENTS]));
  await sampler.stop();
  expect(falseFindings(sampler.samples)).toEqual([]);
  expect(webhook.received({ codes: ['MISSING_INSTANCES', 'STALE_HEARTBEATS', 'SURPLUS_INSTANCES'] })).toEqual(
    [],
  );
  expect(fleet.allAlive()).toBe(true);
  expect(alive(aggregator.process)).toBe(true);
}, 30_000);
