/** Picks the history store for the mode: Redis when the aggregator has Redis, memory otherwise. */
import type { Logger } from '../../shared/logger';
import type { RedisCommands } from '../../shared/redis-client';
import type { HistoryStore } from './history-store';
import { MemoryHistoryStore } from './memory-history-store';
import { RedisHistoryStore } from './redis-history-store';

export function createHistoryStore(client: RedisCommands | null, app: string, log: Logger): HistoryStore {
  return client === null ? new MemoryHistoryStore() : new RedisHistoryStore({ client, app, log });
}
