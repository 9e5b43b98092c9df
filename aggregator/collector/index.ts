/** The collector: the registry of instances and the ways heartbeats reach it. */
export { admitHeartbeat, oneApp, parseForApp } from './accept';
export type { AdmissionPolicy, AppScope } from './accept';
export { EmbeddedCollector } from './embedded-collector';
export type { EmbeddedCollectorOptions } from './embedded-collector';
export { HeartbeatIngest } from './ingest';
export type { HeartbeatIngestOptions, HeartbeatIngestStats, IngestApps, IngestResult } from './ingest';
export { compareStreamIds, RedisCollector } from './redis-collector';
export type { RedisCollectorOptions, RedisCollectorStats } from './redis-collector';
export { APPLY_OUTCOMES, DEFAULT_RETENTION_MS, InstanceRegistry } from './registry';
export type { AppliedHook, ApplyOutcome } from './registry';
export type { Collector } from './collector';
export { REJECT_LOG_INTERVAL_MS, RejectLog } from './reject-log';
export type { RejectHook } from './reject-log';
