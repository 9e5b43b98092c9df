/**
 * The simulated account's pure parts: the demo's fleet preset (its first three apps tell the
 * story, every name is distinct and valid, the count is bounded and the limit named), the
 * instance sizes (DigitalOcean's example list, priced in whole cents) and the scenarios' sizes.
 */
import {
  DEFAULT_INSTANCE_SIZE_SLUG,
  INSTANCE_SIZES,
  SCENARIOS,
  SIMULATED_FLEET,
  SIMULATED_FLEET_MAX,
  instanceSize,
  instanceSizeMonthlyCents,
  simulatedFleet,
} from '../../aggregator/platform/simulated';

// The API's pattern for app names (spec.ts).
const APP_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;

describe('simulatedFleet', () => {
  it('starts with a healthy app, the #356 app and an agentless app whose dashboard over-counts', () => {
    expect(simulatedFleet(3)).toEqual([
      { scenario: 'steady', name: 'storefront', agents: true },
      { scenario: 'orphans-356', name: 'replica-demo', agents: true },
      { scenario: 'dashboard-overcount', name: 'billing-api', agents: false },
    ]);
  });

  it('goes on through other scenarios with distinct, valid names, up to its maximum of 20', () => {
    const fleet = simulatedFleet(SIMULATED_FLEET_MAX);
    expect(SIMULATED_FLEET_MAX).toBe(20);
    expect(fleet).toEqual(SIMULATED_FLEET);
    expect(new Set(fleet.map((a) => a.name)).size).toBe(20);
    expect(fleet.filter((a) => !APP_NAME.test(a.name))).toEqual([]);
    expect(fleet.filter((a) => typeof a.scenario !== 'string' || !(a.scenario in SCENARIOS))).toEqual([]);
    expect(simulatedFleet(5).map((a) => [a.scenario, a.agents])).toEqual([
      ['steady', true],
      ['orphans-356', true],
      ['dashboard-overcount', false],
      ['rollout-in-progress', true],
      ['steady', false],
    ]);
    // Agentless apps and apps with agents both, and every read answers (no faults, no refused token).
    expect(new Set(fleet.map((a) => a.agents))).toEqual(new Set([true, false]));
    const faulty = fleet.filter((a) => {
      const scenario = SCENARIOS[a.scenario as keyof typeof SCENARIOS];
      return (
        scenario.fault !== undefined || ['token_rejected', 'app_not_found'].includes(scenario.access ?? '')
      );
    });
    expect(faulty).toEqual([]);
    // Only the #356 app runs surplus instances.
    expect(fleet.filter((a) => a.scenario === 'orphans-356').map((a) => a.name)).toEqual(['replica-demo']);
  });

  it.each([0, -1, 21, 1.5, Number.NaN])('refuses a fleet of %p apps, naming the limit', (count) => {
    expect(() => simulatedFleet(count)).toThrow(/1 to 20 apps \(SIMULATED_FLEET_MAX\)/);
  });

  it('cannot be changed by a caller', () => {
    const [first] = simulatedFleet(1);
    expect(Object.isFrozen(SIMULATED_FLEET)).toBe(true);
    expect(Object.isFrozen(first)).toBe(true);
    expect(simulatedFleet(1)).toHaveLength(1);
  });
});

describe('the instance sizes', () => {
  it('are priced in whole cents, null for a slug App Platform does not list', () => {
    expect(instanceSizeMonthlyCents('apps-s-1vcpu-0.5gb')).toBe(500);
    expect(instanceSizeMonthlyCents('apps-s-1vcpu-1gb')).toBe(1200);
    expect(instanceSizeMonthlyCents('apps-d-8vcpu-32gb')).toBe(39_200);
    expect(instanceSizeMonthlyCents('no-such-size')).toBeNull();
    expect(instanceSize('apps-s-1vcpu-1gb')).toMatchObject({
      name: 'Shared 1VCPU 1GB',
      usd_per_month: '12.00',
    });
  });

  it('have distinct slugs and a price each, and cannot be changed by a caller', () => {
    expect(new Set(INSTANCE_SIZES.map((s) => s.slug)).size).toBe(INSTANCE_SIZES.length);
    expect(INSTANCE_SIZES.filter((s) => instanceSizeMonthlyCents(s.slug) === null)).toEqual([]);
    expect([Object.isFrozen(INSTANCE_SIZES), INSTANCE_SIZES.every((s) => Object.isFrozen(s))]).toEqual([
      true,
      true,
    ]);
  });

  it('include every size a scenario runs on; orphans-356 runs 1 GB backends, whose 4 surplus cost 48.00 USD a month', () => {
    const slugs = Object.values(SCENARIOS).flatMap((s) =>
      s.components.map((c) => c.instanceSizeSlug ?? DEFAULT_INSTANCE_SIZE_SLUG),
    );
    expect(slugs.filter((slug) => instanceSize(slug) === null)).toEqual([]);
    expect(DEFAULT_INSTANCE_SIZE_SLUG).toBe('apps-s-1vcpu-0.5gb');

    const scenario = SCENARIOS['orphans-356'];
    const backend = scenario.components.find((c) => c.name === 'backend');
    const running = scenario.instances
      .filter((g) => g.component === 'backend')
      .reduce((n, g) => n + g.count, 0);
    const surplus = running - (backend?.instanceCount ?? 0);
    expect([backend?.instanceSizeSlug, surplus]).toEqual(['apps-s-1vcpu-1gb', 4]);
    expect(surplus * (instanceSizeMonthlyCents(backend?.instanceSizeSlug ?? '') ?? 0)).toBe(4_800);
  });
});
