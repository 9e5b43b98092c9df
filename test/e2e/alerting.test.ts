/**
 * Alerting end to end with real processes: Redis, a real Alertmanager, a local webhook
 * receiver, the built aggregator (it wants 2) and 3 agents. A lasting surplus gives exactly one
 * firing notification and the alert in Alertmanager; ending it (SIGTERM one agent) gives one
 * resolved notification and the alert leaves Alertmanager's active list.
 */
import { startAlertmanager, type TestAlertmanager } from '../support/alertmanager';
import { freePort } from '../support/redis-server';
import { useTestRedis } from '../support/redis-rig';
import { killAll, spawnAgents, spawnBuilt, type SpawnedProcess } from '../support/spawn';
import { waitFor } from '../support/wait';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { appKeys } from '../../shared/redis-keys';

const APP = 'e2e-alerting';
const RECONCILE_MS = 200;
const SURPLUS = 'ReplicaWatchSurplusInstances';

describe('alerting', () => {
  const redis = useTestRedis();
  let alertmanager: TestAlertmanager | undefined;
  let webhook: WebhookReceiver | undefined;
  const processes: SpawnedProcess[] = [];

  afterAll(async () => {
    await killAll(processes);
    await Promise.all([alertmanager?.stop(), webhook?.close()]);
  });

  test('a lasting surplus fires once (webhook + Alertmanager) and resolves once when it ends', async () => {
    // Alertmanager first: when it is missing the test fails with the install hint, nothing left running.
    alertmanager = await startAlertmanager();
    webhook = await startWebhookReceiver();
    const am = alertmanager;
    const hook = webhook;

    // The agents first, so that the aggregator's first reconcile already sees all three: no
    // passing "missing" while they start.
    const agents = spawnAgents(APP, ['backend-1', 'backend-2', 'backend-3'], { REDIS_URL: redis.url });
    processes.push(...agents);
    await waitFor(() => redis.client.zCard(appKeys(APP).seen), { until: (n) => n === 3 });

    const aggregator = spawnBuilt('aggregator/main.js', {
      REDIS_URL: redis.url,
      PORT: '0',
      HOST: '127.0.0.1',
      AGGREGATOR_APP: APP,
      DESIRED_REPLICAS: '2',
      RECONCILE_INTERVAL_MS: String(RECONCILE_MS),
      ALERT_CONFIRMATIONS: '2',
      ALERT_FOR_MS: '1000',
      ALERT_WEBHOOK_URL: hook.url,
      ALERT_WEBHOOK_SECRET: 'e2e-webhook-secret',
      ALERTMANAGER_URL: am.url,
      // Nothing listens there: its failures are logged, and the token in its path must not be.
      SLACK_WEBHOOK_URL: `http://127.0.0.1:${String(await freePort())}/services/T0/B0/SLACKTOKEN123`,
      PUBLIC_URL: 'http://replica-watch.test',
      LOG_LEVEL: 'debug',
    });
    processes.push(aggregator);
    const { port } = await aggregator.waitForLine((l) => l.message === 'aggregator listening');

    const firing = await waitFor(async () => hook.notifications(), {
      until: (ns) => ns.some((n) => n.kind === 'firing'),
      timeoutMs: 20_000,
    });
    expect(firing.map((n) => `${n.kind} ${n.labels.code}`)).toEqual(['firing SURPLUS_INSTANCES']);
    expect(firing[0]?.labels).toEqual({
      alertname: SURPLUS,
      app: APP,
      component: 'backend',
      code: 'SURPLUS_INSTANCES',
      severity: 'warning',
    });
    expect(firing[0]?.annotations.counts).toBe('desired 2, live 3, platform ready ?, platform listed ?');
    expect(firing[0]?.annotations.report_url).toBe('http://replica-watch.test/api/v1/monitoring/replicas');
    expect(hook.posts[0]?.headers['x-replica-watch-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);

    const active = await waitFor(() => am.alerts(), {
      until: (alerts) => alerts.some((a) => a.labels.alertname === SURPLUS),
      timeoutMs: 20_000,
    });
    const inAm = active.find((a) => a.labels.alertname === SURPLUS);
    expect(inAm?.labels).toMatchObject({ app: APP, component: 'backend', code: 'SURPLUS_INSTANCES' });
    expect(inAm?.status.state).toBe('active');
    expect(Date.parse(inAm?.endsAt ?? '')).toBeGreaterThan(Date.now());

    // End the surplus: one agent leaves with a goodbye.
    const [first] = agents as [SpawnedProcess, ...SpawnedProcess[]];
    expect(await first.signal('SIGTERM')).toBe(0);
    const resolved = await waitFor(async () => hook.notifications(), {
      until: (ns) => ns.some((n) => n.kind === 'resolved'),
      timeoutMs: 20_000,
    });
    expect(resolved.map((n) => `${n.kind} ${n.labels.code}`)).toEqual([
      'firing SURPLUS_INSTANCES',
      'resolved SURPLUS_INSTANCES',
    ]);
    await waitFor(() => am.alerts(), {
      until: (alerts) => !alerts.some((a) => a.labels.alertname === SURPLUS),
      timeoutMs: 20_000,
    });

    // Let ten more reconciles pass: nothing else arrives (no repeat, no second firing).
    const report = async () => {
      const res = await fetch(`http://127.0.0.1:${String(port)}/readyz`);
      return (await res.json()) as { generated_at: string };
    };
    const from = Date.parse((await report()).generated_at);
    await waitFor(report, {
      until: (r) => Date.parse(r.generated_at) >= from + 10 * RECONCILE_MS,
      timeoutMs: 20_000,
    });
    expect(hook.notifications().map((n) => n.kind)).toEqual(['firing', 'resolved']);
    expect(await aggregator.signal('SIGTERM')).toBe(0);
    expect(aggregator.lines.some((l) => l.sink === 'slack' && typeof l.err === 'string')).toBe(true);
    expect(aggregator.output()).not.toContain('SLACKTOKEN123');
    expect(aggregator.output()).not.toContain('e2e-webhook-secret');
  });
});
