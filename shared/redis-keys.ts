/**
 * Every Redis key replica-watch uses, built in this one module. One app's keys share the hash
 * tag `{<app>}`, so they live in one Redis Cluster slot and a heartbeat's multi-key write stays
 * atomic there too.
 */
import { NAME_PATTERN } from './names';

export interface AppKeys {
  /** Common prefix, `rw:{<app>}:`. */
  readonly prefix: string;
  /** STRING: the latest heartbeat JSON of one instance, PX = its TTL. */
  heartbeat(instanceId: string): string;
  /** ZSET: instance id → last-seen ms (Redis clock). The index a resync reads instead of SCAN. */
  readonly seen: string;
  /** STREAM: every heartbeat and goodbye (field `hb`), trimmed by time with XADD MINID. */
  readonly feed: string;
  /** STREAM: per-reconcile counts per component, capped. */
  readonly history: string;
  /** STREAM: remediation decisions, capped. */
  readonly audit: string;
  /** STRING: the leader lease (value = holder id), PX = lease period. */
  readonly leader: string;
  /** STRING: the fencing token counter, INCR on every lease acquisition. */
  readonly fencing: string;
  /** HASH: alert state per (component, code), so a restarted leader does not re-fire. */
  readonly alerts: string;
}

export function appKeys(app: string): AppKeys {
  if (!NAME_PATTERN.test(app)) {
    throw new Error(`app name ${JSON.stringify(app)} is not usable in a Redis key (${NAME_PATTERN})`);
  }
  const prefix = `rw:{${app}}:`;
  const heartbeatPrefix = `${prefix}hb:`;
  return Object.freeze({
    prefix,
    heartbeat: (instanceId: string) => heartbeatPrefix + instanceId,
    seen: `${prefix}seen`,
    feed: `${prefix}feed`,
    history: `${prefix}history`,
    audit: `${prefix}audit`,
    leader: `${prefix}leader`,
    fencing: `${prefix}fencing`,
    alerts: `${prefix}alerts`,
  });
}

/** The field a feed entry carries its heartbeat (or goodbye) JSON in. */
export const FEED_FIELD = 'hb';

/**
 * HASH: the fleet across shards (TOTAL_SHARDS > 1): field = app, value = the JSON of its row of
 * GET /api/v1/apps with the shard that wrote it and when (aggregator/fleet/summary-store.ts).
 * One key for the whole fleet: its own hash tag `{fleet}`, one Cluster slot, read whole with
 * HGETALL. No app key ends in `:summaries`, so an app named `fleet` cannot collide with it.
 */
export const FLEET_SUMMARIES_KEY = 'rw:{fleet}:summaries';
