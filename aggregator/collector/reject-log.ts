/**
 * Logs refused heartbeats at most once per interval. Junk can arrive at the fleet's rate
 * (a misconfigured agent, a stranger writing to the feed); every one is counted by the caller's
 * metric hook, but a log line per heartbeat would drown the log.
 */
import type { RejectReason } from '../../shared/heartbeat';
import type { Logger } from '../../shared/logger';

/** Called for every refused heartbeat; feeds `replica_watch_heartbeats_rejected_total{reason}`. */
export type RejectHook = (reason: RejectReason, detail: string) => void;

/** Once a minute is enough to notice a persistent source of junk and name one example of it. */
export const REJECT_LOG_INTERVAL_MS = 60_000;

/** Counts every refused heartbeat through the hook and logs one example per interval. */
export class RejectLog {
  private lastLoggedMs: number | null = null;
  private suppressed = 0;

  constructor(
    private readonly log: Logger,
    private readonly onRejected: RejectHook | undefined,
    private readonly intervalMs = REJECT_LOG_INTERVAL_MS,
  ) {}

  /** Counts one refused heartbeat and logs it unless another was logged within the interval. */
  note(reason: RejectReason, detail: string, source: string, nowMs: number): void {
    this.onRejected?.(reason, detail);
    if (this.lastLoggedMs !== null && nowMs - this.lastLoggedMs < this.intervalMs) {
      this.suppressed++;
      return;
    }
    this.log.warn('heartbeat rejected', { reason, detail, source, suppressedSinceLastLog: this.suppressed });
    this.lastLoggedMs = nowMs;
    this.suppressed = 0;
  }
}
