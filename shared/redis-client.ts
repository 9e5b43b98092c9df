/**
 * One way to open a Redis connection for every part, whatever the engine (one server, a Redis
 * Cluster, a primary found through Sentinel): a connection that
 * - sends exactly the commands replica-watch uses (RedisCommands), each to the node that holds
 *   its keys (one app's keys share the hash tag `{<app>}`, so every script and multi-key command
 *   stays in one slot);
 * - fails commands at once while the node they need is unreachable (no offline queue): callers
 *   fall back (agent → HTTP) or mark their data degraded (aggregator);
 * - reconnects in the background for good, with capped exponential backoff and jitter, and
 *   follows a failover: a cluster's promoted replica (topology refresh), Sentinel's new primary
 *   (`+switch-master`, and asking the sentinels while the primary is unreachable);
 * - logs `redis unavailable` once when an outage starts and `redis available again` once when it
 *   ends, and emits `error` (every failed attempt) and `ready` (serving again) for its owner.
 *
 * node-redis's clients stay behind this module. Sentinel is followed here rather than through
 * node-redis's createSentinel: measured on Redis 7, its commands issued during a failover hang
 * until the new primary is connected (up to 4 s) instead of failing, and it re-reads the
 * topology only once a second while the old primary is down (it served again 1.8 s after
 * `+switch-master`); a plain client per primary keeps the fail-fast contract above.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisClient, RedisCluster } from 'redis';
import type { Logger } from './logger';
import type { RedisCredentials, RedisEngine, RedisHostPort } from './redis-engine';
import { describeRedisEngine } from './redis-engine';
import { backoffDelayMs } from './retry';

/** Keys and arguments of EVAL / EVALSHA. */
export interface ScriptOptions {
  readonly keys: string[];
  readonly arguments: string[];
}

/** One stream entry as read back. */
export interface StreamMessage {
  readonly id: string;
  readonly message: Record<string, string>;
}

/** One stream's entries in an XREAD reply. */
export interface StreamMessages {
  readonly name: string;
  readonly messages: StreamMessage[];
}

/**
 * The commands replica-watch sends, the same on every engine. Every multi-key command names keys
 * of one app only (one slot); the engines' connections route each by its first key.
 */
export interface RedisCommands {
  evalSha(sha1: string, options: ScriptOptions): Promise<unknown>;
  eval(script: string, options: ScriptOptions): Promise<unknown>;
  xAdd(
    key: string,
    id: string,
    fields: Record<string, string>,
    options?: {
      readonly TRIM?: {
        readonly strategy: 'MAXLEN' | 'MINID';
        readonly strategyModifier?: '=' | '~';
        readonly threshold: number;
      };
    },
  ): Promise<string>;
  /** Blocks up to BLOCK ms: send it on a connection of its own (the collector's feed connection). */
  xRead(
    stream: { readonly key: string; readonly id: string },
    options: { readonly COUNT: number; readonly BLOCK: number },
  ): Promise<StreamMessages[] | null>;
  /** Null, in node-redis's types, stands for no entries. */
  xRange(
    key: string,
    start: string,
    end: string,
    options?: { readonly COUNT: number },
  ): Promise<StreamMessage[] | null>;
  xRevRange(
    key: string,
    end: string,
    start: string,
    options?: { readonly COUNT: number },
  ): Promise<StreamMessage[] | null>;
  zRangeWithScores(key: string, start: number, stop: number): Promise<{ value: string; score: number }[]>;
  zRemRangeByScore(key: string, min: string, max: string): Promise<number>;
  /** Keys of one slot (one app's heartbeat keys). */
  mGet(keys: string[]): Promise<(string | null)[]>;
  hGetAll(key: string): Promise<Record<string, string>>;
}

/** A connection to the configured engine (see the module comment). */
export interface RedisConnection extends RedisCommands {
  /** The engine's kind: `server`, `cluster` or `sentinel`. */
  readonly engine: RedisEngine['kind'];
  /** connect() was called and neither close() nor destroy() since. */
  readonly isOpen: boolean;
  /** It serves commands now (on a cluster: the topology is known; a node may still be down). */
  readonly isReady: boolean;
  /**
   * Starts connecting; from then on it reconnects in the background until closed. Resolves when
   * it is first ready, rejects only when closed before that. Calling it again returns the same promise.
   */
  connect(): Promise<void>;
  /** Lets the commands under way finish, then closes every connection. */
  close(): Promise<void>;
  /** Closes every connection at once (commands under way fail), and any a racing connect opens. */
  destroy(): void;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'ready', listener: () => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
  once(event: 'ready', listener: () => void): this;
  off(event: 'error', listener: (err: Error) => void): this;
  off(event: 'ready', listener: () => void): this;
}

export interface RedisConnectOptions {
  readonly engine: RedisEngine;
  readonly log: Logger;
  /** Name shown in CLIENT LIST, e.g. `replica-watch-agent` (a cluster's node connections go unnamed). */
  readonly name: string;
  /** Reconnect backoff cap. */
  readonly maxBackoffMs?: number;
}

/** Bound on opening one TCP (or TLS) connection. */
const CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_BACKOFF_MS = 5_000;
const BACKOFF_BASE_MS = 100;
// A cluster node's reconnect attempts are what prompt node-redis to refresh the topology, so
// they stay frequent while a master is down: the promoted replica is then found within about
// half a second of its promotion. Reconnecting to a dead node once a second costs nothing.
const CLUSTER_NODE_RECONNECT_MAX_MS = 1_000;
const CLUSTER_TOPOLOGY_REFRESH_MS = 500;
// A cluster connect waits for every master's connection: a master that died just before (its
// replica not yet promoted) would hold it forever, so an attempt is bounded and then started
// afresh from the seeds.
const CLUSTER_CONNECT_BUDGET_MS = CONNECT_TIMEOUT_MS + 1_000;
/** Bound on one question to one sentinel. */
const SENTINEL_TIMEOUT_MS = 2_000;
/** While the primary is unreachable the sentinels are asked about this often (with jitter). */
const SENTINEL_POLL_MAX_MS = 1_000;

/** Creates a connection (not yet connected); credentials in the engine are never logged. */
export function createRedisClient(options: RedisConnectOptions): RedisConnection {
  switch (options.engine.kind) {
    case 'server':
      return new ServerConnection(options, options.engine);
    case 'cluster':
      return new ClusterConnection(options, options.engine);
    case 'sentinel':
      return new SentinelConnection(options, options.engine);
  }
}

/**
 * Starts connecting and resolves once ready, or rejects with the first connection error (the
 * connection keeps reconnecting in the background either way). The connect timeout bounds the
 * wait.
 */
export function connectOrFail(connection: RedisConnection): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      connection.off('error', onError);
      reject(err);
    };
    connection.on('error', onError);
    connection.connect().then(
      () => {
        connection.off('error', onError);
        resolve();
      },
      // connect() rejects when the connection is closed before it was ever ready.
      (err: unknown) => {
        connection.off('error', onError);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** Closes a connection whatever state it is in; never throws. */
export async function closeQuietly(connection: RedisConnection): Promise<void> {
  if (!connection.isOpen) {
    connection.destroy();
    return;
  }
  try {
    await connection.close();
  } catch {
    // Closing a half-open connection can fail; nothing is pending on it any more.
    connection.destroy();
  }
}

// node-redis builds a class with every command (and, through the `redis` package's
// createClient, every module's: JSON, search, time series, bloom) for each client whose options
// differ from the last one's: 50 ms of CPU per connection, 90 per cluster. Built once here,
// without modules (none is used), a client costs a tenth of a millisecond.
let clientFactory: ReturnType<typeof RedisClient.factory> | undefined;
let clusterFactory: ReturnType<typeof RedisCluster.factory> | undefined;

type ClientOptions = Parameters<ReturnType<typeof RedisClient.factory>>[0];
type ClusterOptions = Parameters<ReturnType<typeof RedisCluster.factory>>[0];

function createClient(options: ClientOptions) {
  clientFactory ??= RedisClient.factory({});
  return clientFactory(options);
}

function createCluster(options: ClusterOptions) {
  clusterFactory ??= RedisCluster.factory({});
  return clusterFactory(options);
}

type NodeClient = ReturnType<typeof createClient>;
type Cluster = ReturnType<typeof createCluster>;

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** A reconnect strategy: capped exponential backoff with full jitter. */
function reconnectStrategy(maxMs: number): (retries: number) => number {
  return (retries) => backoffDelayMs(retries, BACKOFF_BASE_MS, maxMs);
}

/**
 * Destroys a node-redis client, and the socket it may still open: node-redis 6 misses a
 * destroy() that comes while the TCP connection is being opened, and keeps the socket it opens
 * afterwards (which holds the process up for good).
 */
function destroyClient(client: NodeClient): void {
  const late = () => client.destroy();
  client.once('connect', late);
  client.once('ready', late);
  client.destroy();
}

/** Abortable sleep; false when aborted. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** The credentials a URL carries, else the engine's. */
function credentialsFor(url: string | null, fallback: RedisCredentials): Record<string, string> {
  const decoded = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text; // A malformed escape: taken as it is written.
    }
  };
  const parsed = url === null ? null : new URL(url);
  const username = parsed && parsed.username !== '' ? decoded(parsed.username) : fallback.username;
  const password = parsed && parsed.password !== '' ? decoded(parsed.password) : fallback.password;
  return {
    ...(username === null ? {} : { username }),
    ...(password === null ? {} : { password }),
  };
}

/** What the three engines share: the commands, the events and the outage log. */
abstract class EngineConnection extends EventEmitter implements RedisConnection {
  abstract readonly engine: RedisEngine['kind'];
  abstract readonly isOpen: boolean;
  abstract readonly isReady: boolean;
  protected readonly maxBackoffMs: number;
  private down = false;

  constructor(protected readonly options: RedisConnectOptions) {
    super();
    this.maxBackoffMs = options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
    // Always one listener, so that an 'error' nobody else listens to never throws.
    this.on('error', () => undefined);
  }

  abstract connect(): Promise<void>;
  abstract close(): Promise<void>;
  abstract destroy(): void;
  /** The node-redis object the commands go to now; throws while there is none. */
  protected abstract target(): RedisCommands;

  /** An attempt failed or a connection was lost: logged once per outage, and emitted. */
  protected failed(err: unknown, detail: Record<string, unknown> = {}): void {
    const error = asError(err);
    if (!this.down) {
      this.down = true;
      this.options.log.warn('redis unavailable', {
        engine: describeRedisEngine(this.options.engine),
        ...detail,
        err: error.message,
      });
    }
    this.emit('error', error);
  }

  /** It serves again (or for the first time). */
  protected recovered(): void {
    if (this.down) this.options.log.info('redis available again');
    this.down = false;
    this.emit('ready');
  }

  /** A command's error, for an engine that learns from it (a primary that became a replica). */
  protected commandFailed(_err: Error): void {}

  private run<T>(send: (target: RedisCommands) => Promise<T>): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = send(this.target());
    } catch (err) {
      return Promise.reject(asError(err));
    }
    return pending.catch((err: unknown) => {
      const error = asError(err);
      this.commandFailed(error);
      throw error;
    });
  }

  evalSha(sha1: string, options: ScriptOptions): Promise<unknown> {
    return this.run((t) => t.evalSha(sha1, options));
  }
  eval(script: string, options: ScriptOptions): Promise<unknown> {
    return this.run((t) => t.eval(script, options));
  }
  xAdd(...args: Parameters<RedisCommands['xAdd']>): Promise<string> {
    return this.run((t) => t.xAdd(...args));
  }
  xRead(...args: Parameters<RedisCommands['xRead']>): Promise<StreamMessages[] | null> {
    return this.run((t) => t.xRead(...args));
  }
  xRange(...args: Parameters<RedisCommands['xRange']>): Promise<StreamMessage[] | null> {
    return this.run((t) => t.xRange(...args));
  }
  xRevRange(...args: Parameters<RedisCommands['xRevRange']>): Promise<StreamMessage[] | null> {
    return this.run((t) => t.xRevRange(...args));
  }
  zRangeWithScores(key: string, start: number, stop: number): Promise<{ value: string; score: number }[]> {
    return this.run((t) => t.zRangeWithScores(key, start, stop));
  }
  zRemRangeByScore(key: string, min: string, max: string): Promise<number> {
    return this.run((t) => t.zRemRangeByScore(key, min, max));
  }
  mGet(keys: string[]): Promise<(string | null)[]> {
    return this.run((t) => t.mGet(keys));
  }
  hGetAll(key: string): Promise<Record<string, string>> {
    return this.run((t) => t.hGetAll(key));
  }
}

/** REDIS_URL: one node-redis client. */
class ServerConnection extends EngineConnection {
  readonly engine = 'server' as const;
  private readonly client: NodeClient;
  private connecting: Promise<void> | undefined;

  constructor(options: RedisConnectOptions, engine: Extract<RedisEngine, { kind: 'server' }>) {
    super(options);
    this.client = createClient({
      url: engine.url,
      ...credentialsFor(engine.url, engine),
      name: options.name,
      socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: reconnectStrategy(this.maxBackoffMs) },
      disableOfflineQueue: true,
    });
    this.client.on('error', (err: Error) => this.failed(err));
    this.client.on('ready', () => this.recovered());
  }

  get isOpen(): boolean {
    return this.client.isOpen;
  }

  get isReady(): boolean {
    return this.client.isReady;
  }

  connect(): Promise<void> {
    return (this.connecting ??= this.client.connect().then(() => undefined));
  }

  close(): Promise<void> {
    return this.client.close();
  }

  destroy(): void {
    destroyClient(this.client);
  }

  protected target(): RedisCommands {
    // node-redis's replies are these plain values at run time; its types brand them.
    return this.client as unknown as RedisCommands;
  }
}

/**
 * REDIS_CLUSTER_NODES: node-redis's cluster client, which routes each command to the master of
 * its key's slot and refreshes the topology while a node is unreachable. This class adds what it
 * lacks: connecting for good (a failed connect is retried with backoff, not given up), one
 * outage per set of unreachable masters, and fail-fast commands on every node.
 */
class ClusterConnection extends EngineConnection {
  readonly engine = 'cluster' as const;
  private cluster: Cluster | null = null;
  private building: Cluster | null = null;
  private opened = false;
  private closed = false;
  private readonly abort = new AbortController();
  private readonly downNodes = new Set<string>();
  private connecting: Promise<void> | undefined;
  /** Why the seeds did not answer the last discovery (node-redis reports only that none did). */
  private discoveryError: Error | null = null;

  constructor(
    options: RedisConnectOptions,
    private readonly config: Extract<RedisEngine, { kind: 'cluster' }>,
  ) {
    super(options);
  }

  get isOpen(): boolean {
    return this.opened && !this.closed;
  }

  get isReady(): boolean {
    return !this.closed && this.cluster !== null && this.cluster.isReady;
  }

  connect(): Promise<void> {
    return (this.connecting ??= this.connectForGood());
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    this.building?.destroy();
    const cluster = this.cluster;
    if (cluster?.isOpen) await cluster.close();
  }

  destroy(): void {
    this.closed = true;
    this.abort.abort();
    this.building?.destroy();
    this.cluster?.destroy();
  }

  protected target(): RedisCommands {
    if (this.cluster === null) throw new Error('redis cluster is not connected');
    return this.cluster as unknown as RedisCommands;
  }

  private async connectForGood(): Promise<void> {
    this.opened = true;
    for (let attempt = 0; !this.closed; attempt++) {
      const cluster = this.build();
      this.building = cluster;
      let timer: NodeJS.Timeout | undefined;
      const connecting = cluster.connect();
      // Settles after the race is lost too (destroy() rejects it): nobody else awaits it.
      connecting.catch(() => undefined);
      try {
        await Promise.race([
          connecting,
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () =>
                reject(
                  new Error(
                    `redis cluster: no connection to every master within ${CLUSTER_CONNECT_BUDGET_MS} ms`,
                  ),
                ),
              CLUSTER_CONNECT_BUDGET_MS,
            );
          }),
        ]);
        if (this.closed) break;
        this.building = null;
        this.cluster = cluster;
        this.downNodes.clear();
        this.recovered();
        return;
      } catch (err) {
        this.building = null;
        cluster.destroy();
        if (this.closed) break;
        const cause = this.discoveryError;
        this.discoveryError = null;
        // The seeds' own answer (ECONNREFUSED, WRONGPASS…) says what to fix; "unavailable" does not.
        this.failed(cause === null ? err : new Error(`${asError(err).message}: ${cause.message}`));
        await pause(backoffDelayMs(attempt, BACKOFF_BASE_MS, this.maxBackoffMs), this.abort.signal);
      } finally {
        clearTimeout(timer);
      }
    }
    throw new Error('redis connection closed before it was ready');
  }

  private build(): Cluster {
    const { config } = this;
    const cluster = createCluster({
      // The seeds only discover the topology (their URLs' credentials and TLS included)...
      rootNodes: config.nodes.map((url) => ({ url, socket: { connectTimeout: CONNECT_TIMEOUT_MS } })),
      // ...every connection to a node it found is made from these. No CLIENT SETNAME here: the
      // cluster client rebuilds its node clients' class whenever its options differ from the
      // last cluster's (48 ms of CPU each), so all of a process's cluster connections share one
      // set of options (2 ms each).
      defaults: {
        ...credentialsFor(config.nodes.find((url) => new URL(url).password !== '') ?? null, config),
        socket: {
          connectTimeout: CONNECT_TIMEOUT_MS,
          reconnectStrategy: reconnectStrategy(Math.min(this.maxBackoffMs, CLUSTER_NODE_RECONNECT_MAX_MS)),
          ...(config.tls ? { tls: true as const } : {}),
        },
        disableOfflineQueue: true,
      },
      topologyRefreshOnReconnectionAttemptStrategy: CLUSTER_TOPOLOGY_REFRESH_MS,
    });
    const current = () => cluster === this.cluster || cluster === this.building;
    const address = (node: RedisHostPort) => `${node.host}:${node.port}`;
    cluster.on('node-error', (err: Error, node: RedisHostPort) => {
      if (!current() || this.closed) return;
      this.downNodes.add(address(node));
      this.failed(err, { node: address(node) });
    });
    const back = (node: RedisHostPort) => {
      if (!this.downNodes.delete(address(node))) return;
      if (this.downNodes.size === 0 && cluster === this.cluster && !this.closed) this.recovered();
    };
    cluster.on('node-ready', back);
    // A dead master dropped from the topology after its replica took over.
    cluster.on('node-disconnect', back);
    // Discovery errors (a seed or a known node that does not answer): the attempt that needs
    // the topology fails and says so; on its own such an error is no outage.
    cluster.on('error', (err: unknown) => {
      if (cluster === this.building) this.discoveryError = asError(err);
    });
    return cluster;
  }
}

/**
 * REDIS_SENTINELS + REDIS_SENTINEL_MASTER: a plain node-redis client to the primary the
 * sentinels name, re-pointed when they name another. The sentinels are asked at start, whenever
 * the primary cannot be reached (every second or so until they name one that answers as a
 * master) and told on `+switch-master`, to which one sentinel connection stays subscribed.
 */
class SentinelConnection extends EngineConnection {
  readonly engine = 'sentinel' as const;
  private primary: NodeClient | null = null;
  private primaryAddress: string | null = null;
  /** ROLE said master on the current connection. */
  private confirmed = false;
  private preferred = 0;
  private opened = false;
  private closed = false;
  private readonly abort = new AbortController();
  private subscriber: NodeClient | null = null;
  private polling = false;
  private connecting: Promise<void> | undefined;
  private firstReady: (() => void) | null = null;
  private wrongRoleLogged = false;

  constructor(
    options: RedisConnectOptions,
    private readonly config: Extract<RedisEngine, { kind: 'sentinel' }>,
  ) {
    super(options);
  }

  get isOpen(): boolean {
    return this.opened && !this.closed;
  }

  get isReady(): boolean {
    return !this.closed && this.confirmed && this.primary !== null && this.primary.isReady;
  }

  connect(): Promise<void> {
    this.connecting ??= new Promise<void>((resolve, reject) => {
      this.opened = true;
      this.firstReady = resolve;
      this.abort.signal.addEventListener(
        'abort',
        () => reject(new Error('redis connection closed before it was ready')),
        { once: true },
      );
      void this.watch();
      this.poll();
    });
    return this.connecting;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    if (this.subscriber) destroyClient(this.subscriber);
    const primary = this.primary;
    if (primary?.isOpen) await primary.close();
  }

  destroy(): void {
    this.closed = true;
    this.abort.abort();
    if (this.subscriber) destroyClient(this.subscriber);
    if (this.primary) destroyClient(this.primary);
  }

  protected target(): RedisCommands {
    if (this.primary === null) throw new Error('redis primary not known yet: asking the sentinels');
    if (!this.confirmed && this.primary.isReady) {
      throw new Error(`redis at ${this.primaryAddress} is not the primary (yet): asking the sentinels`);
    }
    return this.primary as unknown as RedisCommands;
  }

  protected override commandFailed(err: Error): void {
    // A primary demoted under us (a failover we were not told of): find the new one.
    if (err.message.startsWith('READONLY')) {
      this.confirmed = false;
      this.poll();
    }
  }

  /** A short-lived or subscribing connection to one sentinel (no reconnects). */
  private sentinelClient(index: number): NodeClient {
    const node = this.config.sentinels[index];
    if (node === undefined) throw new Error(`no sentinel #${index}`);
    const client = createClient({
      ...credentialsFor(null, node),
      socket: {
        host: node.host,
        port: node.port,
        connectTimeout: SENTINEL_TIMEOUT_MS,
        reconnectStrategy: false,
        ...(this.config.tls ? { tls: true as const } : {}),
      },
    });
    client.on('error', () => undefined);
    return client;
  }

  /** The primary's address as the first sentinel that answers names it. */
  private async askSentinels(): Promise<RedisHostPort> {
    const count = this.config.sentinels.length;
    let lastError = 'no sentinel configured';
    for (let i = 0; i < count && !this.closed; i++) {
      const index = (this.preferred + i) % count;
      const node = this.config.sentinels[index];
      const client = this.sentinelClient(index);
      let timer: NodeJS.Timeout | undefined;
      try {
        await client.connect();
        const reply = await Promise.race([
          client.sendCommand(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.config.masterName]),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('no answer')), SENTINEL_TIMEOUT_MS);
          }),
        ]);
        if (!Array.isArray(reply) || reply.length < 2) {
          lastError = `sentinel ${node?.host}:${node?.port} knows no primary named "${this.config.masterName}"`;
          continue;
        }
        this.preferred = index;
        return { host: String(reply[0]), port: Number(reply[1]) };
      } catch (err) {
        lastError = `sentinel ${node?.host}:${node?.port}: ${asError(err).message}`;
      } finally {
        clearTimeout(timer);
        destroyClient(client);
      }
    }
    throw new Error(`no sentinel names the primary "${this.config.masterName}" (${lastError})`);
  }

  /** Asks the sentinels until the primary they name answers as one; one such loop at a time. */
  private poll(): void {
    if (this.polling || this.closed) return;
    this.polling = true;
    void (async () => {
      try {
        for (let attempt = 0; !this.closed && !this.isReady; attempt++) {
          try {
            this.follow(await this.askSentinels());
          } catch (err) {
            if (this.closed) return;
            this.failed(err);
          }
          // The first answer is acted on at once; a primary that is still connecting gets the pause.
          const maxMs = this.primary === null ? this.maxBackoffMs : SENTINEL_POLL_MAX_MS;
          await pause(backoffDelayMs(attempt, BACKOFF_BASE_MS, maxMs), this.abort.signal);
        }
      } finally {
        this.polling = false;
      }
    })();
  }

  /** Stays subscribed to `+switch-master` on one sentinel, moving on to the next when it fails. */
  private async watch(): Promise<void> {
    const count = this.config.sentinels.length;
    for (let attempt = 0, index = 0; !this.closed; index = (index + 1) % count) {
      const client = this.sentinelClient(index);
      this.subscriber = client;
      const ended = new Promise<void>((resolve) => {
        client.once('end', () => resolve());
        client.once('error', () => resolve());
      });
      try {
        await client.connect();
        // <name> <old ip> <old port> <new ip> <new port>
        await client.subscribe('+switch-master', (message: string) => {
          const [name, , , host, port] = message.split(' ');
          if (name !== this.config.masterName || host === undefined || port === undefined) return;
          this.options.log.info('sentinels switched the redis primary', { to: `${host}:${port}` });
          this.follow({ host, port: Number(port) });
        });
        attempt = 0;
        await Promise.race([
          ended,
          new Promise((resolve) => this.abort.signal.addEventListener('abort', resolve, { once: true })),
        ]);
      } catch {
        // Unreachable: the next sentinel, after a pause.
      } finally {
        destroyClient(client);
      }
      if (this.closed) return;
      await pause(backoffDelayMs(attempt++, BACKOFF_BASE_MS, this.maxBackoffMs), this.abort.signal);
    }
  }

  /** Points the connection at `address` (a no-op when it already is). */
  private follow(address: RedisHostPort): void {
    const key = `${address.host}:${address.port}`;
    if (this.closed) return;
    if (key === this.primaryAddress && this.primary !== null) {
      // Still the one they name: a replica then (ROLE said so) may be the master by now.
      if (this.primary.isReady && !this.confirmed) void this.confirm(this.primary, key);
      return;
    }
    const previous = this.primary;
    const from = this.primaryAddress;
    this.primaryAddress = key;
    this.confirmed = false;
    const client = createClient({
      ...credentialsFor(null, this.config),
      name: this.options.name,
      socket: {
        host: address.host,
        port: address.port,
        connectTimeout: CONNECT_TIMEOUT_MS,
        reconnectStrategy: reconnectStrategy(this.maxBackoffMs),
        ...(this.config.tls ? { tls: true as const } : {}),
      },
      disableOfflineQueue: true,
    });
    this.primary = client;
    client.on('error', (err: Error) => {
      if (client !== this.primary || this.closed) return;
      this.confirmed = false;
      this.failed(err, { node: key });
      this.poll();
    });
    client.on('ready', () => void this.confirm(client, key));
    client.connect().catch(() => undefined);
    if (previous) {
      destroyClient(previous);
      this.options.log.info('redis primary moved', { from, to: key });
    }
  }

  /** ROLE on a fresh connection: only a master is the primary (a stale answer names a replica). */
  private async confirm(client: NodeClient, key: string): Promise<void> {
    let role: unknown;
    try {
      role = ((await client.sendCommand(['ROLE'])) as unknown[])[0];
    } catch {
      return; // The connection failed again: its error listener has it.
    }
    if (client !== this.primary || this.closed) return;
    if (role !== 'master') {
      if (!this.wrongRoleLogged) {
        this.wrongRoleLogged = true;
        this.options.log.warn('the sentinels named a redis that is not a master; asking again', {
          node: key,
          role: String(role),
        });
      }
      this.poll();
      return;
    }
    this.wrongRoleLogged = false;
    this.confirmed = true;
    this.recovered();
    this.firstReady?.();
    this.firstReady = null;
  }
}
