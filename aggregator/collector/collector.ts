/** The collector as the rest of the aggregator sees it. */
import type { CollectorHealth, InstanceRecord, SnapshotChanges } from '../model';

export interface Collector {
  /** Every known instance (live, suspect, gone not yet evicted, left). A fresh array each call. */
  snapshot(): readonly InstanceRecord[];
  /** What changed from the snapshot before the latest to the latest (InstanceRegistry.changes). */
  changes(): SnapshotChanges | null;
  health(): CollectorHealth;
  /** How far behind the heartbeat feed it reads is (ms); null when it reads no feed, or none yet. */
  feedLagMs(): number | null;
  start(): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
}
