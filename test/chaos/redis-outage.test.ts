/**
 * Chaos: Redis killed under 20 agents and kept down for 10 s, then restarted empty on the same
 * port. Real processes: the aggregator and 20 agents, each agent with Redis first and the
 * aggregator's HTTP ingest as fallback. Expected: no process crashes; the report says degraded
 * while the collector is blind, but never loses an instance (self-preservation, and the HTTP
 * fallback keeps the registry fed); no MISSING or STALE alert reaches the webhook; the agents
 * fail over to HTTP and come back to Redis; the counts are right within two intervals of
 * Redis returning.
 */
import { appKeys } from '../../shared/redis-keys';
import { freePort } from '../support/redis-server';
import { useTestRedis } from '../support/redis-rig';
import { sampleFor, waitFor } from '../support/wait';
import type { AggregatorProcess } from './harness';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { AgentFleet, alive, findingCodes, reportOf, startAggregatorProcess, startSampler } from './harness';

const APP = 'chaos-redis-outage';
const AGENTS = 20;
const INTERVAL_MS = 500;
const OUTAGE_MS = 10_000;

const redis = useTestRedis();
let webhook: WebhookReceiver;
let aggregator: AggregatorProcess;
const fleet = new AgentFleet({});

beforeAll(async () => {
  webhook = await startWebhookReceiver();
  // The fleet is up before the aggregator starts, so its first report already counts all 20:
  // a fleet still starting would be a true MISSING_INSTANCES of its own.
  const port = await freePort();
  const ids = Array.from({ length: AGENTS }, (_, i) => `backend-outage-${String(i).padStart(2, '0')}`);
  await fleet.startMany(ids, {
    REDIS_URL: redis.url,
    AGGREGATOR_URL: `http://127.0.0.1:${port}`,
    AGENT_APP: APP,
    AGENT_INTERVAL_MS: String(INTERVAL_MS),
    AGENT_TTL_MS: '3000',
  });
  await waitFor(() => redis.client.zCard(appKeys(APP).seen), {
    until: (n) => n === AGENTS,
    timeoutMs: 30_000,
  });
  aggregator = await startAggregatorProcess({
    PORT: String(port),
    REDIS_URL: redis.url,
    AGGREGATOR_APP: APP,
    DESIRED_REPLICAS: `backend=${AGENTS}`,
    RECONCILE_INTERVAL_MS: String(INTERVAL_MS),
    RESYNC_INTERVAL_MS: '2000',
    ALERT_CONFIRMATIONS: '2',
    ALERT_FOR_MS: '0',
    ALERT_WEBHOOK_URL: webhook.url,
    LEADER_LEASE_MS: '3000',
  });
  await waitFor(() => reportOf(aggregator.url), {
    until: (r) =>
      !r.degraded && r.summary.active_instances === AGENTS && r.components.every((c) => c.verdict === 'ok'),
    timeoutMs: 40_000,
  });
}, 120_000);

afterAll(async () => {
  await fleet.killAll();
  await aggregator?.process.signal('SIGKILL');
  await webhook?.close();
});

test('Redis down for 10 s under 20 agents: degraded, no instance lost, no MISSING alert, back within two intervals', async () => {
  const sampler = startSampler(aggregator.url, 200);
  const killedAtMs = Date.now();
  await redis.kill();

  // The aggregator notices and says so.
  const degraded = await waitFor(() => reportOf(aggregator.url), {
    until: (r) => r.degraded,
    timeoutMs: 8_000,
  });
  expect(findingCodes(degraded)).toContain('backend:DATA_DEGRADED');
  // Every agent falls back to the aggregator's HTTP ingest.
  for (const id of fleet.ids()) {
    await fleet.get(id)?.waitForLine((l) => l.message === 'heartbeat transport failing over', 8_000);
  }

  // The outage itself lasts OUTAGE_MS: the fault's schedule, not a wait for a state.
  await new Promise((r) => setTimeout(r, Math.max(0, killedAtMs + OUTAGE_MS - Date.now())));
  expect(alive(aggregator.process)).toBe(true);
  expect(fleet.allAlive()).toBe(true);
  await redis.restart();
  const restoredAtMs = Date.now();

  // Within two reconcile intervals after Redis is back (the window is twice that, for a loaded
  // machine) the counts are right; the HTTP fallback means they never went wrong.
  const after = await waitFor(() => reportOf(aggregator.url), {
    until: (r) => r.summary.active_instances === AGENTS,
    timeoutMs: 2 * (2 * INTERVAL_MS),
  });
  expect(after.summary.active_instances).toBe(AGENTS);
  expect(after.components.find((c) => c.name === 'backend')?.live).toBe(AGENTS);

  // The collector reads Redis again (its reconnect backoff is capped at 5 s), and the agents
  // return to Redis.
  const healthy = await waitFor(() => reportOf(aggregator.url), {
    until: (r) => !r.degraded,
    timeoutMs: 15_000,
  });
  expect(healthy.summary.active_instances).toBe(AGENTS);
  for (const id of fleet.ids()) {
    await fleet.get(id)?.waitForLine((l) => l.message === 'heartbeat transport restored', 15_000);
  }
  // A couple more intervals of the healthy state, watched, for alerts to have had their chance.
  const countAlertsLater = await sampleFor(
    4 * INTERVAL_MS,
    () => webhook.received({ codes: ['MISSING_INSTANCES', 'STALE_HEARTBEATS', 'SURPLUS_INSTANCES'] }).length,
  );
  await sampler.stop();
  expect(new Set(countAlertsLater)).toEqual(new Set([0]));

  // Every report served during all of it: all 20 counted, no instance found missing or stale.
  expect(sampler.samples.length).toBeGreaterThan(OUTAGE_MS / 400);
  const wrong = sampler.samples.filter(
    (r) =>
      r.summary.active_instances !== AGENTS ||
      findingCodes(r).some((code) => /MISSING_INSTANCES|STALE_HEARTBEATS|SURPLUS_INSTANCES/.test(code)),
  );
  expect(wrong.map((r) => [r.summary.active_instances, findingCodes(r)])).toEqual([]);
  expect(sampler.samples.some((r) => r.degraded)).toBe(true);
  expect(sampler.errors).toEqual([]);

  const countAlerts = webhook.received({
    codes: ['MISSING_INSTANCES', 'STALE_HEARTBEATS', 'SURPLUS_INSTANCES'],
  });
  expect(countAlerts.map((a) => ({ ...a, sinceKillMs: a.atMs - killedAtMs }))).toEqual([]);
  expect(alive(aggregator.process)).toBe(true);
  expect(fleet.allAlive()).toBe(true);
  expect(Date.now() - restoredAtMs).toBeLessThan(40_000);
}, 60_000);
