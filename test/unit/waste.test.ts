/**
 * The waste arithmetic (aggregator/reconcile/waste.ts): a surplus beyond desired.max, its cost
 * in whole cents, dollars only at the end, and unknown (null) wherever a part is unknown.
 */
import fc from 'fast-check';
import type { ComponentPlan } from '../../aggregator/reconcile/components';
import { classifyInstance, componentFacts } from '../../aggregator/reconcile/facts';
import { formatUsd } from '../../aggregator/reconcile/text';
import type { ComponentCost, CostContext } from '../../aggregator/reconcile/waste';
import {
  appCost,
  centsToUsd,
  componentCost,
  componentSurplus,
  sumOrNull,
  surplusOf,
  wasteCentsOf,
} from '../../aggregator/reconcile/waste';
import { component, fixed, instanceSize, listed } from '../support/platform';
import { instances, NOW } from '../support/records';

/** The exact decimal text of whole cents, built from integers only. */
function decimal(cents: bigint): string {
  const whole = cents / 100n;
  const rest = cents % 100n;
  return `${whole}.${rest.toString().padStart(2, '0')}`;
}

const WITH_AGENTS: CostContext = { agentless: false, collectorHealthy: true, platformBlind: false };

/** The facts of a backend with `live` live instances under `plan`'s desired count and platform data. */
function facts(
  live: number,
  plan: Partial<ComponentPlan> = {},
  inProgressDeploymentId: string | null = null,
) {
  const platform = component('backend', { instanceSize: instanceSize(), listed: [listed('a'), listed('b')] });
  return componentFacts(
    { name: 'backend', kind: 'service', desired: fixed(2), platform, ...plan },
    instances('backend', live).map((r) => classifyInstance(r, NOW, null)),
    {
      activeDeploymentId: null,
      inProgressDeploymentId,
      refNowMs: NOW,
      drainGraceMs: 120_000,
      clockSkewMaxMs: 5_000,
    },
  );
}

describe('surplusOf', () => {
  test.each([
    [6, 2, 4],
    [2, 2, 0],
    [1, 2, 0],
    [0, 0, 0],
    [null, 2, null],
    [6, null, null],
  ])('running %p over max %p → %p', (running, max, expected) => {
    expect(surplusOf(running, max)).toBe(expected);
  });
});

describe('wasteCentsOf', () => {
  test.each([
    [4, 1200, 4800],
    [0, 1200, 0],
    [0, null, 0],
    [null, 1200, null],
    [3, null, null],
    [1, 0, 0],
    // Not a price the arithmetic trusts: unknown, never a fraction of a cent.
    [2, 12.5, null],
    [2, -100, null],
    [2, Number.NaN, null],
  ])('surplus %p at %p cents → %p', (surplus, cents, expected) => {
    expect(wasteCentsOf(surplus, cents)).toBe(expected);
  });
});

describe('sums and dollars', () => {
  test('sumOrNull: null as soon as one part is unknown; 0 for nothing', () => {
    expect(sumOrNull([1, 2, 3])).toBe(6);
    expect(sumOrNull([])).toBe(0);
    expect(sumOrNull([1, null, 3])).toBeNull();
    expect(sumOrNull([0, 0])).toBe(0);
  });

  test('centsToUsd and formatUsd', () => {
    expect(centsToUsd(4800)).toBe(48);
    expect(centsToUsd(1234)).toBe(12.34);
    expect(centsToUsd(null)).toBeNull();
    expect([formatUsd(4800), formatUsd(5), formatUsd(123_456_789), formatUsd(0)]).toEqual([
      '$48.00',
      '$0.05',
      '$1234567.89',
      '$0.00',
    ]);
  });

  test('property: the app total in cents is the exact sum, and its dollars the exact decimal', () => {
    const part = fc.record({
      surplus: fc.option(fc.integer({ min: 0, max: 1_000 }), { freq: 8 }),
      cents: fc.option(fc.integer({ min: 0, max: 1_000_000 }), { freq: 8 }),
    });
    fc.assert(
      fc.property(fc.array(part, { maxLength: 200 }), (parts) => {
        const costs: ComponentCost[] = parts.map(({ surplus, cents }) => ({
          slug: 'size',
          monthlyCents: cents,
          surplus,
          wasteCents: wasteCentsOf(surplus, cents),
        }));
        const total = appCost(costs);
        const unknownWaste = parts.some((p) => p.surplus === null || (p.surplus > 0 && p.cents === null));
        const unknownSurplus = parts.some((p) => p.surplus === null);
        expect(total.surplus === null).toBe(unknownSurplus);
        expect(total.wasteCents === null).toBe(unknownWaste);
        if (total.wasteCents === null) return;
        const exact = parts.reduce((sum, p) => sum + BigInt(p.surplus ?? 0) * BigInt(p.cents ?? 0), 0n);
        expect(Number.isSafeInteger(total.wasteCents)).toBe(true);
        expect(BigInt(total.wasteCents)).toBe(exact);
        // One division of an exact integer: the nearest double to the decimal, as JSON writes it.
        expect(centsToUsd(total.wasteCents)).toBe(Number(decimal(exact)));
        expect(formatUsd(total.wasteCents)).toBe(`$${decimal(exact)}`);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('componentSurplus and componentCost', () => {
  test('the live count with agents; the listed count without', () => {
    expect(componentSurplus(facts(6), WITH_AGENTS)).toBe(4);
    expect(componentSurplus(facts(0), { ...WITH_AGENTS, agentless: true })).toBe(0);
    const sixListed = component('backend', { listed: Array.from({ length: 6 }, (_, i) => listed(`b-${i}`)) });
    expect(componentSurplus(facts(0, { platform: sixListed }), { ...WITH_AGENTS, agentless: true })).toBe(4);
    const unlisted = component('backend', { listed: null, ready: 6 });
    expect(
      componentSurplus(facts(0, { platform: unlisted }), { ...WITH_AGENTS, agentless: true }),
    ).toBeNull();
  });

  test('unknown when the desired count, the collector or the platform view is unknown', () => {
    expect(componentSurplus(facts(6, { desired: null }), WITH_AGENTS)).toBeNull();
    expect(componentSurplus(facts(6), { ...WITH_AGENTS, collectorHealthy: false })).toBeNull();
    expect(componentSurplus(facts(6), { ...WITH_AGENTS, platformBlind: true })).toBeNull();
  });

  test('0 while rolling, and for components without standing instances', () => {
    expect(componentSurplus(facts(6, {}, 'dep-2'), WITH_AGENTS)).toBe(0);
    expect(
      componentSurplus(facts(6, { kind: 'job', desired: null }), { ...WITH_AGENTS, platformBlind: true }),
    ).toBe(0);
  });

  test('the cost carries the size, its price and the waste in cents', () => {
    expect(componentCost(facts(6), WITH_AGENTS)).toEqual({
      slug: 'apps-s-1vcpu-1gb',
      monthlyCents: 1200,
      surplus: 4,
      wasteCents: 4800,
    });
    expect(componentCost(facts(6, { platform: null }), WITH_AGENTS)).toEqual({
      slug: null,
      monthlyCents: null,
      surplus: 4,
      wasteCents: null,
    });
  });
});
