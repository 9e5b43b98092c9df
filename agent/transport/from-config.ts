/** Picks the transports a configuration asks for. */
import type { Logger } from '../../shared/logger';
import type { AgentConfig } from '../config';
import type { AgentMetrics } from '../metrics';
import { FailoverTransport } from './failover';
import { InstrumentedTransport } from './instrumented';
import type { HeartbeatTransport } from './transport';

/** What the transports share. */
export interface TransportDeps {
  readonly log: Logger;
  readonly metrics: AgentMetrics;
  /** Bound on one send. */
  readonly timeoutMs: number;
}

/**
 * Redis with HTTP failover when both are configured, else whichever one is. Each leaf counts its
 * own sends, so the metrics show which transport carried (or dropped) each heartbeat.
 *
 * A transport's module (the redis client, undici) is loaded only when configured: each costs
 * 10-15 MB of resident memory, and the agent runs beside every instance.
 */
export async function createTransport(
  config: Pick<AgentConfig, 'redis' | 'aggregatorUrl' | 'aggregatorToken'>,
  deps: TransportDeps,
): Promise<HeartbeatTransport> {
  let redis: HeartbeatTransport | null = null;
  if (config.redis !== null) {
    const { RedisTransport } = await import('./redis');
    redis = new InstrumentedTransport(
      new RedisTransport({ engine: config.redis, log: deps.log, timeoutMs: deps.timeoutMs }),
      deps.metrics,
    );
  }
  let http: HeartbeatTransport | null = null;
  if (config.aggregatorUrl !== null) {
    const { HttpTransport } = await import('./http');
    http = new InstrumentedTransport(
      new HttpTransport({
        aggregatorUrl: config.aggregatorUrl,
        token: config.aggregatorToken,
        timeoutMs: deps.timeoutMs,
      }),
      deps.metrics,
    );
  }
  if (redis && http) return new FailoverTransport(redis, http, deps.log);
  const only = redis ?? http;
  if (!only) {
    throw new Error(
      'no heartbeat transport configured (REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS or AGGREGATOR_URL)',
    );
  }
  return only;
}
