/** What the collector knows about each instance and whether it can see the fleet: the reconciler's input. */
import type { ContainerStats, Heartbeat, ServingStatus } from '../../shared/heartbeat';

/**
 * What is kept of a heartbeat: what the registry, the reconciler and the report read of it. The
 * rest (load averages, heap, disk, uptimes, platform, the probe's latency and time, the
 * signature) is dropped as it arrives: at 100k instances every byte kept per instance is 100 kB
 * of heap, and every record replaced is garbage the collector must sweep. A Heartbeat is one.
 */
export interface RecordedHeartbeat extends Pick<
  Heartbeat,
  | 'type'
  | 'component'
  | 'instance_id'
  | 'deployment_id'
  | 'version'
  | 'region'
  | 'pod_name'
  | 'node_name'
  | 'boot_id'
  | 'seq'
  | 'sent_at'
  | 'started_at'
  | 'interval_ms'
  | 'ttl_ms'
> {
  /** The probe's answer: whether it serves and, when not, why (NOT_SERVING shows it). */
  readonly serving: Pick<ServingStatus, 'ok' | 'status' | 'error'> | null;
  /** The figures the instance list shows; null for a goodbye. */
  readonly stats: RecordedStats | null;
}

export interface RecordedStats {
  readonly cpu_usage: number;
  readonly rss_bytes: number;
  readonly mem_total_bytes: number;
  readonly mem_free_bytes: number;
  /** null: no cgroup to read, or an older agent that does not say. */
  readonly container?: ContainerStats | null | undefined;
}

export interface InstanceRecord {
  readonly instanceId: string;
  readonly component: string;
  /** What is kept of the latest heartbeat (or the goodbye). */
  readonly heartbeat: RecordedHeartbeat;
  /** When the latest heartbeat was recorded (ms; Redis time on the Redis path, receive time on HTTP). */
  readonly lastSeenMs: number;
  /** When this instance was first seen by this aggregator (ms). */
  readonly firstSeenMs: number;
  /** When it said goodbye (ms), null while it has not. */
  readonly leftAtMs: number | null;
  /**
   * The latest heartbeat's `sent_at` minus the time it was recorded (ms): how far the agent's
   * clock is ahead of the recording clock (plus the transport delay). Never used for liveness.
   */
  readonly clockOffsetMs: number;
}

/**
 * Which records changed between two snapshots of one registry: a hint that spares the
 * reconciler from lining 100k records up again (reconcile/classification.ts). `records` (the
 * later snapshot) holds the same number of records as `basis` (the earlier one), the same ids
 * in the same places, and the very same record objects everywhere but at `positions`.
 */
export interface SnapshotChanges {
  readonly basis: readonly InstanceRecord[];
  /** The places where the later snapshot holds a newer record of the same instance. */
  readonly positions: readonly number[];
}

/** Whether the collector can currently see the fleet. When blind, nothing may be marked gone. */
export interface CollectorHealth {
  readonly healthy: boolean;
  /** Since when it has been blind (ms), null while healthy. */
  readonly blindSinceMs: number | null;
  /** Why, with no secret in it; null while healthy. */
  readonly detail: string | null;
}
