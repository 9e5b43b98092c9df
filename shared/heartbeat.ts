/**
 * The heartbeat: what an agent publishes about its instance, and the only shape both sides of
 * the transport must agree on. Versioned; unknown fields are ignored so that a newer agent can
 * add fields without breaking an older aggregator.
 */
import { z } from 'zod';
import * as limits from './heartbeat-limits';

// Re-exported: aggregator code reads them here, beside the schema; the agent reads them from
// ./heartbeat-wire and ./heartbeat-limits, which do not load zod.
export { HEARTBEAT_SCHEMA_VERSION, MAX_HEARTBEAT_BYTES } from './heartbeat-limits';
export { serializeHeartbeat } from './heartbeat-wire';

// Every bound below is a constant of ./heartbeat-limits: the collector's fast path checks the
// same ones by hand, and the OpenAPI document is generated from this schema.
const name = z
  .string()
  .regex(limits.NAME_PATTERN, 'must be 1-253 of A-Z a-z 0-9 . _ - and start alphanumeric');
const label = z.string().max(limits.LABEL_MAX_LENGTH);
const epochMs = z.number().int().min(0).max(limits.EPOCH_MS_MAX).describe('Epoch milliseconds.');
const nonNegative = z.number().finite().min(0);

const servingSchema = z.object({
  ok: z.boolean().describe('The backend answered 2xx in time.'),
  status: z.number().int().min(0).max(limits.HTTP_STATUS_MAX).nullable(),
  latency_ms: nonNegative.nullable(),
  error: z.string().max(limits.PROBE_ERROR_MAX_LENGTH).nullable(),
  checked_at: epochMs,
});

/**
 * What the container may use and uses, from its cgroup (v2, or v1 as a fallback): apart from the
 * host figures above it, which on a shared machine say nothing about one instance.
 */
export const containerSchema = z.object({
  cgroup_version: z.literal([1, 2]),
  memory_limit_bytes: nonNegative
    .nullable()
    .describe("The container's memory limit (memory.max); null: none."),
  memory_used_bytes: nonNegative.nullable().describe("The container's memory use (memory.current)."),
  cpu_quota_cores: nonNegative
    .nullable()
    .describe("The container's CPU quota in cores (cpu.max quota / period); null: none."),
  cpu_usage_cores: nonNegative
    .nullable()
    .describe(
      'Cores the container used since the previous heartbeat (cpu.stat usage_usec); null on the first.',
    ),
});

const statsSchema = z.object({
  cpu_count: z.number().int().min(0),
  cpu_usage: z
    .number()
    .finite()
    .min(0)
    .max(limits.CPU_USAGE_MAX)
    .describe('Host CPU busy share since the previous heartbeat, 0..1.'),
  load_avg: z.array(nonNegative).length(limits.LOAD_AVG_LENGTH),
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
  container: containerSchema
    .nullable()
    .optional()
    .describe(
      "The container's own limits and use from its cgroup; null: no cgroup to read; absent: an older agent.",
    ),
});

/**
 * The heartbeat's one definition. Its OpenAPI schema (aggregator/http/openapi.ts) is generated
 * from it; the collector's fast path (aggregator/collector/fast-parse.ts) is held to its answers.
 * Parse through parseHeartbeat/validateHeartbeat, which give every refusal its reason.
 */
export const heartbeatSchema = z.object({
  v: z.literal(limits.HEARTBEAT_SCHEMA_VERSION),
  type: z
    .enum(limits.HEARTBEAT_TYPES)
    .describe('`goodbye` is the deregistration an agent sends when it is told to stop.'),
  app: name,
  component: name,
  instance_id: name,
  deployment_id: label.nullable(),
  version: label.nullable(),
  region: label.nullable(),
  pod_name: label.nullable(),
  node_name: label.nullable(),
  boot_id: z
    .string()
    .min(limits.BOOT_ID_MIN_LENGTH)
    .max(limits.BOOT_ID_MAX_LENGTH)
    .describe('Random per agent start: orders `seq` across restarts of the same instance id.'),
  seq: z.number().int().min(0),
  sent_at: epochMs,
  started_at: epochMs,
  interval_ms: z.number().int().min(limits.INTERVAL_MS_MIN),
  ttl_ms: z.number().int().min(limits.TTL_MS_MIN),
  serving: servingSchema
    .nullable()
    .describe('null when no probe is configured: serving is then unknown, not false.'),
  stats: statsSchema.nullable().describe('null in a goodbye.'),
  sig: z
    .string()
    .max(limits.SIG_MAX_LENGTH)
    .optional()
    .describe('HMAC signature, when the agent has HEARTBEAT_SECRET.'),
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
export type ContainerStats = z.infer<typeof containerSchema>;
export const CONTAINER_FIELDS: readonly string[] = Object.keys(containerSchema.shape);

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

/** A refused heartbeat: why (a metric label) and what, for the log. */
export type HeartbeatRejection = {
  readonly ok: false;
  readonly reason: RejectReason;
  readonly detail: string;
};

export type HeartbeatParseResult = { readonly ok: true; readonly heartbeat: Heartbeat } | HeartbeatRejection;

/** A refusal with its reason and detail. */
export function reject(reason: RejectReason, detail: string): HeartbeatRejection {
  return { ok: false, reason, detail };
}

/** A wire form decoded: the JSON value (not validated yet), or why it is none. */
export type HeartbeatDecodeResult = { readonly ok: true; readonly value: unknown } | HeartbeatRejection;

/**
 * Decodes a heartbeat's wire form (bytes or text) without validating it: `too_large` past
 * MAX_HEARTBEAT_BYTES (refused unread), `malformed_json` when it is not JSON. Never throws.
 */
export function decodeHeartbeat(raw: string | Buffer): HeartbeatDecodeResult {
  // A string's UTF-8 size is at most 3 bytes per UTF-16 unit: only long ones need counting (this
  // runs for every feed entry and resync read).
  const size =
    typeof raw !== 'string'
      ? raw.length
      : raw.length * 3 <= limits.MAX_HEARTBEAT_BYTES
        ? 0
        : Buffer.byteLength(raw);
  if (size > limits.MAX_HEARTBEAT_BYTES) {
    return reject('too_large', `${size} bytes exceeds the ${limits.MAX_HEARTBEAT_BYTES}-byte cap`);
  }
  try {
    return { ok: true, value: JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8')) as unknown };
  } catch (err) {
    return reject('malformed_json', (err as Error).message.slice(0, 200));
  }
}

/** Parses and validates a heartbeat from its wire form (bytes or text). Never throws. */
export function parseHeartbeat(raw: string | Buffer): HeartbeatParseResult {
  const decoded = decodeHeartbeat(raw);
  return decoded.ok ? validateHeartbeat(decoded.value) : decoded;
}

/** Validates an already-decoded value as a heartbeat. Never throws. */
export function validateHeartbeat(value: unknown): HeartbeatParseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reject('not_an_object', `expected a JSON object, got ${describe(value)}`);
  }
  const version = (value as { v?: unknown }).v;
  if (version === undefined) return reject('missing_field', 'v: required');
  if (version !== limits.HEARTBEAT_SCHEMA_VERSION) {
    return reject(
      'unsupported_version',
      `v=${JSON.stringify(version)}; this build reads v=${limits.HEARTBEAT_SCHEMA_VERSION}`,
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
