/**
 * Redis TLS (`rediss://`) with AUTH through REDIS_URL alone: against a redis-server listening on
 * TLS only with --requirepass, and a throwaway CA trusted through NODE_EXTRA_CA_CERTS, the built
 * processes connect, authenticate and count the fleet. (AUTH in-process:
 * test/integration/security-redis-auth.test.ts.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { reportOf } from '../chaos/harness';
import { launchRedisServer, type TestRedis } from '../support/redis-server';
import { killAll, spawnBuilt, type SpawnedProcess } from '../support/spawn';
import { createTestCertificates, type TestCertificates } from '../support/tls-certs';
import { waitFor } from '../support/wait';

const APP = 'auth-app';
const PASSWORD = 'redis-pass-7f3a9c21';

describe('Redis TLS (rediss://) with AUTH, real processes', () => {
  let dir: string;
  let certs: TestCertificates;
  let redis: TestRedis;
  const processes: SpawnedProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'rw-tls-'));
    certs = createTestCertificates(dir);
    redis = await launchRedisServer({
      password: PASSWORD,
      tls: certs,
    });
  });

  afterAll(async () => {
    await killAll(processes);
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('agent and aggregator connect over TLS with the password from the URL', async () => {
    const env = {
      REDIS_URL: `rediss://default:${PASSWORD}@127.0.0.1:${redis.port}`,
      NODE_EXTRA_CA_CERTS: certs.ca,
    };
    const aggregator = spawnBuilt('aggregator/main.js', {
      ...env,
      PORT: '0',
      HOST: '127.0.0.1',
      AGGREGATOR_APP: APP,
      DESIRED_REPLICAS: '1',
      RECONCILE_INTERVAL_MS: '200',
    });
    processes.push(aggregator);
    const { port } = await aggregator.waitForLine((l) => l.message === 'aggregator listening');
    const agent = spawnBuilt('agent/main.js', {
      ...env,
      AGENT_ENABLED: 'true',
      AGENT_APP: APP,
      AGENT_INSTANCE_ID: 'backend-tls-1',
      AGENT_INTERVAL_MS: '300',
      AGENT_TTL_MS: '1500',
      AGENT_PORT: '0',
      AGENT_HOST: '127.0.0.1',
    });
    processes.push(agent);
    const url = `http://127.0.0.1:${String(port)}`;
    const seen = await waitFor(() => reportOf(url), {
      until: (r) => !r.degraded && r.summary.active_instances === 1,
    });
    expect(seen.summary.active_instances).toBe(1);
    // Through Redis, not the HTTP fallback (none is configured), and never in plain text.
    const detail = (await (
      await fetch(
        `http://127.0.0.1:${String((await agent.waitForLine((l) => l.message === 'agent listening')).port)}/health/detailed`,
      )
    ).json()) as {
      transport: { active: string; redis: { tls: boolean } };
    };
    expect(detail.transport).toMatchObject({ active: 'redis', redis: { tls: true } });
    expect(aggregator.output() + agent.output()).not.toContain(PASSWORD);
  });
});
