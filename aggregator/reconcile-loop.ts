/**
 * The reconcile loop: every interval, the registry snapshot and the platform's last view go
 * through the pure reconciler and the result is published. Nothing here waits on I/O, so a
 * slow Redis or platform API can never stall it.
 */
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import type { Collector } from './collector/registry-types';
import type { PlatformSource } from './platform/source';
import type { ReconcileMemory, ReconcilePolicy } from './reconcile';
import { reconcile } from './reconcile';
import type { PublishedReport, ReportStore } from './report-store';

export interface ReconcileLoopOptions {
  readonly app: string;
  readonly collector: Collector;
  readonly platform: PlatformSource;
  readonly store: ReportStore;
  readonly clock: Clock;
  readonly intervalMs: number;
  readonly policy: ReconcilePolicy;
  readonly log: Logger;
  /** Observes each reconcile's duration in seconds (the metrics histogram). */
  readonly onReconciled?: (published: PublishedReport, durationSeconds: number) => void;
}

export class ReconcileLoop {
  private memory: ReconcileMemory | null = null;
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;

  constructor(private readonly options: ReconcileLoopOptions) {}

  /** One reconciliation, published at once. */
  runOnce(): PublishedReport {
    const { options } = this;
    const started = process.hrtime.bigint();
    const result = reconcile({
      nowMs: options.clock.now(),
      app: options.app,
      platform: options.platform.current(),
      instances: options.collector.snapshot(),
      collector: options.collector.health(),
      policy: options.policy,
      memory: this.memory,
    });
    this.memory = result.memory;
    const published = options.store.publish(result.report);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    options.onReconciled?.(published, seconds);
    return published;
  }

  /** Reconciles every interval until stop(). */
  start(): void {
    if (this.running) return;
    const { signal } = this.abort;
    this.running = (async () => {
      while (!signal.aborted) {
        try {
          this.runOnce();
        } catch (err) {
          // A bug in one reconcile must not end the loop: the last report stays served.
          this.options.log.error('reconcile failed', { err });
        }
        await this.options.clock.sleep(this.options.intervalMs, signal);
      }
    })();
  }

  /** Idempotent; resolves when the loop has ended (a reconcile in flight finishes first). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort();
      await this.running;
    })();
    return this.stopping;
  }
}
