/**
 * Chaos: agents come and go. Real processes: the aggregator reads a simulated App Platform
 * (PLATFORM=digitalocean pointed at startSimulatedPlatform) and Redis; one agent process per
 * instance the platform runs.
 * - A rolling deploy: the platform deploys a new generation while new agents start beside the
 *   old ones (surge) and the old ones are SIGTERMed; no alert may fire during it, and after it
 *   the counts are those of the new generation.
 * - kill -9 in bursts: the count follows each burst within the TTL, and when the platform's
 *   replacements come up, back again; any alert the loss raised is resolved. A burst that
 *   silences more than SELF_PRESERVATION_THRESHOLD (half) of the fleet at once is, by design,
 *   taken for the aggregator's own blindness: counts freeze, DATA_DEGRADED, no MISSING alert.
 */
import { instanceName, templateHash } from '../../aggregator/platform/simulated/ids';
import type { Scenario, SimulatedPlatform } from '../../aggregator/platform/simulated';
import { SCENARIOS, startSimulatedPlatform } from '../../aggregator/platform/simulated';
import { appKeys } from '../../shared/redis-keys';
import { freePort } from '../support/redis-server';
import { useTestRedis } from '../support/redis-rig';
import { sampleFor, waitFor } from '../support/wait';
import type { AggregatorProcess } from './harness';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { AgentFleet, alive, findingCodes, reportOf, startAggregatorProcess, startSampler } from './harness';

const REPLICAS = 6;
const INTERVAL_MS = 500;
const TTL_MS = 2_500;

/** The steady app with six backend replicas. */
const SCENARIO: Scenario = {
  ...SCENARIOS.steady,
  components: [{ name: 'backend', kind: 'service', instanceCount: REPLICAS }],
  instances: [{ component: 'backend', deployment: 'D2', count: REPLICAS, ready: true, serving: true }],
};

const redis = useTestRedis();
let platform: SimulatedPlatform;
let webhook: WebhookReceiver;
let aggregator: AggregatorProcess;
let fleet: AgentFleet;

function backend(report: Awaited<ReturnType<typeof reportOf>>) {
  const component = report.components.find((c) => c.name === 'backend');
  if (!component) throw new Error('no backend component in the report');
  return component;
}

beforeAll(async () => {
  webhook = await startWebhookReceiver();
  platform = await startSimulatedPlatform({ scenario: SCENARIO, transitionDelayMs: 14_000, fault: null });
  fleet = new AgentFleet({
    REDIS_URL: redis.url,
    AGENT_APP: platform.appId,
    AGENT_COMPONENT: 'backend',
    AGENT_INTERVAL_MS: String(INTERVAL_MS),
    AGENT_TTL_MS: String(TTL_MS),
  });
  // The instances the platform runs, each with its agent, before the aggregator looks.
  await Promise.all(
    platform.state.agents().map((a) => fleet.start(a.instanceId, { DEPLOYMENT_ID: a.deploymentId })),
  );
  await waitFor(() => redis.client.zCard(appKeys(platform.appId).seen), {
    until: (n) => n === REPLICAS,
    timeoutMs: 30_000,
  });
  aggregator = await startAggregatorProcess({
    PORT: String(await freePort()),
    REDIS_URL: redis.url,
    PLATFORM: 'digitalocean',
    DO_API_BASE_URL: platform.url,
    DO_API_TOKEN: 'chaos-churn-token',
    DO_APP_ID: platform.appId,
    PLATFORM_CACHE_TTL_MS: '1000',
    RECONCILE_INTERVAL_MS: String(INTERVAL_MS),
    ALERT_CONFIRMATIONS: '2',
    ALERT_FOR_MS: '0',
    ALERT_WEBHOOK_URL: webhook.url,
  });
  await waitFor(() => reportOf(aggregator.url), {
    until: (r) => !r.degraded && backend(r).verdict === 'ok' && backend(r).live === REPLICAS,
    timeoutMs: 30_000,
  });
}, 120_000);

afterAll(async () => {
  await fleet?.killAll();
  await aggregator?.process.signal('SIGKILL');
  await platform?.close();
  await webhook?.close();
});

test('a rolling deploy with SIGTERMed old agents: counts follow, no alert fires', async () => {
  const sinceMs = Date.now();
  const sampler = startSampler(aggregator.url, 200);
  const deployment = platform.state.restart(['backend']);
  // The names the platform will give the new generation (simulated/ids: hash of the
  // deployment's template, suffix from a serial per deployment): its agents start beside the
  // old ones during the rollout, as the platform's surge instances would.
  const hash = templateHash(deployment.id, 'backend');
  const fresh = Array.from({ length: REPLICAS }, (_, k) =>
    instanceName('backend', hash, `${platform.appId}/${deployment.id}/${k}`),
  );
  const old = fleet.ids();
  await waitFor(() => reportOf(aggregator.url), {
    until: (r) => backend(r).verdict === 'rolling',
    timeoutMs: 10_000,
  });

  for (let pair = 0; pair < REPLICAS; pair += 2) {
    await Promise.all(
      fresh.slice(pair, pair + 2).map((id) => fleet.start(id, { DEPLOYMENT_ID: deployment.id })),
    );
    // As the platform does, the old instances go only once the new ones are ready: here, once
    // their first heartbeats are in (a loaded machine may take a moment to start them).
    await waitFor(() => reportOf(aggregator.url), {
      until: (r) => backend(r).live >= REPLICAS + 2,
      timeoutMs: 10_000,
    });
    const exits = await Promise.all(old.slice(pair, pair + 2).map((id) => fleet.signal(id, 'SIGTERM')));
    expect(exits).toEqual([0, 0]);
  }
  expect(platform.state.snapshot().inProgressId).toBe(deployment.id);

  // The platform completes the deployment; its instances are exactly the new agents.
  await waitFor(async () => platform.state.snapshot().inProgressId, {
    until: (id) => id === null,
    timeoutMs: 20_000,
  });
  expect(
    platform.state
      .agents()
      .map((a) => a.instanceId)
      .sort(),
  ).toEqual([...fresh].sort());
  const settled = await waitFor(() => reportOf(aggregator.url), {
    until: (r) => backend(r).verdict === 'ok' && backend(r).live === REPLICAS,
    timeoutMs: 10_000,
  });
  expect(backend(settled)).toMatchObject({ desired: REPLICAS, live: REPLICAS, platform_instances: REPLICAS });
  // Three more intervals after it settled, watched: an alert would have fired by now.
  const firing = await sampleFor(
    3 * INTERVAL_MS,
    () => webhook.received({ sinceMs, status: 'firing' }).length,
  );
  expect(new Set(firing)).toEqual(new Set([0]));
  await sampler.stop();

  expect(webhook.received({ sinceMs, status: 'firing' })).toEqual([]);
  // During the rollout the live count never dropped below the desired count: the old instances
  // left only once the new ones ran, and none was ever taken for missing.
  expect(sampler.samples.filter((r) => backend(r).live < REPLICAS).map((r) => backend(r).live)).toEqual([]);
  expect(sampler.samples.flatMap(findingCodes).filter((c) => /MISSING|STALE/.test(c))).toEqual([]);
  expect(sampler.samples.some((r) => backend(r).verdict === 'rolling')).toBe(true);
}, 60_000);

test('kill -9 in bursts: the count follows each burst and comes back with the replacements', async () => {
  const sinceMs = Date.now();
  for (const burst of [2, 3]) {
    const victims = fleet.ids().slice(0, burst);
    const deploymentId = platform.state.agents()[0]?.deploymentId ?? '';
    const killedAtMs = Date.now();
    await Promise.all(victims.map((id) => fleet.signal(id, 'SIGKILL')));
    const dropped = await waitFor(() => reportOf(aggregator.url, true), {
      until: (r) => backend(r).live === REPLICAS - burst,
      timeoutMs: TTL_MS + 8_000,
    });
    // Not before the TTL ran out: a heartbeat or two missed is not yet an instance gone.
    expect(Date.now() - killedAtMs).toBeGreaterThanOrEqual(TTL_MS - INTERVAL_MS);
    const gone = (dropped.instances ?? []).filter((i) => i.state === 'gone').map((i) => i.instance_id);
    expect(gone.sort()).toEqual([...victims].sort());
    expect(findingCodes(dropped)).toContain('backend:STALE_HEARTBEATS');

    // The platform restarts them under the same names: new boots of the same instances.
    await Promise.all(victims.map((id) => fleet.start(id, { DEPLOYMENT_ID: deploymentId })));
    await waitFor(() => reportOf(aggregator.url), {
      until: (r) => backend(r).live === REPLICAS && !findingCodes(r).some((c) => /MISSING|STALE/.test(c)),
      timeoutMs: 15_000,
    });
  }
  // Whatever the losses raised is resolved once the replacements run: no resolve is lost.
  const fired = webhook.received({ sinceMs, status: 'firing' });
  await waitFor(async () => webhook.received({ sinceMs, status: 'resolved' }), {
    until: (resolved) =>
      fired.every((f) =>
        resolved.some((r) => r.code === f.code && r.component === f.component && r.atMs >= f.atMs),
      ),
    timeoutMs: 10_000,
  });
  expect(alive(aggregator.process)).toBe(true);
  expect(fleet.allAlive()).toBe(true);
}, 60_000);

test('kill -9 of most of the fleet at once: self-preservation freezes the counts, no MISSING alert', async () => {
  const sinceMs = Date.now();
  const victims = fleet.ids().slice(0, 4);
  const deploymentId = platform.state.agents()[0]?.deploymentId ?? '';
  const sampler = startSampler(aggregator.url, 200);
  await Promise.all(victims.map((id) => fleet.signal(id, 'SIGKILL')));
  const frozen = await waitFor(() => reportOf(aggregator.url), {
    until: (r) => r.degraded,
    timeoutMs: TTL_MS + 8_000,
  });
  expect(findingCodes(frozen)).toEqual(['backend:DATA_DEGRADED']);
  expect(backend(frozen).findings[0]?.message).toMatch(/self-preservation/);
  // Held a few intervals: the count stays frozen at its last trusted value throughout.
  const held = await sampleFor(
    4 * INTERVAL_MS,
    async () => backend(await reportOf(aggregator.url)).live,
    100,
  );
  expect(new Set(held)).toEqual(new Set([REPLICAS]));

  const restartAtMs = Date.now();
  await Promise.all(victims.map((id) => fleet.start(id, { DEPLOYMENT_ID: deploymentId })));
  await waitFor(() => reportOf(aggregator.url), {
    until: (r) => !r.degraded && backend(r).verdict === 'ok' && backend(r).live === REPLICAS,
    timeoutMs: 15_000,
  });
  await sampler.stop();
  // Frozen until the replacements start. (Once enough of them renew, the episode ends; one
  // that is still starting then counts as gone for a moment, as it should.)
  const whileFrozen = sampler.samples.filter((r) => Date.parse(r.generated_at) < restartAtMs);
  expect(whileFrozen.length).toBeGreaterThan(0);
  expect(whileFrozen.filter((r) => backend(r).live !== REPLICAS).map((r) => backend(r).live)).toEqual([]);
  expect(webhook.received({ sinceMs, codes: ['MISSING_INSTANCES', 'STALE_HEARTBEATS'] })).toEqual([]);
}, 60_000);
