/**
 * The refresh pacer: one request budget for every app of a token. Time is a manual clock whose
 * sleeps end when it is advanced past them (or their signal aborts).
 */
import type { Clock } from '../../shared/clock';
import { DIGITALOCEAN_RATE_BUDGET, RefreshPacer, refreshPlan } from '../../aggregator/platform/refresh-pacer';
import { waitFor } from '../support/wait';
import type { ManualClock } from '../support/manual-clock';
import { manualClock } from '../support/manual-clock';

/** Takes turns for `apps` members forever, recording who refreshed when. */
function takeTurns(pacer: RefreshPacer, clock: Clock, apps: number, signal: AbortSignal) {
  const turns: { app: number; atMs: number }[] = [];
  for (let app = 0; app < apps; app++) {
    const member = { app };
    pacer.join(member);
    void (async () => {
      while (!signal.aborted) {
        await pacer.turn(member, signal);
        if (!signal.aborted) turns.push({ app, atMs: clock.now() });
      }
    })();
  }
  return turns;
}

/** Advances time in steps, letting the pacer's promises settle between them. */
async function run(clock: ManualClock, totalMs: number, stepMs = 100): Promise<void> {
  for (let t = 0; t < totalMs; t += stepMs) {
    await new Promise((r) => setImmediate(r));
    clock.advance(stepMs);
  }
  await new Promise((r) => setImmediate(r));
}

describe('refreshPlan', () => {
  test('one app: every cache TTL; turns never closer than the per-minute share allows', () => {
    expect(refreshPlan(1, 60_000)).toEqual({ periodMs: 60_000, gapMs: 60_000, firstGapMs: 1_200 });
  });

  test('many apps stretch the period so that refreshes spend at most the hourly share', () => {
    for (const apps of [1, 10, 17, 50, 200, 1_000]) {
      const { periodMs, gapMs } = refreshPlan(apps, 60_000);
      const callsPerHour = (apps * 4 * 3_600_000) / periodMs;
      expect(callsPerHour).toBeLessThanOrEqual(
        DIGITALOCEAN_RATE_BUDGET.perHour * DIGITALOCEAN_RATE_BUDGET.share,
      );
      expect(periodMs).toBeGreaterThanOrEqual(60_000);
      // Spread evenly: one turn per gap, and the gaps fit in the period.
      expect(gapMs * apps).toBeLessThanOrEqual(periodMs);
      expect((4 * 60_000) / gapMs).toBeLessThanOrEqual(DIGITALOCEAN_RATE_BUDGET.perMinute);
    }
    expect(refreshPlan(50, 60_000).periodMs).toBe(180_000);
  });
});

describe('RefreshPacer', () => {
  test('spreads three apps over the period, each once per period', async () => {
    const clock = manualClock();
    const pacer = new RefreshPacer({ floorMs: 60_000, clock });
    const stop = new AbortController();
    const turns = takeTurns(pacer, clock, 3, stop.signal);
    await run(clock, 10 * 60_000, 500);
    stop.abort();
    const late = turns.filter((t) => t.atMs >= 60_000);
    // After the first round, one turn every 20 s, round robin.
    for (let i = 1; i < late.length; i++)
      expect((late[i]?.atMs ?? 0) - (late[i - 1]?.atMs ?? 0)).toBe(20_000);
    for (const app of [0, 1, 2]) {
      const own = turns.filter((t) => t.app === app).map((t) => t.atMs);
      for (let i = 1; i < own.length; i++)
        expect((own[i] ?? 0) - (own[i - 1] ?? 0)).toBeGreaterThanOrEqual(60_000);
    }
  });

  test('first turns come at the per-minute spacing, not a whole period apart', async () => {
    const clock = manualClock();
    const pacer = new RefreshPacer({ floorMs: 60_000, clock });
    const stop = new AbortController();
    const turns = takeTurns(pacer, clock, 5, stop.signal);
    await run(clock, 6_000, 100);
    stop.abort();
    expect(turns.slice(0, 5).map((t) => t.atMs)).toEqual([0, 1_200, 2_400, 3_600, 4_800]);
  });

  test('a rate limit holds every app back until it resets', async () => {
    const clock = manualClock();
    const pacer = new RefreshPacer({ floorMs: 60_000, clock });
    const stop = new AbortController();
    const turns = takeTurns(pacer, clock, 2, stop.signal);
    await waitFor(() => turns.length === 1, { what: 'the first turn' });
    pacer.holdFor(300_000);
    await run(clock, 299_000, 1_000);
    expect(turns).toHaveLength(1);
    await run(clock, 2_000, 1_000);
    stop.abort();
    expect(turns).toHaveLength(2);
  });

  test('an expedited app takes its turn at once; one that leaves shrinks the period back', async () => {
    const clock = manualClock();
    const pacer = new RefreshPacer({ floorMs: 60_000, clock });
    const member = {};
    const stop = new AbortController();
    await pacer.turn(member, stop.signal);
    const next = pacer.turn(member, stop.signal);
    await new Promise((r) => setImmediate(r));
    expect(clock.pending()).toBe(1);
    pacer.expedite(member);
    await next;
    expect(clock.now()).toBe(0);
    const others = Array.from({ length: 99 }, () => ({}));
    for (const other of others) pacer.join(other);
    expect(pacer.plan().periodMs).toBe(refreshPlan(100, 60_000).periodMs);
    for (const other of others) pacer.leave(other);
    expect(pacer.plan().periodMs).toBe(60_000);
    stop.abort();
  });
});
