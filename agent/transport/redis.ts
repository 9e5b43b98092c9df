/**
 * Heartbeats written straight into Redis: one atomic Lua round trip per heartbeat (key with its
 * TTL, seen index, change feed). The connection is opened in the background and re-opened with
 * capped backoff; while it is down, sends fail at once so the caller can fall back to HTTP.
 */
import type { Heartbeat } from '../../shared/heartbeat';
import type { Logger } from '../../shared/logger';
import type { RedisClient } from '../../shared/redis-client';
import { createRedisClient } from '../../shared/redis-client';
import { recordHeartbeat } from '../../shared/redis-scripts';
import { withTimeout } from '../timeout';
import type { HeartbeatTransport } from './transport';

/** REDIS_URL (may carry AUTH and TLS; never logged) and the bound on one write. */
export interface RedisTransportOptions {
  readonly url: string;
  readonly log: Logger;
  /** Bound on one send, and on the wait for the very first connection. */
  readonly timeoutMs: number;
}

/** Writes each heartbeat with recordHeartbeat (shared/redis-scripts.ts). */
export class RedisTransport implements HeartbeatTransport {
  readonly name = 'redis' as const;
  private readonly client: RedisClient;
  private readonly timeoutMs: number;
  /** Settles at the first connection or the first failure to connect, whichever comes first. */
  private readonly firstAttempt: Promise<void>;
  private closing: Promise<void> | undefined;

  constructor(options: RedisTransportOptions) {
    this.timeoutMs = options.timeoutMs;
    this.client = createRedisClient({ url: options.url, log: options.log, name: 'replica-watch-agent' });
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
    // promise rejects only when the client is closed while still connecting.
    this.client.connect().catch(() => undefined);
  }

  async send(heartbeat: Heartbeat): Promise<void> {
    if (this.closing) throw new Error('redis transport is closed');
    // The first heartbeat goes out right at start: give the first connection attempt its chance
    // instead of failing over for a few milliseconds. Afterwards, an offline client fails at once.
    if (!this.client.isReady) await withTimeout(this.firstAttempt, this.timeoutMs, 'redis connect');
    await withTimeout(recordHeartbeat(this.client, heartbeat), this.timeoutMs, 'redis heartbeat write');
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
    // node-redis 6 misses a destroy() that comes while the TCP connection is being opened: the
    // socket it opens afterwards is used and kept, holding the process up forever (an agent whose
    // start failed right after creating the transport never exited). Destroy that one too.
    const late = () => this.client.destroy();
    this.client.once('connect', late);
    this.client.once('ready', late);
    this.client.destroy();
  }
}
