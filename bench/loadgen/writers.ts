/**
 * Where the load generator writes heartbeats, the two ways real agents do: the Redis path (one
 * atomic Lua call per heartbeat, shared/redis-scripts.ts: EVALSHA, EVAL once on NOSCRIPT) or
 * HTTP ingest (POST /api/v1/heartbeats, one heartbeat per request as agents send them, or
 * `batch` of them per request as a JSON array). Many writes are in flight at once, pipelined
 * over a few connections.
 */
import { ErrorReply } from 'redis';
import { Pool } from 'undici';
import type { Heartbeat } from '../../shared/heartbeat';
import { hashTagOf } from '../../shared/lua-script';
import { silentLogger } from '../../shared/logger';
import type { RedisConnection } from '../../shared/redis-client';
import { closeQuietly, connectOrFail, createRedisClient } from '../../shared/redis-client';
import type { RedisEngine } from '../../shared/redis-engine';
import { bulk, endpointOf, RespPipeline, RespReplyError } from './resp-pipeline';
import type { CallTemplate } from './script-call';
import { callOf, callTemplateOf, scriptSourceOf } from './script-call';

/** What a writer has sent and how it was answered (HTTP batches count their items). */
export interface WriterStats {
  /** Round trips: script calls, or HTTP requests. */
  readonly requests: number;
  /** Heartbeats acknowledged. */
  readonly accepted: number;
  /** Heartbeats refused by the other side (an item's 4xx in a batch answer, a non-2xx answer). */
  readonly rejected: number;
}

export interface HeartbeatWriter {
  /** `redis` or `http`, for the progress line. */
  readonly kind: string;
  /** Resolves once the heartbeat is acknowledged; rejects when it was refused or not sent. */
  write(heartbeat: Heartbeat, json: string): Promise<void>;
  /** Counts so far (optional: a wrapper may leave it out). */
  stats?(): WriterStats;
  /** Idempotent. */
  close(): Promise<void>;
}

/** The most heartbeats one batch may carry: the aggregator's limit for a JSON array body. */
export const MAX_BATCH = 1000;

/** A template's cache key: everything of a heartbeat its script call may depend on but the id and JSON. */
function templateKey(heartbeat: Heartbeat): string {
  return `${heartbeat.app}\n${heartbeat.type}\n${heartbeat.ttl_ms}`;
}

/** Throws unless every key of the template's calls shares one hash tag (as runLua requires). */
function checkOneSlot(template: CallTemplate): void {
  const { keys } = callOf(template, 'instance', '');
  const tags = new Set(keys.map(hashTagOf));
  if (tags.size > 1) throw new Error(`a script's keys must share one hash tag, got ${[...tags].join(', ')}`);
}

/**
 * Writes through Redis (any engine: one server, a cluster, a Sentinel primary) over `connections`
 * connections, round robin, each pipelining what is in flight. One server (REDIS_URL) is written
 * with bare pipelined connections (./resp-pipeline.ts: why); a cluster or Sentinel through the
 * agents' own connections (shared/redis-client.ts), which route and follow failovers.
 */
export async function createRedisWriter(
  engine: RedisEngine,
  connections: number,
  options: {
    /** Through the agents' connections even on one server (to compare the two clients). */
    readonly agentClient?: boolean;
  } = {},
): Promise<HeartbeatWriter> {
  return engine.kind === 'server' && !options.agentClient
    ? createPipelinedWriter(engine, connections)
    : createClientWriter(engine, connections);
}

/** One (app, type, TTL)'s call, RESP-encoded but for the id and the JSON. */
interface RespCall {
  readonly template: CallTemplate;
  /** `*<n>\r\n$7\r\nEVALSHA\r\n$40\r\n<sha>\r\n$<k>\r\n<numkeys>\r\n` */
  readonly evalShaHead: string;
  /** EVAL's head for the NOSCRIPT fallback, once the source is known. */
  evalHead: Promise<string> | null;
  /** The keys and arguments: encoded runs of fixed ones, and the places of the id and the JSON. */
  readonly segments: readonly (
    | { readonly kind: 'text'; readonly text: string }
    | { readonly kind: 'id'; readonly around: readonly string[]; readonly fixedBytes: number }
    | { readonly kind: 'json' }
  )[];
}

function respCallOf(template: CallTemplate): RespCall {
  const segments: RespCall['segments'][number][] = [];
  for (const piece of template.pieces) {
    const last = segments[segments.length - 1];
    if (piece.kind === 'text') {
      if (last?.kind === 'text')
        segments[segments.length - 1] = { kind: 'text', text: last.text + bulk(piece.text) };
      else segments.push({ kind: 'text', text: bulk(piece.text) });
    } else if (piece.kind === 'id') {
      const fixedBytes = piece.around.reduce((sum, part) => sum + Buffer.byteLength(part), 0);
      segments.push({ kind: 'id', around: piece.around, fixedBytes });
    } else {
      segments.push({ kind: 'json' });
    }
  }
  const count = 3 + template.pieces.length;
  return {
    template,
    evalShaHead: `*${count}\r\n$7\r\nEVALSHA\r\n${bulk(template.sha1)}${bulk(String(template.numKeys))}`,
    evalHead: null,
    segments,
  };
}

/** The keys and arguments of one call as RESP, after the head. */
function encodeBody(call: RespCall, instanceId: string, json: string): string {
  let text = '';
  let idBytes = -1;
  for (const segment of call.segments) {
    if (segment.kind === 'text') {
      text += segment.text;
    } else if (segment.kind === 'json') {
      text += `$${Buffer.byteLength(json)}\r\n${json}\r\n`;
    } else {
      if (idBytes < 0) idBytes = Buffer.byteLength(instanceId);
      const value =
        segment.around.length === 2
          ? segment.around[0] + instanceId + segment.around[1]
          : segment.around.join(instanceId);
      text += `$${segment.fixedBytes + idBytes * (segment.around.length - 1)}\r\n${value}\r\n`;
    }
  }
  return text;
}

async function createPipelinedWriter(
  engine: Extract<RedisEngine, { kind: 'server' }>,
  connections: number,
): Promise<HeartbeatWriter> {
  const endpoint = endpointOf(engine.url, engine, 'replica-watch-loadgen');
  const opened = await Promise.allSettled(
    Array.from({ length: connections }, () => RespPipeline.open(endpoint)),
  );
  const pipelines = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const failed = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) {
    await Promise.allSettled(pipelines.map((p) => p.close()));
    throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
  }
  const calls = new Map<string, RespCall>();
  // The last one used: a fleet's heartbeats of one app come in runs, so no key is built for them.
  let last: { app: string; type: string; ttl: number; call: RespCall } | null = null;
  const callFor = (heartbeat: Heartbeat): RespCall => {
    if (last?.app === heartbeat.app && last.type === heartbeat.type && last.ttl === heartbeat.ttl_ms)
      return last.call;
    const key = templateKey(heartbeat);
    let call = calls.get(key);
    if (call === undefined) {
      const template = callTemplateOf(heartbeat);
      checkOneSlot(template);
      call = respCallOf(template);
      calls.set(key, call);
    }
    last = { app: heartbeat.app, type: heartbeat.type, ttl: heartbeat.ttl_ms, call };
    return call;
  };
  const evalHeadOf = (call: RespCall, heartbeat: Heartbeat, json: string): Promise<string> =>
    (call.evalHead ??= scriptSourceOf(heartbeat, json).then(
      (source) =>
        `*${3 + call.template.pieces.length}\r\n$4\r\nEVAL\r\n${bulk(source)}${bulk(String(call.template.numKeys))}`,
    ));
  let next = 0;
  let requests = 0;
  let accepted = 0;
  let rejected = 0;
  let closing: Promise<void> | undefined;
  return {
    kind: 'redis',
    write(heartbeat, json) {
      let call: RespCall;
      try {
        call = callFor(heartbeat);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      const pipeline = pipelines[next++ % pipelines.length] as RespPipeline;
      const body = encodeBody(call, heartbeat.instance_id, json);
      requests++;
      return new Promise<void>((resolve, reject) => {
        const done = (err: Error | null) => {
          if (err === null) {
            accepted++;
            resolve();
          } else {
            if (err instanceof RespReplyError) rejected++;
            reject(err);
          }
        };
        pipeline.send(call.evalShaHead + body, (err) => {
          if (err === null || !(err instanceof RespReplyError) || !err.message.startsWith('NOSCRIPT')) {
            done(err);
            return;
          }
          // A fresh or restarted server: the source once, as runLua does; it caches it for the rest.
          requests++;
          evalHeadOf(call, heartbeat, json).then(
            (head) => pipeline.send(head + body, done),
            (sourceErr: unknown) =>
              done(sourceErr instanceof Error ? sourceErr : new Error(String(sourceErr))),
          );
        });
      });
    },
    stats: () => ({ requests, accepted, rejected }),
    close() {
      closing ??= Promise.allSettled(pipelines.map((p) => p.close())).then(() => undefined);
      return closing;
    },
  };
}

async function createClientWriter(engine: RedisEngine, connections: number): Promise<HeartbeatWriter> {
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
  const templates = new Map<string, { template: CallTemplate; source: Promise<string> | null }>();
  let next = 0;
  let requests = 0;
  let accepted = 0;
  let rejected = 0;
  let closing: Promise<void> | undefined;
  const send = async (heartbeat: Heartbeat, json: string): Promise<void> => {
    const key = templateKey(heartbeat);
    let entry = templates.get(key);
    if (entry === undefined) {
      const template = callTemplateOf(heartbeat);
      checkOneSlot(template);
      entry = { template, source: null };
      templates.set(key, entry);
    }
    const client = clients[next++ % clients.length] as RedisConnection;
    const options = callOf(entry.template, heartbeat.instance_id, json);
    requests++;
    try {
      await client.evalSha(entry.template.sha1, options);
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      requests++;
      entry.source ??= scriptSourceOf(heartbeat, json);
      await client.eval(await entry.source, options);
    }
  };
  return {
    kind: 'redis',
    write: (heartbeat, json) =>
      send(heartbeat, json).then(
        () => {
          accepted++;
        },
        (err: unknown) => {
          // A reply of the server's, not a lost or refused connection.
          if (err instanceof ErrorReply) rejected++;
          throw err;
        },
      ),
    stats: () => ({ requests, accepted, rejected }),
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

/** One item's answer in a batch answer (the aggregator's batch form of POST /api/v1/heartbeats). */
interface BatchItemResult {
  readonly index: number;
  readonly status: number;
  readonly error?: unknown;
}

/** Where and how createHttpWriter posts. */
export interface HttpWriterOptions {
  /** `<aggregatorUrl>/api/v1/heartbeats` is posted to. */
  readonly aggregatorUrl: string;
  /** Keep-alive sockets of the pool. */
  readonly connections: number;
  /** AGGREGATOR_API_TOKEN: sent as a bearer token. */
  readonly token: string | null;
  /**
   * Heartbeats per POST (1-MAX_BATCH). 1: each one alone, as agents send them (answered 202);
   * more: a JSON array (answered 200 with a result per item).
   */
  readonly batch?: number;
}

interface PendingItem {
  readonly json: string;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/**
 * POSTs to `<aggregatorUrl>/api/v1/heartbeats` over a keep-alive pool of `connections`; with
 * `batch` > 1, the heartbeats written in one turn of the event loop go out `batch` to a request.
 */
export function createHttpWriter(options: HttpWriterOptions): HeartbeatWriter {
  const batch = options.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_BATCH)
    throw new Error(`batch must be from 1 to ${MAX_BATCH}, got ${batch}`);
  const url = new URL(options.aggregatorUrl);
  const path = `${url.pathname.replace(/\/+$/, '')}/api/v1/heartbeats`;
  const pool = new Pool(url.origin, {
    connections: options.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'replica-watch-loadgen',
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let requests = 0;
  let accepted = 0;
  let rejected = 0;
  let closing: Promise<void> | undefined;

  const post = async (body: string): Promise<{ status: number; text: string }> => {
    requests++;
    const response = await pool.request({
      method: 'POST',
      path,
      headers,
      body,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    return { status: response.statusCode, text: await response.body.text() };
  };

  const single = async (json: string): Promise<void> => {
    const { status, text } = await post(json);
    if (status < 200 || status >= 300) {
      if (status < 500) rejected++;
      throw new IngestRefused(status, text);
    }
    accepted++;
  };

  let pending: PendingItem[] = [];
  let flushScheduled = false;
  const sendBatch = async (items: PendingItem[]): Promise<void> => {
    let answer: { status: number; text: string };
    try {
      answer = await post(`[${items.map((i) => i.json).join(',')}]`);
    } catch (err) {
      for (const item of items) item.reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (answer.status < 200 || answer.status >= 300) {
      const err = new IngestRefused(answer.status, answer.text);
      if (answer.status < 500) rejected += items.length;
      for (const item of items) item.reject(err);
      return;
    }
    let results: BatchItemResult[] | null = null;
    try {
      const parsed = JSON.parse(answer.text) as { results?: unknown };
      if (Array.isArray(parsed.results)) results = parsed.results as BatchItemResult[];
    } catch {
      // Not the batch answer: every item is then unaccounted for (below).
    }
    const byIndex = new Array<BatchItemResult | undefined>(items.length);
    for (const result of results ?? []) {
      if (Number.isInteger(result?.index) && result.index >= 0 && result.index < items.length)
        byIndex[result.index] = result;
    }
    items.forEach((item, index) => {
      const result = byIndex[index];
      if (result !== undefined && result.status >= 200 && result.status < 300) {
        accepted++;
        item.resolve();
      } else if (result !== undefined) {
        rejected++;
        item.reject(new IngestRefused(result.status, JSON.stringify(result.error ?? null)));
      } else {
        item.reject(new Error(`the batch answer (HTTP ${answer.status}) has no result for item ${index}`));
      }
    });
  };
  const flush = () => {
    flushScheduled = false;
    const items = pending;
    pending = [];
    for (let i = 0; i < items.length; i += batch) void sendBatch(items.slice(i, i + batch));
  };

  return {
    kind: batch > 1 ? `http (batches of ${batch})` : 'http',
    write(_heartbeat, json) {
      if (batch === 1) return single(json);
      return new Promise<void>((resolve, reject) => {
        pending.push({ json, resolve, reject });
        if (pending.length >= batch) {
          const items = pending;
          pending = [];
          void sendBatch(items);
        } else if (!flushScheduled) {
          // What the turn wrote goes out at its end, whatever its size: no item waits for more.
          flushScheduled = true;
          setImmediate(flush);
        }
      });
    },
    stats: () => ({ requests, accepted, rejected }),
    close() {
      closing ??= pool.close().catch(() => pool.destroy());
      return closing;
    },
  };
}
