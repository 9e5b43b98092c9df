/**
 * The DigitalOcean App Platform API client: one undici Pool, one request per call attempt, and
 * a classification of every failure (STYLE.md principle 4): network errors, timeouts, 5xx and
 * 429 are retryable (429 after the reset the server names); other 4xx and bodies that do not
 * fit the schema are permanent. The retrying itself is shared/retry's withRetry.
 *
 * The token only ever goes into the Authorization header of requests to `baseUrl`: it is
 * scrubbed from every error text, and errors carry no request options or raw causes.
 */
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import type { Clock } from '../../../shared/clock';
import { systemClock } from '../../../shared/clock';
import type { Logger } from '../../../shared/logger';
import { silentLogger } from '../../../shared/logger';
import type { RetryPolicy } from '../../../shared/retry';
import { RetryableError, withRetry } from '../../../shared/retry';
import { PlatformHttpError, PlatformSchemaError } from './errors';
import type { App, ComponentHealth, Deployment, Instance } from './schemas';
import {
  appResponseSchema,
  deploymentResponseSchema,
  deploymentsResponseSchema,
  healthResponseSchema,
  instancesResponseSchema,
} from './schemas';

/** Endpoint templates: the names used in errors and the bounded `endpoint` label of metrics. */
export const ENDPOINTS = {
  getApp: 'GET /v2/apps/{id}',
  listDeployments: 'GET /v2/apps/{app_id}/deployments',
  getDeployment: 'GET /v2/apps/{app_id}/deployments/{deployment_id}',
  listInstances: 'GET /v2/apps/{app_id}/instances',
  getHealth: 'GET /v2/apps/{app_id}/health',
  restart: 'POST /v2/apps/{app_id}/restart',
  createDeployment: 'POST /v2/apps/{app_id}/deployments',
} as const;
export type Endpoint = (typeof ENDPOINTS)[keyof typeof ENDPOINTS];

/** What one attempt ended with: an HTTP status, or no response at all. */
export type CallOutcome = number | 'timeout' | 'network_error';

export interface DigitalOceanClientOptions {
  /** DO_API_BASE_URL, e.g. https://api.digitalocean.com; a path prefix is kept. */
  readonly baseUrl: string;
  readonly token: string;
  /** Per attempt, connect to last byte of the body. */
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
  readonly log?: Logger;
  readonly clock?: Clock;
  /** Called once per attempt, for metrics. */
  readonly onCall?: (endpoint: Endpoint, outcome: CallOutcome) => void;
  /** Page size of the deployment list (the API allows 1-200). */
  readonly deploymentsPerPage?: number;
  /** Stop paging there: bounds the time and memory one refresh may take on a long history. */
  readonly maxDeploymentPages?: number;
  /** Bodies beyond this are refused unread; bad input must not exhaust memory. */
  readonly maxResponseBytes?: number;
}

export const DIGITALOCEAN_CLIENT_DEFAULTS = Object.freeze({
  timeoutMs: 10_000,
  // Three tries within half a minute: a refresh either recovers from a blip or gives up and
  // keeps the last good view until the next one.
  retry: Object.freeze({ attempts: 3, baseDelayMs: 500, maxDelayMs: 30_000 }),
  // The maximum the API allows: paging costs requests, and requests are the scarce resource
  // (5,000 an hour, 250 a minute per token).
  deploymentsPerPage: 200,
  maxDeploymentPages: 10,
  maxResponseBytes: 16 * 1024 * 1024,
});

export interface CallOptions {
  /** Aborts the attempt in flight and the retry wait. */
  readonly signal?: AbortSignal;
}

interface Request<S extends z.ZodType> {
  readonly endpoint: Endpoint;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: unknown;
  readonly schema: S;
}

const ERROR_TEXT_LIMIT = 200;
const BACKSTOP_MS = 1_000;
const UNDICI_TIMEOUTS = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Typed access to the App Platform endpoints replica-watch reads and acts through. */
export class DigitalOceanClient {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly timeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly perPage: number;
  private readonly maxPages: number;
  private readonly maxBytes: number;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: DigitalOceanClientOptions) {
    const url = new URL(options.baseUrl);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DIGITALOCEAN_CLIENT_DEFAULTS.timeoutMs;
    this.retry = options.retry ?? DIGITALOCEAN_CLIENT_DEFAULTS.retry;
    this.log = options.log ?? silentLogger();
    this.clock = options.clock ?? systemClock;
    this.perPage = options.deploymentsPerPage ?? DIGITALOCEAN_CLIENT_DEFAULTS.deploymentsPerPage;
    this.maxPages = options.maxDeploymentPages ?? DIGITALOCEAN_CLIENT_DEFAULTS.maxDeploymentPages;
    this.maxBytes = options.maxResponseBytes ?? DIGITALOCEAN_CLIENT_DEFAULTS.maxResponseBytes;
    // undici's own timeouts are a backstop only, set past the per-attempt signal that is the
    // real limit: its timers are coarse and would otherwise race the signal.
    this.pool = new Pool(url.origin, {
      connections: 8,
      headersTimeout: this.timeoutMs + BACKSTOP_MS,
      bodyTimeout: this.timeoutMs + BACKSTOP_MS,
    });
  }

  /** The app: its spec (desired counts) and its active, in-progress and pending deployments. */
  async getApp(appId: string, options?: CallOptions): Promise<App> {
    const body = await this.call(
      {
        endpoint: ENDPOINTS.getApp,
        method: 'GET',
        path: `/v2/apps/${seg(appId)}`,
        schema: appResponseSchema,
      },
      options,
    );
    return body.app;
  }

  /**
   * Every deployment of the app, as the API orders them (newest first), over all pages up to
   * `maxDeploymentPages`. Pages are requested by number from `baseUrl`: the absolute `next`
   * link is only read as "there is more", so the token never goes to a host the body names.
   */
  async listDeployments(appId: string, options?: CallOptions): Promise<Deployment[]> {
    const seen = new Map<string, Deployment>();
    for (let page = 1; page <= this.maxPages; page++) {
      const body = await this.call(
        {
          endpoint: ENDPOINTS.listDeployments,
          method: 'GET',
          path: `/v2/apps/${seg(appId)}/deployments?page=${page}&per_page=${this.perPage}`,
          schema: deploymentsResponseSchema,
        },
        options,
      );
      const deployments = body.deployments ?? [];
      // A deployment created while paging shifts the pages by one: keep the first copy.
      for (const deployment of deployments) if (!seen.has(deployment.id)) seen.set(deployment.id, deployment);
      const total = body.meta?.total;
      if (!body.links?.pages?.next || deployments.length === 0 || (total != null && seen.size >= total))
        break;
    }
    return [...seen.values()];
  }

  async getDeployment(appId: string, deploymentId: string, options?: CallOptions): Promise<Deployment> {
    const body = await this.call(
      {
        endpoint: ENDPOINTS.getDeployment,
        method: 'GET',
        path: `/v2/apps/${seg(appId)}/deployments/${seg(deploymentId)}`,
        schema: deploymentResponseSchema,
      },
      options,
    );
    return body.deployment;
  }

  /** The instances the platform lists as running. */
  async listInstances(appId: string, options?: CallOptions): Promise<Instance[]> {
    const body = await this.call(
      {
        endpoint: ENDPOINTS.listInstances,
        method: 'GET',
        path: `/v2/apps/${seg(appId)}/instances`,
        schema: instancesResponseSchema,
      },
      options,
    );
    return body.instances ?? [];
  }

  /** Per component `replicas_desired` and `replicas_ready` (the dashboard's number). */
  async getHealth(appId: string, options?: CallOptions): Promise<ComponentHealth[]> {
    const body = await this.call(
      {
        endpoint: ENDPOINTS.getHealth,
        method: 'GET',
        path: `/v2/apps/${seg(appId)}/health`,
        schema: healthResponseSchema,
      },
      options,
    );
    return body.components;
  }

  /** Rolling restart of the named components (all when the list is empty); returns the new deployment. */
  async restart(appId: string, components: readonly string[], options?: CallOptions): Promise<Deployment> {
    const body = await this.call(
      {
        endpoint: ENDPOINTS.restart,
        method: 'POST',
        path: `/v2/apps/${seg(appId)}/restart`,
        body: components.length > 0 ? { components } : {},
        schema: deploymentResponseSchema,
      },
      options,
    );
    return body.deployment;
  }

  /** A new deployment of the current spec. */
  async createDeployment(
    appId: string,
    request: { readonly forceBuild?: boolean } = {},
    options?: CallOptions,
  ): Promise<Deployment> {
    const body = await this.call(
      {
        endpoint: ENDPOINTS.createDeployment,
        method: 'POST',
        path: `/v2/apps/${seg(appId)}/deployments`,
        body: { force_build: request.forceBuild ?? false },
        schema: deploymentResponseSchema,
      },
      options,
    );
    return body.deployment;
  }

  /** Idempotent; in-flight requests fail. */
  close(): Promise<void> {
    this.closing ??= this.pool.destroy().catch(() => undefined);
    return this.closing;
  }

  private call<S extends z.ZodType>(request: Request<S>, options?: CallOptions): Promise<z.output<S>> {
    if (this.closing) return Promise.reject(new Error(`${request.endpoint}: client is closed`));
    return withRetry(() => this.attempt(request, options?.signal), {
      ...this.retry,
      clock: this.clock,
      signal: options?.signal,
      onRetry: ({ attempt, delayMs, err }) =>
        this.log.debug('platform call failed, retrying', {
          endpoint: request.endpoint,
          attempt: attempt + 1,
          delay_ms: delayMs,
          err: errorText(err),
        }),
    });
  }

  /** One HTTP exchange, its failure classified. */
  private async attempt<S extends z.ZodType>(
    request: Request<S>,
    signal?: AbortSignal,
  ): Promise<z.output<S>> {
    const { endpoint } = request;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let status: number;
    let headers: Dispatcher.ResponseData['headers'];
    let text: string | null;
    try {
      const response = await this.pool.request({
        method: request.method,
        path: this.basePath + request.path,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          accept: 'application/json',
          ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: combined,
      });
      status = response.statusCode;
      headers = response.headers;
      text = await readLimited(response.body, this.maxBytes);
    } catch (err) {
      throw this.transportFailure(request, err, timeout, signal);
    }
    this.options.onCall?.(endpoint, status);
    if (text === null)
      throw new PlatformSchemaError(endpoint, '(body)', `larger than ${this.maxBytes} bytes`);
    if (status >= 200 && status < 300) return this.parse(request, text);
    const detail = `HTTP ${status}${this.errorMessage(text)}`;
    if (status === 429) {
      // The server refused it unprocessed: safe to send again, POST included.
      throw new RetryableError(`${endpoint}: rate limited (${detail})`, this.retryAfterMs(headers));
    }
    if (status >= 500) {
      if (request.method === 'POST') {
        throw new PlatformHttpError(endpoint, status, `${detail} (not retried: it may have been applied)`);
      }
      // Every response carries ratelimit-reset (when the hour's window resets): it is no retry
      // hint for a server error, so only an explicit Retry-After delays this retry.
      throw new RetryableError(`${endpoint}: ${detail}`, this.retryAfterMs(headers, { rateLimited: false }));
    }
    throw new PlatformHttpError(endpoint, status, detail);
  }

  /** No (complete) response: aborted by the caller, timed out, refused or reset. */
  private transportFailure(
    request: Request<z.ZodType>,
    err: unknown,
    timeout: AbortSignal,
    signal: AbortSignal | undefined,
  ): Error {
    const { endpoint } = request;
    if (signal?.aborted) return new Error(`${endpoint}: aborted`);
    const code = (err as { code?: unknown } | null)?.code;
    const timedOut = timeout.aborted || (typeof code === 'string' && UNDICI_TIMEOUTS.has(code));
    const outcome: CallOutcome = timedOut ? 'timeout' : 'network_error';
    this.options.onCall?.(endpoint, outcome);
    const what =
      outcome === 'timeout'
        ? `timed out after ${this.timeoutMs} ms`
        : `request failed: ${this.describe(err)}`;
    // A refused connection sent nothing, so even a POST may go again.
    if (request.method === 'POST' && code !== 'ECONNREFUSED') {
      return new PlatformHttpError(endpoint, null, `${what} (not retried: it may have been applied)`);
    }
    return new RetryableError(`${endpoint}: ${what}`);
  }

  private parse<S extends z.ZodType>(request: Request<S>, text: string): z.output<S> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new PlatformSchemaError(request.endpoint, '(body)', `not JSON: ${this.snippet(text)}`);
    }
    const result = request.schema.safeParse(json);
    if (result.success) return result.data;
    const [issue] = result.error.issues;
    const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : '';
    throw new PlatformSchemaError(
      request.endpoint,
      issue ? fieldPath(issue.path) : '(body)',
      this.scrub(`${issue?.message ?? 'invalid'}${more}`),
    );
  }

  /**
   * Retry-After (seconds) first, it answers exactly this request; else, for a 429, ratelimit-reset
   * (epoch seconds).
   */
  private retryAfterMs(
    headers: Dispatcher.ResponseData['headers'],
    { rateLimited }: { rateLimited: boolean } = { rateLimited: true },
  ): number | undefined {
    const retryAfter = Number(header(headers, 'retry-after'));
    if (header(headers, 'retry-after') !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0) {
      return Math.round(retryAfter * 1000);
    }
    const reset = Number(header(headers, 'ratelimit-reset'));
    if (
      rateLimited &&
      header(headers, 'ratelimit-reset') !== undefined &&
      Number.isFinite(reset) &&
      reset > 0
    ) {
      return Math.max(0, Math.round(reset * 1000 - this.clock.now()));
    }
    return undefined;
  }

  /** The API's `{ id, message }` error body, shortened; empty when there is none. */
  private errorMessage(text: string): string {
    try {
      const body = JSON.parse(text) as { message?: unknown };
      if (typeof body?.message === 'string' && body.message.length > 0)
        return `: ${this.snippet(body.message)}`;
    } catch {
      // Not JSON (a proxy's HTML page): the status says enough.
    }
    return '';
  }

  private describe(err: unknown): string {
    const code = (err as { code?: unknown } | null)?.code;
    const message = err instanceof Error ? err.message : String(err);
    return this.scrub(typeof code === 'string' ? `${code}: ${message}` : message);
  }

  private snippet(text: string): string {
    const flat = this.scrub(text.replace(/\s+/g, ' ').trim());
    return flat.length > ERROR_TEXT_LIMIT ? `${flat.slice(0, ERROR_TEXT_LIMIT)}…` : flat;
  }

  /** A server that echoes the request back must not leak the token through our errors. */
  private scrub(text: string): string {
    return this.options.token.length > 0 ? text.split(this.options.token).join('[REDACTED]') : text;
  }
}

/** The body as text; null (and the rest discarded) past `maxBytes`. */
async function readLimited(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) {
      body.destroy();
      return null;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function header(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `['app', 'spec', 'services', 0, 'instance_count']` → `app.spec.services[0].instance_count`. */
function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out.length === 0 ? String(key) : `.${String(key)}`;
  }
  return out.length > 0 ? out : '(body)';
}

function seg(value: string): string {
  return encodeURIComponent(value);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
