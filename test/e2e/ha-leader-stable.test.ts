/**
 * The HA leader stays the same aggregator across lease renewals, with real processes: two
 * aggregators on one real redis-server with a short lease. Polled over several lease periods
 * (many renewals, each seen in Redis as the lease's PTTL jumping back up), exactly one says
 * `leader: true` in /readyz at every poll, always the same one, holding the same term (fencing
 * token) and named in the lease key by its pid. A renewal that re-elected, or a follower that
 * grabbed the lease between two renewals, would show as a flip, a second term or two leaders.
 */
import { appKeys } from '../../shared/redis-keys';
import { useTestRedis } from '../support/redis-rig';
import { killAll, spawnBuilt, type SpawnedProcess } from '../support/spawn';
import { sampleFor, waitFor } from '../support/wait';

const APP = 'e2e-ha-stable';
const LEASE_MS = 1_500;
/** The leader renews every lease/3 (aggregator/leader.ts): 4 leases are ~12 renewals. */
const OBSERVE_MS = 4 * LEASE_MS;
const MIN_RENEWALS = 5;
const POLL_MS = 100;

async function leaderFlag(url: string): Promise<boolean> {
  const res = await fetch(`${url}/readyz`);
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  const body = (await res.json()) as { leader?: boolean };
  if (typeof body.leader !== 'boolean') throw new Error(`no leader field: ${JSON.stringify(body)}`);
  return body.leader;
}

const redis = useTestRedis();
const processes: SpawnedProcess[] = [];

afterAll(() => killAll(processes));

test('one leader, the same one at every poll over several lease renewals', async () => {
  const client = redis.client;
  const keys = appKeys(APP);
  const aggregators = [1, 2].map(() =>
    spawnBuilt('aggregator/main.js', {
      REDIS_URL: redis.url,
      PORT: '0',
      HOST: '127.0.0.1',
      AGGREGATOR_APP: APP,
      DESIRED_REPLICAS: '1',
      RECONCILE_INTERVAL_MS: '200',
      LEADER_LEASE_MS: String(LEASE_MS),
    }),
  );
  processes.push(...aggregators);
  const urls = await Promise.all(
    aggregators.map(async (a) => {
      const { port } = await a.waitForLine((l) => l.message === 'aggregator listening');
      return `http://127.0.0.1:${String(port)}`;
    }),
  );
  const flags = () => Promise.all(urls.map(leaderFlag));
  const first = await waitFor(flags, { until: (f) => f.filter(Boolean).length === 1, timeoutMs: 20_000 });
  const leaderIndex = first.indexOf(true);
  const leaderPid = (aggregators[leaderIndex] as SpawnedProcess).child.pid;
  const term = await client.get(keys.fencing);
  expect(term).not.toBeNull();

  const samples = await sampleFor(
    OBSERVE_MS,
    async () => {
      const [now, holder, pttl] = await Promise.all([
        flags(),
        client.get(keys.leader),
        client.pTTL(keys.leader),
      ]);
      return { roles: now.map((f) => (f ? 'L' : '-')).join(''), holder, pttl };
    },
    POLL_MS,
  );
  const seen = samples.map((s) => s.roles);
  const holders = new Set(samples.map((s) => s.holder));
  // PTTL only falls between renewals; a jump back up is one (the poll is shorter than lease/3).
  const renewals = samples.filter((s, i) => i > 0 && s.pttl > (samples[i - 1]?.pttl ?? Infinity) + 50).length;

  const expected = leaderIndex === 0 ? 'L-' : '-L';
  expect(seen.filter((s) => s !== expected)).toEqual([]);
  expect(seen.length).toBeGreaterThanOrEqual(OBSERVE_MS / (4 * POLL_MS));
  expect(renewals).toBeGreaterThanOrEqual(MIN_RENEWALS);
  // One holder throughout, and it is the process that says it leads (holder = host:pid:random).
  expect(holders.size).toBe(1);
  expect([...holders][0]?.split(':')[1]).toBe(String(leaderPid));
  // Renewals extend the term; they never start a new one.
  expect(await client.get(keys.fencing)).toBe(term);
  expect(aggregators.flatMap((a) => a.lines.filter((l) => l.message === 'leadership lost'))).toEqual([]);
});
