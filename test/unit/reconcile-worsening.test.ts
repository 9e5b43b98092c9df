/**
 * "worsening": a surplus or gap that grows within the window is annotated on its finding
 * ("worsening: 4 → 6") with a machine-readable trend; shrinking, steady, old or interrupted
 * deviations are not, and counts that cannot be trusted (collector blind, rollout) are neither
 * remembered nor compared.
 */
import type { ReconcileMemory, ReconcileResult } from '../../aggregator/reconcile';
import { observeTrend, reconcile, WORSENING_WINDOW_MS } from '../../aggregator/reconcile';
import type { DeviationObservation, DeviationRun, Worsening } from '../../aggregator/reconcile';
import type { DesiredRange } from '../../aggregator/model';
import { autoscaled, component, deployment, fixed, view } from '../support/platform';
import { input, judged } from '../support/reconcile-io';
import { blindSince, instances, NOW } from '../support/records';

const MIN = 60_000;
const WINDOW = WORSENING_WINDOW_MS;

/** One observation: minutes after the first, the live count and the desired range (null: not judged). */
type Step = readonly [minutes: number, live: number | null, desired?: DesiredRange];

/** Feeds the steps through observeTrend and returns the last result's worsening. */
function trendOf(steps: readonly Step[]): Worsening | null {
  let runs: readonly DeviationRun[] | undefined;
  let worsening: Worsening | null = null;
  for (const [minutes, live, desired = fixed(2)] of steps) {
    const observation: DeviationObservation | null = live === null ? null : { live, desired };
    const result = observeTrend(runs, observation, NOW + minutes * MIN, WINDOW);
    runs = result.runs;
    worsening = result.worsening;
  }
  return worsening;
}

describe('observeTrend', () => {
  test.each<[string, readonly Step[], Partial<Worsening> | null]>([
    [
      'a surplus that grows from 4 to 6',
      [
        [0, 6],
        [5, 8],
      ],
      { kind: 'surplus', from: 4, to: 6 },
    ],
    [
      'a surplus that grows in steps',
      [
        [0, 3],
        [5, 6],
        [10, 8],
      ],
      { kind: 'surplus', from: 1, to: 6 },
    ],
    [
      'a surplus that shrinks',
      [
        [0, 8],
        [5, 6],
      ],
      null,
    ],
    [
      'a steady surplus',
      [
        [0, 6],
        [5, 6],
        [50, 6],
      ],
      null,
    ],
    [
      'a surplus that grows back to where it was',
      [
        [0, 6],
        [5, 4],
        [10, 6],
      ],
      null,
    ],
    [
      'a surplus that dipped and grew past its start',
      [
        [0, 6],
        [5, 4],
        [10, 8],
      ],
      { from: 4, to: 6 },
    ],
    [
      'a surplus that wobbles around one size',
      [
        [0, 6],
        [5, 7],
        [10, 6],
      ],
      null,
    ],
    [
      'a gap that grows from 1 to 2',
      [
        [0, 2, fixed(3)],
        [5, 1, fixed(3)],
      ],
      { kind: 'gap', from: 1, to: 2 },
    ],
    [
      'a gap that closes',
      [
        [0, 0, fixed(3)],
        [5, 2, fixed(3)],
      ],
      null,
    ],
    [
      'a count back in range',
      [
        [0, 6],
        [5, 2],
      ],
      null,
    ],
    [
      'a new surplus after a healthy spell (a new episode)',
      [
        [0, 3],
        [5, 2],
        [10, 6],
      ],
      null,
    ],
    [
      'a gap that turns into a surplus',
      [
        [0, 1],
        [5, 4],
      ],
      null,
    ],
    [
      'a surplus last seen before the window',
      [
        [0, 6],
        [WINDOW / MIN + 1, 8],
      ],
      null,
    ],
    [
      'a surplus that lasted into the window (compared from the window start)',
      [
        [0, 6],
        [30, 6],
        [70, 8],
      ],
      { from: 4, to: 6, sinceMs: NOW + 70 * MIN - WINDOW },
    ],
    [
      'reconciles that could not judge do not break the episode',
      [
        [0, 6],
        [5, null],
        [10, 8],
      ],
      { from: 4, to: 6 },
    ],
    [
      'an autoscaling range: surplus over its max',
      [
        [0, 7, autoscaled(2, 5)],
        [5, 9, autoscaled(2, 5)],
      ],
      { from: 2, to: 4 },
    ],
    [
      'a spec change that keeps the surplus is no growth',
      [
        [0, 6, fixed(2)],
        [5, 7, fixed(3)],
      ],
      null,
    ],
  ])('%s', (_name, steps, expected) => {
    const worsening = trendOf(steps);
    if (expected === null) expect(worsening).toBeNull();
    else expect(worsening).toMatchObject(expected);
  });

  test('the runs stay bounded when the count flaps every reconcile', () => {
    let runs: readonly DeviationRun[] | undefined;
    for (let i = 0; i < 500; i++) {
      runs = observeTrend(runs, { live: 3 + (i % 2), desired: fixed(2) }, NOW + i * 1_000, WINDOW).runs;
    }
    expect(runs?.length).toBeLessThanOrEqual(32);
    expect(runs?.[runs.length - 1]).toEqual({ deviation: 2, fromMs: NOW + 499_000, toMs: NOW + 499_000 });
  });

  test('equal deviations extend one run instead of adding runs', () => {
    let runs: readonly DeviationRun[] | undefined;
    for (let i = 0; i < 10; i++)
      runs = observeTrend(runs, { live: 6, desired: fixed(2) }, NOW + i * MIN, WINDOW).runs;
    expect(runs).toEqual([{ deviation: 4, fromMs: NOW, toMs: NOW + 9 * MIN }]);
  });
});

describe('the worsening annotation in the report', () => {
  const platform = (overrides = {}) =>
    view({
      components: [component('backend', { desired: fixed(2) })],
      activeDeployment: deployment('dep-2'),
      ...overrides,
    });

  /** Reconciles each step (minutes, live count, overrides) carrying the memory. */
  function run(
    steps: readonly (readonly [number, number, Partial<Parameters<typeof input>[0]>?])[],
  ): ReconcileResult[] {
    let memory: ReconcileMemory | null = null;
    return steps.map(([minutes, live, overrides = {}]) => {
      const nowMs = NOW + minutes * MIN;
      const result = reconcile(
        input({
          nowMs,
          platform: platform(),
          instances: instances('backend', live, { deploymentId: 'dep-2', lastSeenMs: nowMs }),
          memory,
          ...overrides,
        }),
      );
      memory = result.memory;
      return result;
    });
  }

  const findingOf = (result: ReconcileResult | undefined, code: string) =>
    result?.report.components[0]?.findings.find((f) => f.code === code);

  test('SURPLUS_INSTANCES says "worsening: 4 → 6" and carries the trend', () => {
    const results = run([
      [0, 6],
      [10, 8],
    ]);
    expect(findingOf(results[0], 'SURPLUS_INSTANCES')?.trend).toBeUndefined();
    const surplus = findingOf(results[1], 'SURPLUS_INSTANCES');
    expect(surplus?.message).toContain('6 surplus');
    expect(surplus?.message).toContain('worsening: 4 → 6 within 1 h');
    expect(surplus?.trend).toEqual({
      direction: 'worsening',
      from: 4,
      to: 6,
      since: new Date(NOW).toISOString(),
      window_ms: WINDOW,
    });
  });

  test('MISSING_INSTANCES says "worsening: 1 → 2" when the gap grows', () => {
    const three = { platform: platform({ components: [component('backend', { desired: fixed(3) })] }) };
    const results = run([
      [0, 2, three],
      [1, 1, three],
    ]);
    const missing = findingOf(results[1], 'MISSING_INSTANCES');
    expect(missing?.message).toContain('worsening: 1 → 2');
    expect(missing?.trend).toMatchObject({ from: 1, to: 2 });
  });

  test('no annotation while a rollout is in progress, nor does the surge count later', () => {
    const rolling = {
      platform: platform({ inProgressDeployment: deployment('dep-3', { phase: 'DEPLOYING' }) }),
    };
    const results = run([
      [0, 6],
      [1, 9, rolling],
      [2, 6],
    ]);
    expect(findingOf(results[1], 'SURPLUS_INSTANCES')?.trend).toBeUndefined();
    expect(findingOf(results[2], 'SURPLUS_INSTANCES')?.trend).toBeUndefined();
  });

  test('a blind collector neither annotates nor forgets', () => {
    const blind = { collector: blindSince(NOW) };
    const results = run([
      [0, 6],
      [1, 8, blind],
      [2, 8],
    ]);
    expect(findingOf(results[1], 'SURPLUS_INSTANCES')?.trend).toBeUndefined();
    expect(results[1]?.memory.deviations?.backend).toEqual([{ deviation: 4, fromMs: NOW, toMs: NOW }]);
    expect(findingOf(results[2], 'SURPLUS_INSTANCES')?.trend).toMatchObject({ from: 4, to: 6 });
  });

  test('the memory leaves the field out when no component has a count to judge', () => {
    const result = reconcile(input({ platform: view() }));
    expect(judged(result.memory)).toEqual({ rollout: null });
    expect('deviations' in result.memory).toBe(false);
  });

  test('the same input gives a deep-equal result (the reconciler stays pure)', () => {
    const first = run([
      [0, 6],
      [10, 8],
    ]);
    const again = run([
      [0, 6],
      [10, 8],
    ]);
    // Compared whole: the instance lists built, as they are lazy functions in a result.
    const whole = (results: ReconcileResult[]) => results.map((r) => ({ ...r, instances: r.instances() }));
    expect(whole(again)).toEqual(whole(first));
  });
});
