/**
 * Redis first, HTTP while Redis fails. Redis is tried again on every heartbeat (a down client
 * fails at once, so this costs nothing), so heartbeats return to it as soon as it is back.
 */
import type { Heartbeat } from '../../shared/heartbeat';
import type { Logger } from '../../shared/logger';
import type { HeartbeatTransport, TransportName } from './transport';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Sends through `primary` (Redis), through `fallback` (HTTP) when that fails. */
export class FailoverTransport implements HeartbeatTransport {
  private failedOver = false;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly primary: HeartbeatTransport,
    private readonly fallback: HeartbeatTransport,
    private readonly log: Logger,
  ) {}

  get name(): TransportName {
    return this.failedOver ? this.fallback.name : this.primary.name;
  }

  async send(heartbeat: Heartbeat): Promise<void> {
    let primaryError: unknown;
    try {
      await this.primary.send(heartbeat);
    } catch (err) {
      primaryError = err;
    }
    if (primaryError === undefined) {
      if (this.failedOver) {
        this.failedOver = false;
        this.log.info('heartbeat transport restored', {
          transport: this.primary.name,
          instead_of: this.fallback.name,
        });
      }
      return;
    }
    // Logged when the outage starts, not on every tick; its end is logged above.
    if (!this.failedOver) {
      this.failedOver = true;
      this.log.warn('heartbeat transport failing over', {
        from: this.primary.name,
        to: this.fallback.name,
        err: message(primaryError),
      });
    }
    try {
      await this.fallback.send(heartbeat);
    } catch (fallbackError) {
      throw new Error(
        `${this.primary.name}: ${message(primaryError)}; ${this.fallback.name}: ${message(fallbackError)}`,
        { cause: fallbackError },
      );
    }
  }

  /** The primary's (Redis): the fallback never went away. */
  onReady(listener: () => void): () => void {
    return this.primary.onReady?.(listener) ?? (() => undefined);
  }

  close(): Promise<void> {
    this.closing ??= Promise.all([this.primary.close(), this.fallback.close()]).then(() => undefined);
    return this.closing;
  }
}
