/**
 * The one delivery stage in front of each sink (after Alertmanager's notify pipeline and
 * Prometheus' notifier queue): a bounded queue (full → the oldest batch is dropped and counted),
 * one worker, shared/retry's withRetry with backoff, and a timeout on every attempt. `enqueue`
 * is synchronous and never waits: a slow or dead sink cannot hold up a reconcile.
 */
import type { Clock } from '../../shared/clock';
import { systemClock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { RetryPolicy } from '../../shared/retry';
import { RetryableError, withRetry } from '../../shared/retry';
import type { Sink, SinkName } from './sinks/sink';
import { sinkTakes } from './sinks/sink';
import type { Notification } from './types';

/** sent: delivered; failed: refused or retries spent; dropped: never tried (queue full, stopping). */
export const DELIVERY_OUTCOMES = ['sent', 'failed', 'dropped'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

export const SINK_QUEUE_DEFAULTS = Object.freeze({
  // Batches, one per reconcile at most: at a 10 s interval, a quarter of an hour of outage.
  capacity: 100,
  timeoutMs: 10_000,
  // Five tries within about a minute; a batch that still fails is counted and dropped, and
  // Alertmanager gets the alert again with the next refresh anyway.
  retry: Object.freeze({ attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 }),
});

export interface SinkQueueOptions {
  readonly sink: Sink;
  readonly log: Logger;
  readonly clock?: Clock;
  /** Batches held at most. */
  readonly capacity?: number;
  /** Per attempt. */
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
  /** Counts notifications by outcome (the metrics counter). */
  readonly onOutcome?: (sink: SinkName, outcome: DeliveryOutcome, count: number) => void;
}

export class SinkQueue {
  private readonly batches: (readonly Notification[])[] = [];
  private readonly abort = new AbortController();
  private readonly capacity: number;
  private readonly timeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly clock: Clock;
  private pumping: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private failing = false;
  private overflowing = false;

  constructor(private readonly options: SinkQueueOptions) {
    this.capacity = Math.max(1, options.capacity ?? SINK_QUEUE_DEFAULTS.capacity);
    this.timeoutMs = options.timeoutMs ?? SINK_QUEUE_DEFAULTS.timeoutMs;
    this.retry = options.retry ?? SINK_QUEUE_DEFAULTS.retry;
    this.clock = options.clock ?? systemClock;
  }

  get name(): SinkName {
    return this.options.sink.name;
  }

  /** Batches waiting (the one in flight not included). */
  get queued(): number {
    return this.batches.length;
  }

  /** Queues the notifications this sink takes, as one batch. Synchronous; never throws. */
  enqueue(notifications: readonly Notification[]): void {
    const batch = notifications.filter((n) => sinkTakes(this.name, n.kind));
    if (batch.length === 0) return;
    if (this.closing) {
      this.count('dropped', batch.length);
      return;
    }
    if (this.batches.length >= this.capacity) {
      const oldest = this.batches.shift() ?? [];
      this.count('dropped', oldest.length);
      if (!this.overflowing) {
        this.overflowing = true;
        this.options.log.warn('sink queue full: dropping the oldest notifications', {
          sink: this.name,
          capacity: this.capacity,
        });
      }
    }
    this.batches.push(batch);
    this.pump();
  }

  /**
   * Idempotent. Stops taking batches, lets the queued ones go out for up to `flushTimeoutMs`,
   * then aborts what is in flight; whatever was not delivered is counted as dropped.
   */
  close(flushTimeoutMs: number = 5_000): Promise<void> {
    this.closing ??= (async () => {
      const flushed = new AbortController();
      await Promise.race([this.idle(), this.clock.sleep(flushTimeoutMs, flushed.signal)]);
      flushed.abort();
      this.abort.abort();
      const left = this.batches.splice(0);
      this.count(
        'dropped',
        left.reduce((total, batch) => total + batch.length, 0),
      );
      await this.idle();
    })();
    return this.closing;
  }

  private async idle(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = (async () => {
      let batch: readonly Notification[] | undefined;
      while (!this.abort.signal.aborted && (batch = this.batches.shift()) !== undefined) {
        await this.deliver(batch);
      }
      this.overflowing = false;
    })().finally(() => {
      this.pumping = null;
      // A batch queued while the loop was ending would otherwise wait for the next enqueue.
      if (this.batches.length > 0 && !this.abort.signal.aborted) this.pump();
    });
  }

  private async deliver(batch: readonly Notification[]): Promise<void> {
    const { log } = this.options;
    try {
      await withRetry(() => this.attempt(batch), {
        ...this.retry,
        clock: this.clock,
        signal: this.abort.signal,
        onRetry: ({ attempt, delayMs, err }) =>
          log.debug('sink failed, retrying', {
            sink: this.name,
            attempt: attempt + 1,
            delay_ms: delayMs,
            err: (err as Error).message,
          }),
      });
      this.count('sent', batch.length);
      if (this.failing) {
        this.failing = false;
        log.info('sink delivers again', { sink: this.name });
      }
    } catch (err) {
      this.count(this.abort.signal.aborted ? 'dropped' : 'failed', batch.length);
      if (!this.failing) {
        this.failing = true;
        log.warn('sink failed', {
          sink: this.name,
          notifications: batch.length,
          err: (err as Error).message,
        });
      }
    }
  }

  /** One try, cut off after timeoutMs even if the sink ignores its signal. */
  private attempt(batch: readonly Notification[]): Promise<void> {
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.timeoutMs)]);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(new RetryableError(`${this.name}: no answer within ${this.timeoutMs} ms`));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.options.sink
        .send(batch, signal)
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private count(outcome: DeliveryOutcome, notifications: number): void {
    if (notifications > 0) this.options.onOutcome?.(this.name, outcome, notifications);
  }
}
