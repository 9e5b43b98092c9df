/**
 * The app spec as raw JSON, for the whole-spec update of `replica-watch fix scale`: GET
 * /v2/apps/{id} keeping every field, and PUT /v2/apps/{id} with the whole spec. The
 * DigitalOcean client's typed getApp() keeps only the fields replica-watch reads (its schemas
 * strip the rest), so a spec that went through it and back would delete env vars, routes,
 * sizes… This reads and writes the spec untouched.
 *
 * Failures are classified like the client's: a GET is retried (shared withRetry) on network
 * errors, timeouts, 5xx and 429; a PUT never is, since it may have been applied.
 */
import { Pool } from 'undici';
import type { RetryPolicy } from '../../shared/retry';
import { RetryableError, withRetry } from '../../shared/retry';

export interface AppSpecApiOptions {
  readonly baseUrl: string;
  readonly token: string;
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
}

const DEFAULTS = Object.freeze({
  timeoutMs: 10_000,
  retry: Object.freeze({ attempts: 3, baseDelayMs: 500, maxDelayMs: 10_000 }),
});
const MAX_ERROR_TEXT = 200;

export class AppSpecApi {
  private readonly basePath: string;
  private readonly pool: Pool;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: AppSpecApiOptions) {
    const url = new URL(options.baseUrl);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, { connections: 1 });
  }

  /** Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.pool.destroy().catch(() => undefined);
    return this.closing;
  }

  /** The app's spec exactly as the API returns it. */
  async getSpec(appId: string): Promise<Record<string, unknown>> {
    const body = await withRetry(() => this.send('GET', appId), this.options.retry ?? DEFAULTS.retry);
    const spec = (body as { app?: { spec?: unknown } }).app?.spec;
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
      throw new Error('GET /v2/apps/{id}: the response has no app.spec object');
    }
    return spec as Record<string, unknown>;
  }

  /** Sends the whole spec; resolves with the id of the deployment the update started, if the answer names one. */
  async putSpec(appId: string, spec: Record<string, unknown>): Promise<{ deploymentId: string | null }> {
    const body = (await this.send('PUT', appId, { spec })) as {
      app?: Record<string, { id?: unknown } | undefined>;
    };
    const app = body.app ?? {};
    const deployment = app.pending_deployment ?? app.in_progress_deployment;
    return { deploymentId: typeof deployment?.id === 'string' ? deployment.id : null };
  }

  private async send(method: 'GET' | 'PUT', appId: string, body?: unknown): Promise<unknown> {
    const endpoint = `${method} /v2/apps/{id}`;
    let status: number;
    let text: string;
    let retryAfter: string | string[] | undefined;
    try {
      const response = await this.pool.request({
        path: `${this.basePath}/v2/apps/${encodeURIComponent(appId)}`,
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULTS.timeoutMs),
      });
      status = response.statusCode;
      retryAfter = response.headers['retry-after'];
      text = await response.body.text();
    } catch (err) {
      const what = `${endpoint}: no answer (${this.scrub(err instanceof Error ? err.message : String(err))})`;
      if (method === 'GET') throw new RetryableError(what);
      throw new Error(`${what}; it may have been applied: check the app before trying again`);
    }
    if (status >= 200 && status < 300) {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new Error(`${endpoint}: the answer is not JSON`);
      }
    }
    const detail = `${endpoint}: HTTP ${status}${this.message(text)}`;
    if (status === 429 || (status >= 500 && method === 'GET')) {
      const seconds = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
      throw new RetryableError(detail, Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined);
    }
    throw new Error(detail);
  }

  /** The API's `{ id, message }` error body, shortened; empty when there is none. */
  private message(text: string): string {
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === 'string' && parsed.message.length > 0) {
        const flat = this.scrub(parsed.message.replace(/\s+/g, ' ').trim());
        return `: ${flat.length > MAX_ERROR_TEXT ? `${flat.slice(0, MAX_ERROR_TEXT)}…` : flat}`;
      }
    } catch {
      // Not JSON (a proxy's page): the status says enough.
    }
    return '';
  }

  /** A server that echoes the request must not leak the token through our errors. */
  private scrub(text: string): string {
    return this.options.token.length > 0 ? text.split(this.options.token).join('[REDACTED]') : text;
  }
}
