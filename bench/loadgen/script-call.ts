/**
 * The agents' script call, as `recordHeartbeat` (shared/redis-scripts.ts) makes it, learned from
 * recordHeartbeat itself rather than copied: a stand-in client records the EVALSHA it is asked
 * for (and, answering NOSCRIPT, the EVAL of the source). The load generator then sends exactly
 * that call, with the keys and arguments that do not change from one heartbeat of an instance
 * to the next computed once (the contract in DESIGN.md stays in one place: if the script's keys
 * or arguments change, the load generator follows).
 */
import type { Heartbeat } from '../../shared/heartbeat';
import type { RedisCommands, ScriptOptions } from '../../shared/redis-client';
import { recordHeartbeat } from '../../shared/redis-scripts';

/** One script call: what EVALSHA is sent with. */
export interface ScriptCall {
  readonly sha1: string;
  readonly keys: readonly string[];
  readonly args: readonly string[];
}

/** An error a stand-in answers with, as Redis does for a script it does not know. */
const NOSCRIPT = 'NOSCRIPT No matching script (stand-in)';

/**
 * The call recordHeartbeat makes for `heartbeat` with wire form `json`. Synchronous: the
 * stand-in is asked before recordHeartbeat awaits anything.
 */
export function scriptCallOf(heartbeat: Heartbeat, json: string): ScriptCall {
  let call: ScriptCall | undefined;
  const standIn = {
    evalSha(sha1: string, options: ScriptOptions) {
      call = { sha1, keys: [...options.keys], args: [...options.arguments] };
      return Promise.resolve(0);
    },
  };
  // Resolves at once; a refusal (a script whose keys span two hash tags) throws in here.
  void recordHeartbeat(standIn as unknown as RedisCommands, heartbeat, json).catch(() => undefined);
  if (call === undefined) throw new Error('recordHeartbeat made no EVALSHA call');
  return call;
}

/**
 * The source of the script recordHeartbeat runs for `heartbeat`: what it EVALs after a NOSCRIPT
 * (a fresh or restarted server), and what SCRIPT LOAD is given.
 */
export async function scriptSourceOf(heartbeat: Heartbeat, json: string): Promise<string> {
  let source: string | undefined;
  const standIn = {
    evalSha: () => Promise.reject(new Error(NOSCRIPT)),
    eval(script: string) {
      source = script;
      return Promise.resolve(0);
    },
  };
  await recordHeartbeat(standIn as unknown as RedisCommands, heartbeat, json);
  if (source === undefined) throw new Error('recordHeartbeat made no EVAL after NOSCRIPT');
  return source;
}

/** One element of a prepared call: fixed text, or text around the instance id, or the JSON. */
type Piece =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'id'; readonly around: readonly string[] }
  | { readonly kind: 'json' };

/**
 * The script call of every heartbeat of one (app, type, TTL): which keys and arguments are
 * fixed, which hold the instance id, and which is the heartbeat's JSON. Learned from two calls
 * with stand-in ids and JSON, so it holds whatever the script's layout is.
 */
export interface CallTemplate {
  readonly sha1: string;
  readonly numKeys: number;
  /** keys then args, in order. */
  readonly pieces: readonly Piece[];
}

// A stand-in id and JSON no real heartbeat carries, to tell them apart in the recorded call.
const ID_MARK = '\u0001loadgen-instance-id\u0001';
const JSON_MARK = '\u0001loadgen-json\u0001';

/** The template of the calls of heartbeats like `heartbeat` (same app, type and TTL). */
export function callTemplateOf(heartbeat: Heartbeat): CallTemplate {
  const call = scriptCallOf({ ...heartbeat, instance_id: ID_MARK }, JSON_MARK);
  const elements = [...call.keys, ...call.args];
  let jsonSeen = 0;
  const pieces = elements.map((element): Piece => {
    if (element === JSON_MARK) {
      jsonSeen++;
      return { kind: 'json' };
    }
    if (element.includes(JSON_MARK))
      throw new Error('the script takes the heartbeat JSON inside another argument');
    if (element.includes(ID_MARK)) return { kind: 'id', around: element.split(ID_MARK) };
    return { kind: 'text', text: element };
  });
  if (jsonSeen !== 1) throw new Error(`the script takes the heartbeat JSON ${jsonSeen} times, not once`);
  return { sha1: call.sha1, numKeys: call.keys.length, pieces };
}

/** The keys and arguments of one call from its template (the slow path: node-redis clients). */
export function callOf(template: CallTemplate, instanceId: string, json: string): ScriptOptions {
  const values = template.pieces.map((piece) =>
    piece.kind === 'text' ? piece.text : piece.kind === 'json' ? json : piece.around.join(instanceId),
  );
  return { keys: values.slice(0, template.numKeys), arguments: values.slice(template.numKeys) };
}
