/**
 * The heartbeat's limits: every bound, pattern and enum of its shape, as named constants. The
 * zod schema (shared/heartbeat.ts) is built from them, the collector's fast path
 * (aggregator/collector/fast-parse.ts) checks them by hand, the OpenAPI document carries them
 * (generated from the schema), and the agent may cap what it sends by them. This module loads
 * no schema library: the agent imports it at run time and must stay free of zod.
 */
import { NAME_PATTERN } from './names';

/** The `v` every heartbeat carries; a heartbeat of another version is refused as unsupported. */
export const HEARTBEAT_SCHEMA_VERSION = 1;

/** `goodbye` is the deregistration an agent sends when it is told to stop. */
export const HEARTBEAT_TYPES = ['heartbeat', 'goodbye'] as const;

/** A heartbeat is ~0.6 KiB; anything past 8 KiB is not one of ours and is refused unread. */
export const MAX_HEARTBEAT_BYTES = 8 * 1024;

/**
 * `app`, `component` and `instance_id` match this (1-253 characters, see shared/names.ts): they
 * end up in Redis keys and metric labels.
 */
export { NAME_PATTERN };

/**
 * Free-form labels (deployment id, version, region, pod and node name, platform, Node version):
 * long enough for any real one, short enough that a heartbeat stays far under its byte cap.
 */
export const LABEL_MAX_LENGTH = 256;

/** The probe's error text: enough for a message and a cause, truncated by the agent past it. */
export const PROBE_ERROR_MAX_LENGTH = 512;

/** `boot_id` is a UUID (36) in our agents; 64 leaves room for other formats, never empty. */
export const BOOT_ID_MIN_LENGTH = 1;
export const BOOT_ID_MAX_LENGTH = 64;

/** `sig`: ours is 64 hex characters (HMAC-SHA256); 128 leaves room for a longer digest. */
export const SIG_MAX_LENGTH = 128;

/** The probe's HTTP status: any three-digit code, 0 included (no status line). */
export const HTTP_STATUS_MAX = 999;

/** Epoch milliseconds: the largest time a JavaScript Date can hold (ECMA-262, ±8.64e15 ms). */
export const EPOCH_MS_MAX = 8.64e15;

/** `stats.cpu_usage` is the host's busy share since the previous heartbeat: 0..1. */
export const CPU_USAGE_MAX = 1;

/** `stats.load_avg` is os.loadavg(): the 1, 5 and 15 minute averages. */
export const LOAD_AVG_LENGTH = 3;

/** `interval_ms` is at least 1 ms: a zero interval describes no schedule to judge lateness by. */
export const INTERVAL_MS_MIN = 1;

/** `ttl_ms` is at least 1 ms: a zero TTL would make a heartbeat stale as it arrives. */
export const TTL_MS_MIN = 1;
