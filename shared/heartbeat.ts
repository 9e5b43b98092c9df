/**
 * The heartbeat: what an agent publishes about its instance, and the only shape both sides of
 * the transport must agree on. Versioned; unknown fields are ignored so that a newer agent can
 * add fields without breaking an older aggregator.
 */
import { z } from 'zod';
import { HEARTBEAT_SCHEMA_VERSION } from './heartbeat-wire';
import { NAME_PATTERN } from './names';

export { HEARTBEAT_SCHEMA_VERSION, serializeHeartbeat } from './heartbeat-wire';

/** A heartbeat is ~0.6 KiB; anything past 8 KiB is not one of ours and is refused unread. */
export const MAX_HEARTBEAT_BYTES = 8 * 1024;

const name = z.string().regex(NAME_PATTERN, 'must be 1-253 of A-Z a-z 0-9 . _ - and start alphanumeric');
const label = z.string().max(256);
const epochMs = z.number().int().min(0).max(8.64e15);
const nonNegative = z.number().finite().min(0);

const servingSchema = z.object({
  /** The backend answered 2xx in time. */
  ok: z.boolean(),
  status: z.number().int().min(0).max(999).nullable(),
  latency_ms: nonNegative.nullable(),
  error: z.string().max(512).nullable(),
  checked_at: epochMs,
});

const statsSchema = z.object({
  cpu_count: z.number().int().min(0),
  /** Host CPU busy share since the previous heartbeat, 0..1. */
  cpu_usage: z.number().finite().min(0).max(1),
  load_avg: z.array(nonNegative).length(3),
  mem_total_bytes: nonNegative,
  mem_free_bytes: nonNegative,
  rss_bytes: nonNegative,
  heap_used_bytes: nonNegative,
  disk_total_bytes: nonNegative.nullable(),
  disk_free_bytes: nonNegative.nullable(),
  host_uptime_s: nonNegative,
  process_uptime_s: nonNegative,
  platform: label,
  node_version: label,
});

const heartbeatSchema = z.object({
  v: z.literal(HEARTBEAT_SCHEMA_VERSION),
  /** `goodbye` is the deregistration an agent sends when it is told to stop. */
  type: z.enum(['heartbeat', 'goodbye']),
  app: name,
  component: name,
  instance_id: name,
  deployment_id: label.nullable(),
  version: label.nullable(),
  region: label.nullable(),
  pod_name: label.nullable(),
  node_name: label.nullable(),
  /** Random per agent start: orders `seq` across restarts of the same instance id. */
  boot_id: z.string().min(1).max(64),
  seq: z.number().int().min(0),
  sent_at: epochMs,
  started_at: epochMs,
  interval_ms: z.number().int().min(1),
  ttl_ms: z.number().int().min(1),
  /** null when no probe is configured: serving is then unknown, not false. */
  serving: servingSchema.nullable(),
  /** null in a goodbye. */
  stats: statsSchema.nullable(),
  /** HMAC signature (present when the agent has HEARTBEAT_SECRET). */
  sig: z.string().max(128).optional(),
});

export type Heartbeat = z.infer<typeof heartbeatSchema>;

/**
 * The schema's field names in its order (what a parse outputs). Derived from the schema so that
 * code that checks fields by hand (the collector's fast path) cannot drift from it.
 */
export const HEARTBEAT_FIELDS: readonly string[] = Object.keys(heartbeatSchema.shape);
export const SERVING_FIELDS: readonly string[] = Object.keys(servingSchema.shape);
export const STATS_FIELDS: readonly string[] = Object.keys(statsSchema.shape);
export type HeartbeatType = Heartbeat['type'];
export type ServingStatus = z.infer<typeof servingSchema>;
export type SystemStats = z.infer<typeof statsSchema>;

/**
 * Why a heartbeat was refused. A closed set: it is a metric label
 * (`replica_watch_heartbeats_rejected_total{reason}`).
 */
export const REJECT_REASONS = [
  'too_large',
  'malformed_json',
  'not_an_object',
  'unsupported_version',
  'missing_field',
  'invalid_field',
  'wrong_app',
  'bad_signature',
  'replayed',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export type HeartbeatParseResult =
  | { readonly ok: true; readonly heartbeat: Heartbeat }
  | { readonly ok: false; readonly reason: RejectReason; readonly detail: string };

export function reject(reason: RejectReason, detail: string): HeartbeatParseResult {
  return { ok: false, reason, detail };
}

/** Parses and validates a heartbeat from its wire form (bytes or text). Never throws. */
export function parseHeartbeat(raw: string | Buffer): HeartbeatParseResult {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  if (size > MAX_HEARTBEAT_BYTES) {
    return reject('too_large', `${size} bytes exceeds the ${MAX_HEARTBEAT_BYTES}-byte cap`);
  }
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch (err) {
    return reject('malformed_json', (err as Error).message.slice(0, 200));
  }
  return validateHeartbeat(value);
}

/** Validates an already-decoded value as a heartbeat. Never throws. */
export function validateHeartbeat(value: unknown): HeartbeatParseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reject('not_an_object', `expected a JSON object, got ${describe(value)}`);
  }
  const version = (value as { v?: unknown }).v;
  if (version === undefined) return reject('missing_field', 'v: required');
  if (version !== HEARTBEAT_SCHEMA_VERSION) {
    return reject(
      'unsupported_version',
      `v=${JSON.stringify(version)}; this build reads v=${HEARTBEAT_SCHEMA_VERSION}`,
    );
  }
  const result = heartbeatSchema.safeParse(value);
  if (result.success) return { ok: true, heartbeat: result.data };
  const issue = result.error.issues[0];
  const path = issue?.path.join('.') ?? '';
  const missing = issue?.code === 'invalid_type' && valueAt(value, issue.path) === undefined;
  return reject(
    missing ? 'missing_field' : 'invalid_field',
    `${path}: ${missing ? 'required' : issue?.message}`,
  );
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
