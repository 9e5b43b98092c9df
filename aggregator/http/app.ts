/**
 * The aggregator's HTTP API (express). Every read is served from the latest published report;
 * no request waits on Redis or the platform API. The server runs it behind the report routes'
 * fast lane (createHttpListener, fast-lane.ts), which answers as it would, only cheaper.
 */
import type { RequestListener } from 'node:http';
import express, { type ErrorRequestHandler, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import type { Registry } from 'prom-client';
import type { RejectReason } from '../../shared/heartbeat';
import type { Logger } from '../../shared/logger';
import type { Clock } from '../../shared/clock';
import type { HeartbeatIngest } from '../collector';
import type { SerializedReport } from '../report-store';
import { serializeBody } from '../report-store';
import type { FleetView } from '../fleet/fleet-view';
import type { AppDirectory, AppEndpoints, AppRefusal } from './app-directory';
import { chooseApp, isRefusal, reportFor } from './app-directory';
import { captureHeaders, createLane } from './fast-lane';
import { REPORT_ROUTES, sendReady } from './report-routes';
import { dashboardRouter } from '../dashboard';
import { historyHandler } from '../history';
import { auditHandler } from '../remediate';
import { OPENAPI_DOCUMENT } from './openapi';
import type { AccessCheck, BearerCheck } from './auth';
import { bearerAccess, requireBearer, sendUnauthorized } from './auth';
import { cappedRawBody, declaredBodyLimit } from './capped-body';
import { IngestBodyCap, bodyKind, isBatch } from './heartbeat-batch';
import type { IngestJudge } from './ingest-answer';
import { INGEST_PATH, answerIngest } from './ingest-answer';
import { createIngestLane } from './ingest-lane';
import type { RateSpent } from './ingest-rate-limit';
import { IngestRateLimit, rateLimitMiddleware } from './ingest-rate-limit';

export interface HttpDeps {
  /** The apps served, each with its report, events, history, audit and leadership. */
  readonly apps: AppDirectory;
  readonly ingest: HeartbeatIngest;
  readonly metricsRegistry: Registry;
  readonly clock: Clock;
  readonly log: Logger;
  /** Counts a body refused before it reached the ingest (too large). */
  readonly onRejected: (reason: RejectReason) => void;
  /** Tokens and limits; without it every route is open and ingest is not rate-limited. */
  readonly security?: HttpSecurity;
  /**
   * Told the path of every request the fast lane answered (createHttpListener), which express
   * never saw: for a metric, and for a test to tell who answered, the answers being the same.
   */
  readonly onFastLane?: (path: string) => void;
}

/** Who may call what, and how often. */
export interface HttpSecurity {
  /** AGGREGATOR_API_TOKEN: every `/api/*` route wants it as a Bearer token; null: open. */
  readonly apiToken: string | null;
  /** METRICS_TOKEN: /metrics wants it as a Bearer token; null: open. */
  readonly metricsToken: string | null;
  /**
   * HEARTBEAT_SECRET is set: an ingest request without the API token is let through to have
   * its heartbeat's signature checked, and is accepted when it verifies.
   */
  readonly signedIngest: boolean;
  /** Heartbeats per second per client IP (a batch's items each count); 0: unlimited. */
  readonly ingestRateLimitPerS: number;
}

/** No other route takes a body: anything declared past this is refused unread. */
const MAX_OTHER_BODY_BYTES = 16 * 1024;

/**
 * Everything from our own origin only, nothing inline, nothing framed: the dashboard's page
 * loads its script and stylesheet from /dashboard/ (and sets the same policy itself); the API's
 * JSON needs nothing at all.
 */
const CONTENT_SECURITY_POLICY = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
};

function notReady(res: Response): void {
  res.status(503).json({ error: 'no report yet: the first reconciliation has not run' });
}

function refuse(res: Response, refusal: AppRefusal): void {
  res.status(refusal.status).json(refusal.body);
}

/**
 * A per-app route: the app's handler when the request names a watched app (or the aggregator
 * has one), the refusal otherwise; 404 when the app has no such part (the route is absent).
 */
function perApp(
  deps: HttpDeps,
  handler: (endpoints: AppEndpoints) => RequestHandler | undefined,
): RequestHandler {
  return (req, res, next) => {
    const choice = chooseApp(deps.apps, req.query as Record<string, unknown>, false);
    if (choice.kind !== 'app') return refuse(res, choice.kind === 'refused' ? choice.refusal : NO_APP);
    const handle = handler(choice.endpoints);
    if (handle === undefined)
      return res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
    return handle(req, res, next);
  };
}

const NO_APP: AppRefusal = { status: 400, body: { error: 'name the app with ?app=<app>', parameter: 'app' } };

/** The HTTP API as an express app alone: every route, the report routes included; no fast lane. */
export function createHttpApp(deps: HttpDeps): express.Express {
  return assemble(deps).app;
}

/**
 * The server's request listener: the ingest's fast lane (ingest-lane.ts) and the report routes'
 * (fast-lane.ts) in front of the express app, sharing its route table, access check, rate
 * limiter and helmet. Throws, naming what failed, when a lane cannot be set up, so that the
 * aggregator fails to start rather than run slow.
 */
export function createHttpListener(deps: HttpDeps): RequestListener {
  const { app, securityHeaders, apiAccess, limiter } = assemble(deps);
  const headers = captureHeaders(securityHeaders, 'helmet');
  const ingest = createIngestLane({
    ingest: deps.ingest,
    onRejected: deps.onRejected,
    access: apiAccess,
    signedIngest: deps.security?.signedIngest ?? false,
    limiter,
    clock: deps.clock,
    headers,
    onAnswered: deps.onFastLane,
  });
  const lane = createLane({
    routes: REPORT_ROUTES,
    reports: (query) => {
      const found = reportFor(deps.apps, query);
      return isRefusal(found) ? null : found;
    },
    access: apiAccess,
    headers,
    onAnswered: deps.onFastLane,
  });
  return (req, res) => ingest(req, res) || lane(req, res) || app(req, res);
}

/** The express app, and what the fast lane takes from it so as to answer the same. */
interface Assembled {
  readonly app: express.Express;
  /** helmet, as the app runs it on every request. */
  readonly securityHeaders: RequestHandler;
  /** The /api routes' token check. */
  readonly apiAccess: AccessCheck;
  /** INGEST_RATE_LIMIT_PER_S's limiter; null: unlimited. */
  readonly limiter: IngestRateLimit | null;
}

function assemble(deps: HttpDeps): Assembled {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const security = deps.security;
  const securityHeaders = helmet({ contentSecurityPolicy: CONTENT_SECURITY_POLICY });
  app.use(securityHeaders);
  const refuseOtherBodies = declaredBodyLimit(MAX_OTHER_BODY_BYTES, (_req, res) => {
    res.status(413).json({ error: 'request body too large', detail: 'this route takes no body' });
  });
  app.use((req, res, next) => (req.path === INGEST_PATH ? next() : refuseOtherBodies(req, res, next)));
  // Before the token check, so that a flood is slowed whatever it sends.
  const limiter =
    security && security.ingestRateLimitPerS > 0 ? new IngestRateLimit(security.ingestRateLimitPerS) : null;
  if (limiter !== null) app.use(INGEST_PATH, rateLimitMiddleware(limiter, deps.clock));
  const apiToken = security?.apiToken ?? null;
  const apiAccess = bearerAccess(apiToken);
  // Open: no guard at all, rather than one that every request passes.
  if (apiToken !== null) {
    app.use('/api', (req, res, next) => {
      const check = apiAccess(req);
      if (check === 'ok') return next();
      // Ingest may instead prove itself by its heartbeat's signature, checked by the ingest.
      if (security?.signedIngest && req.method === 'POST' && req.path === '/v1/heartbeats') {
        res.locals.unauthenticated = check;
        return next();
      }
      sendUnauthorized(res, check, 'AGGREGATOR_API_TOKEN');
    });
  }
  if (security?.metricsToken) app.use('/metrics', requireBearer(security.metricsToken, 'METRICS_TOKEN'));

  app.get('/livez', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', (req, res) => {
    // A shard that owns none of the apps (more shards than apps) still serves the fleet view and
    // the 404s that name the owners: ready, or its pod would never take a request.
    if (deps.apps.shard.total > 1 && deps.apps.list().length === 0 && req.query.app === undefined) {
      const { generated_at, discovery } = deps.apps.view();
      return res.json({ status: 'ready', degraded: discovery?.status === 'failing', generated_at, apps: 0 });
    }
    const found = reportFor(deps.apps, req.query as Record<string, unknown>);
    if (isRefusal(found)) return refuse(res, found);
    if (!found) return notReady(res);
    const choice = chooseApp(deps.apps, req.query as Record<string, unknown>, true);
    const leadership = choice.kind === 'app' ? choice.endpoints.leadership : undefined;
    res.json({
      status: 'ready',
      degraded: found.report.degraded,
      generated_at: found.report.generated_at,
      ...(leadership ? { leader: leadership.isLeader() } : {}),
      ...(deps.apps.multiApp ? { apps: deps.apps.list().length } : {}),
    });
  });

  // The fast lane answers most of these requests from the same table (createHttpListener).
  for (const [path, route] of REPORT_ROUTES) {
    app.get(path, (req, res) => {
      const published = reportFor(deps.apps, req.query as Record<string, unknown>);
      if (isRefusal(published)) return refuse(res, published);
      if (!published) return notReady(res);
      const answer = route(req.query, published);
      if (answer.ok) return sendReady(req, res, answer.body);
      res.status(400).json({ error: answer.detail, parameter: answer.parameter });
    });
  }

  // Made once per set of reports (Fleet.view), serialized once per body.
  let fleetBody: { view: FleetView; ready: SerializedReport } | null = null;
  app.get('/api/v1/apps', (req, res) => {
    const view = deps.apps.view();
    if (fleetBody?.view !== view) fleetBody = { view, ready: serializeBody(view) };
    sendReady(req, res, fleetBody.ready);
  });

  app.get(
    '/api/v1/events',
    perApp(deps, (e) => e.events?.handle),
  );
  app.get(
    '/api/v1/history',
    perApp(deps, ({ history }) => history && historyHandler({ ...deps, history })),
  );
  app.get(
    '/api/v1/audit',
    perApp(deps, ({ audit }) => audit && auditHandler({ audit, log: deps.log })),
  );

  const judge: IngestJudge = { ingest: deps.ingest, onRejected: deps.onRejected };
  app.post(
    INGEST_PATH,
    // Raw bytes with a hard cap: the body is refused with 413 from its Content-Length (or as
    // soon as the stream passes the cap, a batch's until the body shows one heartbeat), never
    // read whole.
    cappedRawBody(
      (req) => new IngestBodyCap(bodyKind(req.headers['content-type'])),
      (_req, res, cap, read) => {
        deps.onRejected('too_large');
        res
          .status(413)
          .set('Content-Type', 'application/json')
          .send((cap as IngestBodyCap).tooLarge(read === true));
      },
    ),
    async (req, res) => {
      const body: unknown = req.body;
      const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      const kind = bodyKind(req.headers['content-type']);
      const rate = res.locals.ingestRate as RateSpent | undefined;
      const answer = await answerIngest(
        judge,
        { kind, unauthenticated: res.locals.unauthenticated as BearerCheck | undefined, rate },
        bytes,
        deps.clock.now(),
      );
      // A batch spent more of the window than the one heartbeat the limiter took on arrival.
      if (rate !== undefined && isBatch(kind, bytes)) {
        res.setHeader('RateLimit', rate.limiter.header(rate.window, deps.clock.now()));
      }
      if (answer.challenge !== undefined) res.setHeader('WWW-Authenticate', answer.challenge);
      res.status(answer.status).set('Content-Type', 'application/json').send(answer.json);
    },
  );

  app.get('/metrics', async (_req, res) => {
    res.type(deps.metricsRegistry.contentType).send(await deps.metricsRegistry.metrics());
  });

  // Serialized once: the document is constant for the life of the process.
  const openapi = Buffer.from(JSON.stringify(OPENAPI_DOCUMENT));
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });

  app.use(dashboardRouter({ multiApp: () => deps.apps.multiApp }));

  app.use((req, res) => {
    res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
  });

  const onError: ErrorRequestHandler = (
    err: { type?: string; status?: number; message?: string },
    req,
    res,
    _next,
  ) => {
    const status = typeof err.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) deps.log.error('request failed', { method: req.method, path: req.path, err });
    res.status(status).json({ error: status === 500 ? 'internal error' : (err.message ?? 'bad request') });
  };
  app.use(onError);
  return { app, securityHeaders, apiAccess, limiter };
}
