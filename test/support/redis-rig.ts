/**
 * `useTestRedis()`: the Redis of one test file (or one describe block). It registers the hooks
 * itself: beforeAll starts a private redis-server (startRedis: a free port, or REDIS_URL when
 * set) and connects a client; afterAll closes the client and stops the server by PID. With
 * `flush`, every test starts from an empty database.
 */
import { connectTestClient, startRedis, type TestRedis, type TestRedisClient } from './redis-server';

export interface RedisRigOptions {
  /** FLUSHALL before each test. */
  readonly flush?: boolean;
}

/** Accessors, valid from beforeAll on (they throw before). */
export interface RedisRig {
  readonly url: string;
  readonly port: number;
  /** The server, for outage tests (kill, restart). */
  readonly server: TestRedis;
  /** A client for arranging and asserting; reconnected by `restart()`. */
  readonly client: TestRedisClient;
  /** Kills the server hard; `restart()` brings it back on the same port. */
  kill(): Promise<void>;
  /** Restarts the server (after `kill()`) and connects a fresh client. */
  restart(): Promise<void>;
}

export function useTestRedis(options: RedisRigOptions = {}): RedisRig {
  let server: TestRedis | undefined;
  let client: TestRedisClient | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useTestRedis(): read its accessors in a test or hook');
    return value;
  };

  beforeAll(async () => {
    server = await startRedis();
    client = await connectTestClient(server.url);
  });

  afterAll(async () => {
    // A client of a killed server may already be closed: destroy() does not mind.
    if (client?.isOpen) await client.close();
    else client?.destroy();
    await server?.stop();
  });

  if (options.flush) {
    beforeEach(async () => {
      await started(client).flushAll();
    });
  }

  return {
    get url() {
      return started(server).url;
    },
    get port() {
      return started(server).port;
    },
    get server() {
      return started(server);
    },
    get client() {
      return started(client);
    },
    kill: () => started(server).kill(),
    restart: async () => {
      await started(server).restart();
      client?.destroy();
      client = await connectTestClient(started(server).url);
    },
  };
}
