/**
 * The DigitalOcean App Platform API client: one undici Pool, one request per call attempt, and
 * a classification of every failure (STYLE.md principle 4): network errors, timeouts, 5xx and
 * 429 are retryable (429 after the reset the server names); other 4xx and bodies that do not
 * fit the schema are permanent. The retrying itself is shared/retry's withRetry.
 *
 * Every failure names the concrete call with the app id (`GET /v2/apps/<id>: HTTP 404 not_found:
 * … (request_id …)`), keeps its HTTP status and DigitalOcean's request_id, and says a network
 * failure in words (`connection refused by api.example:443 (ECONNREFUSED)`), the code at most in
 * parentheses.
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
import { withRetry } from '../../../shared/retry';
import type { ListedApp } from './app-list';
import { APPS_PER_PAGE, AppListing, MAX_APP_PAGES, MAX_LISTED_APPS, tooManyApps } from './app-list';
import { PlatformHttpError, PlatformRetryableError, PlatformSchemaError } from './errors';
import type { InstanceSizePrice } from './instance-sizes';
import { instanceSizePrices } from './instance-sizes';
import type { App, AppsPage, ComponentHealth, Deployment, DeploymentsPage, Instance } from './schemas';
import {
  appResponseSchema,
  appsResponseSchema,
  deploymentResponseSchema,
  deploymentsResponseSchema,
  healthResponseSchema,
  instanceSizesResponseSchema,
  instancesResponseSchema,
} from './schemas';

/** Endpoint templates: the names used in errors and the bounded `endpoint` label of metrics. */
export const ENDPOINTS = {
  listApps: 'GET /v2/apps',
  getApp: 'GET /v2/apps/{id}',
  listDeployments: 'GET /v2/apps/{app_id}/deployments',
  getDeployment: 'GET /v2/apps/{app_id}/deployments/{deployment_id}',
  listInstances: 'GET /v2/apps/{app_id}/instances',
  getHealth: 'GET /v2/apps/{app_id}/health',
  restart: 'POST /v2/apps/{app_id}/restart',
  createDeployment: 'POST /v2/apps/{app_id}/deployments',
  listInstanceSizes: 'GET /v2/apps/tiers/instance_sizes',
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
  /** Page size of the deployment list (the API allows 1-200); at most the history limit. */
  readonly deploymentsPerPage?: number;
  /** How many of the most recent deployments listDeployments() reads. */
  readonly deploymentHistoryLimit?: number;
  /** Bodies beyond this are refused unread; bad input must not exhaust memory. */
  readonly maxResponseBytes?: number;
}

/**
 * The deployment history read on every refresh: the most recent 50. The refresh runs every
 * PLATFORM_CACHE_TTL_MS (a minute by default) and only recent history matters (which deployment
 * superseded the one orphans still run, the failures of the last rollouts); 50 is months of
 * deployments for most apps, fits one page, and so costs one request of the hourly quota.
 */
export const DEPLOYMENT_HISTORY_LIMIT = 50;

export const DIGITALOCEAN_CLIENT_DEFAULTS = Object.freeze({
  timeoutMs: 10_000,
  // Three tries within half a minute: a refresh either recovers from a blip or gives up and
  // keeps the last good view until the next one.
  retry: Object.freeze({ attempts: 3, baseDelayMs: 500, maxDelayMs: 30_000 }),
  // The whole history in one page: paging costs requests, and requests are the scarce resource
  // (5,000 an hour, 250 a minute per token).
  deploymentsPerPage: DEPLOYMENT_HISTORY_LIMIT,
  deploymentHistoryLimit: DEPLOYMENT_HISTORY_LIMIT,
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
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/;
// DigitalOcean's request ids are UUIDs: only a short token of that alphabet is repeated, never
// whatever text a body puts there.
const REQUEST_ID = /^[\w.:-]{1,128}$/;
const NOT_RETRIED = 'not retried: it may have been applied';

/** Typed access to the App Platform endpoints replica-watch reads and acts through. */
export class DigitalOceanClient {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly timeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly perPage: number;
  private readonly historyLimit: number;
  private readonly maxBytes: number;
  /** `host:port` of the API, for network failures in words. */
  private readonly hostPort: string;
  /** Entries without an id in the last listing of apps: logged when it changes, not every time. */
  private skippedApps = 0;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: DigitalOceanClientOptions) {
    const url = new URL(options.baseUrl);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DIGITALOCEAN_CLIENT_DEFAULTS.timeoutMs;
    this.retry = options.retry ?? DIGITALOCEAN_CLIENT_DEFAULTS.retry;
    this.log = options.log ?? silentLogger();
    this.clock = options.clock ?? systemClock;
    this.historyLimit = options.deploymentHistoryLimit ?? DIGITALOCEAN_CLIENT_DEFAULTS.deploymentHistoryLimit;
    this.perPage = Math.min(
      options.deploymentsPerPage ?? DIGITALOCEAN_CLIENT_DEFAULTS.deploymentsPerPage,
      this.historyLimit,
    );
    this.hostPort = `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
    this.maxBytes = options.maxResponseBytes ?? DIGITALOCEAN_CLIENT_DEFAULTS.maxResponseBytes;
    // undici's own timeouts are a backstop only, set past the per-attempt signal that is the
    // real limit: its timers are coarse and would otherwise race the signal.
    this.pool = new Pool(url.origin, {
      connections: 8,
      headersTimeout: this.timeoutMs + BACKSTOP_MS,
      bodyTimeout: this.timeoutMs + BACKSTOP_MS,
    });
  }

  /**
   * Every app of the account (the token's), id and name, in the API's order. Pages of
   * APPS_PER_PAGE follow `links.pages.next` as listDeployments() does: only the page number is
   * taken from the link, a page that adds no new app ends the listing, an id listed twice is kept
   * once. An entry without an id is skipped and counted (a warning when the count changes); a
   * body without a list of apps fails with PlatformSchemaError. Past MAX_LISTED_APPS (50 pages)
   * it stops with a PlatformSchemaError that names the limit, rather than return part of the fleet.
   */
  async listApps(options?: CallOptions): Promise<ListedApp[]> {
    const listing = new AppListing();
    let pages = 0;
    for (let page: number | null = 1; page !== null;) {
      const path = `/v2/apps?page=${page}&per_page=${APPS_PER_PAGE}`;
      const body: AppsPage = await this.call(
        { endpoint: ENDPOINTS.listApps, method: 'GET', path, schema: appsResponseSchema },
        options,
      );
      pages++;
      const added = listing.add(body.apps ?? []);
      const next: number | null = added > 0 ? nextPage(body.links?.pages?.next, page) : null;
      // Past the limit: a page links one beyond the last allowed, or the pages hold more apps
      // than asked for (a server may answer more than per_page).
      if ((next !== null && pages >= MAX_APP_PAGES) || listing.apps.length > MAX_LISTED_APPS) {
        throw tooManyApps(ENDPOINTS.listApps, `GET ${path}`, 200);
      }
      page = next;
    }
    this.noteSkippedApps(listing.skipped, pages);
    return [...listing.apps];
  }

  /**
   * What each App Platform instance size costs a month, in cents (null when its price is
   * unreadable); sizes without a slug are left out. One unpaged request: the OpenAPI declares
   * no paging for it.
   */
  async listInstanceSizes(options?: CallOptions): Promise<InstanceSizePrice[]> {
    const body = await this.call(
      {
        endpoint: ENDPOINTS.listInstanceSizes,
        method: 'GET',
        path: '/v2/apps/tiers/instance_sizes',
        schema: instanceSizesResponseSchema,
      },
      options,
    );
    return instanceSizePrices(body.instance_sizes);
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
   * The app's most recent deployments (up to `deploymentHistoryLimit`), in the API's order
   * (newest first). Paging follows `links.pages.next` until there is none; `meta.total` is not
   * trusted to end it. Only the page number is taken from the link, and that page is asked of
   * `baseUrl`: the token never goes to a host a response body names.
   */
  async listDeployments(appId: string, options?: CallOptions): Promise<Deployment[]> {
    const found: Deployment[] = [];
    const ids = new Set<string>();
    for (let page: number | null = 1; page !== null && found.length < this.historyLimit;) {
      const body: DeploymentsPage = await this.call(
        {
          endpoint: ENDPOINTS.listDeployments,
          method: 'GET',
          path: `/v2/apps/${seg(appId)}/deployments?page=${page}&per_page=${this.perPage}`,
          schema: deploymentsResponseSchema,
        },
        options,
      );
      const before = found.length;
      for (const deployment of body.deployments ?? []) {
        // A deployment created while paging shifts the pages by one: keep the first copy.
        if (deployment.id && ids.has(deployment.id)) continue;
        if (deployment.id) ids.add(deployment.id);
        found.push(deployment);
      }
      // A page that adds nothing ends it too: a server that always links a next page must not
      // keep the refresh paging.
      page = found.length > before ? nextPage(body.links?.pages?.next, page) : null;
    }
    return found.slice(0, this.historyLimit);
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

  /** Says once that listed apps lack an id, and once that they no longer do. */
  private noteSkippedApps(skipped: number, pages: number): void {
    if (skipped === this.skippedApps) return;
    if (skipped > 0) {
      this.log.warn('apps listed without an id were skipped', {
        endpoint: ENDPOINTS.listApps,
        skipped,
        pages,
      });
    } else {
      this.log.info('every listed app has an id again', { endpoint: ENDPOINTS.listApps });
    }
    this.skippedApps = skipped;
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
    const call = callOf(request);
    if (text === null) {
      throw new PlatformSchemaError(endpoint, '(body)', `larger than ${this.maxBytes} bytes`, {
        call,
        status,
      });
    }
    if (status >= 200 && status < 300) return this.parse(request, text, status);
    const { detail, requestId } = this.errorDetail(status, text);
    if (status === 429) {
      // The server refused it unprocessed: safe to send again, POST included.
      throw new PlatformRetryableError(endpoint, call, status, `rate limited, ${detail}`, {
        requestId,
        retryAfterMs: this.retryAfterMs(headers),
      });
    }
    if (status >= 500) {
      if (request.method === 'POST') {
        throw new PlatformHttpError(endpoint, status, `${detail}; ${NOT_RETRIED}`, { call, requestId });
      }
      // Every response carries ratelimit-reset (when the hour's window resets): it is no retry
      // hint for a server error, so only an explicit Retry-After delays this retry.
      throw new PlatformRetryableError(endpoint, call, status, detail, {
        requestId,
        retryAfterMs: this.retryAfterMs(headers, { rateLimited: false }),
      });
    }
    throw new PlatformHttpError(endpoint, status, detail, { call, requestId });
  }

  /** No (complete) response: aborted by the caller, timed out, refused or reset. */
  private transportFailure(
    request: Request<z.ZodType>,
    err: unknown,
    timeout: AbortSignal,
    signal: AbortSignal | undefined,
  ): Error {
    const { endpoint } = request;
    const call = callOf(request);
    if (signal?.aborted) return new Error(`${call}: aborted`);
    const raw = (err as { code?: unknown } | null)?.code;
    const code = typeof raw === 'string' && raw.length > 0 ? raw : null;
    const timedOut = timeout.aborted || (code !== null && UNDICI_TIMEOUTS.has(code));
    this.options.onCall?.(endpoint, timedOut ? 'timeout' : 'network_error');
    const what = timedOut
      ? `no answer within ${duration(this.timeoutMs)}${code === null ? '' : ` (${code})`}`
      : this.networkWords(err, code);
    // A refused connection sent nothing, so even a POST may go again.
    if (request.method === 'POST' && code !== 'ECONNREFUSED') {
      return new PlatformHttpError(endpoint, null, `${what}; ${NOT_RETRIED}`, { call, code });
    }
    return new PlatformRetryableError(endpoint, call, null, what, { code });
  }

  /** A network failure in words, the code kept in parentheses for searching. */
  private networkWords(err: unknown, code: string | null): string {
    const host = this.hostPort;
    switch (code) {
      case 'ECONNREFUSED':
        return `connection refused by ${host} (ECONNREFUSED)`;
      case 'UND_ERR_SOCKET':
      case 'UND_ERR_CLOSED':
        return `the connection closed before an answer (${code})`;
      case 'ECONNRESET':
      case 'EPIPE':
        return `the connection to ${host} was reset before an answer (${code})`;
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return `the host name ${host.replace(/:\d+$/, '')} could not be resolved (${code})`;
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return `${host} is unreachable (${code})`;
      case 'ETIMEDOUT':
        return `the connection to ${host} timed out (ETIMEDOUT)`;
      case null:
        return `the request to ${host} failed: ${this.snippet(errorText(err))}`;
      default:
        return TLS_CODE.test(code)
          ? `TLS with ${host} failed: ${this.snippet(errorText(err))} (${code})`
          : `the request to ${host} failed (${code})`;
    }
  }

  private parse<S extends z.ZodType>(request: Request<S>, text: string, status: number): z.output<S> {
    const where = { call: callOf(request), status };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new PlatformSchemaError(request.endpoint, '(body)', `not JSON: ${this.snippet(text)}`, where);
    }
    const result = request.schema.safeParse(json);
    if (result.success) return result.data;
    const [issue] = result.error.issues;
    const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : '';
    throw new PlatformSchemaError(
      request.endpoint,
      issue ? fieldPath(issue.path) : '(body)',
      this.scrub(`${issue?.message ?? 'invalid'}${more}`),
      where,
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

  /**
   * `HTTP 404 not_found: The resource … could not be found (request_id 4b1c…)` from the API's
   * `{ id, message, request_id }` error body; the status alone when the body is not one.
   */
  private errorDetail(status: number, text: string): { detail: string; requestId: string | null } {
    let body: { id?: unknown; message?: unknown; request_id?: unknown } = {};
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null) body = parsed;
    } catch {
      // Not JSON (a proxy's HTML page): the status says enough.
    }
    const id = typeof body.id === 'string' && /^\w{1,64}$/.test(body.id) ? ` ${body.id}` : '';
    const message =
      typeof body.message === 'string' && body.message.trim().length > 0
        ? `: ${this.snippet(body.message).replace(/\.$/, '')}`
        : '';
    const requestId =
      typeof body.request_id === 'string' && REQUEST_ID.test(body.request_id)
        ? this.scrub(body.request_id)
        : null;
    const reference = requestId === null ? '' : ` (request_id ${requestId})`;
    return { detail: `HTTP ${status}${id}${message}${reference}`, requestId };
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

/** `GET /v2/apps/<id>/health`: the call as sent, for messages (the base URL's path prefix left out). */
function callOf(request: Request<z.ZodType>): string {
  return `${request.method} ${request.path}`;
}

/** The page a `links.pages.next` link names, when it is past `current`; null otherwise. */
function nextPage(link: string | null | undefined, current: number): number | null {
  if (!link) return null;
  let page: number;
  try {
    page = Number(new URL(link, 'http://next.invalid').searchParams.get('page'));
  } catch {
    return null;
  }
  return Number.isSafeInteger(page) && page > current ? page : null;
}

/** `400 ms`, `10 s`, `1.5 s`. */
function duration(ms: number): string {
  return ms < 1_000 ? `${ms} ms` : `${Number((ms / 1_000).toFixed(1))} s`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
