/**
 * Redis AUTH through REDIS_URL alone: against a redis-server started with --requirepass, the
 * right password in the URL works for agents and the aggregator; a wrong one leaves the
 * aggregator up and serving a degraded report with a clear error that names no password. (TLS,
 * with the built processes: test/e2e/redis-tls.test.ts.)
 */
import { createClient } from 'redis';
import { startAgent } from '../../agent/app';
import { loadAgentConfig } from '../../agent/config';
import { startAggregator } from '../../aggregator/app';
import { aggregatorSecrets, loadAggregatorConfig } from '../../aggregator/config';
import { waitFor } from '../support/wait';
import { captureLogs } from '../support/logs';
import { launchRedisServer, type TestRedis } from '../support/redis-server';

const APP = 'auth-app';
const PASSWORD = 'redis-pass-7f3a9c21';
const WRONG = 'not-the-redis-pass-42';

async function report(
  url: string,
): Promise<{ degraded: boolean; summary: { active_instances: number }; components: unknown[] }> {
  const res = await fetch(`${url}/api/v1/monitoring/replicas`);
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return (await res.json()) as {
    degraded: boolean;
    summary: { active_instances: number };
    components: unknown[];
  };
}

describe('Redis AUTH through REDIS_URL', () => {
  let redis: TestRedis;

  /** An aggregator of APP that wants one backend, reading heartbeats from `url`. */
  const aggregatorConfig = (url: string) =>
    loadAggregatorConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      AGGREGATOR_APP: APP,
      REDIS_URL: url,
      DESIRED_REPLICAS: '1',
      RECONCILE_INTERVAL_MS: '100',
    });

  beforeAll(async () => {
    redis = await launchRedisServer({ password: PASSWORD });
  });

  afterAll(async () => {
    await redis.stop();
  });

  test('the right password: agents write, the aggregator reads; without one Redis refuses', async () => {
    const url = `redis://:${PASSWORD}@127.0.0.1:${redis.port}`;
    const config = aggregatorConfig(url);
    const aggregator = await startAggregator(config);
    const agent = await startAgent(
      loadAgentConfig(
        {
          AGENT_ENABLED: 'true',
          AGENT_INSTANCE_ID: 'backend-1',
          AGENT_APP: APP,
          AGENT_PORT: '0',
          AGENT_HOST: '127.0.0.1',
          AGENT_INTERVAL_MS: '200',
          AGENT_TTL_MS: '1000',
          REDIS_URL: url,
        },
        { hostname: 'unused' },
      ),
    );
    try {
      const seen = await waitFor(() => report(aggregator.url), {
        until: (r) => !r.degraded && r.summary.active_instances === 1,
      });
      expect(seen.summary.active_instances).toBe(1);
    } finally {
      await agent.stop();
      await aggregator.stop();
    }
    // The server really wants the password: the same commands without it are refused.
    const anonymous = createClient({
      url: `redis://127.0.0.1:${redis.port}`,
      socket: { reconnectStrategy: false },
    });
    anonymous.on('error', () => undefined);
    const attempt = async () => {
      await anonymous.connect();
      return anonymous.get('x');
    };
    await expect(attempt()).rejects.toThrow(/NOAUTH/);
    anonymous.destroy();
  });

  test('a wrong password: no crash, a degraded report, a clear error with no password in it', async () => {
    const url = `redis://default:${WRONG}@127.0.0.1:${redis.port}`;
    const config = aggregatorConfig(url);
    // The logger knows the secrets, as main.ts's does; the report and the health detail do not
    // go through it and must be clean by themselves.
    const { log, text } = captureLogs({ secrets: aggregatorSecrets(config) });
    const aggregator = await startAggregator(config, { log });
    try {
      const degraded = await waitFor(() => report(aggregator.url), { until: (r) => r.degraded });
      const body = JSON.stringify(degraded);
      expect(body).toContain('DATA_DEGRADED');
      expect(body).toMatch(/WRONGPASS|invalid username-password|NOAUTH|auth/i);
      expect(body).not.toContain(WRONG);
      expect((await fetch(`${aggregator.url}/livez`)).status).toBe(200);
    } finally {
      await aggregator.stop();
    }
    expect(text()).toMatch(/WRONGPASS|invalid username-password/);
    expect(text()).not.toContain(WRONG);
    expect(text()).not.toContain(PASSWORD);
  });
});
