/**
 * Redis AUTH and TLS through REDIS_URL alone: against a redis-server started with
 * --requirepass, the right password in the URL works for agents and the aggregator; a wrong one
 * leaves the aggregator up and serving a degraded report with a clear error that names no
 * password. Over TLS (`rediss://`, a throwaway CA trusted through NODE_EXTRA_CA_CERTS), the built
 * processes connect, authenticate and count the fleet.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createClient } from 'redis';
import { startAgent } from '../../agent/app';
import { loadAgentConfig } from '../../agent/config';
import { startAggregator } from '../../aggregator/app';
import { aggregatorSecrets, loadAggregatorConfig } from '../../aggregator/config';
import type { Logger } from '../../shared/logger';
import { createLogger } from '../../shared/logger';
import { killAll, pollUntil, spawnBuilt, type SpawnedProcess } from '../support/spawn';
import type { PasswordRedis } from '../chaos/harness';
import { startRedisWithPassword } from '../chaos/harness';

const APP = 'auth-app';
const PASSWORD = 'redis-pass-7f3a9c21';
const WRONG = 'not-the-redis-pass-42';

function capturingLogger(secrets: string[]): { log: Logger; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return {
    log: createLogger({ level: 'debug', service: 'test', pretty: false, stream, secrets }),
    text: () => text,
  };
}

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
  let redis: PasswordRedis;

  beforeAll(async () => {
    redis = await startRedisWithPassword(PASSWORD, null);
  });

  afterAll(async () => {
    await redis.stop();
  });

  test('the right password: agents write, the aggregator reads; without one Redis refuses', async () => {
    const url = `redis://:${PASSWORD}@127.0.0.1:${redis.port}`;
    const config = loadAggregatorConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      AGGREGATOR_APP: APP,
      REDIS_URL: url,
      DESIRED_REPLICAS: '1',
      RECONCILE_INTERVAL_MS: '100',
    });
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
      const seen = await pollUntil(
        () => report(aggregator.url),
        (r) => !r.degraded && r.summary.active_instances === 1,
      );
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
    const config = loadAggregatorConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      AGGREGATOR_APP: APP,
      REDIS_URL: url,
      DESIRED_REPLICAS: '1',
      RECONCILE_INTERVAL_MS: '100',
    });
    // The logger knows the secrets, as main.ts's does; the report and the health detail do not
    // go through it and must be clean by themselves.
    const { log, text } = capturingLogger(aggregatorSecrets(config));
    const aggregator = await startAggregator(config, { log });
    try {
      const degraded = await pollUntil(
        () => report(aggregator.url),
        (r) => r.degraded,
      );
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

describe('Redis TLS (rediss://) with AUTH, real processes', () => {
  let dir: string;
  let redis: PasswordRedis;
  const processes: SpawnedProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'rw-tls-'));
    const run = (...args: string[]) => {
      const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
      if (result.error || result.status !== 0) {
        throw new Error(
          `openssl ${args[0]} failed (is openssl installed?): ${result.error?.message ?? result.stderr}`,
        );
      }
    };
    writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    run(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=replica-watch-test-ca',
    );
    run(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=localhost',
    );
    run(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '1',
      '-extfile',
      'san.ext',
    );
    redis = await startRedisWithPassword(PASSWORD, {
      cert: path.join(dir, 'server.crt'),
      key: path.join(dir, 'server.key'),
      ca: path.join(dir, 'ca.crt'),
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
      NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.crt'),
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
    const seen = await pollUntil(
      () => report(url),
      (r) => !r.degraded && r.summary.active_instances === 1,
      20_000,
    );
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
