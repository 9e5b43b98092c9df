/**
 * Heartbeats written straight into Redis: one atomic Lua round trip per heartbeat (key with its
 * TTL, seen index, change feed). The connection is opened in the background and re-opened with
 * capped backoff; while it is down, sends fail at once so the caller can fall back to HTTP.
 */
import type { Heartbeat } from '../../shared/heartbeat';
import type { Logger } from '../../shared/logger';
import type { RedisConnection } from '../../shared/redis-client';
import { createRedisClient } from '../../shared/redis-client';
import type { RedisEngine } from '../../shared/redis-engine';
import { recordHeartbeat } from '../../shared/redis-scripts';
import { withTimeout } from '../timeout';
import type { HeartbeatTransport } from './transport';

/** The engine (its credentials are never logged) and the bound on one write. */
export interface RedisTransportOptions {
  readonly engine: RedisEngine;
  readonly log: Logger;
  /** Bound on one send, and on the wait for the very first connection. */
  readonly timeoutMs: number;
}

/** Writes each heartbeat with recordHeartbeat (shared/redis-scripts.ts). */
export class RedisTransport implements HeartbeatTransport {
  readonly name = 'redis' as const;
  private readonly client: RedisConnection;
  private readonly timeoutMs: number;
  /** Settles at the first connection or the first failure to connect, whichever comes first. */
  private readonly firstAttempt: Promise<void>;
  private closing: Promise<void> | undefined;

  constructor(options: RedisTransportOptions) {
    this.timeoutMs = options.timeoutMs;
    this.client = createRedisClient({
      engine: options.engine,
      log: options.log,
      name: 'replica-watch-agent',
    });
    this.firstAttempt = new Promise<void>((resolve) => {
      const settle = () => {
        this.client.off('ready', settle);
        this.client.off('error', settle);
        resolve();
      };
      this.client.on('ready', settle);
      this.client.on('error', settle);
    });
    // Not awaited: the agent starts (and falls back to HTTP) whether or not Redis is up. The
    // promise rejects only when the connection is closed while still connecting.
    this.client.connect().catch(() => undefined);
  }

  async send(heartbeat: Heartbeat): Promise<void> {
    if (this.closing) throw new Error('redis transport is closed');
    // The first heartbeat goes out right at start: give the first connection attempt its chance
    // instead of failing over for a few milliseconds. Afterwards, an offline client fails at once.
    if (!this.client.isReady) await withTimeout(this.firstAttempt, this.timeoutMs, 'redis connect');
    await withTimeout(recordHeartbeat(this.client, heartbeat), this.timeoutMs, 'redis heartbeat write');
  }

  onReady(listener: () => void): () => void {
    this.client.on('ready', listener);
    return () => this.client.off('ready', listener);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.client.isReady) {
      // Let a pending write (the goodbye) finish, but never wait on a hung server for long.
      await withTimeout(this.client.close(), this.timeoutMs, 'redis close').catch(() => undefined);
    }
    // Also any connection still being opened (an agent whose start failed right after creating
    // the transport must exit: destroy() takes the socket a racing connect opens too).
    this.client.destroy();
  }
}
