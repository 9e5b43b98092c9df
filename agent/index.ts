/** The agent as a library, for Node backends that run it in-process instead of as a sidecar. */
export { startAgent } from './app';
export type { AgentDeps, AgentHealth, RunningAgent, TransportInfo } from './app';
export { AGENT_DEFAULTS, agentSecrets, loadAgentConfig } from './config';
export type { AgentConfig } from './config';
export type { RedisEngine } from '../shared/redis-engine';
export type { AgentIdentity } from './identity';
export { AgentStartError } from './start-error';
export type { StartFailureReason } from './start-error';
export { createAgentMetrics } from './metrics';
export type { AgentMetrics, AgentMetricsOptions } from './metrics';
export type { HeartbeatTransport, TransportName } from './transport/transport';
