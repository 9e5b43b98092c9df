/**
 * The Redis connection the aggregator writes its journals on (history, audit), apart from
 * the collector's connections so that a slow feed read never delays a journal write or the reverse.
 */
import type { Logger } from '../../shared/logger';
import type { RedisConnection } from '../../shared/redis-client';
import { connectOrFail, createRedisClient } from '../../shared/redis-client';
import type { RedisEngine } from '../../shared/redis-engine';

/**
 * Opens the connection and waits for the first attempt (bounded by the client's connect
 * timeout). A failure is not fatal: the client keeps reconnecting, journal writes fail (logged once)
 * and reads answer 503 until it is back.
 */
export async function openJournalClient(engine: RedisEngine, log: Logger): Promise<RedisConnection> {
  const client = createRedisClient({ engine, log, name: 'replica-watch-aggregator-journals' });
  try {
    await connectOrFail(client);
  } catch {
    // createRedisClient's error listener has logged it; reconnecting goes on in the background.
  }
  return client;
}
