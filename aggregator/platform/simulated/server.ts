/**
 * The simulated App Platform: a real node:http server speaking the App Platform API for one
 * app, over a SimulatedAppState. Used by the demo (PLATFORM=simulated) and by tests, with the
 * DigitalOcean client pointed at it through DO_API_BASE_URL. Like the real API it wants a Bearer
 * token (any non-empty one; the scenario's access says what it may do), sends the ratelimit-*
 * headers, and answers errors as `{ id, message, request_id }`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../../shared/clock';
import { systemClock } from '../../../shared/clock';
import type { AppSnapshot } from './app-state';
import { SimulatedApiError, SimulatedAppState } from './app-state';
import {
  appJson,
  deploymentJson,
  deploymentsPageJson,
  errorJson,
  healthJson,
  instancesJson,
} from './responses';
import type { AccessKind, FaultSpec, Scenario, ScenarioName } from './scenarios';
import { SCENARIOS } from './scenarios';

export interface SimulatedPlatformOptions {
  /** A scenario name, or a scenario of the caller's own. */
  readonly scenario: ScenarioName | Scenario;
  /** Default 0: any free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  readonly clock?: Clock;
  /** Default: derived from the scenario. */
  readonly appId?: string;
  /** How long a restart, a new deployment or a spec update takes to complete. */
  readonly transitionDelayMs?: number;
  /** Time between two steps of the rollout-in-progress scenario. */
  readonly rolloutStepMs?: number;
  /**
   * Changes the scenario's fault: the fields given replace the scenario's (a scenario without
   * one starts from 500s on every request); null: no fault.
   */
  readonly fault?: Partial<FaultSpec> | null;
  /** Replaces the scenario's access (what the caller's token may do). */
  readonly access?: AccessKind;
  /**
   * Called with every request the API serves (a route it knows, its body read), e.g. to hold
   * the requests to the OpenAPI.
   */
  readonly onRequest?: (request: SimulatedRequest) => void;
}

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
  readonly appId: string;
  /** The live state: agents(), requestCount(), setFault(), setAccess()… */
  readonly state: SimulatedAppState;
  /** Idempotent: stops listening, ends open connections and held-back answers. */
  close(): Promise<void>;
}

/** The API's rate limit: 5,000 requests an hour per token. */
const RATE_LIMIT_PER_HOUR = 5_000;
const HOUR_MS = 3_600_000;
const MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_FAULT: FaultSpec = {
  kind: 'server_error',
  afterRequests: 0,
  every: 1,
  retryAfterSeconds: 5,
  delayMs: 12_000,
};

interface Route {
  readonly name: string;
  readonly appId: string;
  readonly deploymentId?: string;
}

// DigitalOcean's answers to a refused token, a missing scope and a missing resource.
const UNAUTHORIZED = ['unauthorized', 'Unable to authenticate you.'] as const;
const FORBIDDEN = ['forbidden', 'You are not authorized to perform this operation.'] as const;
const NOT_FOUND = ['not_found', 'The resource you were accessing could not be found.'] as const;

/** Starts the simulated App Platform for one scenario. */
export async function startSimulatedPlatform(options: SimulatedPlatformOptions): Promise<SimulatedPlatform> {
  const scenario = typeof options.scenario === 'string' ? SCENARIOS[options.scenario] : options.scenario;
  if (!scenario) throw new Error(`unknown scenario "${String(options.scenario)}"`);
  const clock = options.clock ?? systemClock;
  const state = new SimulatedAppState(scenario, {
    appId: options.appId,
    clock,
    transitionDelayMs: options.transitionDelayMs,
    rolloutStepMs: options.rolloutStepMs,
    fault: faultOf(scenario, options.fault),
    access: options.access,
  });
  // Answers held back by the slow fault: released when their client hangs up or at close().
  const held = new Set<AbortController>();
  const startMs = clock.now();
  let baseUrl = '';
  // The hourly quota, counted in fixed windows from the start: enough for plausible headers.
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
    const access = state.access();
    if (!auth || access === 'token_rejected') {
      rateLimitHeaders(res, null);
      return fail(res, 401, UNAUTHORIZED);
    }
    const method = req.method ?? 'GET';
    const route = matchRoute(method, url.pathname);
    const fault = state.admit(route?.name ?? 'unmatched');
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
    if (!route || route.appId !== state.appId || access === 'app_not_found') return fail(res, 404, NOT_FOUND);
    if (method !== 'GET' && access === 'read_only') return fail(res, 403, FORBIDDEN);
    const body = method === 'GET' ? undefined : await readJson(req);
    options.onRequest?.({
      method,
      route: route.name,
      path: url.pathname,
      query: [...url.searchParams],
      body,
    });
    const { status, json } = respond(route, url, body, state, (page, perPage) => {
      return `${baseUrl}/v2/apps/${state.appId}/deployments?page=${page}&per_page=${perPage}`;
    });
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
    appId: state.appId,
    state,
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

function faultOf(scenario: Scenario, override: SimulatedPlatformOptions['fault']): FaultSpec | null {
  if (override === null) return null;
  if (override === undefined) return scenario.fault ?? null;
  return { ...DEFAULT_FAULT, ...scenario.fault, ...override };
}

function matchRoute(method: string, path: string): Route | null {
  const parts = path.split('/').filter((p) => p.length > 0);
  if (parts[0] !== 'v2' || parts[1] !== 'apps' || parts[2] === undefined) return null;
  const appId = decodeURIComponent(parts[2]);
  const [, , , resource, deploymentId, extra] = parts;
  if (extra !== undefined) return null;
  if (resource === undefined) {
    if (method === 'GET') return { name: 'GET /v2/apps/{id}', appId };
    if (method === 'PUT') return { name: 'PUT /v2/apps/{id}', appId };
    return null;
  }
  if (resource === 'deployments' && deploymentId !== undefined) {
    return method === 'GET'
      ? {
          name: 'GET /v2/apps/{app_id}/deployments/{deployment_id}',
          appId,
          deploymentId: decodeURIComponent(deploymentId),
        }
      : null;
  }
  if (deploymentId !== undefined) return null;
  const name = `${method} /v2/apps/{app_id}/${resource}`;
  const known = [
    'GET /v2/apps/{app_id}/deployments',
    'POST /v2/apps/{app_id}/deployments',
    'GET /v2/apps/{app_id}/instances',
    'GET /v2/apps/{app_id}/health',
    'POST /v2/apps/{app_id}/restart',
  ];
  return known.includes(name) ? { name, appId } : null;
}

function respond(
  route: Route,
  url: URL,
  body: unknown,
  state: SimulatedAppState,
  pageUrl: (page: number, perPage: number) => string,
): { status: number; json: unknown } {
  const ok = (json: unknown) => ({ status: 200, json });
  const read = (): AppSnapshot => state.snapshot();
  switch (route.name) {
    case 'GET /v2/apps/{id}':
      return ok(appJson(read()));
    case 'PUT /v2/apps/{id}': {
      const started = state.updateSpec(field(body, 'spec'));
      return ok(appJson(read(), started));
    }
    case 'GET /v2/apps/{app_id}/deployments': {
      const perPage = Math.min(200, positiveInt(url.searchParams.get('per_page'), 20));
      const page = positiveInt(url.searchParams.get('page'), 1);
      return ok(deploymentsPageJson(read(), page, perPage, (n) => pageUrl(n, perPage)));
    }
    case 'GET /v2/apps/{app_id}/deployments/{deployment_id}': {
      const deployment = read().deployments.find((d) => d.id === route.deploymentId);
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
    default:
      throw new SimulatedApiError(404, ...NOT_FOUND);
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
