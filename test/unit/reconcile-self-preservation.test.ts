/**
 * Self-preservation inside the pure reconciler: a collapse of renewals makes the aggregator
 * blind (degraded, nothing gone, DATA_DEGRADED instead of MISSING_INSTANCES) until they recover.
 */
import type { CollectorHealth, InstanceRecord } from '../../aggregator/model';
import type { ReconcileMemory, ReconcileResult } from '../../aggregator/reconcile';
import {
  reconcile,
  renewalsOf,
  SELF_PRESERVATION_DEFAULTS,
  selfPreservation,
} from '../../aggregator/reconcile';
import { component, fixed, view } from '../support/platform';
import { input } from '../support/reconcile-io';
import { blindSince, HEALTHY, instance, instances, NOW } from '../support/records';

const platform = (desired = 6) => view({ components: [component('backend', { desired: fixed(desired) })] });

/** Reconciles each [ms after NOW, fleet] in turn, carrying the memory. */
function run(
  steps: readonly (readonly [number, (nowMs: number) => readonly InstanceRecord[]])[],
  options: { threshold?: number; desired?: number; collector?: (nowMs: number) => CollectorHealth } = {},
): ReconcileResult[] {
  let memory: ReconcileMemory | null = null;
  return steps.map(([offsetMs, fleet]) => {
    const nowMs = NOW + offsetMs;
    const result = reconcile(
      input({
        nowMs,
        platform: platform(options.desired),
        instances: fleet(nowMs),
        collector: options.collector?.(nowMs) ?? HEALTHY,
        memory,
        policy: { staleAfterMs: null, rolloutGraceMs: 600_000, selfPreservationThreshold: options.threshold },
      }),
    );
    memory = result.memory;
    return result;
  });
}

/** `total` instances; the first `silent` stop heartbeating at NOW + stopMs, the rest keep on. */
const fleet =
  (total: number, silent: number, stopMs = 0) =>
  (nowMs: number): InstanceRecord[] =>
    Array.from({ length: total }, (_, i) =>
      instance(`backend-${i + 1}`, {
        lastSeenMs: i < silent ? Math.min(nowMs, NOW + stopMs) : nowMs,
        startedAtMs: NOW - 3_600_000,
      }),
    );

const codes = (result: ReconcileResult | undefined) =>
  result?.report.components[0]?.findings.map((f) => f.code);
const backend = (result: ReconcileResult | undefined) => result?.report.components[0];

describe('self-preservation', () => {
  test.each<{ name: string; total: number; silent: number; threshold?: number; blind: boolean }>([
    { name: '4 of 6 silent at once', total: 6, silent: 4, blind: true },
    { name: 'exactly half silent is not more than half', total: 6, silent: 3, blind: false },
    { name: '3 of 3 silent', total: 3, silent: 3, blind: true },
    { name: '2 of 2 silent: too few to judge', total: 2, silent: 2, blind: false },
    {
      name: 'a higher threshold: 4 of 6 is not more than 80 %',
      total: 6,
      silent: 4,
      threshold: 0.8,
      blind: false,
    },
    { name: 'threshold 0: any silent instance of 3', total: 3, silent: 1, threshold: 0, blind: true },
  ])('$name → blind: $blind', ({ total, silent, threshold, blind }) => {
    // Heartbeats every 10 s; at +25 s the silent ones have missed two beats.
    const results = run(
      [
        [0, fleet(total, silent)],
        [25_000, fleet(total, silent)],
      ],
      { threshold, desired: total },
    );
    const last = results[1];
    expect(last?.report.degraded).toBe(blind);
    expect(backend(last)?.verdict).toBe(blind ? 'degraded' : 'ok');
    expect(codes(last)?.includes('DATA_DEGRADED')).toBe(blind);
    expect(
      last?.memory.selfPreservation?.episode !== null && last?.memory.selfPreservation !== undefined,
    ).toBe(blind);
  });

  test('while it holds nothing is marked gone and nothing is missing', () => {
    const steps: [number, (nowMs: number) => InstanceRecord[]][] = [0, 25_000, 60_000, 240_000].map((ms) => [
      ms,
      fleet(6, 4),
    ]);
    const results = run(steps);
    for (const result of results.slice(1)) {
      expect(result.report.degraded).toBe(true);
      expect(backend(result)).toMatchObject({ verdict: 'degraded', live: 6, stale: 0 });
      expect(codes(result)).not.toContain('MISSING_INSTANCES');
      expect(result.instances().every((i) => i.state === 'live' || i.state === 'suspect')).toBe(true);
    }
    const degraded = results[3]?.report.components[0]?.findings.find((f) => f.code === 'DATA_DEGRADED');
    expect(degraded?.message).toContain('4 of 6 instances that were live stopped renewing at once');
    expect(degraded?.message).toContain(new Date(NOW).toISOString());
  });

  test('it holds at most maxHoldMs: a fleet that really shrank is then reported, and it does not re-trigger', () => {
    const detectedAt = 25_000;
    const hold = SELF_PRESERVATION_DEFAULTS.maxHoldMs;
    const results = run(
      [0, detectedAt, detectedAt + hold - 1_000, detectedAt + hold, detectedAt + hold + 30_000].map((ms) => [
        ms,
        fleet(6, 4),
      ]),
    );
    expect(results.map((r) => r.report.degraded)).toEqual([false, true, true, false, false]);
    for (const after of results.slice(3)) {
      expect(backend(after)).toMatchObject({ verdict: 'discrepancy', live: 2, stale: 4 });
      expect(codes(after)).toContain('MISSING_INSTANCES');
    }
  });

  test('it ends when renewals come back (a replacement fleet too); then the silent ones are gone', () => {
    const replaced = (nowMs: number) => [
      ...fleet(6, 4)(nowMs),
      ...instances('new', 2, { lastSeenMs: nowMs }),
    ];
    const results = run([
      [0, fleet(6, 4)],
      [25_000, fleet(6, 4)],
      [120_000, fleet(6, 4)],
      [130_000, replaced],
    ]);
    expect(results.map((r) => r.report.degraded)).toEqual([false, true, true, false]);
    const after = results[3];
    expect(backend(after)).toMatchObject({ verdict: 'discrepancy', live: 4, stale: 4 });
    expect(codes(after)).toContain('MISSING_INSTANCES');
    expect(after?.memory.selfPreservation?.episode).toBeNull();
  });

  test('goodbyes heard after the collapse end it: the silent ones left on purpose', () => {
    const goodbyes = (nowMs: number) =>
      fleet(6, 4)(nowMs).map((record, i) => (i < 4 ? { ...record, leftAtMs: NOW + 40_000 } : record));
    const results = run([
      [0, fleet(6, 4)],
      [25_000, fleet(6, 4)],
      [45_000, goodbyes],
    ]);
    expect(results.map((r) => r.report.degraded)).toEqual([false, true, false]);
    expect(backend(results[2])).toMatchObject({ live: 2, left: 4, stale: 0 });
  });

  test('goodbyes are not silence: a scale-down from 6 to 2 stays healthy', () => {
    const scaledDown = (nowMs: number) =>
      Array.from({ length: 6 }, (_, i) =>
        i < 4
          ? instance(`backend-${i + 1}`, { lastSeenMs: NOW + 1_000, leftAtMs: NOW + 1_000 })
          : instance(`backend-${i + 1}`, { lastSeenMs: nowMs }),
      );
    const results = run(
      [
        [0, fleet(6, 0)],
        [25_000, scaledDown],
      ],
      { desired: 2 },
    );
    expect(results[1]?.report.degraded).toBe(false);
    expect(backend(results[1])).toMatchObject({ verdict: 'ok', live: 2, left: 4 });
  });

  test('instances dying one at a time, further apart than a window, never add up to a collapse', () => {
    const deaths = [0, 120_000, 240_000, 360_000];
    const dying = (nowMs: number) =>
      Array.from({ length: 6 }, (_, i) =>
        instance(`backend-${i + 1}`, {
          lastSeenMs: i < deaths.length ? Math.min(nowMs, NOW + (deaths[i] ?? 0)) : nowMs,
        }),
      );
    const results = run(Array.from({ length: 50 }, (_, i) => [i * 10_000, dying] as const));
    expect(results.every((r) => !r.report.degraded)).toBe(true);
    expect(backend(results.at(-1))).toMatchObject({ live: 2, stale: 4 });
    expect(codes(results.at(-1))).toContain('MISSING_INSTANCES');
  });

  test('the first reconcile judges nothing: there was no earlier look at the fleet', () => {
    const [first] = run([[25_000, fleet(6, 4, -25_000)]]);
    expect(first?.report.degraded).toBe(false);
    expect(first?.memory.selfPreservation).toEqual({ checkedAtMs: NOW + 25_000, episode: null });
  });

  test('a fleet too small to judge adds nothing to the memory', () => {
    const [result] = run([[0, fleet(2, 0)]], { desired: 2 });
    expect(result && 'selfPreservation' in result.memory).toBe(false);
  });

  test('a blind collector keeps an episode going and its earlier moment of blindness', () => {
    const episode = { sinceMs: NOW - 60_000, detectedAtMs: NOW - 30_000, expected: 6, silent: 4 };
    const result = selfPreservation(renewalsOf(fleet(6, 4)(NOW)), blindSince(NOW - 10_000), NOW, null, 0.5, {
      checkedAtMs: NOW - 10_000,
      episode,
    });
    expect(result.collector).toMatchObject({ healthy: false, blindSinceMs: NOW - 60_000 });
    expect(result.memory?.episode).toEqual(episode);
  });
});
