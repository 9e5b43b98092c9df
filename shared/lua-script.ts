/**
 * Running Lua scripts: by SHA first, by source once when the server's script
 * cache does not know it yet (a new or restarted Redis).
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-client';

export interface LuaScript {
  readonly source: string;
  readonly sha1: string;
}

/** A script with its SHA1, computed once. */
export function luaScript(source: string): LuaScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/** EVALSHA, falling back to EVAL on NOSCRIPT; resolves to the script's raw reply. */
export async function runLua(
  client: RedisClient,
  script: LuaScript,
  keys: readonly string[],
  args: readonly string[],
): Promise<unknown> {
  const options = { keys: [...keys], arguments: [...args] };
  try {
    return await client.evalSha(script.sha1, options);
  } catch (err) {
    if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
    return client.eval(script.source, options);
  }
}
