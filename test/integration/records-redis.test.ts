/**
 * The aggregator's records in Redis mode (see test/support/remediation-rig.ts): a follower
 * writes neither history nor audit; both survive an aggregator restart, and the remediation
 * cooldown with them; the history and audit routes name a bad parameter.
 */
import type { HistoryPoint } from '../../aggregator/history';
import type { LeaderLease } from '../../aggregator/remediate';
import { appKeys } from '../../shared/redis-keys';
import {
  auditOf,
  getJson,
  reconciles,
  useRemediationRig,
  RESTARTS,
  RIG_APP,
} from '../support/remediation-rig';
import { waitFor } from '../support/wait';
import { request } from 'undici';

const rig = useRemediationRig();

describe('history and audit in Redis', () => {
  test('a follower writes neither history nor audit; once it leads, it does', async () => {
    const fake = await rig.startFake();
    const fleet = rig.startFleet(fake);
    await fleet.tick();
    let leader = false;
    const lease: LeaderLease = { isLeader: () => leader, fencingToken: () => (leader ? 7 : null) };
    const aggregator = await rig.startSystem(fake, { mode: 'dry-run', leadership: lease });
    const keys = appKeys(RIG_APP);

    await reconciles(aggregator, 10);
    expect(await rig.client.xLen(keys.history)).toBe(0);
    expect(await rig.client.xLen(keys.audit)).toBe(0);

    leader = true;
    await waitFor(async () => rig.client.xLen(keys.audit), { until: (n) => n > 0, timeoutMs: 20_000 });
    expect(await rig.client.xLen(keys.history)).toBeGreaterThan(0);
    const entries = await auditOf(aggregator);
    expect(entries.every((e) => e.fencing_token === 7)).toBe(true);
  });

  test('audit and history survive an aggregator restart, and so does the cooldown', async () => {
    const fake = await rig.startFake();
    const survivors = fake.state.agents().filter((a) => a.deploymentId !== fake.state.snapshot().activeId);
    const fleet = rig.startFleet(fake, { survivors });
    await fleet.tick();
    const firstStartMs = Date.now();
    const first = await rig.startSystem(fake, { mode: 'on', cooldownMs: 600_000 });
    await waitFor(async () => fake.state.requestCount(RESTARTS), {
      until: (n) => n === 1,
      timeoutMs: 20_000,
    });
    await waitFor(() => auditOf(first), {
      until: (list) => list.some((e) => e.decision === 'act'),
      timeoutMs: 20_000,
    });
    const before = await auditOf(first);
    await first.stop();
    const secondStartMs = Date.now();

    const second = await rig.startSystem(fake, { mode: 'on', cooldownMs: 600_000 });
    const history = await getJson<{ component: string | null; since: string; points: HistoryPoint[] }>(
      `${second.url}/api/v1/history?component=backend&since=${new Date(firstStartMs - 1_000).toISOString()}`,
    );
    expect(history.component).toBe('backend');
    expect(history.since).toBe(new Date(firstStartMs - 1_000).toISOString());
    const older = history.points.filter((p) => Date.parse(p.at) < secondStartMs);
    expect(older.length).toBeGreaterThan(0);
    expect(older.some((p) => p.orphaned >= 4)).toBe(true);
    const ats = history.points.map((p) => Date.parse(p.at));
    expect([...ats].sort((a, b) => a - b)).toEqual(ats);

    // The new aggregator serves the old entries, reads the last action from them and waits.
    const after = await waitFor(() => auditOf(second), {
      until: (list) => list.some((e) => e.reason === 'cooldown' && Date.parse(e.at) >= secondStartMs),
      timeoutMs: 20_000,
    });
    for (const entry of before) expect(after).toContainEqual(entry);
    expect(fake.state.requestCount(RESTARTS)).toBe(1);
  });

  test('GET /api/v1/history names a bad parameter with 400', async () => {
    const fake = await rig.startFake();
    const aggregator = await rig.startSystem(fake, { mode: 'off' });
    const res = await request(`${aggregator.url}/api/v1/history?since=last-tuesday`);
    expect(res.statusCode).toBe(400);
    expect(await res.body.json()).toMatchObject({ parameter: 'since' });
    const bad = await request(`${aggregator.url}/api/v1/audit?limit=0`);
    expect(bad.statusCode).toBe(400);
    expect(await bad.body.json()).toMatchObject({ parameter: 'limit' });
  });
});
