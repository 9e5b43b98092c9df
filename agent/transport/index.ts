/** The ways a heartbeat leaves the agent. */
export type { HeartbeatTransport, TransportName } from './transport';
export { RedisTransport } from './redis';
export type { RedisTransportOptions } from './redis';
export { HttpTransport, HttpSendError, HEARTBEATS_PATH } from './http';
export type { HttpTransportOptions } from './http';
export { FailoverTransport } from './failover';
export { InstrumentedTransport } from './instrumented';
export { createTransport } from './from-config';
export type { TransportDeps } from './from-config';
