/**
 * Liveness and the replay guard do not depend on agents' clocks: an agent whose clock runs 60 s
 * behind (libfaketime, preloaded into the agent's own node process so that its PID stays node's)
 * is counted and named by CLOCK_SKEW, with HEARTBEAT_SECRET set, through Redis (the Redis server's
 * time records it) and over HTTP (the aggregator's receive time does). Before the fix it was
 * refused as "replayed" on every heartbeat and the report blamed the platform.
 */
import { existsSync } from 'node:fs';
import { useTestRedis } from '../support/redis-rig';
import { fastAgentEnv, killAll, spawnBuilt, type SpawnedProcess } from '../support/spawn';
import { waitFor } from '../support/wait';

// Debian's faketime package (multi-arch path first, then the older one).
const LIBFAKETIME = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
].find((candidate) => existsSync(candidate));

const SECRET = 'clock-skew-secret-0123456789';

interface Finding {
  code: string;
  severity: string;
  instances: string[];
}
interface Report {
  summary: { active_instances: number; verdict: string };
  components: { name: string; live: number; findings: Finding[] }[];
  instances: { instance_id: string; state: string; clock_offset_ms: number }[];
}

async function reportOf(url: string): Promise<Report> {
  const res = await fetch(`${url}/api/v1/monitoring/replicas`);
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return (await res.json()) as Report;
}

test('libfaketime is installed (Debian/Ubuntu: apt-get install -y faketime)', () => {
  expect(LIBFAKETIME).toBeDefined();
});

/** The redis transport's server (the http one starts one too and leaves it alone). */
const redis = useTestRedis();

describe.each(['redis', 'http'] as const)('an agent 60 s behind, signed heartbeats, %s', (transport) => {
  const processes: SpawnedProcess[] = [];

  afterAll(() => killAll(processes));

  test('is counted live, and CLOCK_SKEW names it with its offset; nothing blames the platform', async () => {
    if (LIBFAKETIME === undefined) throw new Error('libfaketime missing: apt-get install -y faketime');
    const app = `skew-${transport}`;
    const viaRedis: Record<string, string> = transport === 'redis' ? { REDIS_URL: redis.url } : {};
    const aggregator = spawnBuilt('aggregator/main.js', {
      ...viaRedis,
      PORT: '0',
      HOST: '127.0.0.1',
      AGGREGATOR_APP: app,
      DESIRED_REPLICAS: 'backend=2',
      RECONCILE_INTERVAL_MS: '250',
      HEARTBEAT_SECRET: SECRET,
    });
    processes.push(aggregator);
    const { port } = await aggregator.waitForLine((l) => l.message === 'aggregator listening');
    const url = `http://127.0.0.1:${String(port)}`;

    const agent = (id: string, extra: Record<string, string> = {}) =>
      spawnBuilt(
        'agent/main.js',
        fastAgentEnv(app, id, {
          ...(transport === 'redis' ? viaRedis : { AGGREGATOR_URL: url }),
          HEARTBEAT_SECRET: SECRET,
          ...extra,
        }),
      );
    processes.push(
      agent('backend-on-time'),
      // Only the wall clock: the monotonic clock stays true, so timers keep their pace.
      agent('backend-behind', {
        LD_PRELOAD: LIBFAKETIME,
        FAKETIME: '-60s',
        FAKETIME_DONT_FAKE_MONOTONIC: '1',
      }),
    );

    const report = await waitFor(() => reportOf(url), {
      until: (r) =>
        r.summary.active_instances === 2 &&
        r.components[0]?.findings.some((f) => f.code === 'CLOCK_SKEW') === true,
      timeoutMs: 20_000,
    });
    const [backend] = report.components;
    expect(backend?.live).toBe(2);
    expect(backend?.findings.map((f) => [f.code, f.severity])).toEqual([['CLOCK_SKEW', 'warning']]);
    expect(backend?.findings[0]?.instances).toEqual(['backend-behind']);
    const offsets = Object.fromEntries(report.instances.map((i) => [i.instance_id, i.clock_offset_ms]));
    // 60 s behind, give or take the transport delay and a loaded machine's scheduling.
    expect(offsets['backend-behind']).toBeLessThan(-55_000);
    expect(offsets['backend-behind']).toBeGreaterThan(-65_000);
    expect(Math.abs(offsets['backend-on-time'] ?? Infinity)).toBeLessThan(5_000);
    expect(report.summary.verdict).toBe('discrepancy');
  });
});
