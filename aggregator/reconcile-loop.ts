/**
 * The reconcile loop: every interval, the registry snapshot and the platform's last view go
 * through the pure reconciler and the result is published. Nothing here waits on I/O, so a
 * slow Redis or platform API can never stall it.
 */
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import type { Collector } from './collector/collector';
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

/**
 * A nudged reconcile waits at least this share of the interval after the previous one, and at
 * least NUDGE_COST_FACTOR times as long as that one took: early reconciles for instances that
 * come and go never cost more than a few times the loop's own pace, however large the fleet.
 */
export const NUDGE_MIN_GAP_SHARE = 0.25;
export const NUDGE_COST_FACTOR = 10;

export class ReconcileLoop {
  private memory: ReconcileMemory | null = null;
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  /** Aborted by nudge() to end the loop's sleep early. */
  private wake: AbortController | null = null;
  private nudged = false;
  private lastRunStartedMs = Number.NEGATIVE_INFINITY;
  private lastRunMs = 0;

  constructor(private readonly options: ReconcileLoopOptions) {}

  /** One reconciliation, published at once. */
  runOnce(): PublishedReport {
    const { options } = this;
    this.lastRunStartedMs = options.clock.now();
    const started = process.hrtime.bigint();
    const result = reconcile({
      nowMs: options.clock.now(),
      app: options.app,
      platform: options.platform.current(),
      instances: options.collector.snapshot(),
      changes: options.collector.changes(),
      collector: options.collector.health(),
      policy: options.policy,
      memory: this.memory,
    });
    this.memory = result.memory;
    // The reconcile itself (snapshot included); what the store's subscribers do with the report
    // (alerting, history) is theirs, not the reconcile's.
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const published = options.store.publish(result);
    this.lastRunMs = seconds * 1000;
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
        await this.sleepUntilDue(signal);
      }
    })();
  }

  /**
   * Asks for a reconcile before the interval is over: a new instance, or one that said goodbye,
   * then shows within a fraction of the interval instead of up to a whole one. Coalesced, and
   * spaced as NUDGE_MIN_GAP_SHARE and NUDGE_COST_FACTOR say.
   */
  nudge(): void {
    this.nudged = true;
    this.wake?.abort();
  }

  private async sleepUntilDue(signal: AbortSignal): Promise<void> {
    const { clock, intervalMs } = this.options;
    const wake = new AbortController();
    this.wake = wake;
    const onStop = () => wake.abort();
    signal.addEventListener('abort', onStop, { once: true });
    try {
      if (!this.nudged) await clock.sleep(intervalMs, wake.signal);
      if (!this.nudged || signal.aborted) return;
      // Nudged: reconcile early, but no sooner than the minimum gap after the previous run.
      const gapMs = Math.max(intervalMs * NUDGE_MIN_GAP_SHARE, this.lastRunMs * NUDGE_COST_FACTOR);
      const dueMs = Math.min(this.lastRunStartedMs + gapMs, this.lastRunStartedMs + intervalMs);
      const waitMs = dueMs - clock.now();
      if (waitMs > 0) await clock.sleep(waitMs, signal);
    } finally {
      this.nudged = false;
      this.wake = null;
      signal.removeEventListener('abort', onStop);
    }
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
