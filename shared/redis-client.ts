/**
 * One way to open a Redis connection for every part: a reconnect strategy with capped
 * exponential backoff and jitter, and an error listener so a lost connection is logged once
 * per outage instead of crashing the process.
 */
import { createClient } from 'redis';
import type { Logger } from './logger';
import { backoffDelayMs } from './retry';

export interface RedisConnectOptions {
  readonly url: string;
  readonly log: Logger;
  /** Name shown in CLIENT LIST, e.g. `replica-watch-agent`. */
  readonly name: string;
  /** Reconnect backoff cap. */
  readonly maxBackoffMs?: number;
}

/**
 * Creates a client (not yet connected). The URL may carry AUTH (`redis://user:pass@host`) and
 * TLS (`rediss://`); it is never logged.
 */
export function createRedisClient(options: RedisConnectOptions) {
  const maxBackoffMs = options.maxBackoffMs ?? 5_000;
  const client = createClient({
    url: options.url,
    name: options.name,
    socket: {
      connectTimeout: 5_000,
      reconnectStrategy: (retries: number) => backoffDelayMs(retries, 100, maxBackoffMs),
    },
    // Commands fail fast while disconnected instead of queueing without bound: callers fall
    // back (agent → HTTP) or mark their data degraded (aggregator).
    disableOfflineQueue: true,
  });
  let down = false;
  client.on('error', (err: Error) => {
    if (down) return;
    down = true;
    options.log.warn('redis unavailable', { err: err.message });
  });
  client.on('ready', () => {
    if (down) options.log.info('redis available again');
    down = false;
  });
  return client;
}

export type RedisClient = ReturnType<typeof createRedisClient>;
