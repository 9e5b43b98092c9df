/**
 * Leader election among aggregators sharing one Redis: every aggregator collects and serves,
 * only the leader alerts and remediates. The lease is a key holding the holder's id with a
 * PX expiry, renewed well before it runs out; each acquisition increments a fencing counter,
 * and writes that only the leader may make (alert states) check that token inside Redis, so a
 * deposed leader that still believes in its lease cannot overwrite its successor's work.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../shared/clock';
import { systemClock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import type { RedisConnection } from '../shared/redis-client';
import { closeQuietly, connectOrFail, createRedisClient } from '../shared/redis-client';
import type { RedisEngine } from '../shared/redis-engine';
import type { AppKeys } from '../shared/redis-keys';
import { appKeys } from '../shared/redis-keys';
import { luaScript, runLua } from '../shared/lua-script';

/** Whether this aggregator leads, and the token that fences its writes. */
export interface Leadership {
  isLeader(): boolean;
  /** The fencing token of the current term; null while not leading (and always in embedded mode). */
  fencingToken(): number | null;
  /** Calls `listener` on every change; returns the unsubscribe function. */
  onChange(listener: (leader: boolean) => void): () => void;
  /** Takes part in the election; resolves once leadership is first settled (never rejects). */
  start(): Promise<void>;
  /** Idempotent. Gives the lease up when holding it. */
  close(): Promise<void>;
}

/**
 * The one leadership of an aggregator: the Redis lease when it shares Redis with others, else
 * always the leader. Everything that acts only while leading (alerts, history, remediation, the
 * `leader` of /readyz) asks this one object.
 */
export function createLeadership(
  config: { readonly redis: RedisEngine | null; readonly app: string; readonly leaderLeaseMs: number },
  deps: { readonly clock: Clock; readonly log: Logger },
): Leadership {
  if (config.redis === null) return new AlwaysLeader();
  return new RedisLeaderLease({
    engine: config.redis,
    app: config.app,
    leaseMs: config.leaderLeaseMs,
    clock: deps.clock,
    log: deps.log,
  });
}

/** The embedded mode: one aggregator, always the leader, nothing to fence. */
export class AlwaysLeader implements Leadership {
  isLeader(): boolean {
    return true;
  }

  fencingToken(): number | null {
    return null;
  }

  onChange(): () => void {
    return () => undefined;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Takes the lease if nobody holds it (or we still do), and starts a new term.
 * KEYS[1] leader key, KEYS[2] fencing counter. ARGV[1] holder id, ARGV[2] lease ms.
 * Returns {1, fencing token} when acquired, {0, PTTL of the holder's lease} otherwise.
 */
const ACQUIRE = luaScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('INCR', KEYS[2])}
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, redis.call('INCR', KEYS[2])}
end
return {0, redis.call('PTTL', KEYS[1])}
`);

/**
 * Extends the lease if we still hold it. KEYS[1] leader key. ARGV[1] holder id, ARGV[2] lease ms.
 * Returns 1 when renewed, 0 when someone else holds it (or nobody).
 */
const RENEW = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`);

/** Gives the lease up if we hold it. KEYS[1] leader key. ARGV[1] holder id. Returns keys deleted. */
const RELEASE = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);

export interface RedisLeaderLeaseOptions {
  readonly engine: RedisEngine;
  readonly app: string;
  /** LEADER_LEASE_MS: how long a lease lasts without renewal, so how long a dead leader blocks. */
  readonly leaseMs: number;
  readonly log: Logger;
  readonly clock?: Clock;
  /** This holder's id in the lease; default `<host>:<pid>:<random>`. */
  readonly holderId?: string;
}

/**
 * The Redis lease. The leader renews every lease/3; a follower tries again as soon as the
 * holder's lease runs out (its PTTL), so leadership moves within one lease of a leader's death.
 * A leader that could not renew stops leading when its lease would have run out, measured from
 * the moment it SENT its last successful renewal (Redis started the lease no earlier), minus
 * Redlock's allowance for clock drift.
 */
export class RedisLeaderLease implements Leadership {
  private readonly keys: AppKeys;
  private readonly clock: Clock;
  private readonly client: RedisConnection;
  private readonly holderId: string;
  private readonly listeners = new Set<(leader: boolean) => void>();
  private readonly abort = new AbortController();
  private leading = false;
  private token: number | null = null;
  private leaseEndsMs = 0;
  private failing = false;
  private starting: Promise<void> | null = null;
  private running: Promise<void> | null = null;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: RedisLeaderLeaseOptions) {
    this.keys = appKeys(options.app);
    this.clock = options.clock ?? systemClock;
    this.holderId = options.holderId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.client = createRedisClient({
      engine: options.engine,
      log: options.log,
      name: 'replica-watch-leader',
    });
  }

  /**
   * Connects and makes the first attempt, so that leadership is settled when it resolves (if
   * Redis answers); then keeps the lease in the background. Never rejects on an unreachable
   * Redis: it keeps trying, as a follower.
   */
  start(): Promise<void> {
    this.starting ??= this.closing ? Promise.resolve() : this.begin();
    return this.starting;
  }

  private async begin(): Promise<void> {
    try {
      await connectOrFail(this.client);
    } catch {
      // The client keeps reconnecting; the loop's attempts fail fast until it is back.
    }
    const first = await this.tick();
    const { signal } = this.abort;
    this.running = (async () => {
      let waitMs = first;
      while (!signal.aborted) {
        await this.clock.sleep(waitMs, signal);
        if (signal.aborted) break;
        waitMs = await this.tick();
      }
    })();
  }

  isLeader(): boolean {
    return this.leading && this.clock.now() < this.leaseEndsMs;
  }

  fencingToken(): number | null {
    return this.isLeader() ? this.token : null;
  }

  onChange(listener: (leader: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.abort.abort();
      await this.starting;
      await this.running;
      if (this.leading) {
        try {
          await runLua(this.client, RELEASE, [this.keys.leader], [this.holderId]);
        } catch {
          // Redis is unreachable: the lease runs out by itself within one lease period.
        }
        this.lose('closing', 'info');
      }
      await closeQuietly(this.client);
    })();
    return this.closing;
  }

  /** One attempt to acquire or renew; returns how long to wait before the next. */
  private async tick(): Promise<number> {
    const { leaseMs } = this.options;
    const renewEveryMs = Math.max(1, Math.floor(leaseMs / 3));
    const sentAtMs = this.clock.now();
    // Late (a blocked event loop): the term is over even if the key is still ours; a new one starts.
    if (this.leading && sentAtMs >= this.leaseEndsMs) this.lose('the lease ran out before it was renewed');
    try {
      if (this.leading) {
        const renewed = Number(
          await runLua(this.client, RENEW, [this.keys.leader], [this.holderId, String(leaseMs)]),
        );
        this.recovered();
        if (renewed === 1) {
          this.leaseEndsMs = sentAtMs + this.usableLeaseMs();
          return renewEveryMs;
        }
        this.lose('another aggregator holds the lease');
      } else {
        const reply = (await runLua(
          this.client,
          ACQUIRE,
          [this.keys.leader, this.keys.fencing],
          [this.holderId, String(leaseMs)],
        )) as [number, number];
        this.recovered();
        const [acquired, value] = reply.map(Number) as [number, number];
        if (acquired === 1) {
          this.win(value, sentAtMs + this.usableLeaseMs());
          return renewEveryMs;
        }
        // Try again just after the holder's lease runs out (PTTL < 0: gone already, or no expiry).
        return value >= 0 ? Math.min(renewEveryMs, value + 5) : value === -2 ? 1 : renewEveryMs;
      }
    } catch (err) {
      if (!this.failing) {
        this.failing = true;
        this.options.log.warn('leader lease: redis call failed', { err: (err as Error).message });
      }
      if (this.leading && this.clock.now() >= this.leaseEndsMs) this.lose('the lease could not be renewed');
    }
    if (this.leading) return Math.max(1, Math.min(renewEveryMs, this.leaseEndsMs - this.clock.now()));
    return renewEveryMs;
  }

  /** The part of a lease we may count on: Redlock's drift allowance (1 % + 2 ms) taken off. */
  private usableLeaseMs(): number {
    return this.options.leaseMs - Math.ceil(this.options.leaseMs * 0.01) - 2;
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.options.log.info('leader lease: redis answers again');
  }

  private win(token: number, leaseEndsMs: number): void {
    this.leading = true;
    this.token = token;
    this.leaseEndsMs = leaseEndsMs;
    this.options.log.info('leadership acquired', { holder: this.holderId, fencing_token: token });
    this.emit(true);
  }

  private lose(reason: string, level: 'warn' | 'info' = 'warn'): void {
    if (!this.leading) return;
    this.leading = false;
    this.token = null;
    this.options.log.log(level, 'leadership lost', { holder: this.holderId, reason });
    this.emit(false);
  }

  private emit(leader: boolean): void {
    for (const listener of this.listeners) {
      try {
        listener(leader);
      } catch (err) {
        this.options.log.error('leadership listener failed', { err });
      }
    }
  }
}
