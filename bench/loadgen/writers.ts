/**
 * Where the load generator writes heartbeats, the two ways real agents do: the Redis path (one
 * atomic Lua round trip per heartbeat, shared/redis-scripts.ts) or HTTP ingest
 * (POST /api/v1/heartbeats). Many writes may be in flight at once; each is still one round trip.
 */
import { Pool } from 'undici';
import type { Heartbeat } from '../../shared/heartbeat';
import { silentLogger } from '../../shared/logger';
import type { RedisConnection } from '../../shared/redis-client';
import { closeQuietly, connectOrFail, createRedisClient } from '../../shared/redis-client';
import type { RedisEngine } from '../../shared/redis-engine';
import { recordHeartbeat } from '../../shared/redis-scripts';

export interface HeartbeatWriter {
  /** `redis` or `http`, for the progress line. */
  readonly kind: string;
  write(heartbeat: Heartbeat, json: string): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
}

/**
 * Writes through Redis (any engine: one server, a cluster, a Sentinel primary) over `connections`
 * connections, round robin (each pipelines what is in flight).
 */
export async function createRedisWriter(engine: RedisEngine, connections: number): Promise<HeartbeatWriter> {
  const clients: RedisConnection[] = [];
  const log = silentLogger();
  try {
    for (let i = 0; i < connections; i++) {
      const client = createRedisClient({ engine, log, name: 'replica-watch-loadgen' });
      clients.push(client);
      // Fails on the first refused connection instead of retrying forever in the background.
      await connectOrFail(client);
    }
  } catch (err) {
    await Promise.allSettled(clients.map((c) => closeQuietly(c)));
    throw err;
  }
  let next = 0;
  let closing: Promise<void> | undefined;
  return {
    kind: 'redis',
    async write(heartbeat, json) {
      const client = clients[next++ % clients.length] as RedisConnection;
      await recordHeartbeat(client, heartbeat, json);
    },
    close() {
      closing ??= Promise.allSettled(clients.map((c) => closeQuietly(c))).then(() => undefined);
      return closing;
    },
  };
}

/** The aggregator answered an ingest with something other than 2xx. */
export class IngestRefused extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`aggregator answered HTTP ${status}: ${body.slice(0, 200)}`);
    this.name = 'IngestRefused';
  }
}

/** POSTs to `<aggregatorUrl>/api/v1/heartbeats` over a keep-alive pool of `connections`. */
export function createHttpWriter(
  aggregatorUrl: string,
  connections: number,
  token: string | null,
): HeartbeatWriter {
  const url = new URL(aggregatorUrl);
  const path = `${url.pathname.replace(/\/+$/, '')}/api/v1/heartbeats`;
  const pool = new Pool(url.origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'replica-watch-loadgen',
  };
  if (token) headers.authorization = `Bearer ${token}`;
  let closing: Promise<void> | undefined;
  return {
    kind: 'http',
    async write(_heartbeat, json) {
      const response = await pool.request({
        method: 'POST',
        path,
        headers,
        body: json,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      const text = await response.body.text();
      if (response.statusCode < 200 || response.statusCode >= 300)
        throw new IngestRefused(response.statusCode, text);
    },
    close() {
      closing ??= pool.close().catch(() => pool.destroy());
      return closing;
    },
  };
}
