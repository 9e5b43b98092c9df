/**
 * A fast path for the heartbeat parse every feed entry and every resync goes through. At 100k
 * instances a cold resync validates 100k heartbeats, and the zod schema was most of that time.
 * This checks exactly the rules of shared/heartbeat.ts's schema by hand and builds the same
 * output (known fields only, in schema order); anything it does not accept goes to
 * parseHeartbeat, so every refusal keeps its reason and detail word for word.
 * test/integration/scale-fast-parse.test.ts holds the two to the same answers.
 */
import type { Heartbeat, HeartbeatParseResult, ServingStatus, SystemStats } from '../../shared/heartbeat';
import {
  HEARTBEAT_FIELDS,
  HEARTBEAT_SCHEMA_VERSION,
  MAX_HEARTBEAT_BYTES,
  parseHeartbeat,
  SERVING_FIELDS,
  STATS_FIELDS,
} from '../../shared/heartbeat';
import { NAME_PATTERN } from '../../shared/names';

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

const EPOCH_MS_MAX = 8.64e15;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && NAME_PATTERN.test(value);
}

/** A string of at most 256 characters, or null (the schema's `label.nullable()`). */
function isLabelOrNull(value: unknown): value is string | null {
  return value === null || (typeof value === 'string' && value.length <= 256);
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
  if (status !== null && !isInt(status, 0, 999)) return undefined;
  if (latency_ms !== null && !isNonNegative(latency_ms)) return undefined;
  if (error !== null && !(typeof error === 'string' && error.length <= 512)) return undefined;
  if (!isInt(checked_at, 0, EPOCH_MS_MAX)) return undefined;
  if (hasExactly(value, SERVING_FIELDS, null)) return value as unknown as ServingStatus;
  return { ok, status, latency_ms, error, checked_at };
}

function stats(value: unknown): SystemStats | null | undefined {
  if (value === null) return null;
  if (!isObject(value)) return undefined;
  const v = value;
  const load = v.load_avg;
  if (!Array.isArray(load) || load.length !== 3 || !load.every(isNonNegative)) return undefined;
  if (!isInt(v.cpu_count, 0)) return undefined;
  if (!isNonNegative(v.cpu_usage) || v.cpu_usage > 1) return undefined;
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
  if (!(typeof v.platform === 'string' && v.platform.length <= 256)) return undefined;
  if (!(typeof v.node_version === 'string' && v.node_version.length <= 256)) return undefined;
  if (hasExactly(v, STATS_FIELDS, null)) return v as unknown as SystemStats;
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
  if (v.v !== HEARTBEAT_SCHEMA_VERSION) return null;
  if (v.type !== 'heartbeat' && v.type !== 'goodbye') return null;
  if (!isName(v.app) || !isName(v.component) || !isName(v.instance_id)) return null;
  if (!isLabelOrNull(v.deployment_id) || !isLabelOrNull(v.version) || !isLabelOrNull(v.region)) return null;
  if (!isLabelOrNull(v.pod_name) || !isLabelOrNull(v.node_name)) return null;
  if (!(typeof v.boot_id === 'string' && v.boot_id.length >= 1 && v.boot_id.length <= 64)) return null;
  if (!isInt(v.seq, 0)) return null;
  if (!isInt(v.sent_at, 0, EPOCH_MS_MAX) || !isInt(v.started_at, 0, EPOCH_MS_MAX)) return null;
  if (!isInt(v.interval_ms, 1) || !isInt(v.ttl_ms, 1)) return null;
  const servingStatus = serving(v.serving);
  if (servingStatus === undefined) return null;
  const systemStats = stats(v.stats);
  if (systemStats === undefined) return null;
  const hasSig = 'sig' in v;
  if (hasSig && !(typeof v.sig === 'string' && v.sig.length <= 128)) return null;
  // Kept whole only when its parts were too (a copied part means a foreign key somewhere).
  if (servingStatus === v.serving && systemStats === v.stats && hasExactly(v, HEARTBEAT_KEYS, 'sig')) {
    return v as unknown as Heartbeat;
  }
  const heartbeat: Heartbeat = {
    v: HEARTBEAT_SCHEMA_VERSION,
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

/** parseHeartbeat's answers, the valid ones reached without the schema (see the module comment). */
export function parseHeartbeatFast(raw: string | Buffer): HeartbeatParseResult {
  const text = typeof raw === 'string' ? raw : null;
  // A string's UTF-8 size is at most 3 bytes per UTF-16 unit: only long ones need counting.
  const size =
    text === null
      ? (raw as Buffer).length
      : text.length * 3 <= MAX_HEARTBEAT_BYTES
        ? 0
        : Buffer.byteLength(text);
  if (size > MAX_HEARTBEAT_BYTES) return parseHeartbeat(raw);
  let value: unknown;
  try {
    value = JSON.parse(text ?? (raw as Buffer).toString('utf8'));
  } catch {
    return parseHeartbeat(raw);
  }
  const heartbeat = acceptHeartbeatFast(value);
  return heartbeat === null ? parseHeartbeat(raw) : { ok: true, heartbeat };
}
