/** Bounding a wait that cannot itself be cancelled (a Redis command, a close). */

/** A bounded wait ran out. */
export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} timed out after ${Math.round(ms)} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * Resolves or rejects like `promise`, or rejects with a TimeoutError after `ms`. A late
 * rejection of `promise` is swallowed so it never surfaces as an unhandled rejection.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), Math.max(0, ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
