/** How a heartbeat leaves the agent: the one interface every transport implements. */
import type { Heartbeat } from '../../shared/heartbeat';

/** A bounded label value of the transport metrics. */
export type TransportName = 'redis' | 'http';

export interface HeartbeatTransport {
  /** The transport that carries heartbeats now (a failover reports the one in use). */
  readonly name: TransportName;
  /** Resolves once the heartbeat (or goodbye) is stored; rejects on any failure, in bounded time. */
  send(heartbeat: Heartbeat): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
}
