/**
 * Starting a Redis connection without waiting forever. node-redis's `connect()` only settles
 * once connected (it keeps retrying in the background), and with the offline queue disabled
 * every command fails until then; callers need to know when the first attempt has ended.
 */
import type { RedisClient } from '../../shared/redis-client';

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
