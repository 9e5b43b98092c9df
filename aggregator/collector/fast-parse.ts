/**
 * A fast path for the heartbeat parse every feed entry and every resync goes through. At 100k
 * instances a cold resync validates 100k heartbeats, and the zod schema was most of that time.
 * This checks exactly the rules of shared/heartbeat.ts's schema by hand, with the same limits
 * (shared/heartbeat-limits.ts: no bound is written twice), and builds the same output (known
 * fields only, in schema order); anything it does not accept goes to the schema, so every
 * refusal keeps its reason and detail word for word. The size cap and the decoding are the
 * schema module's own (decodeHeartbeat): a body is decoded once, whichever path judges it.
 * test/integration/scale-fast-parse.test.ts and test/unit/heartbeat-limits.test.ts hold the
 * two to the same answers.
 */
import type {
  Heartbeat,
  HeartbeatParseResult,
  HeartbeatRejection,
  HeartbeatType,
  ContainerStats,
  ServingStatus,
  SystemStats,
} from '../../shared/heartbeat';
import {
  decodeHeartbeat,
  HEARTBEAT_FIELDS,
  CONTAINER_FIELDS,
  SERVING_FIELDS,
  STATS_FIELDS,
  validateHeartbeat,
} from '../../shared/heartbeat';
import * as limits from '../../shared/heartbeat-limits';

type Json = Record<string, unknown>;

// The schema's fields in its order: what the schema outputs, and what our agents send. `sig` is
// optional and checked apart.
const HEARTBEAT_KEYS = HEARTBEAT_FIELDS.filter((key) => key !== 'sig');

/**
 * The object has exactly `keys` in that order (and `optional` after them, or not): then it is
 * already what the schema would output, and is kept instead of copied. Half the allocation of a
 * resync, and most of its garbage collection.
 */
function hasExactly(value: Json, keys: readonly string[], optional: string | null): boolean {
  let i = 0;
  for (const key in value) {
    if (i < keys.length ? key !== keys[i] : key !== optional || i > keys.length) return false;
    i++;
  }
  return i === keys.length || (optional !== null && i === keys.length + 1);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && limits.NAME_PATTERN.test(value);
}

/** A string of `min` to `max` characters (the schema's `z.string().min(min).max(max)`). */
function isText(value: unknown, max: number, min = 0): value is string {
  return typeof value === 'string' && value.length >= min && value.length <= max;
}

/** A label, or null (the schema's `label.nullable()`). */
function isLabelOrNull(value: unknown): value is string | null {
  return value === null || isText(value, limits.LABEL_MAX_LENGTH);
}

function isHeartbeatType(value: unknown): value is HeartbeatType {
  return (limits.HEARTBEAT_TYPES as readonly unknown[]).includes(value);
}

/** zod's `.int()`: a safe integer. */
function isInt(value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

function isNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function serving(value: unknown): ServingStatus | null | undefined {
  if (value === null) return null;
  if (!isObject(value)) return undefined;
  const { ok, status, latency_ms, error, checked_at } = value;
  if (typeof ok !== 'boolean') return undefined;
  if (status !== null && !isInt(status, 0, limits.HTTP_STATUS_MAX)) return undefined;
  if (latency_ms !== null && !isNonNegative(latency_ms)) return undefined;
  if (error !== null && !isText(error, limits.PROBE_ERROR_MAX_LENGTH)) return undefined;
  if (!isInt(checked_at, 0, limits.EPOCH_MS_MAX)) return undefined;
  if (hasExactly(value, SERVING_FIELDS, null)) return value as unknown as ServingStatus;
  return { ok, status, latency_ms, error, checked_at };
}

// `container` came later: an older agent's stats have every other field and not it.
const STATS_CORE_FIELDS = STATS_FIELDS.filter((field) => field !== 'container');

function isNonNegativeOrNull(value: unknown): value is number | null {
  return value === null || isNonNegative(value);
}

function container(value: unknown): ContainerStats | null | undefined {
  if (value === null) return null;
  if (!isObject(value)) return undefined;
  const v = value;
  if (v.cgroup_version !== 1 && v.cgroup_version !== 2) return undefined;
  const { memory_limit_bytes, memory_used_bytes, cpu_quota_cores, cpu_usage_cores } = v;
  if (![memory_limit_bytes, memory_used_bytes, cpu_quota_cores, cpu_usage_cores].every(isNonNegativeOrNull))
    return undefined;
  if (hasExactly(v, CONTAINER_FIELDS, null)) return v as unknown as ContainerStats;
  return {
    cgroup_version: v.cgroup_version,
    memory_limit_bytes: memory_limit_bytes as number | null,
    memory_used_bytes: memory_used_bytes as number | null,
    cpu_quota_cores: cpu_quota_cores as number | null,
    cpu_usage_cores: cpu_usage_cores as number | null,
  };
}

function stats(value: unknown): SystemStats | null | undefined {
  if (value === null) return null;
  if (!isObject(value)) return undefined;
  const v = value;
  const load = v.load_avg;
  if (!Array.isArray(load) || load.length !== limits.LOAD_AVG_LENGTH || !load.every(isNonNegative))
    return undefined;
  if (!isInt(v.cpu_count, 0)) return undefined;
  if (!isNonNegative(v.cpu_usage) || v.cpu_usage > limits.CPU_USAGE_MAX) return undefined;
  const numbers = [
    'mem_total_bytes',
    'mem_free_bytes',
    'rss_bytes',
    'heap_used_bytes',
    'host_uptime_s',
    'process_uptime_s',
  ];
  if (!numbers.every((field) => isNonNegative(v[field]))) return undefined;
  if (v.disk_total_bytes !== null && !isNonNegative(v.disk_total_bytes)) return undefined;
  if (v.disk_free_bytes !== null && !isNonNegative(v.disk_free_bytes)) return undefined;
  if (!isText(v.platform, limits.LABEL_MAX_LENGTH) || !isText(v.node_version, limits.LABEL_MAX_LENGTH))
    return undefined;
  const hasContainer = 'container' in v;
  const containerStats = hasContainer ? container(v.container) : undefined;
  if (hasContainer && containerStats === undefined) return undefined;
  if (hasExactly(v, STATS_CORE_FIELDS, 'container') && containerStats === v.container)
    return v as unknown as SystemStats;
  return {
    cpu_count: v.cpu_count,
    cpu_usage: v.cpu_usage,
    load_avg: [load[0] as number, load[1] as number, load[2] as number],
    mem_total_bytes: v.mem_total_bytes as number,
    mem_free_bytes: v.mem_free_bytes as number,
    rss_bytes: v.rss_bytes as number,
    heap_used_bytes: v.heap_used_bytes as number,
    disk_total_bytes: v.disk_total_bytes,
    disk_free_bytes: v.disk_free_bytes,
    host_uptime_s: v.host_uptime_s as number,
    process_uptime_s: v.process_uptime_s as number,
    platform: v.platform,
    node_version: v.node_version,
    ...(hasContainer ? { container: containerStats } : {}),
  };
}

/**
 * The heartbeat the schema would output for a decoded JSON value, or null when the schema might
 * refuse it (the caller then asks the schema, for the reason). Only for values from JSON.parse:
 * no undefined, NaN or Infinity can occur in them.
 */
export function acceptHeartbeatFast(value: unknown): Heartbeat | null {
  if (!isObject(value)) return null;
  const v = value;
  if (v.v !== limits.HEARTBEAT_SCHEMA_VERSION) return null;
  if (!isHeartbeatType(v.type)) return null;
  if (!isName(v.app) || !isName(v.component) || !isName(v.instance_id)) return null;
  if (!isLabelOrNull(v.deployment_id) || !isLabelOrNull(v.version) || !isLabelOrNull(v.region)) return null;
  if (!isLabelOrNull(v.pod_name) || !isLabelOrNull(v.node_name)) return null;
  if (!isText(v.boot_id, limits.BOOT_ID_MAX_LENGTH, limits.BOOT_ID_MIN_LENGTH)) return null;
  if (!isInt(v.seq, 0)) return null;
  if (!isInt(v.sent_at, 0, limits.EPOCH_MS_MAX) || !isInt(v.started_at, 0, limits.EPOCH_MS_MAX)) return null;
  if (!isInt(v.interval_ms, limits.INTERVAL_MS_MIN) || !isInt(v.ttl_ms, limits.TTL_MS_MIN)) return null;
  const servingStatus = serving(v.serving);
  if (servingStatus === undefined) return null;
  const systemStats = stats(v.stats);
  if (systemStats === undefined) return null;
  const hasSig = 'sig' in v;
  if (hasSig && !isText(v.sig, limits.SIG_MAX_LENGTH)) return null;
  // Kept whole only when its parts were too (a copied part means a foreign key somewhere).
  if (servingStatus === v.serving && systemStats === v.stats && hasExactly(v, HEARTBEAT_KEYS, 'sig')) {
    return v as unknown as Heartbeat;
  }
  const heartbeat: Heartbeat = {
    v: limits.HEARTBEAT_SCHEMA_VERSION,
    type: v.type,
    app: v.app,
    component: v.component,
    instance_id: v.instance_id,
    deployment_id: v.deployment_id,
    version: v.version,
    region: v.region,
    pod_name: v.pod_name,
    node_name: v.node_name,
    boot_id: v.boot_id,
    seq: v.seq,
    sent_at: v.sent_at,
    started_at: v.started_at,
    interval_ms: v.interval_ms,
    ttl_ms: v.ttl_ms,
    serving: servingStatus,
    stats: systemStats,
  };
  if (hasSig) heartbeat.sig = v.sig as string;
  return heartbeat;
}

/**
 * A parse that also hands back the decoded JSON object as it came, unknown fields included:
 * what a signature covers (shared/signature.ts), so that the caller need not decode it again.
 */
export type DecodedHeartbeatResult =
  { readonly ok: true; readonly heartbeat: Heartbeat; readonly decoded: object } | HeartbeatRejection;

/**
 * parseHeartbeat's answers, the valid ones reached without the schema (see the module comment),
 * with the decoded value beside an accepted heartbeat. The body is decoded once: a value the
 * fast path does not accept goes to the schema as it is, not as text to decode again.
 */
export function decodeHeartbeatFast(raw: string | Buffer): DecodedHeartbeatResult {
  const decoded = decodeHeartbeat(raw);
  if (!decoded.ok) return decoded;
  const { value } = decoded;
  // Accepted means an object: the fast path and the schema both refuse anything else.
  const heartbeat = acceptHeartbeatFast(value);
  if (heartbeat !== null) return { ok: true, heartbeat, decoded: value as object };
  const parsed = validateHeartbeat(value);
  return parsed.ok ? { ok: true, heartbeat: parsed.heartbeat, decoded: value as object } : parsed;
}

/** parseHeartbeat's answers, the valid ones reached without the schema (see the module comment). */
export function parseHeartbeatFast(raw: string | Buffer): HeartbeatParseResult {
  const parsed = decodeHeartbeatFast(raw);
  return parsed.ok ? { ok: true, heartbeat: parsed.heartbeat } : parsed;
}
