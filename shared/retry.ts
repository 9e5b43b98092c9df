/**
 * The one retry loop. Leaf clients classify their failures; this does capped exponential
 * backoff with full jitter and stops when the signal aborts or the budget is spent.
 */
import type { Clock } from './clock';
import { systemClock } from './clock';

/** A failure worth another try, optionally after a delay the server asked for (429, Retry-After). */
export class RetryableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RetryableError';
  }
}

export interface RetryPolicy {
  /** Total tries, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export interface RetryOptions extends RetryPolicy {
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  /** Called before each wait; for logging and metrics. */
  readonly onRetry?: (info: { attempt: number; delayMs: number; err: unknown }) => void;
  /** Source of randomness for jitter, injectable for tests. */
  readonly random?: () => number;
}

/** Full-jitter backoff: uniform in [0, min(max, base·2^attempt)], at least 1 ms. */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.max(1, Math.round(random() * ceiling));
}

/**
 * Runs `fn` until it succeeds, throws a non-retryable error, the attempts are spent or the
 * signal aborts. Only `RetryableError` is retried; anything else is permanent.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const clock = options.clock ?? systemClock;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const last = attempt + 1 >= options.attempts;
      if (!(err instanceof RetryableError) || last || options.signal?.aborted) throw err;
      const backoff = backoffDelayMs(attempt, options.baseDelayMs, options.maxDelayMs, options.random);
      const delayMs = Math.min(options.maxDelayMs, Math.max(backoff, err.retryAfterMs ?? 0));
      options.onRetry?.({ attempt, delayMs, err });
      await clock.sleep(delayMs, options.signal);
      if (options.signal?.aborted) throw err;
    }
  }
}
