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

// Starting a connection without waiting forever: node-redis's `connect()` only settles once
// connected (it keeps retrying in the background), and with the offline queue disabled every
// command fails until then; callers need to know when the first attempt has ended.

/**
 * Starts connecting `client` and resolves once it is ready, or rejects with the first
 * connection error (the client keeps reconnecting in the background either way). The
 * client's own connect timeout bounds the wait.
 */
export function connectOrFail(client: RedisClient): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      client.off('error', onError);
      reject(err);
    };
    client.on('error', onError);
    client.connect().then(
      () => {
        client.off('error', onError);
        resolve();
      },
      // connect() rejects when the client is closed before it ever connected.
      (err: unknown) => {
        client.off('error', onError);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** Closes a client whatever state it is in; never throws. */
export async function closeQuietly(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  try {
    await client.close();
  } catch {
    // Closing a half-open connection can fail; nothing is pending on it any more.
    client.destroy();
  }
}
