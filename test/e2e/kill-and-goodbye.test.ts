/**
 * The walking skeleton end to end, with real processes: 3 agents and an aggregator that wants
 * 2. kill -9 one agent: it is dropped once its TTL passes; SIGTERM another: its goodbye drops it
 * at once. Both through Redis and in the embedded mode (agents POST to the aggregator).
 */
import { useTestRedis } from '../support/redis-rig';
import { killAll, spawnAgents, spawnBuilt, type SpawnedProcess } from '../support/spawn';
import { waitFor } from '../support/wait';

interface Summary {
  active_instances: number;
  configured_replicas: number;
  discrepancy: boolean;
}

async function summaryOf(aggregatorUrl: string): Promise<Summary> {
  const res = await fetch(`${aggregatorUrl}/api/v1/monitoring/replicas?instances=false`);
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return ((await res.json()) as { summary: Summary }).summary;
}

/** The redis mode's server (the embedded mode starts one too and leaves it alone). */
const redis = useTestRedis();

describe.each(['redis', 'embedded'] as const)('%s mode', (mode) => {
  const processes: SpawnedProcess[] = [];

  afterAll(() => killAll(processes));

  test('3 agents → 3 active; kill -9 → 2 within 3 s; SIGTERM → 1 within 1 s', async () => {
    const app = `e2e-${mode}`;
    const transport: Record<string, string> = mode === 'redis' ? { REDIS_URL: redis.url } : {};
    const aggregator = spawnBuilt('aggregator/main.js', {
      ...transport,
      PORT: '0',
      HOST: '127.0.0.1',
      AGGREGATOR_APP: app,
      DESIRED_REPLICAS: '2',
      RECONCILE_INTERVAL_MS: '250',
    });
    processes.push(aggregator);
    const { port } = await aggregator.waitForLine((l) => l.message === 'aggregator listening');
    const url = `http://127.0.0.1:${String(port)}`;

    const agents = spawnAgents(
      app,
      ['agent-1', 'agent-2', 'agent-3'],
      mode === 'redis' ? transport : { AGGREGATOR_URL: url },
    );
    processes.push(...agents);
    const [first, second] = agents as [SpawnedProcess, SpawnedProcess, SpawnedProcess];

    const three = await waitFor(() => summaryOf(url), { until: (s) => s.active_instances === 3 });
    expect(three).toMatchObject({ configured_replicas: 2, active_instances: 3, discrepancy: true });

    const killedAt = Date.now();
    await first.signal('SIGKILL');
    const two = await waitFor(() => summaryOf(url), {
      until: (s) => s.active_instances === 2,
      timeoutMs: 3_000,
    });
    expect(Date.now() - killedAt).toBeLessThanOrEqual(3_000);
    expect(two.discrepancy).toBe(false);

    const terminatedAt = Date.now();
    const exit = second.signal('SIGTERM');
    const one = await waitFor(() => summaryOf(url), {
      until: (s) => s.active_instances === 1,
      timeoutMs: 1_000,
      everyMs: 20,
    });
    expect(Date.now() - terminatedAt).toBeLessThanOrEqual(1_000);
    expect(one.discrepancy).toBe(true);
    expect(await exit).toBe(0);
  });
});
