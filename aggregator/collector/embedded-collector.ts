/**
 * The collector without Redis: the registry fed only by `POST /api/v1/heartbeats` (see
 * HeartbeatIngest). There is nothing to lose sight of, so it is always healthy.
 */
import type { Clock } from '../../shared/clock';
import type { InstanceRegistry } from './registry';
import type { Collector } from './collector';
import type { CollectorHealth, InstanceRecord, SnapshotChanges } from '../model';

/** What the embedded collector needs: the registry the ingest feeds, and a clock for eviction. */
export interface EmbeddedCollectorOptions {
  readonly registry: InstanceRegistry;
  readonly clock: Clock;
}

const HEALTHY: CollectorHealth = Object.freeze({ healthy: true, blindSinceMs: null, detail: null });

/** The collector of the mode without Redis: a view of the registry the HTTP ingest feeds. */
export class EmbeddedCollector implements Collector {
  constructor(private readonly options: EmbeddedCollectorOptions) {}

  /**
   * Forgets instances past retention, then returns every record. Evicting here, once per
   * reconcile, needs no timer of its own and costs no more than the copy itself.
   */
  snapshot(): readonly InstanceRecord[] {
    this.options.registry.evict(this.options.clock.now());
    return this.options.registry.snapshot();
  }

  changes(): SnapshotChanges | null {
    return this.options.registry.changes();
  }

  health(): CollectorHealth {
    return HEALTHY;
  }

  /** The ingest applies each heartbeat as it arrives: there is no feed to lag behind. */
  feedLagMs(): null {
    return null;
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {}
}
