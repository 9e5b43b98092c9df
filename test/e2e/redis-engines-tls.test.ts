/**
 * The clustered engines over TLS with AUTH, real processes, a throwaway CA trusted through
 * NODE_EXTRA_CA_CERTS: a Redis Cluster whose six nodes speak TLS only (clients, replication, the
 * cluster bus) named by `rediss://` seeds with REDIS_PASSWORD; and a Sentinel setup where master,
 * replica and sentinels speak TLS only, named by `rediss://` sentinel entries carrying the
 * sentinels' own password, with REDIS_PASSWORD for the data nodes. The built aggregator and
 * agents find their nodes, reach each over TLS with the password and count the fleet; no
 * password is in any output. (Plain REDIS_URL over TLS: redis-tls.test.ts.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { reportOf } from '../chaos/harness';
import { startRedisCluster } from '../support/redis-cluster';
import { startRedisSentinel } from '../support/redis-sentinel';
import { killAll, spawnBuilt, type SpawnedProcess } from '../support/spawn';
import { createTestCertificates, type TestCertificates } from '../support/tls-certs';
import { waitFor } from '../support/wait';

const PASSWORD = 'engines-tls-pass-61c0aa';
const SENTINEL_PASSWORD = 'engines-tls-sentinel-93d1f2';
let dir: string;
let certificates: TestCertificates;
const processes: SpawnedProcess[] = [];
const stops: (() => Promise<void>)[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rw-engines-tls-'));
  certificates = createTestCertificates(dir);
});

afterEach(async () => {
  await killAll(processes.splice(0));
  for (const stop of stops.splice(0)) await stop();
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** An aggregator and two agents on the engine `env` names: both counted, over TLS, no password shown. */
async function countsOverTls(app: string, env: Record<string, string>): Promise<void> {
  const withCa = { ...env, NODE_EXTRA_CA_CERTS: certificates.ca };
  const aggregator = spawnBuilt('aggregator/main.js', {
    ...withCa,
    PORT: '0',
    HOST: '127.0.0.1',
    AGGREGATOR_APP: app,
    DESIRED_REPLICAS: '2',
    RECONCILE_INTERVAL_MS: '200',
  });
  processes.push(aggregator);
  const { port } = await aggregator.waitForLine((l) => l.message === 'aggregator listening');
  const agents = [1, 2].map((n) =>
    spawnBuilt('agent/main.js', {
      ...withCa,
      AGENT_ENABLED: 'true',
      AGENT_APP: app,
      AGENT_INSTANCE_ID: `${app}-${n}`,
      AGENT_INTERVAL_MS: '300',
      AGENT_TTL_MS: '3000',
      AGENT_PORT: '0',
      AGENT_HOST: '127.0.0.1',
    }),
  );
  processes.push(...agents);
  const report = await waitFor(() => reportOf(`http://127.0.0.1:${String(port)}`), {
    until: (r) => !r.degraded && r.summary.active_instances === 2,
    what: `${app}: both agents counted over TLS`,
  });
  expect(report.components.flatMap((c) => c.findings.map((f) => f.code))).toEqual([]);
  const agentPort = (await agents[0]?.waitForLine((l) => l.message === 'agent listening'))?.port;
  const detail = (await (await fetch(`http://127.0.0.1:${String(agentPort)}/health/detailed`)).json()) as {
    transport: { active: string; redis: { tls: boolean } };
  };
  expect(detail.transport).toMatchObject({ active: 'redis', redis: { tls: true } });
  const output = processes.map((p) => p.output()).join('\n');
  expect(output).not.toContain(PASSWORD);
  expect(output).not.toContain(SENTINEL_PASSWORD);
}

test('a Redis Cluster over TLS: rediss:// seeds and REDIS_PASSWORD reach every node', async () => {
  const cluster = await startRedisCluster({ password: PASSWORD, tls: certificates });
  stops.push(cluster.stop);
  expect(cluster.nodesEnv.split(',').every((url) => url.startsWith('rediss://127.0.0.1:'))).toBe(true);
  await countsOverTls('cluster-tls', { REDIS_CLUSTER_NODES: cluster.nodesEnv, REDIS_PASSWORD: PASSWORD });
}, 60_000);

test('Sentinel over TLS: rediss:// sentinels with their own password, REDIS_PASSWORD on the primary', async () => {
  const sentinel = await startRedisSentinel({
    password: PASSWORD,
    sentinelPassword: SENTINEL_PASSWORD,
    tls: certificates,
  });
  stops.push(sentinel.stop);
  expect(sentinel.sentinelsEnv.split(',').every((entry) => entry.startsWith('rediss://:'))).toBe(true);
  await countsOverTls('sentinel-tls', {
    REDIS_SENTINELS: sentinel.sentinelsEnv,
    REDIS_SENTINEL_MASTER: sentinel.masterName,
    REDIS_PASSWORD: PASSWORD,
  });
}, 60_000);
