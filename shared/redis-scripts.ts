/**
 * The multi-key writes of the heartbeat protocol, each one atomic round trip (a Lua script).
 * Timestamps come from the Redis server's clock (`TIME`), so the index score and the feed entry
 * id agree whatever the agents' clocks say.
 */
import { luaScript, runLua, type LuaScript } from './lua-script';
import type { RedisCommands } from './redis-client';
import { appKeys, FEED_FIELD } from './redis-keys';
import type { Heartbeat } from './heartbeat';
import { serializeHeartbeat } from './heartbeat-wire';

/**
 * Records a heartbeat.
 * KEYS[1] heartbeat key, KEYS[2] seen ZSET, KEYS[3] feed stream.
 * ARGV[1] instance id, ARGV[2] heartbeat JSON, ARGV[3] TTL ms, ARGV[4] feed retention ms.
 * Returns the Redis time in ms at which it was recorded.
 */
const RECORD_HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('XADD', KEYS[3], 'MINID', '~', now - tonumber(ARGV[4]), '*', '${FEED_FIELD}', ARGV[2])
return now
`;

/**
 * Records a goodbye: the instance is leaving on purpose.
 * KEYS[1] heartbeat key, KEYS[2] seen ZSET, KEYS[3] feed stream.
 * ARGV[1] instance id, ARGV[2] goodbye JSON, ARGV[3] feed retention ms.
 * Returns the Redis time in ms at which it was recorded.
 */
const RECORD_GOODBYE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('XADD', KEYS[3], 'MINID', '~', now - tonumber(ARGV[3]), '*', '${FEED_FIELD}', ARGV[2])
return now
`;

/**
 * How long the feed keeps entries: a few TTLs, so an aggregator that reconnects within that
 * window reads on from its last id without a resync; past it, it resyncs from the index.
 */
export function feedRetentionMs(ttlMs: number): number {
  return Math.max(4 * ttlMs, 60_000);
}

const recordHeartbeatScript = luaScript(RECORD_HEARTBEAT);
const recordGoodbyeScript = luaScript(RECORD_GOODBYE);

/** Both scripts return the Redis time in ms. */
async function runScript(
  client: RedisCommands,
  script: LuaScript,
  keys: string[],
  args: string[],
): Promise<number> {
  return Number(await runLua(client, script, keys, args));
}

/** Writes a heartbeat or a goodbye in one atomic round trip; resolves to the Redis time in ms. */
export function recordHeartbeat(
  client: RedisCommands,
  heartbeat: Heartbeat,
  json = serializeHeartbeat(heartbeat),
): Promise<number> {
  const keys = appKeys(heartbeat.app);
  const keyList = [keys.heartbeat(heartbeat.instance_id), keys.seen, keys.feed];
  const retention = String(feedRetentionMs(heartbeat.ttl_ms));
  if (heartbeat.type === 'goodbye') {
    return runScript(client, recordGoodbyeScript, keyList, [heartbeat.instance_id, json, retention]);
  }
  return runScript(client, recordHeartbeatScript, keyList, [
    heartbeat.instance_id,
    json,
    String(heartbeat.ttl_ms),
    retention,
  ]);
}
