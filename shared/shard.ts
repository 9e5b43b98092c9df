/**
 * Which aggregator owns which app, as kube-state-metrics shards its objects: an app belongs to
 * the shard `fnv1a32(app id) mod TOTAL_SHARDS`, FNV-1a over the id's UTF-8 bytes (offset basis
 * 2166136261, prime 16777619). Pure, so that every shard (and any script) computes the same owner.
 */

const FNV_OFFSET_BASIS = 2_166_136_261;
const FNV_PRIME = 16_777_619;

/** 32-bit FNV-1a of `text`'s UTF-8 bytes, as an unsigned integer. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash >>> 0;
}

/** This process's place among the shards (SHARD of TOTAL_SHARDS). */
export interface ShardAssignment {
  /** 0-based. */
  readonly index: number;
  /** At least 1; 1: not sharded. */
  readonly total: number;
  /**
   * With SHARD_FROM_HOSTNAME: the host name up to its ordinal (`replica-watch-` of
   * `replica-watch-2`), so that shard n's pods are `<hostPrefix><n>` (peerHost); absent otherwise.
   */
  readonly hostPrefix?: string;
}

export const UNSHARDED: ShardAssignment = Object.freeze({ index: 0, total: 1 });

/** The shard that owns an app. */
export function shardOf(appId: string, total: number): number {
  return total <= 1 ? 0 : fnv1a32(appId) % total;
}

/** The ordinal a StatefulSet gives its pods: the trailing `-<n>` of the host name; null without one. */
export function ordinalOfHostname(hostname: string): number | null {
  const match = /-(\d+)$/.exec(hostname.trim());
  return match ? Number(match[1]) : null;
}

/**
 * The host name of a pod of `shard` (a StatefulSet's `<name>-<shard>`), when the assignment came
 * from the host name; null otherwise: the shard's number is all that is known of it.
 */
export function peerHost(assignment: ShardAssignment, shard: number): string | null {
  return assignment.hostPrefix === undefined ? null : `${assignment.hostPrefix}${shard}`;
}
