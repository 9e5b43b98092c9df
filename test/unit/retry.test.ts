import type { Clock } from '../../shared/clock';
import { backoffDelayMs, RetryableError, withRetry } from '../../shared/retry';

/** A clock whose sleeps return at once and are recorded. */
function recordingClock(): Clock & { slept: number[] } {
  const slept: number[] = [];
  return { slept, now: () => 0, sleep: async (ms: number) => void slept.push(ms) };
}

describe('withRetry', () => {
  test('retries retryable failures and returns the first success', async () => {
    const clock = recordingClock();
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw new RetryableError('flaky');
        return 'done';
      },
      { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000, clock, random: () => 1 },
    );
    expect(result).toBe('done');
    expect(calls).toBe(3);
    expect(clock.slept).toEqual([100, 200]);
  });

  test('stops after the attempt budget with the last error', async () => {
    const clock = recordingClock();
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new RetryableError(`fail ${calls}`);
        },
        { attempts: 3, baseDelayMs: 10, maxDelayMs: 50, clock },
      ),
    ).rejects.toThrow('fail 3');
    expect(calls).toBe(3);
  });

  test('does not retry permanent errors', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new Error('404');
        },
        { attempts: 5, baseDelayMs: 10, maxDelayMs: 50, clock: recordingClock() },
      ),
    ).rejects.toThrow('404');
    expect(calls).toBe(1);
  });

  test('honours a server-requested delay, capped by maxDelayMs', async () => {
    const clock = recordingClock();
    let calls = 0;
    await withRetry(
      async () => {
        if (calls++ === 0) throw new RetryableError('429', 5_000);
        return true;
      },
      { attempts: 2, baseDelayMs: 10, maxDelayMs: 2_000, clock, random: () => 0 },
    );
    expect(clock.slept).toEqual([2_000]);
  });

  test('an aborted signal ends the loop', async () => {
    const controller = new AbortController();
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          controller.abort();
          throw new RetryableError('down');
        },
        { attempts: 10, baseDelayMs: 10, maxDelayMs: 50, clock: recordingClock(), signal: controller.signal },
      ),
    ).rejects.toThrow('down');
    expect(calls).toBe(1);
  });
});

describe('backoffDelayMs', () => {
  test('grows exponentially and is capped', () => {
    const top = () => 1;
    expect([0, 1, 2, 3, 10].map((a) => backoffDelayMs(a, 100, 1_000, top))).toEqual([
      100, 200, 400, 800, 1_000,
    ]);
  });
  test('is at least 1 ms', () => {
    expect(backoffDelayMs(0, 100, 1_000, () => 0)).toBe(1);
  });
});
