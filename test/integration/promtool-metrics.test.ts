/**
 * `promtool check metrics` over the real /metrics output of a running aggregator (heartbeats
 * ingested through Redis, findings present) and of a running agent (probing a backend, sending
 * through Redis). promtool lints names, units, suffixes and help texts the way Prometheus users
 * expect them; it must find nothing.
 */
import type { RunningAgent } from '../../agent/app';
import { startAgent } from '../../agent/app';
import { loadAgentConfig } from '../../agent/config';
import type { RunningAggregator } from '../../aggregator/app';
import { startAggregator } from '../../aggregator/app';
import { loadAggregatorConfig } from '../../aggregator/config';
import { serializeHeartbeat } from '../../shared/heartbeat';
import { makeHeartbeat } from '../support/heartbeats';
import { promtool } from '../support/promtool';
import { useTestRedis } from '../support/redis-rig';
import { waitFor } from '../support/wait';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const APP = 'promtool-app';

const redis = useTestRedis();
/** The backend the agent probes: any 200 will do for its health URL. */
let backend: WebhookReceiver;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  backend = await startWebhookReceiver();
});

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

afterAll(() => backend.close());

async function scrape(url: string): Promise<{ contentType: string; text: string }> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return { contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** Metric family names declared by `# TYPE` lines. */
function families(text: string): string[] {
  return [...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1] ?? '');
}

async function expectPromtoolAccepts(text: string): Promise<void> {
  const result = await promtool(['check', 'metrics'], text);
  // promtool prints one line per problem; exit code 0 and no output means none.
  expect({ code: result.code, problems: (result.stdout + result.stderr).trim() }).toEqual({
    code: 0,
    problems: '',
  });
}

async function startTestAggregator(): Promise<RunningAggregator> {
  const aggregator = await startAggregator(
    loadAggregatorConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      AGGREGATOR_APP: APP,
      DESIRED_REPLICAS: 'backend=2,worker=1',
      ACTIVE_DEPLOYMENT_ID: 'dep-2',
      RECONCILE_INTERVAL_MS: '100',
    }),
  );
  stops.push(() => aggregator.stop());
  return aggregator;
}

async function post(url: string, body: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/heartbeats`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

describe('promtool check metrics', () => {
  test('accepts the aggregator /metrics with a fleet reporting and findings present', async () => {
    const aggregator = await startTestAggregator();
    const now = Date.now();
    const hb = (instance_id: string, overrides: Parameters<typeof makeHeartbeat>[0] = {}) =>
      serializeHeartbeat(
        makeHeartbeat({ app: APP, instance_id, sent_at: now, started_at: now - 60_000, ...overrides }),
      );
    // backend: one on the active deployment, one orphan of dep-1, one failing its probe.
    expect(await post(aggregator.url, hb('backend-a', { deployment_id: 'dep-2' }))).toBe(202);
    expect(await post(aggregator.url, hb('backend-b', { deployment_id: 'dep-1' }))).toBe(202);
    expect(
      await post(
        aggregator.url,
        hb('backend-c', {
          deployment_id: 'dep-2',
          serving: { ok: false, status: 503, latency_ms: 4, error: null, checked_at: now },
        }),
      ),
    ).toBe(202);
    expect(await post(aggregator.url, '{"v":1,"type":"heartbeat"}')).toBe(400);

    const text = await waitFor(
      async () => {
        aggregator.reconcileNow();
        const { text: body } = await scrape(`${aggregator.url}/metrics`);
        return /^replica_watch_live_instances\{[^}]*component="backend"[^}]*\} 3$/m.test(body) &&
          /^replica_watch_feed_lag_seconds\{app="promtool-app"\} /m.test(body)
          ? body
          : null;
      },
      { what: 'the fleet in /metrics' },
    );

    expect(families(text)).toEqual(
      expect.arrayContaining([
        'replica_watch_desired_replicas',
        'replica_watch_desired_max_replicas',
        'replica_watch_platform_ready_replicas',
        'replica_watch_platform_listed_instances',
        'replica_watch_live_instances',
        'replica_watch_serving_instances',
        'replica_watch_stale_instances',
        'replica_watch_orphaned_instances',
        'replica_watch_component_verdict',
        'replica_watch_findings',
        'replica_watch_degraded',
        'replica_watch_reconcile_duration_seconds',
        'replica_watch_heartbeats_applied_total',
        'replica_watch_heartbeats_rejected_total',
        'replica_watch_platform_api_requests_total',
        'replica_watch_platform_data_age_seconds',
        'replica_watch_feed_lag_seconds',
        'replica_watch_registry_instances',
        'replica_watch_alert_notifications_total',
        'replica_watch_leader',
      ]),
    );
    // The findings this fleet must produce, each a series of its own.
    for (const code of ['ORPHANED_INSTANCES', 'NOT_SERVING', 'MISSING_INSTANCES'])
      expect(text).toMatch(new RegExp(`^replica_watch_findings\\{[^}]*code="${code}"[^}]*\\} 1$`, 'm'));
    expect(text).toMatch(/^replica_watch_heartbeats_rejected_total\{reason="[a-z_]+"\} 1$/m);
    expect(text).toMatch(/^replica_watch_registry_instances\{app="promtool-app"\} 3$/m);
    // Bounded labels: no series is labelled with an instance id.
    expect(text).not.toMatch(/backend-[abc]/);

    await expectPromtoolAccepts(text);
  });

  test('accepts the aggregator /metrics while it reads App Platform (simulated) through the real client', async () => {
    const aggregator = await startAggregator(
      loadAggregatorConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        PLATFORM: 'simulated',
        SIMULATED_SCENARIO: 'steady',
        RECONCILE_INTERVAL_MS: '100',
      }),
    );
    stops.push(() => aggregator.stop());
    const text = await waitFor(
      async () => {
        aggregator.reconcileNow();
        const { text: body } = await scrape(`${aggregator.url}/metrics`);
        return /^replica_watch_platform_api_requests_total\{endpoint="GET \/v2\/apps\/\{id\}",status="200"\} [1-9]/m.test(
          body,
        ) && /^replica_watch_platform_data_age_seconds\{app="[^"]+"\} /m.test(body)
          ? body
          : null;
      },
      { what: 'platform calls and the data age in /metrics' },
    );
    expect(text).toMatch(
      /^replica_watch_platform_api_requests_total\{endpoint="GET \/v2\/apps\/\{app_id\}\/health",status="200"\} [1-9]/m,
    );
    await expectPromtoolAccepts(text);
  });

  test('accepts the agent /metrics while it sends heartbeats and probes its backend', async () => {
    const agent: RunningAgent = await startAgent(
      loadAgentConfig(
        {
          AGENT_ENABLED: 'true',
          REDIS_URL: redis.url,
          AGENT_APP: APP,
          AGENT_INSTANCE_ID: 'backend-agent-1',
          AGENT_INTERVAL_MS: '200',
          AGENT_TTL_MS: '1000',
          AGENT_PORT: '0',
          AGENT_HOST: '127.0.0.1',
          AGENT_PROBE_URL: `${backend.baseUrl}/health`,
        },
        { hostname: 'test-host' },
      ),
    );
    stops.push(() => agent.stop());
    const url = `http://127.0.0.1:${agent.port}/metrics`;

    const { contentType, text } = await waitFor(
      async () => {
        const scraped = await scrape(url);
        return /^replica_watch_agent_heartbeats_sent_total\{transport="redis"\} [1-9]/m.test(scraped.text) &&
          /^replica_watch_agent_probe_latency_seconds_count [1-9]/m.test(scraped.text)
          ? scraped
          : null;
      },
      { what: 'heartbeats sent and a probe observed' },
    );

    expect(contentType).toMatch(/^text\/plain/);
    expect(families(text)).toEqual(
      expect.arrayContaining([
        'replica_watch_agent_heartbeats_sent_total',
        'replica_watch_agent_heartbeats_failed_total',
        'replica_watch_agent_probe_up',
        'replica_watch_agent_probe_latency_seconds',
        'process_cpu_user_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_eventloop_lag_seconds',
      ]),
    );
    expect(text).toMatch(/^replica_watch_agent_probe_up 1$/m);
    expect(text).not.toMatch(/backend-agent-1/);

    await expectPromtoolAccepts(text);
  });

  test('promtool itself finds a broken exposition (the check can fail)', async () => {
    const broken = '# HELP bad_counter x\n# TYPE bad_counter counter\nbad_counter 1\n';
    const result = await promtool(['check', 'metrics'], broken);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/_total/);
  });
});
