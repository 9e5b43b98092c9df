/**
 * A clock whose time moves only when a test advances it: every sleep ends once the time passes
 * its end (or its signal aborts). For code that waits on a Clock (pacer, catalog, discovery).
 */
import type { Clock } from '../../shared/clock';

export interface ManualClock extends Clock {
  /** Moves the time forward, ending every sleep that is due. */
  advance(ms: number): void;
  /** Every sleep asked for, in ms, in order. */
  readonly sleeps: readonly number[];
  /** Sleeps not ended yet; with `ms`, only those that asked for that long. */
  pending(ms?: number): number;
}

export function manualClock(startMs = 0): ManualClock {
  let now = startMs;
  const sleeps: number[] = [];
  const sleepers = new Set<{ ms: number; dueMs: number; wake: () => void }>();
  return {
    sleeps,
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        sleeps.push(ms);
        if (signal?.aborted) return resolve();
        const sleeper = {
          ms,
          dueMs: now + ms,
          wake: () => {
            sleepers.delete(sleeper);
            resolve();
          },
        };
        sleepers.add(sleeper);
        signal?.addEventListener('abort', sleeper.wake, { once: true });
      }),
    advance(ms) {
      now += ms;
      for (const sleeper of [...sleepers]) if (sleeper.dueMs <= now) sleeper.wake();
    },
    pending: (ms) => [...sleepers].filter((s) => ms === undefined || s.ms === ms).length,
  };
}
