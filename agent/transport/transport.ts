/** How a heartbeat leaves the agent: the one interface every transport implements. */
import type { Heartbeat } from '../../shared/heartbeat';

/** A bounded label value of the transport metrics. */
export type TransportName = 'redis' | 'http';

export interface HeartbeatTransport {
  /** The transport that carries heartbeats now (a failover reports the one in use). */
  readonly name: TransportName;
  /** Resolves once the heartbeat (or goodbye) is stored; rejects on any failure, in bounded time. */
  send(heartbeat: Heartbeat): Promise<void>;
  /**
   * Calls `listener` whenever the transport's connection is ready again (Redis back, or a
   * failover's new master found), so that an agent whose sends failed can send at once instead
   * of at its next interval. Returns the unsubscribe function. Absent: no such signal (HTTP).
   */
  onReady?(listener: () => void): () => void;
  /** Idempotent. */
  close(): Promise<void>;
}
