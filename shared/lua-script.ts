/**
 * Running Lua scripts: by SHA first, by source once when the server's script
 * cache does not know it yet (a new or restarted Redis, a promoted replica). A script's keys
 * must share one Redis Cluster slot; that is checked here, on every engine, so that a script
 * naming two apps' keys fails in every test and not only on a cluster.
 */
import { createHash } from 'node:crypto';
import type { RedisCommands } from './redis-client';

export interface LuaScript {
  readonly source: string;
  readonly sha1: string;
}

/** A script with its SHA1, computed once. */
export function luaScript(source: string): LuaScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * The part of a key Redis Cluster hashes to pick its slot: the text between the first `{` and
 * the first `}` after it when that is not empty (the hash tag, `{<app>}` in our keys), else the
 * whole key.
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

/** EVALSHA, falling back to EVAL on NOSCRIPT; resolves to the script's raw reply. */
export async function runLua(
  client: RedisCommands,
  script: LuaScript,
  keys: readonly string[],
  args: readonly string[],
): Promise<unknown> {
  const tags = new Set(keys.map(hashTagOf));
  if (tags.size > 1) {
    // Redis Cluster refuses it (CROSSSLOT); one server would run it, and then the cluster not.
    throw new Error(
      `a script's keys must share one hash tag, got ${[...tags].map((t) => `{${t}}`).join(', ')}`,
    );
  }
  const options = { keys: [...keys], arguments: [...args] };
  try {
    return await client.evalSha(script.sha1, options);
  } catch (err) {
    if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
    return client.eval(script.source, options);
  }
}
