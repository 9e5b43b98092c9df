/**
 * Heartbeats POSTed to the aggregator (`POST /api/v1/heartbeats`): the embedded default when
 * there is no Redis, and the fallback while Redis fails. One kept-alive connection carries them.
 */
import type { Agent } from 'undici';
import type { Heartbeat } from '../../shared/heartbeat';
import { serializeHeartbeat } from '../../shared/heartbeat-wire';
import type { HeartbeatTransport } from './transport';

/** The aggregator's ingest endpoint (DESIGN.md contract), relative to AGGREGATOR_URL. */
export const HEARTBEATS_PATH = '/api/v1/heartbeats';

/** The aggregator answered, but not with 2xx. */
export class HttpSendError extends Error {
  constructor(readonly status: number) {
    super(`aggregator answered HTTP ${status}`);
    this.name = 'HttpSendError';
  }
}

/** AGGREGATOR_URL, its credentials, and the bound on one POST. */
export interface HttpTransportOptions {
  /** AGGREGATOR_URL; credentials in it become a Basic Authorization header. */
  readonly aggregatorUrl: string;
  /** Sent as `Authorization: Bearer <token>` (AGGREGATOR_API_TOKEN). */
  readonly token?: string | null;
  readonly timeoutMs: number;
}

/** POSTs each heartbeat as JSON; non-2xx and timeouts are failures. */
export class HttpTransport implements HeartbeatTransport {
  readonly name = 'http' as const;
  private readonly endpoint: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  // Created on the first send: as the fallback beside Redis this transport usually never sends,
  // and loading undici costs ~20 MB of resident memory in a sidecar that should stay small.
  private undici: Promise<{ dispatcher: Agent; request: typeof import('undici').request }> | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: HttpTransportOptions) {
    const url = new URL(options.aggregatorUrl);
    this.headers = { 'content-type': 'application/json', 'user-agent': 'replica-watch-agent' };
    if (options.token) {
      this.headers.authorization = `Bearer ${options.token}`;
    } else if (url.username !== '' || url.password !== '') {
      const user = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      this.headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    }
    url.username = '';
    url.password = '';
    this.endpoint = `${url.origin}${url.pathname.replace(/\/+$/, '')}${HEARTBEATS_PATH}`;
    this.timeoutMs = options.timeoutMs;
  }

  private client(): Promise<{ dispatcher: Agent; request: typeof import('undici').request }> {
    this.undici ??= import('undici').then(({ Agent: UndiciAgent, request }) => ({
      dispatcher: new UndiciAgent({
        // One heartbeat per interval: one connection is plenty, and it is kept alive between them.
        connections: 1,
        keepAliveTimeout: 60_000,
        connectTimeout: this.timeoutMs,
      }),
      request,
    }));
    return this.undici;
  }

  async send(heartbeat: Heartbeat): Promise<void> {
    if (this.closing) throw new Error('http transport is closed');
    const { dispatcher, request } = await this.client();
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(this.endpoint, {
        method: 'POST',
        dispatcher,
        headers: this.headers,
        body: serializeHeartbeat(heartbeat),
        signal: timeout,
      });
    } catch (err) {
      if (timeout.aborted) throw new Error(`aggregator did not answer within ${this.timeoutMs} ms`);
      throw err;
    }
    await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    if (response.statusCode < 200 || response.statusCode >= 300) throw new HttpSendError(response.statusCode);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.undici === undefined) return;
      const { dispatcher } = await this.undici;
      await dispatcher.close().catch(() => dispatcher.destroy());
    })();
    return this.closing;
  }
}
