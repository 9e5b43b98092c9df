/** What the collector knows about each instance and whether it can see the fleet: the reconciler's input. */
import type { Heartbeat } from '../../shared/heartbeat';

export interface InstanceRecord {
  readonly instanceId: string;
  readonly component: string;
  /** The latest heartbeat (or the goodbye). */
  readonly heartbeat: Heartbeat;
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

/** Whether the collector can currently see the fleet. When blind, nothing may be marked gone. */
export interface CollectorHealth {
  readonly healthy: boolean;
  /** Since when it has been blind (ms), null while healthy. */
  readonly blindSinceMs: number | null;
  /** Why, with no secret in it; null while healthy. */
  readonly detail: string | null;
}
