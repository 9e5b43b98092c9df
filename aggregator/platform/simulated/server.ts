/**
 * The simulated App Platform: a real node:http server speaking the App Platform API for an
 * account of one or more apps (see account.ts), each over its own SimulatedAppState. Used by the
 * demo (PLATFORM=simulated) and by tests, with the DigitalOcean client pointed at it through
 * DO_API_BASE_URL. Like the real API it wants a Bearer token (any non-empty one; each app's
 * access says what it may do with that app), sends the ratelimit-* headers, and answers errors as
 * `{ id, message, request_id }`.
 *
 * Besides the operations on one app it serves the account's own: GET /v2/apps (paged like the
 * deployments) and GET /v2/apps/tiers/instance_sizes (the official example sizes and prices).
 * An app whose access is `app_not_found` is still listed by GET /v2/apps, but every call about
 * it answers 404, like an app deleted right after the listing, or one the token may list but
 * not read: what a client must survive without losing the other apps. An app whose access is
 * `token_rejected` is listed too, and every call about it answers 401; the account's own
 * routes answer 401 only when every app rejects the token (a one-app token-invalid account).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../../shared/clock';
import { systemClock } from '../../../shared/clock';
import type { SimulatedAccountApp, SimulatedAppSpec } from './account';
import { SimulatedAccount, resolveFault } from './account';
import type { AppSnapshot, SimulatedAppState } from './app-state';
import { SimulatedApiError } from './app-state';
import { RequestLedger } from './request-ledger';
import {
  appJson,
  appsPageJson,
  deploymentJson,
  deploymentsPageJson,
  errorJson,
  healthJson,
  instanceSizeJson,
  instanceSizesJson,
  instancesJson,
} from './responses';
import type { AccountRouteName, AppRouteName } from './routes';
import { matchRoute } from './routes';
import type { AccessKind, FaultSpec, Scenario, ScenarioName } from './scenarios';

/** What every simulated platform takes, of one app or of many. */
export interface SimulatedPlatformBaseOptions {
  /** Default 0: any free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  readonly clock?: Clock;
  /** How long a restart, a new deployment or a spec update takes to complete. */
  readonly transitionDelayMs?: number;
  /** Time between two steps of the rollout-in-progress scenario. */
  readonly rolloutStepMs?: number;
  /**
   * How the account's own routes (GET /v2/apps, the instance sizes) and requests about no app
   * of the account misbehave, with the fields as for an app's fault; default: not at all.
   */
  readonly accountFault?: Partial<FaultSpec> | null;
  /**
   * Called with every request the API serves (a route it knows, its body read), e.g. to hold
   * the requests to the OpenAPI.
   */
  readonly onRequest?: (request: SimulatedRequest) => void;
}

/** One app, the scenario's, with its options beside it: the platform as it always was. */
export interface SimulatedScenarioPlatformOptions extends SimulatedPlatformBaseOptions {
  /** A scenario name, or a scenario of the caller's own. */
  readonly scenario: ScenarioName | Scenario;
  /** Default: derived from the scenario. */
  readonly appId?: string;
  /**
   * Changes the scenario's fault: the fields given replace the scenario's (a scenario without
   * one starts from 500s on every request); null: no fault.
   */
  readonly fault?: Partial<FaultSpec> | null;
  /** Replaces the scenario's access (what the caller's token may do). */
  readonly access?: AccessKind;
  readonly apps?: never;
}

/** An account of several apps, each described with its own id, name, fault and access. */
export interface SimulatedAccountPlatformOptions extends SimulatedPlatformBaseOptions {
  /** The apps, in the order GET /v2/apps lists them; at least one. */
  readonly apps: readonly SimulatedAppSpec[];
  readonly scenario?: never;
  readonly appId?: never;
  readonly fault?: never;
  readonly access?: never;
}

/** A scenario (one app), or the apps of an account. */
export type SimulatedPlatformOptions = SimulatedScenarioPlatformOptions | SimulatedAccountPlatformOptions;

/** A request as the simulated API received it. */
export interface SimulatedRequest {
  readonly method: string;
  /** The operation, e.g. `GET /v2/apps/{app_id}/deployments`. */
  readonly route: string;
  readonly path: string;
  /** The query parameters in the order sent. */
  readonly query: readonly (readonly [string, string])[];
  /** The JSON body; undefined when none was sent. */
  readonly body: unknown;
}

export interface SimulatedPlatform {
  /** Base URL for DO_API_BASE_URL, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  /** The first app's id (the scenario's, for a platform of one scenario). */
  readonly appId: string;
  /** The first app's live state: agents(), requestCount(), setFault(), setAccess()… */
  readonly state: SimulatedAppState;
  /** The account's apps now, in listing order. */
  apps(): readonly SimulatedAccountApp[];
  /** The app with this id, null when the account has none. */
  app(appId: string): SimulatedAccountApp | null;
  /** Creates an app while the server runs, listed last; throws on a bad spec or a taken id. */
  addApp(spec: SimulatedAppSpec): SimulatedAccountApp;
  /** Deletes an app: it is no longer listed and every call about it answers 404. */
  removeApp(appId: string): boolean;
  /** Authorised requests so far, about any app or none, to one route (`GET /v2/apps`) or all. */
  requestCount(route?: string): number;
  /** Changes how the account's own routes misbehave from the next request on; null for not at all. */
  setAccountFault(fault: FaultSpec | null): void;
  /** Idempotent: stops listening, ends open connections and held-back answers. */
  close(): Promise<void>;
}

/** The API's rate limit: 5,000 requests an hour per token. */
const RATE_LIMIT_PER_HOUR = 5_000;
const HOUR_MS = 3_600_000;
const MAX_BODY_BYTES = 1024 * 1024;
// The API's page sizes (the page and per_page parameters in apps.yaml).
const DEFAULT_PER_PAGE = 20;
const MAX_PER_PAGE = 200;

// DigitalOcean's answers to a refused token, a missing scope and a missing resource.
const UNAUTHORIZED = ['unauthorized', 'Unable to authenticate you.'] as const;
const FORBIDDEN = ['forbidden', 'You are not authorized to perform this operation.'] as const;
const NOT_FOUND = ['not_found', 'The resource you were accessing could not be found.'] as const;

/** Starts the simulated App Platform for one scenario, or for an account of several apps. */
export async function startSimulatedPlatform(options: SimulatedPlatformOptions): Promise<SimulatedPlatform> {
  const clock = options.clock ?? systemClock;
  const account = new SimulatedAccount({
    clock,
    transitionDelayMs: options.transitionDelayMs,
    rolloutStepMs: options.rolloutStepMs,
  });
  const specs: readonly SimulatedAppSpec[] = options.apps ?? [
    { scenario: options.scenario, appId: options.appId, fault: options.fault, access: options.access },
  ];
  const [first] = specs.map((spec) => account.add(spec));
  if (!first) throw new Error('a simulated account needs at least one app');
  // The account's own routes and the requests about no app of it, with their fault.
  const accountRequests = new RequestLedger(resolveFault(null, options.accountFault));
  // Every authorised request, whatever it was about.
  const allRequests = new RequestLedger();
  // Answers held back by the slow fault: released when their client hangs up or at close().
  const held = new Set<AbortController>();
  const startMs = clock.now();
  let baseUrl = '';
  // The hourly quota (one token for the whole account), counted in fixed windows from the start:
  // enough for plausible headers.
  let window = 0;
  let used = 0;

  const rateLimitHeaders = (res: ServerResponse, limited: FaultSpec | null): void => {
    const now = clock.now();
    const current = Math.floor((now - startMs) / HOUR_MS);
    if (current !== window) {
      window = current;
      used = 0;
    }
    used++;
    const resetMs = limited ? now + limited.retryAfterSeconds * 1000 : startMs + (current + 1) * HOUR_MS;
    res.setHeader('ratelimit-limit', String(RATE_LIMIT_PER_HOUR));
    res.setHeader('ratelimit-remaining', String(limited ? 0 : Math.max(0, RATE_LIMIT_PER_HOUR - used)));
    res.setHeader('ratelimit-reset', String(Math.ceil(resetMs / 1000)));
    if (limited) res.setHeader('retry-after', String(limited.retryAfterSeconds));
  };

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    if (res.destroyed || res.headersSent) return;
    res.statusCode = status;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, status: number, [id, message]: readonly [string, string]): void =>
    send(res, status, errorJson(id, message, randomUUID()));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://simulated');
    const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const method = req.method ?? 'GET';
    const route = matchRoute(method, url.pathname);
    const target = route.scope === 'app' ? account.get(route.appId) : null;
    const rejected = target ? target.state.access() === 'token_rejected' : account.rejectsToken();
    if (!auth || rejected) {
      rateLimitHeaders(res, null);
      return fail(res, 401, UNAUTHORIZED);
    }
    const routeName = route.name ?? 'unmatched';
    allRequests.admit(routeName);
    const fault = target ? target.state.admit(routeName) : accountRequests.admit(routeName);
    if (fault?.kind === 'rate_limit') {
      rateLimitHeaders(res, fault);
      return fail(res, 429, ['too_many_requests', 'API rate limit exceeded.']);
    }
    rateLimitHeaders(res, null);
    if (fault?.kind === 'server_error') {
      return fail(res, 500, ['server_error', 'Unexpected server-side error']);
    }
    if (fault?.kind === 'slow') {
      const hold = new AbortController();
      held.add(hold);
      res.once('close', () => hold.abort());
      await clock.sleep(fault.delayMs, hold.signal);
      held.delete(hold);
      if (hold.signal.aborted) {
        res.destroy();
        return;
      }
    }
    const served = (body: unknown): void =>
      options.onRequest?.({
        method,
        route: routeName,
        path: url.pathname,
        query: [...url.searchParams],
        body,
      });
    if (route.scope === 'account') {
      if (route.name === null) return fail(res, 404, NOT_FOUND);
      served(undefined);
      const { status, json } = respondForAccount(route.name, route.slug, url, account, baseUrl);
      return send(res, status, json);
    }
    // Read again after a held-back answer: the app may have been deleted meanwhile.
    const app = account.get(route.appId);
    const access = app?.state.access();
    if (!app || route.name === null || access === 'app_not_found') return fail(res, 404, NOT_FOUND);
    if (method !== 'GET' && access === 'read_only') return fail(res, 403, FORBIDDEN);
    const body = method === 'GET' ? undefined : await readJson(req);
    served(body);
    const { status, json } = respond(
      route.name,
      route.deploymentId,
      url,
      body,
      app.state,
      (page, perPage) => {
        return `${baseUrl}/v2/apps/${app.appId}/deployments?page=${page}&per_page=${perPage}`;
      },
    );
    send(res, status, json);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof SimulatedApiError) fail(res, err.status, [err.id, err.message]);
      else fail(res, 500, ['server_error', 'Unexpected server-side error']);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  baseUrl = `http://${host}:${address.port}`;

  let closed: Promise<void> | null = null;
  return {
    url: baseUrl,
    appId: first.appId,
    state: first.state,
    apps: () => account.list(),
    app: (appId) => account.get(appId),
    addApp: (spec) => account.add(spec),
    removeApp: (appId) => account.remove(appId),
    requestCount: (route) => allRequests.requestCount(route),
    setAccountFault: (fault) => accountRequests.setFault(fault),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        for (const hold of held) hold.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/** The answer to one of the account's own operations. */
function respondForAccount(
  name: AccountRouteName,
  slug: string | undefined,
  url: URL,
  account: SimulatedAccount,
  baseUrl: string,
): { status: number; json: unknown } {
  switch (name) {
    case 'GET /v2/apps': {
      const perPage = Math.min(MAX_PER_PAGE, positiveInt(url.searchParams.get('per_page'), DEFAULT_PER_PAGE));
      const page = positiveInt(url.searchParams.get('page'), 1);
      const withProjects = url.searchParams.get('with_projects');
      const apps = account.list();
      const onPage = apps.slice((page - 1) * perPage, page * perPage).map((app) => app.state.snapshot());
      // The links keep the request's with_projects, as the API's keep its query.
      const pageUrl = (n: number) =>
        `${baseUrl}/v2/apps?page=${n}&per_page=${perPage}` +
        (withProjects === null ? '' : `&with_projects=${encodeURIComponent(withProjects)}`);
      return {
        status: 200,
        json: appsPageJson(onPage, apps.length, page, perPage, pageUrl, withProjects === 'true'),
      };
    }
    case 'GET /v2/apps/tiers/instance_sizes':
      return { status: 200, json: instanceSizesJson() };
    case 'GET /v2/apps/tiers/instance_sizes/{slug}': {
      const json = instanceSizeJson(slug ?? '');
      if (!json) throw new SimulatedApiError(404, ...NOT_FOUND);
      return { status: 200, json };
    }
  }
}

/** The answer to an operation on one app. */
function respond(
  name: AppRouteName,
  deploymentId: string | undefined,
  url: URL,
  body: unknown,
  state: SimulatedAppState,
  pageUrl: (page: number, perPage: number) => string,
): { status: number; json: unknown } {
  const ok = (json: unknown) => ({ status: 200, json });
  const read = (): AppSnapshot => state.snapshot();
  switch (name) {
    case 'GET /v2/apps/{id}':
      return ok(appJson(read()));
    case 'PUT /v2/apps/{id}': {
      const started = state.updateSpec(field(body, 'spec'));
      return ok(appJson(read(), started));
    }
    case 'GET /v2/apps/{app_id}/deployments': {
      const perPage = Math.min(MAX_PER_PAGE, positiveInt(url.searchParams.get('per_page'), DEFAULT_PER_PAGE));
      const page = positiveInt(url.searchParams.get('page'), 1);
      return ok(deploymentsPageJson(read(), page, perPage, (n) => pageUrl(n, perPage)));
    }
    case 'GET /v2/apps/{app_id}/deployments/{deployment_id}': {
      const deployment = read().deployments.find((d) => d.id === deploymentId);
      if (!deployment) throw new SimulatedApiError(404, ...NOT_FOUND);
      return ok({ deployment: deploymentJson(deployment) });
    }
    case 'GET /v2/apps/{app_id}/instances':
      return ok(instancesJson(read()));
    case 'GET /v2/apps/{app_id}/health':
      return ok(healthJson(read()));
    case 'POST /v2/apps/{app_id}/restart': {
      const components = field(body, 'components') ?? [];
      if (!Array.isArray(components) || !components.every((c) => typeof c === 'string')) {
        throw new SimulatedApiError(400, 'bad_request', 'components must be a list of component names');
      }
      return ok({ deployment: deploymentJson(state.restart(components)) });
    }
    case 'POST /v2/apps/{app_id}/deployments':
      return ok({ deployment: deploymentJson(state.createDeployment(field(body, 'force_build') === true)) });
  }
}

function field(body: unknown, key: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined;
}

function positiveInt(text: string | null, fallback: number): number {
  const n = Number(text);
  return text !== null && Number.isInteger(n) && n >= 1 ? n : fallback;
}

/** The JSON body; undefined when there is none. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new SimulatedApiError(413, 'request_too_large', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SimulatedApiError(400, 'bad_request', 'request body is not JSON');
  }
}
