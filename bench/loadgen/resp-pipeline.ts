/**
 * A bare pipelined RESP2 connection to one Redis server, for the load generator's Redis path
 * only: it sends commands the caller has already encoded, all that are queued in one turn of the
 * event loop in one socket write, and hands the replies back in order. It is what
 * `redis-benchmark` is on the client side, so that the two are compared on the server's work.
 *
 * Why not node-redis (shared/redis-client.ts, which the agents use): profiled at ~22k
 * heartbeats/s on one core, a third of the load generator's CPU went to node-redis' per-command
 * machinery (an AbortSignal.timeout timer per command, its queue nodes, argument encoding) and
 * the garbage they leave (GC 31%); at the rates redis-benchmark reaches that is a whole core,
 * which on a small machine is taken from the Redis being measured. Agents send one heartbeat per
 * interval and keep node-redis.
 *
 * Fails fast like the agents' connections: while the socket is down, sends fail at once; it
 * reconnects in the background with capped backoff until closed.
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { backoffDelayMs } from '../../shared/retry';

/** A reply as RESP2 gives it: strings (simple and bulk), integers, null, arrays. */
export type RespValue = string | number | null | RespValue[];

/** An error reply (`-ERR …`, `-NOSCRIPT …`); the connection stays usable. */
export class RespReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespReplyError';
  }
}

/** Called once per command: with its reply, or with a RespReplyError, or a connection error. */
export type ReplyCallback = (err: Error | null, reply: RespValue) => void;

export interface RespEndpoint {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** AUTH: username null for the default user; password null for none. */
  readonly username: string | null;
  readonly password: string | null;
  /** SELECT, when not 0. */
  readonly db: number;
  /** CLIENT SETNAME. */
  readonly name: string;
}

/** The endpoint a redis:// or rediss:// URL names (credentials in it win over the fallback ones). */
export function endpointOf(
  url: string,
  fallback: { readonly username: string | null; readonly password: string | null },
  name: string,
): RespEndpoint {
  const parsed = new URL(url);
  const decoded = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  const db = parsed.pathname.replace(/^\/+/, '');
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: Number(parsed.port || 6379),
    tls: parsed.protocol === 'rediss:',
    username: parsed.username !== '' ? decoded(parsed.username) : fallback.username,
    password: parsed.password !== '' ? decoded(parsed.password) : fallback.password,
    db: /^\d+$/.test(db) ? Number(db) : 0,
    name,
  };
}

/** One RESP2 bulk string. */
export function bulk(text: string): string {
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
}

/** A whole command of bulk strings. */
export function command(...args: string[]): string {
  return `*${args.length}\r\n${args.map(bulk).join('')}`;
}

const CONNECT_TIMEOUT_MS = 5_000;
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 2_000;
/**
 * Past this much unsent text the pending commands are written at once, not at the turn's end.
 * Small enough that the text, flattened for the write, stays in V8's young generation (objects
 * past ~128 KB go to the large-object space, which only a full GC frees: profiled, that was
 * most of the load generator's GC time), large enough for ~60 heartbeats per write.
 */
const FLUSH_AT_CHARS = 56 * 1024;
const INCOMPLETE = Symbol('incomplete');
type Parsed = { value: RespValue | RespReplyError; end: number } | typeof INCOMPLETE;

/** Parses one reply at `offset`; INCOMPLETE when the buffer ends before it does. */
function parseReply(buffer: Buffer, offset: number): Parsed {
  if (offset >= buffer.length) return INCOMPLETE;
  const lineEnd = buffer.indexOf(13, offset + 1); // '\r'
  if (lineEnd < 0 || lineEnd + 1 >= buffer.length) return INCOMPLETE;
  const type = buffer[offset];
  const line = buffer.toString('latin1', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case 0x3a: // ':'
      return { value: Number(line), end: next };
    case 0x2b: // '+'
      return { value: buffer.toString('utf8', offset + 1, lineEnd), end: next };
    case 0x2d: // '-'
      return { value: new RespReplyError(buffer.toString('utf8', offset + 1, lineEnd)), end: next };
    case 0x24: {
      // '$'
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (next + length + 2 > buffer.length) return INCOMPLETE;
      return { value: buffer.toString('utf8', next, next + length), end: next + length + 2 };
    }
    case 0x2a: {
      // '*'
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, at);
        if (item === INCOMPLETE) return INCOMPLETE;
        // An error inside an array (EXEC) is kept as its text: this client sends no MULTI.
        items.push(item.value instanceof RespReplyError ? item.value.message : item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`not a RESP2 reply (type byte ${type})`);
  }
}

/** A FIFO of reply callbacks that does not shift an array on every reply. */
class CallbackQueue {
  private items: (ReplyCallback | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(callback: ReplyCallback): void {
    this.items.push(callback);
  }

  shift(): ReplyCallback | undefined {
    if (this.head >= this.items.length) return undefined;
    const callback = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return callback;
  }

  drain(): ReplyCallback[] {
    const rest = this.items.slice(this.head) as ReplyCallback[];
    this.items = [];
    this.head = 0;
    return rest;
  }
}

/** See the module comment. Open one with `RespPipeline.open`. */
export class RespPipeline {
  private socket: Socket | null = null;
  private readonly waiting = new CallbackQueue();
  private unsent = '';
  private unsentCallbacks: ReplyCallback[] = [];
  private flushScheduled = false;
  private leftover: Buffer | null = null;
  private closing: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempts = 0;
  /** Ready once: from then on a lost connection is re-opened in the background. */
  private opened = false;

  private constructor(private readonly endpoint: RespEndpoint) {}

  /** Connects (AUTH, SELECT, CLIENT SETNAME) and resolves when ready; rejects on the first failure. */
  static async open(endpoint: RespEndpoint): Promise<RespPipeline> {
    const pipeline = new RespPipeline(endpoint);
    await pipeline.connect();
    return pipeline;
  }

  /** Commands sent and not yet answered, plus those queued for this turn's write. */
  get inFlight(): number {
    return this.waiting.length + this.unsentCallbacks.length;
  }

  get isReady(): boolean {
    return this.socket !== null && this.closing === undefined;
  }

  /** Queues an encoded command (see `command`); `callback` gets its reply. */
  send(encoded: string, callback: ReplyCallback): void {
    if (this.socket === null || this.closing !== undefined) {
      callback(new Error(this.closing ? 'redis connection is closed' : 'redis connection is down'), null);
      return;
    }
    this.unsent += encoded;
    this.unsentCallbacks.push(callback);
    if (this.unsent.length >= FLUSH_AT_CHARS) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Sends one command and resolves with its reply (rejects with a RespReplyError or connection error). */
  call(encoded: string): Promise<RespValue> {
    return new Promise((resolve, reject) =>
      this.send(encoded, (err, reply) => (err ? reject(err) : resolve(reply))),
    );
  }

  /** Waits for the replies under way, then closes. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.flush();
      const socket = this.socket;
      if (socket === null) return;
      if (this.waiting.length > 0) {
        await new Promise<void>((resolve) => {
          const check = () => {
            if (this.waiting.length === 0 || this.socket === null) resolve();
            else setTimeout(check, 5);
          };
          check();
        });
      }
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.end();
        setTimeout(() => socket.destroy(), 1_000).unref();
      });
    })();
    return this.closing;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.unsentCallbacks.length === 0) return;
    const text = this.unsent;
    const callbacks = this.unsentCallbacks;
    this.unsent = '';
    this.unsentCallbacks = [];
    const socket = this.socket;
    if (socket === null) {
      const err = new Error('redis connection is down');
      for (const callback of callbacks) callback(err, null);
      return;
    }
    for (const callback of callbacks) this.waiting.push(callback);
    socket.write(text);
  }

  private connect(): Promise<void> {
    const { endpoint } = this;
    return new Promise<void>((resolve, reject) => {
      const socket = endpoint.tls
        ? tlsConnect({
            host: endpoint.host,
            port: endpoint.port,
            // SNI takes host names only (RFC 6066).
            ...(isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {}),
          })
        : netConnect({ host: endpoint.host, port: endpoint.port });
      socket.setNoDelay(true);
      socket.setTimeout(CONNECT_TIMEOUT_MS);
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        if (this.socket === socket) {
          this.socket = null;
          for (const callback of this.waiting.drain()) callback(err, null);
        }
        socket.destroy();
        reject(err);
      };
      socket.once('timeout', () =>
        fail(new Error(`connecting to redis timed out after ${CONNECT_TIMEOUT_MS} ms`)),
      );
      socket.once('error', fail);
      socket.once(endpoint.tls ? 'secureConnect' : 'connect', () => {
        socket.setTimeout(0);
        if (this.closing !== undefined) {
          fail(new Error('redis connection is closed'));
          return;
        }
        this.socket = socket;
        this.leftover = null;
        socket.on('data', (chunk: Buffer) => {
          try {
            this.onData(chunk);
          } catch (err) {
            // Not RESP2 (not a Redis server, or a RESP3 reply): the replies can no longer be paired.
            socket.destroy(err instanceof Error ? err : new Error(String(err)));
          }
        });
        socket.on('error', () => undefined);
        socket.once('close', () => this.onClose(socket));
        const setup: Promise<RespValue>[] = [];
        if (endpoint.password !== null) {
          setup.push(
            this.call(
              endpoint.username === null
                ? command('AUTH', endpoint.password)
                : command('AUTH', endpoint.username, endpoint.password),
            ),
          );
        }
        if (endpoint.db !== 0) setup.push(this.call(command('SELECT', String(endpoint.db))));
        setup.push(this.call(command('CLIENT', 'SETNAME', endpoint.name)));
        Promise.all(setup).then(
          () => {
            settled = true;
            this.attempts = 0;
            this.opened = true;
            resolve();
          },
          (err: unknown) => fail(err instanceof Error ? err : new Error(String(err))),
        );
      });
    });
  }

  private onData(chunk: Buffer): void {
    let buffer = this.leftover === null ? chunk : Buffer.concat([this.leftover, chunk]);
    let offset = 0;
    for (;;) {
      const parsed = parseReply(buffer, offset);
      if (parsed === INCOMPLETE) break;
      offset = parsed.end;
      const callback = this.waiting.shift();
      if (parsed.value instanceof RespReplyError) callback?.(parsed.value, null);
      else callback?.(null, parsed.value);
    }
    if (offset < buffer.length) {
      buffer = buffer.subarray(offset);
      // A copy: the socket's chunk is not ours to keep.
      this.leftover = Buffer.from(buffer);
    } else {
      this.leftover = null;
    }
  }

  private onClose(socket: Socket): void {
    if (this.socket !== socket) return;
    this.socket = null;
    const err = new Error('redis connection lost');
    for (const callback of this.waiting.drain()) callback(err, null);
    if (this.closing === undefined && this.opened) this.reconnectLater();
  }

  private reconnectLater(): void {
    const delay = backoffDelayMs(this.attempts++, BACKOFF_BASE_MS, BACKOFF_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.closing !== undefined) return;
      this.connect().catch(() => this.reconnectLater());
    }, delay);
    this.retryTimer.unref();
  }
}
