/**
 * Where alert states persist, so that a restarted aggregator or a new leader neither fires an
 * alert already notified again nor loses a resolve. States are written BEFORE their
 * notifications are sent: a crash in between loses a notification rather than doubling one.
 * With Redis the write is fenced: it lands only while the writer's fencing token is the
 * current one, so a deposed leader cannot overwrite its successor's states.
 */
import { z } from 'zod';
import type { Logger } from '../../shared/logger';
import type { RedisConnection } from '../../shared/redis-client';
import { closeQuietly, connectOrFail, createRedisClient } from '../../shared/redis-client';
import type { RedisEngine } from '../../shared/redis-engine';
import type { AppKeys } from '../../shared/redis-keys';
import { appKeys } from '../../shared/redis-keys';
import { luaScript, runLua } from '../../shared/lua-script';
import { FINDING_CODES, SEVERITIES } from '../reconcile/report';
import type { AlertState } from './alert-state';
import { alertKey } from './alert-state';

/** The changes of one step. */
export interface AlertChanges {
  readonly upserted: readonly AlertState[];
  /** Keys (alertKey) of states that ended. */
  readonly removed: readonly string[];
}

export interface AlertStateStore {
  /** Every persisted state by alertKey. */
  load(): Promise<Map<string, AlertState>>;
  /**
   * Writes the changes in one atomic step; resolves false (nothing written) when `fencingToken`
   * is no longer the current one: a newer leader took over.
   */
  save(changes: AlertChanges, fencingToken: number | null): Promise<boolean>;
  /** Idempotent. */
  close(): Promise<void>;
}

/** The embedded mode's store: one aggregator, nothing to fence, nothing survives a restart. */
export class MemoryAlertStateStore implements AlertStateStore {
  private readonly states = new Map<string, AlertState>();

  load(): Promise<Map<string, AlertState>> {
    return Promise.resolve(new Map(this.states));
  }

  save(changes: AlertChanges): Promise<boolean> {
    for (const state of changes.upserted) this.states.set(alertKey(state.component, state.code), state);
    for (const key of changes.removed) this.states.delete(key);
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Writes alert states if the caller's fencing token is current.
 * KEYS[1] alerts hash, KEYS[2] fencing counter.
 * ARGV[1] fencing token, ARGV[2] n, ARGV[3 .. 2+2n] field/value pairs to set, the rest fields to delete.
 * Returns 1 when written, 0 when the token is stale (nothing written).
 */
const SAVE_FENCED = luaScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
local n = tonumber(ARGV[2])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 3, 2 + 2 * n)) end
if #ARGV > 2 + 2 * n then redis.call('HDEL', KEYS[1], unpack(ARGV, 3 + 2 * n, #ARGV)) end
return 1
`);

const nullableCount = z.number().int().min(0).nullable();
const alertStateSchema = z.object({
  component: z.string().min(1),
  code: z.enum(FINDING_CODES),
  status: z.enum(['pending', 'firing']),
  streak: z.number().int().min(0),
  streakSinceMs: z.number(),
  firingSinceMs: z.number().nullable(),
  notifiedAtMs: z.number().nullable(),
  severity: z.enum(SEVERITIES),
  content: z.object({
    severity: z.enum(SEVERITIES),
    message: z.string(),
    instances: z.array(z.string()),
    instanceCount: z.number().int().min(0),
    deploymentIds: z.array(z.string()),
    recommendation: z.string(),
    desired: nullableCount,
    live: z.number().int().min(0),
    platformReady: nullableCount,
    platformInstances: nullableCount,
  }),
});

/** Parses one persisted state; null for anything that does not fit (a hand edit, an old version). */
export function parseAlertState(json: string): AlertState | null {
  try {
    const result = alertStateSchema.safeParse(JSON.parse(json));
    return result.success ? result.data : null;
  } catch {
    return null;
  }
}

export interface RedisAlertStateStoreOptions {
  readonly engine: RedisEngine;
  readonly app: string;
  readonly log: Logger;
}

/** The Redis mode's store: HASH rw:{app}:alerts, field alertKey → state JSON. */
export class RedisAlertStateStore implements AlertStateStore {
  private readonly keys: AppKeys;
  private readonly client: RedisConnection;
  private connecting: Promise<void> | null = null;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: RedisAlertStateStoreOptions) {
    this.keys = appKeys(options.app);
    this.client = createRedisClient({
      engine: options.engine,
      log: options.log,
      name: 'replica-watch-alerts',
    });
  }

  async load(): Promise<Map<string, AlertState>> {
    await this.connect();
    const fields = await this.client.hGetAll(this.keys.alerts);
    const states = new Map<string, AlertState>();
    for (const [key, json] of Object.entries(fields)) {
      const state = parseAlertState(json);
      if (state && alertKey(state.component, state.code) === key) states.set(key, state);
      else this.options.log.warn('alert state ignored: it does not fit', { field: key });
    }
    return states;
  }

  async save(changes: AlertChanges, fencingToken: number | null): Promise<boolean> {
    // Only a leader with a term writes: without a token there is nothing to prove it.
    if (fencingToken === null) return false;
    if (changes.upserted.length === 0 && changes.removed.length === 0) return true;
    await this.connect();
    const pairs = changes.upserted.flatMap((s) => [alertKey(s.component, s.code), JSON.stringify(s)]);
    const written = await runLua(
      this.client,
      SAVE_FENCED,
      [this.keys.alerts, this.keys.fencing],
      [String(fencingToken), String(changes.upserted.length), ...pairs, ...changes.removed],
    );
    return Number(written) === 1;
  }

  close(): Promise<void> {
    this.closing ??= closeQuietly(this.client);
    return this.closing;
  }

  /** Connects on first use; a failed first attempt leaves the client reconnecting in the background. */
  private connect(): Promise<void> {
    if (this.closing) return Promise.reject(new Error('alert state store is closed'));
    this.connecting ??= connectOrFail(this.client).catch(() => undefined);
    return this.connecting;
  }
}
