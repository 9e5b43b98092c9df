/**
 * Remediation end to end in-process (see test/support/remediation-rig.ts): a real Redis, the
 * simulated App Platform through the real DigitalOcean client, agents' heartbeats, and the
 * aggregator with its own notifier, REMEDIATION_MODE on or dry-run.
 *
 * - on, orphans scenario: exactly one restart (counted at the fake), after which the instances
 *   converge (the restart replaces the orphans) and nothing more is done;
 * - on, orphans that survive restarts: one restart per cooldown, never more;
 * - dry-run: no restart, the audit says what it would have done.
 */
import { auditOf, backendOf, reconciles, useRemediationRig, RESTARTS } from '../support/remediation-rig';
import { waitFor } from '../support/wait';

const rig = useRemediationRig();

describe('remediation against the simulated platform', () => {
  test('on: exactly one restart, after which the instances converge', async () => {
    const fake = await rig.startFake();
    const fleet = rig.startFleet(fake);
    await fleet.tick();
    const aggregator = await rig.startSystem(fake, { mode: 'on' });

    await waitFor(async () => fake.state.requestCount(RESTARTS), {
      until: (n) => n === 1,
      timeoutMs: 20_000,
    });
    // The restart replaces every old instance: 2 live, none orphaned, nothing to fix.
    await waitFor(async () => backendOf(aggregator), {
      until: (b) => b !== undefined && b.live === 2 && b.orphaned === 0 && b.verdict === 'ok',
      timeoutMs: 20_000,
    });
    await reconciles(aggregator, 10);
    expect(fake.state.requestCount(RESTARTS)).toBe(1);

    const entries = await auditOf(aggregator);
    const acts = entries.filter((e) => e.decision === 'act');
    expect(acts).toHaveLength(1);
    expect(acts[0]).toMatchObject({
      component: 'backend',
      mode: 'on',
      outcome: 'ok',
      call: { method: 'POST', path: `/v2/apps/${fake.appId}/restart`, body: { components: ['backend'] } },
      deployment_id: fake.state.snapshot().activeId,
    });
    // Newest first, and decisions are recorded when they change, not on every reconcile.
    const times = entries.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(entries.length).toBeLessThan(10);
  });

  test('on, with orphans that survive restarts: one restart per cooldown, never more', async () => {
    const cooldownMs = 1_500;
    const fake = await rig.startFake();
    const survivors = fake.state.agents().filter((a) => a.deploymentId !== fake.state.snapshot().activeId);
    const fleet = rig.startFleet(fake, { survivors });
    await fleet.tick();
    const aggregator = await rig.startSystem(fake, { mode: 'on', cooldownMs });

    await waitFor(async () => fake.state.requestCount(RESTARTS), { until: (n) => n >= 3, timeoutMs: 25_000 });
    const acts = (await auditOf(aggregator)).filter((e) => e.decision === 'act').reverse();
    // Every restart at the fake is an audited action, and they are a cooldown apart.
    expect(acts.length).toBeGreaterThanOrEqual(3);
    expect(fake.state.requestCount(RESTARTS)).toBeLessThanOrEqual(acts.length);
    for (let i = 1; i < acts.length; i++) {
      const gap = Date.parse(acts[i]!.at) - Date.parse(acts[i - 1]!.at);
      expect(gap).toBeGreaterThanOrEqual(cooldownMs);
    }
  });

  test('dry-run: no restart, and the audit records the exact call it would have made', async () => {
    const fake = await rig.startFake();
    const fleet = rig.startFleet(fake);
    await fleet.tick();
    const aggregator = await rig.startSystem(fake, { mode: 'dry-run' });

    const entries = await waitFor(() => auditOf(aggregator), {
      until: (list) => list.some((e) => e.decision === 'dry-run'),
      timeoutMs: 20_000,
    });
    await reconciles(aggregator, 5);
    expect(fake.state.requestCount(RESTARTS)).toBe(0);
    expect(entries.find((e) => e.decision === 'dry-run')).toMatchObject({
      component: 'backend',
      mode: 'dry-run',
      call: { method: 'POST', path: `/v2/apps/${fake.appId}/restart`, body: { components: ['backend'] } },
      outcome: null,
      detail: expect.stringContaining('dry run: would restart backend'),
    });
    // Nothing was fixed: the orphans are still there.
    expect(backendOf(aggregator)?.orphaned).toBe(4);
  });
});
