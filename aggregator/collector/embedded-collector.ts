/**
 * The collector without Redis: the registry fed only by `POST /api/v1/heartbeats` (see
 * HeartbeatIngest). There is nothing to lose sight of, so it is always healthy.
 */
import type { Clock } from '../../shared/clock';
import type { InstanceRegistry } from './registry';
import { DEFAULT_RETENTION_MS } from './registry';
import type { Collector, CollectorHealth, InstanceRecord } from './registry-types';

/** What the embedded collector needs: the registry the ingest feeds, and a clock for eviction. */
export interface EmbeddedCollectorOptions {
  readonly registry: InstanceRegistry;
  readonly clock: Clock;
  /** How long gone and left instances are remembered; default DEFAULT_RETENTION_MS. */
  readonly retentionMs?: number;
}

const HEALTHY: CollectorHealth = Object.freeze({ healthy: true, blindSinceMs: null, detail: null });

/** The collector of the mode without Redis: a view of the registry the HTTP ingest feeds. */
export class EmbeddedCollector implements Collector {
  private readonly retentionMs: number;

  constructor(private readonly options: EmbeddedCollectorOptions) {
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  }

  /**
   * Forgets instances past retention, then returns every record. Evicting here, once per
   * reconcile, needs no timer of its own and costs no more than the copy itself.
   */
  snapshot(): readonly InstanceRecord[] {
    this.options.registry.evict(this.options.clock.now(), this.retentionMs);
    return this.options.registry.snapshot();
  }

  health(): CollectorHealth {
    return HEALTHY;
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {}
}
