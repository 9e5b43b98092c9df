/**
 * Chaos: the aggregator killed (-9) and restarted, twice. Real processes over one Redis: four
 * agents where the static platform wants three, so SURPLUS_INSTANCES fires once at the webhook.
 * - After a restart the new process serves the same report at once (its first resync reads
 *   the index), and the history and the remediation audit trail written before the kill.
 * - The alert state survives: the new leader does not fire the alert again.
 * - The cause goes away while no aggregator runs: the next one sends the resolve, once.
 */
import { appKeys } from '../../shared/redis-keys';
import { useTestRedis } from '../support/redis-rig';
import { sampleFor, waitFor } from '../support/wait';
import type { AggregatorProcess, ReportView } from './harness';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { AgentFleet, findingCodes, reportOf, startAggregatorProcess } from './harness';

const APP = 'chaos-restart';
const INTERVAL_MS = 500;
const LEASE_MS = 2_000;

const redis = useTestRedis();
let webhook: WebhookReceiver;
const fleet = new AgentFleet({});
const aggregators: AggregatorProcess[] = [];

function env(): Record<string, string> {
  return {
    REDIS_URL: redis.url,
    AGGREGATOR_APP: APP,
    DESIRED_REPLICAS: 'backend=3',
    RECONCILE_INTERVAL_MS: String(INTERVAL_MS),
    ALERT_CONFIRMATIONS: '2',
    ALERT_FOR_MS: '0',
    ALERT_WEBHOOK_URL: webhook.url,
    LEADER_LEASE_MS: String(LEASE_MS),
  };
}

async function start(): Promise<AggregatorProcess> {
  const aggregator = await startAggregatorProcess(env());
  aggregators.push(aggregator);
  return aggregator;
}

/** What must be the same across a restart: counts, verdicts and finding codes (no timestamps). */
function essence(report: ReportView) {
  return {
    degraded: report.degraded,
    summary: {
      configured_replicas: report.summary.configured_replicas,
      active_instances: report.summary.active_instances,
      discrepancy: report.summary.discrepancy,
    },
    components: report.components.map((c) => ({
      name: c.name,
      desired: c.desired,
      live: c.live,
      verdict: c.verdict,
    })),
    findings: findingCodes(report),
    instances: (report.instances ?? []).map((i) => `${i.instance_id}:${i.state}`).sort(),
  };
}

async function json<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

beforeAll(async () => {
  webhook = await startWebhookReceiver();
  await fleet.startMany(['backend-r-1', 'backend-r-2', 'backend-r-3', 'backend-r-4'], {
    REDIS_URL: redis.url,
    AGENT_APP: APP,
    AGENT_INTERVAL_MS: String(INTERVAL_MS),
    AGENT_TTL_MS: '3000',
  });
  await waitFor(() => redis.client.zCard(appKeys(APP).seen), { until: (n) => n === 4, timeoutMs: 30_000 });
}, 120_000);

afterAll(async () => {
  await fleet.killAll();
  await Promise.all(aggregators.map((a) => a.process.signal('SIGKILL')));
  await webhook?.close();
});

test('killed and restarted: the same report, history and audit trail, and no second firing', async () => {
  const first = await start();
  await waitFor(async () => webhook.received({ codes: ['SURPLUS_INSTANCES'], status: 'firing' }), {
    until: (a) => a.length === 1,
    timeoutMs: 20_000,
  });
  const audit = await waitFor(() => json<{ entries: unknown[] }>(`${first.url}/api/v1/audit`), {
    until: (a) => a.entries.length > 0,
    timeoutMs: 10_000,
  });
  const history = await waitFor(
    () => json<{ points: { at?: string; t?: number }[] }>(`${first.url}/api/v1/history`),
    { until: (h) => h.points.length >= 3, timeoutMs: 10_000 },
  );
  const before = essence(await reportOf(first.url, true));
  expect(before.findings).toContain('backend:SURPLUS_INSTANCES');

  await first.process.signal('SIGKILL');
  const second = await start();
  // Its first report comes from the resync at start: the same one at once, and after an interval.
  const firstReports = await sampleFor(INTERVAL_MS + 100, async () =>
    essence(await reportOf(second.url, true)),
  );
  expect(firstReports.filter((r) => JSON.stringify(r) !== JSON.stringify(before))).toEqual([]);

  // What the first one recorded is still there.
  const auditAfter = await json<{ entries: unknown[] }>(`${second.url}/api/v1/audit`);
  expect(auditAfter.entries).toEqual(expect.arrayContaining(audit.entries));
  const historyAfter = await json<{ points: unknown[] }>(`${second.url}/api/v1/history`);
  expect(historyAfter.points).toEqual(expect.arrayContaining(history.points));

  // It takes the lease over once the dead leader's runs out, carries the firing alert on, and
  // does not fire it again.
  await waitFor(() => json<{ leader?: boolean }>(`${second.url}/readyz`), {
    until: (r) => r.leader === true,
    timeoutMs: LEASE_MS + 5_000,
  });
  // Watched for four intervals: a second firing would show.
  const firings = await sampleFor(
    4 * INTERVAL_MS,
    () => webhook.received({ codes: ['SURPLUS_INSTANCES'], status: 'firing' }).length,
  );
  expect(new Set(firings)).toEqual(new Set([1]));
  expect(webhook.received({ codes: ['SURPLUS_INSTANCES'], status: 'firing' })).toHaveLength(1);
  expect(webhook.received({ codes: ['SURPLUS_INSTANCES'], status: 'resolved' })).toHaveLength(0);
}, 60_000);

test('the cause goes away while no aggregator runs: the next one resolves the alert, once', async () => {
  const running = aggregators[aggregators.length - 1] as AggregatorProcess;
  await running.process.signal('SIGKILL');
  // One agent stops for good (its goodbye is recorded in Redis): three remain, as wanted.
  expect(await fleet.signal('backend-r-4', 'SIGTERM')).toBe(0);
  const third = await start();
  const resolved = await waitFor(
    async () => webhook.received({ codes: ['SURPLUS_INSTANCES'], status: 'resolved' }),
    { until: (a) => a.length === 1, timeoutMs: LEASE_MS + 10_000 },
  );
  expect(resolved).toHaveLength(1);
  const report = await reportOf(third.url);
  expect(report.summary).toMatchObject({ configured_replicas: 3, active_instances: 3, discrepancy: false });
  // No firing again, no second resolve, for four intervals.
  const sent = await sampleFor(
    4 * INTERVAL_MS,
    () => webhook.received({ codes: ['SURPLUS_INSTANCES'] }).length,
  );
  expect(new Set(sent)).toEqual(new Set([2]));
  expect(webhook.received({ codes: ['SURPLUS_INSTANCES'] }).map((a) => a.status)).toEqual([
    'firing',
    'resolved',
  ]);
}, 60_000);
