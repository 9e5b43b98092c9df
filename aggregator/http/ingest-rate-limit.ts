/**
 * INGEST_RATE_LIMIT_PER_S: heartbeats per second per client address, counted by heartbeat, not
 * by request, so that a batch of 500 spends 500. One limiter serves express's middleware and the
 * ingest lane (ingest-lane.ts) alike, and it answers as express-rate-limit did before it
 * (`standardHeaders: 'draft-7'`, its memory store, its client key), so that no client sees the
 * change: a fixed window of one second per client starting at its first heartbeat,
 * `RateLimit-Policy: <limit>;w=1` and `RateLimit: limit=…, remaining=…, reset=…` on every answer,
 * `Retry-After` and a JSON error on a 429. express-rate-limit counts one per request before
 * the body is read and cannot count a batch's items; the library is no longer used for ingest.
 */
import type { IncomingMessage } from 'node:http';
import { ipKeyGenerator } from 'express-rate-limit';
import type { RequestHandler } from 'express';
import type { Clock } from '../../shared/clock';

/** The window: the variable says "per second". */
export const INGEST_RATE_WINDOW_MS = 1_000;

/** One client's window: what it has spent and when the window ends. Mutated in place. */
export interface RateWindow {
  hits: number;
  resetAtMs: number;
}

/** The 429 answer's parts. */
export interface RateRefusal {
  readonly retryAfterS: string;
  readonly json: string;
}

/** The client key express-rate-limit used: the socket's address, an IPv6 one by its /56. */
export function clientKey(req: Pick<IncomingMessage, 'socket'>): string {
  const address = req.socket.remoteAddress;
  // A socket already gone has no address; its request is answered to no one anyway.
  return address === undefined ? 'unknown' : ipKeyGenerator(address);
}

/**
 * Per-client fixed windows. Clients are kept in two maps, as express-rate-limit's memory store
 * keeps them: the current window's and the previous one's, swapped once a window has passed
 * (on the next hit, not by a timer: nothing to stop), so memory holds only the clients of the
 * last two windows.
 */
export class IngestRateLimit {
  private current = new Map<string, RateWindow>();
  private previous = new Map<string, RateWindow>();
  private swappedAtMs = Number.NEGATIVE_INFINITY;
  /** The 429's body and the policy header, the same for every answer. */
  readonly refusalJson: string;
  readonly policy: string;

  constructor(
    /** Heartbeats a window per client; above 0. */
    readonly limit: number,
    readonly windowMs = INGEST_RATE_WINDOW_MS,
  ) {
    this.policy = `${limit};w=${Math.ceil(windowMs / 1000)}`;
    this.refusalJson = JSON.stringify({
      error: 'too many requests',
      detail: `at most ${limit} heartbeats a second per client address (INGEST_RATE_LIMIT_PER_S)`,
    });
  }

  /** Spends `count` heartbeats of `key`'s window at `nowMs`; the window, to read `hits` from. */
  hit(key: string, count: number, nowMs: number): RateWindow {
    if (nowMs - this.swappedAtMs >= this.windowMs) {
      this.previous = this.current;
      this.current = new Map();
      this.swappedAtMs = nowMs;
    }
    let window = this.current.get(key);
    if (window === undefined) {
      window = this.previous.get(key) ?? { hits: 0, resetAtMs: nowMs + this.windowMs };
      this.previous.delete(key);
      this.current.set(key, window);
    }
    if (window.resetAtMs <= nowMs) {
      window.hits = 0;
      window.resetAtMs = nowMs + this.windowMs;
    }
    window.hits += count;
    return window;
  }

  /** Whether the window is spent beyond the limit (its latest hit is refused). */
  exceeded(window: RateWindow): boolean {
    return window.hits > this.limit;
  }

  /** The `RateLimit` header's value for a window at `nowMs`. */
  header(window: RateWindow, nowMs: number): string {
    return `limit=${this.limit}, remaining=${Math.max(this.limit - window.hits, 0)}, reset=${resetSeconds(window, nowMs)}`;
  }

  /** `Retry-After` for a refused window. */
  retryAfter(window: RateWindow, nowMs: number): string {
    return String(resetSeconds(window, nowMs));
  }
}

function resetSeconds(window: RateWindow, nowMs: number): number {
  return Math.max(0, Math.ceil((window.resetAtMs - nowMs) / 1000));
}

/** What a request's handler reads back from the limiter (res.locals.ingestRate). */
export interface RateSpent {
  readonly limiter: IngestRateLimit;
  readonly window: RateWindow;
}

/**
 * The limiter as express middleware, mounted where express-rate-limit was (every method on the
 * ingest path): spends one heartbeat per request on arrival, before the body is read and before
 * the token check, so that a flood is slowed whatever it sends. A batch spends its further items
 * in the ingest handler, which finds the window in `res.locals.ingestRate`.
 */
export function rateLimitMiddleware(limiter: IngestRateLimit, clock: Clock): RequestHandler {
  return (req, res, next) => {
    const now = clock.now();
    const window = limiter.hit(clientKey(req), 1, now);
    res.setHeader('RateLimit-Policy', limiter.policy);
    res.setHeader('RateLimit', limiter.header(window, now));
    if (limiter.exceeded(window)) {
      res.setHeader('Retry-After', limiter.retryAfter(window, now));
      res.status(429).set('Content-Type', 'application/json').send(limiter.refusalJson);
      return;
    }
    res.locals.ingestRate = { limiter, window } satisfies RateSpent;
    next();
  };
}
