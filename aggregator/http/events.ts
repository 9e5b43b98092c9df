/**
 * `GET /api/v1/events`: the report as server-sent events, one `event: report` per reconcile,
 * for the dashboard. Each frame reuses the store's once-per-report serialization, so a hundred
 * watchers cost a hundred socket writes, not a hundred JSON.stringify calls of the fleet.
 */
import type { Request, Response } from 'express';
import type { Logger } from '../../shared/logger';
import type { PublishedReport, ReportStore } from '../report-store';

export const EVENTS_DEFAULTS = Object.freeze({
  // Each watcher holds a socket and gets every report; a dashboard needs few, a leak must not
  // exhaust file descriptors.
  maxClients: 100,
  // Proxies and load balancers commonly drop a connection idle for 30–60 s.
  heartbeatMs: 15_000,
  // Above this, a frame carries summary and components only; the page fetches the instance list
  // itself when it needs it (a 10k fleet is megabytes per reconcile per watcher otherwise).
  maxInlineInstances: 500,
  // What EventSource waits before reconnecting after the stream ends.
  retryMs: 3_000,
});

export interface ReportEventStreamOptions {
  readonly store: ReportStore;
  readonly log: Logger;
  readonly maxClients?: number;
  readonly heartbeatMs?: number;
  readonly maxInlineInstances?: number;
  readonly retryMs?: number;
}

const FRAME_START = Buffer.from('event: report\ndata: ');
const FRAME_END = Buffer.from('\n\n');

interface Client {
  readonly res: Response;
  unsubscribe: () => void;
  /** The newest report not yet written because the socket is backed up (older ones are dropped). */
  pending: PublishedReport | null;
  waitingForDrain: boolean;
}

/** The SSE endpoint: bounded watchers, a heartbeat comment, latest-wins under backpressure. */
export class ReportEventStream {
  private readonly clients = new Set<Client>();
  private readonly maxClients: number;
  private readonly heartbeatMs: number;
  private readonly maxInlineInstances: number;
  private readonly retryMs: number;
  private heartbeat: NodeJS.Timeout | null = null;
  private closed = false;
  private skipped = 0;
  private refusing = false;
  private lastFrame: { readonly published: PublishedReport; readonly bytes: Buffer } | null = null;

  constructor(private readonly options: ReportEventStreamOptions) {
    this.maxClients = options.maxClients ?? EVENTS_DEFAULTS.maxClients;
    this.heartbeatMs = options.heartbeatMs ?? EVENTS_DEFAULTS.heartbeatMs;
    this.maxInlineInstances = options.maxInlineInstances ?? EVENTS_DEFAULTS.maxInlineInstances;
    this.retryMs = options.retryMs ?? EVENTS_DEFAULTS.retryMs;
  }

  /** How many streams are open. */
  get clientCount(): number {
    return this.clients.size;
  }

  /** Reports not written to a slow watcher because a newer one replaced them. */
  get skippedReports(): number {
    return this.skipped;
  }

  /** The express handler for GET /api/v1/events. */
  readonly handle = (req: Request, res: Response): void => {
    if (this.closed) {
      res.status(503).json({ error: 'shutting down' });
      return;
    }
    if (this.clients.size >= this.maxClients) {
      if (!this.refusing) {
        // Once per episode, not per refused request: a reconnect storm must not flood the log.
        this.options.log.warn('event streams at capacity; refusing new watchers', {
          max_clients: this.maxClients,
        });
        this.refusing = true;
      }
      res.setHeader('Retry-After', '30');
      res.status(503).json({ error: `too many event streams (${this.maxClients}); try again later` });
      return;
    }
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    // nginx and proxies that follow its convention would otherwise buffer the stream.
    res.setHeader('X-Accel-Buffering', 'no');
    req.socket.setNoDelay(true);
    req.socket.setKeepAlive(true);
    res.flushHeaders();
    res.write(`retry: ${this.retryMs}\n\n`);

    const client: Client = { res, unsubscribe: () => undefined, pending: null, waitingForDrain: false };
    this.clients.add(client);
    client.unsubscribe = this.options.store.subscribe((published) => this.send(client, published));
    const current = this.options.store.current();
    if (current) this.send(client, current);
    else res.write(': waiting for the first reconciliation\n\n');
    this.startHeartbeat();

    // 'close' fires on the response once the connection ends, whoever ended it.
    res.once('close', () => this.drop(client));
  };

  /** Ends every stream and refuses new ones. Idempotent. */
  close(): void {
    this.closed = true;
    for (const client of [...this.clients]) {
      this.drop(client);
      client.res.end();
    }
  }

  /** The frame of a report, built once and written to every watcher. */
  private frame(published: PublishedReport): Buffer {
    if (this.lastFrame?.published === published) return this.lastFrame.bytes;
    // The count comes from the components: a large fleet's list is not built to be left out.
    const inline = published.instanceCount <= this.maxInlineInstances;
    const body = inline ? published.full().body : published.withoutInstances().body;
    // JSON.stringify never emits a raw newline, so the body is one `data:` line.
    const bytes = Buffer.concat([FRAME_START, body, FRAME_END]);
    this.lastFrame = { published, bytes };
    return bytes;
  }

  private send(client: Client, published: PublishedReport): void {
    if (client.waitingForDrain) {
      if (client.pending) this.skipped += 1;
      client.pending = published;
      return;
    }
    if (client.res.write(this.frame(published))) return;
    client.waitingForDrain = true;
    client.res.once('drain', () => {
      client.waitingForDrain = false;
      const next = client.pending;
      client.pending = null;
      if (next && this.clients.has(client)) this.send(client, next);
    });
  }

  private drop(client: Client): void {
    if (!this.clients.delete(client)) return;
    this.refusing = false;
    client.unsubscribe();
    client.pending = null;
    if (this.clients.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = null;
    }
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      for (const client of this.clients) {
        // A comment line: ignored by EventSource, but it keeps proxies from closing the stream.
        if (!client.waitingForDrain) client.res.write(': keep-alive\n\n');
      }
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }
}
