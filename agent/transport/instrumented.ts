/** Counts the outcome of every send of one transport, labelled with that transport's name. */
import type { Heartbeat } from '../../shared/heartbeat';
import type { AgentMetrics } from '../metrics';
import type { HeartbeatTransport, TransportName } from './transport';

/** Wraps one leaf transport and counts its sends in sent_total / failed_total{transport}. */
export class InstrumentedTransport implements HeartbeatTransport {
  constructor(
    private readonly inner: HeartbeatTransport,
    private readonly metrics: AgentMetrics,
  ) {}

  get name(): TransportName {
    return this.inner.name;
  }

  async send(heartbeat: Heartbeat): Promise<void> {
    // Read before the send: the label names the transport that was tried.
    const transport = this.inner.name;
    try {
      await this.inner.send(heartbeat);
    } catch (err) {
      this.metrics.heartbeatsFailed.inc({ transport });
      throw err;
    }
    this.metrics.heartbeatsSent.inc({ transport });
  }

  onReady(listener: () => void): () => void {
    return this.inner.onReady?.(listener) ?? (() => undefined);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
