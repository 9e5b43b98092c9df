/**
 * The app spec as raw JSON, for the whole-spec update of `replica-watch fix scale`: GET
 * /v2/apps/{id} keeping every field, and PUT /v2/apps/{id} with the whole spec. The
 * DigitalOcean client's typed getApp() keeps only the fields replica-watch reads (its schemas
 * strip the rest), so a spec that went through it and back would delete env vars, routes,
 * sizes… This reads and writes the spec untouched.
 *
 * Failures are classified like the client's: a GET is retried (shared withRetry) on network
 * errors, timeouts, 5xx and 429; a PUT never is, since it may have been applied. Every failure
 * names the concrete call (`GET /v2/apps/<id>`) and carries the HTTP `status` (null without an
 * answer), DigitalOcean's `requestId` and the network error `code`, for cli/failure-text.ts.
 */
import { Pool } from 'undici';
import type { RetryPolicy } from '../../shared/retry';
import { RetryableError, withRetry } from '../../shared/retry';
import { PlatformHttpError } from '../platform/digitalocean/errors';
import { networkCode } from './failure-text';

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

/** What a failed call knows beyond its message. */
interface FailureFacts {
  /** null: no answer arrived. */
  readonly status: number | null;
  readonly requestId: string | null;
  /** The network error code (ECONNREFUSED, UND_ERR_SOCKET…), null when an answer arrived. */
  readonly code: string | null;
}

/** A failure worth another try (network, timeout, 5xx on a GET, 429), with its facts. */
export class SpecApiRetryableError extends RetryableError implements FailureFacts {
  constructor(
    message: string,
    readonly status: number | null,
    readonly requestId: string | null,
    readonly code: string | null,
    retryAfterMs?: number,
  ) {
    super(message, retryAfterMs);
    this.name = 'SpecApiRetryableError';
  }
}

function permanent(endpoint: string, detail: string, facts: FailureFacts): PlatformHttpError {
  const err = new PlatformHttpError(endpoint, facts.status, detail, { requestId: facts.requestId });
  // The network code (when there was no answer), read by the CLI's failure text.
  return Object.assign(err, { code: facts.code });
}

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
      throw new Error(`GET /v2/apps/${appId}: the response has no app.spec object`);
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

  /** Instances the platform lists for `component`, or null when the listing cannot be had (never fatal). */
  async listedInstances(appId: string, component: string): Promise<number | null> {
    try {
      const response = await this.pool.request({
        path: `${this.basePath}/v2/apps/${encodeURIComponent(appId)}/instances`,
        method: 'GET',
        headers: { authorization: `Bearer ${this.options.token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULTS.timeoutMs),
      });
      const text = await response.body.text();
      if (response.statusCode !== 200) return null;
      const instances = (JSON.parse(text) as { instances?: unknown }).instances;
      if (!Array.isArray(instances)) return instances == null ? 0 : null;
      return instances.filter(
        (i) =>
          typeof i === 'object' &&
          i !== null &&
          (i as { component_name?: unknown }).component_name === component,
      ).length;
    } catch {
      return null;
    }
  }

  private async send(method: 'GET' | 'PUT', appId: string, body?: unknown): Promise<unknown> {
    const endpoint = `${method} /v2/apps/${appId}`;
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
      const code = networkCode(err);
      const what = `no answer (${this.scrub(code ?? (err instanceof Error ? err.message : String(err)))})`;
      const facts = { status: null, requestId: null, code };
      if (method === 'GET') throw new SpecApiRetryableError(`${endpoint}: ${what}`, null, null, code);
      // A refused connection sent nothing; any other failure may have come after the PUT arrived.
      if (code === 'ECONNREFUSED') throw permanent(endpoint, `${what}; nothing was sent`, facts);
      throw permanent(
        endpoint,
        `${what}; it may have been applied: check the app before trying again`,
        facts,
      );
    }
    if (status >= 200 && status < 300) {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new Error(`${endpoint}: the answer is not JSON`);
      }
    }
    const { message, requestId } = this.errorBody(text);
    const detail = `HTTP ${status}${message}`;
    if (status === 429 || (status >= 500 && method === 'GET')) {
      const seconds = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
      throw new SpecApiRetryableError(
        `${endpoint}: ${detail}`,
        status,
        requestId,
        null,
        Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined,
      );
    }
    throw permanent(endpoint, detail, { status, requestId, code: null });
  }

  /** The API's `{ id, message, request_id }` error body: ` <id>: <message>` shortened (empty when none). */
  private errorBody(text: string): { message: string; requestId: string | null } {
    try {
      const parsed = JSON.parse(text) as { id?: unknown; message?: unknown; request_id?: unknown };
      const requestId =
        typeof parsed.request_id === 'string' && /^[\w.:-]{1,128}$/.test(parsed.request_id)
          ? parsed.request_id
          : null;
      // The error id (not_found, unauthorized…) like the client's messages: `HTTP 404 not_found: …`.
      const id = typeof parsed.id === 'string' && /^[a-z_]{1,64}$/.test(parsed.id) ? ` ${parsed.id}` : '';
      return { message: `${id}${this.message(parsed.message)}`, requestId };
    } catch {
      // Not JSON (a proxy's page): the status says enough.
      return { message: '', requestId: null };
    }
  }

  /** ": <the API's message>", flattened and shortened; empty when there is none. */
  private message(value: unknown): string {
    if (typeof value !== 'string' || value.trim().length === 0) return '';
    const flat = this.scrub(value.replace(/\s+/g, ' ').trim());
    return `: ${flat.length > MAX_ERROR_TEXT ? `${flat.slice(0, MAX_ERROR_TEXT)}…` : flat}`;
  }

  /** A server that echoes the request must not leak the token through our errors. */
  private scrub(text: string): string {
    return this.options.token.length > 0 ? text.split(this.options.token).join('[REDACTED]') : text;
  }
}
