/**
 * The aggregator's HTTP API (express). Every read is served from the latest published report;
 * no request waits on Redis or the platform API.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { Registry } from 'prom-client';
import { MAX_HEARTBEAT_BYTES, type RejectReason } from '../../shared/heartbeat';
import type { Logger } from '../../shared/logger';
import type { Clock } from '../../shared/clock';
import type { HeartbeatIngest } from '../collector';
import type { PublishedReport, ReportStore, SerializedReport } from '../report-store';
import { instancesBody, serializeBody } from '../report-store';
import type { PageRequest } from './instance-pages';
import { pageOf, parsePageParams } from './instance-pages';
import { captureHeaders, hasBody, installLane } from './fast-lane';
import { dashboardRouter } from '../dashboard';
import type { ReportEventStream } from './events';
import type { HistoryStore } from '../history';
import { historyHandler } from '../history';
import type { AuditTrail } from '../remediate';
import { auditHandler } from '../remediate';
import { OPENAPI_DOCUMENT } from './openapi';
import type { Leadership } from '../leader';
import type { BearerCheck } from './auth';
import { checkBearer, requireBearer, sendUnauthorized } from './auth';
import { cappedRawBody, declaredBodyLimit } from './capped-body';

export interface HttpDeps {
  readonly store: ReportStore;
  readonly ingest: HeartbeatIngest;
  readonly metricsRegistry: Registry;
  readonly clock: Clock;
  readonly log: Logger;
  /** Counts a body refused before it reached the ingest (too large). */
  readonly onRejected: (reason: RejectReason) => void;
  /** The report as server-sent events (GET /api/v1/events); without it the route is absent. */
  readonly events?: ReportEventStream;
  /** Counts over time (GET /api/v1/history); without it the route is absent. */
  readonly history?: HistoryStore;
  /** Remediation decisions (GET /api/v1/audit); without it the route is absent. */
  readonly audit?: AuditTrail;
  /** Whether this aggregator leads (the `leader` field of /readyz); without it the field is absent. */
  readonly leadership?: Pick<Leadership, 'isLeader'>;
  /** Tokens and limits; without it every route is open and ingest is not rate-limited. */
  readonly security?: HttpSecurity;
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
  /** Ingest requests per second per client IP; 0: unlimited. */
  readonly ingestRateLimitPerS: number;
}

const INGEST_PATH = '/api/v1/heartbeats';

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

/** If-None-Match holds `etag` (or `*`); weak forms match too, as RFC 9110 has it for GET. */
function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || (trimmed.startsWith('W/') ? trimmed.slice(2) : trimmed) === etag;
  });
}

function sendSerialized(req: Request, res: Response, serialized: SerializedReport): void {
  res.setHeader('ETag', serialized.etag);
  res.setHeader('Cache-Control', 'no-cache');
  if (etagMatches(req.headers['if-none-match'], serialized.etag)) {
    res.status(304).end();
    return;
  }
  res.type('application/json').send(serialized.body);
}

/** A parsed query string (express's default parser and the lane's are both node:querystring). */
type Query = Readonly<Record<string, unknown>>;

/** A list route's answer: ready bytes, or the paging parameter that is wrong. */
type ListAnswer =
  | { readonly ok: true; readonly body: SerializedReport }
  | { readonly ok: false; readonly parameter: string; readonly detail: string };

/**
 * A list route's answer: the whole list as ready bytes, or with `limit`/`cursor` one page of it
 * with `next_cursor` (null on the last page); a bad paging parameter is named.
 */
function listAnswer(
  query: Query,
  whole: () => SerializedReport,
  paged: (page: PageRequest) => SerializedReport,
): ListAnswer {
  const params = parsePageParams(query);
  if (!params.ok) return params;
  return { ok: true, body: params.page === null ? whole() : paged(params.page) };
}

/** GET /api/v1/monitoring/replicas: `instances=false` leaves the list out (nothing to page then). */
function replicasAnswer(query: Query, published: PublishedReport): ListAnswer {
  if (query.instances === 'false') return { ok: true, body: published.withoutInstances() };
  return listAnswer(query, published.full, (page) => reportPage(published, page));
}

/** GET /api/v1/health/instances. */
function instancesAnswer(query: Query, published: PublishedReport): ListAnswer {
  return listAnswer(query, published.instances, (page) => instancesPage(published, page));
}

/** Sends a list route's answer, or 400 naming the bad parameter. */
function sendAnswer(req: Request, res: Response, answer: ListAnswer): void {
  if (answer.ok) return sendSerialized(req, res, answer.body);
  res.status(400).json({ error: answer.detail, parameter: answer.parameter });
}

/** The fast lane's send (fast-lane.ts): one writeHead with every header, helmet's included. */
function sendReady(
  req: IncomingMessage,
  res: ServerResponse,
  body: SerializedReport,
  headers: OutgoingHttpHeaders,
): void {
  const common = { ...headers, etag: body.etag, 'cache-control': 'no-cache' };
  if (etagMatches(req.headers['if-none-match'], body.etag)) {
    res.writeHead(304, common).end();
    return;
  }
  res
    .writeHead(200, {
      ...common,
      'content-type': 'application/json; charset=utf-8',
      'content-length': body.body.length,
    })
    .end(body.body);
}

/** One page of the report: its fields, that page of instances and the next page's cursor. */
function reportPage(published: PublishedReport, request: PageRequest): SerializedReport {
  const page = pageOf(published.report.instances, request);
  return serializeBody({
    ...published.withoutInstancesValue,
    instances: page.instances,
    next_cursor: page.nextCursor,
  });
}

/** One page of the instance list, with the next page's cursor. */
function instancesPage(published: PublishedReport, request: PageRequest): SerializedReport {
  const page = pageOf(published.report.instances, request);
  return serializeBody({ ...instancesBody(published.report, page.instances), next_cursor: page.nextCursor });
}

function notReady(res: Response): void {
  res.status(503).json({ error: 'no report yet: the first reconciliation has not run' });
}

export function createHttpApp(deps: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const security = deps.security;
  const securityHeaders = helmet({ contentSecurityPolicy: CONTENT_SECURITY_POLICY });
  // The report routes' fast lane (fast-lane.ts): their ordinary requests are answered before
  // express, with helmet's headers captured once; every other request goes through unchanged.
  const laneHeaders = captureHeaders(securityHeaders);
  if (laneHeaders !== null) {
    const laneToken = security?.apiToken ?? null;
    const answers: Readonly<Record<string, typeof replicasAnswer>> = {
      '/api/v1/monitoring/replicas': replicasAnswer,
      '/api/v1/health/instances': instancesAnswer,
    };
    installLane(app, (req, res) => {
      const url = req.url ?? '';
      const mark = url.indexOf('?');
      const answer = answers[mark < 0 ? url : url.slice(0, mark)];
      const published = deps.store.current();
      if (answer === undefined || published === null) return false;
      if (req.method !== 'GET' || hasBody(req.headers)) return false;
      if (laneToken !== null && checkBearer(req as Request, laneToken) !== 'ok') return false;
      const answered = answer(mark < 0 ? {} : parseQuery(url.slice(mark + 1)), published);
      if (!answered.ok) return false;
      sendReady(req, res, answered.body, laneHeaders);
      return true;
    });
  }
  app.use(securityHeaders);
  const refuseOtherBodies = declaredBodyLimit(MAX_OTHER_BODY_BYTES, (_req, res) => {
    res.status(413).json({ error: 'request body too large', detail: 'this route takes no body' });
  });
  app.use((req, res, next) => (req.path === INGEST_PATH ? next() : refuseOtherBodies(req, res, next)));
  // Before the token check, so that a flood is slowed whatever it sends.
  if (security && security.ingestRateLimitPerS > 0) {
    app.use(
      INGEST_PATH,
      rateLimit({
        windowMs: 1_000,
        limit: security.ingestRateLimitPerS,
        standardHeaders: 'draft-7',
        legacyHeaders: false,
        message: {
          error: 'too many requests',
          detail: `at most ${security.ingestRateLimitPerS} heartbeats a second per client address (INGEST_RATE_LIMIT_PER_S)`,
        },
        logger: {
          error: (err, message) => deps.log.error('ingest rate limiter failed', { err, detail: message }),
          warn: (err, message) => deps.log.warn('ingest rate limiter', { err, detail: message }),
        },
      }),
    );
  }
  const apiToken = security?.apiToken ?? null;
  if (apiToken !== null) {
    app.use('/api', (req, res, next) => {
      const check = checkBearer(req, apiToken);
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

  app.get('/readyz', (_req, res) => {
    const published = deps.store.current();
    if (!published) return notReady(res);
    res.json({
      status: 'ready',
      degraded: published.report.degraded,
      generated_at: published.report.generated_at,
      ...(deps.leadership ? { leader: deps.leadership.isLeader() } : {}),
    });
  });

  app.get('/api/v1/monitoring/replicas', (req, res) => {
    const published = deps.store.current();
    if (!published) return notReady(res);
    sendAnswer(req, res, replicasAnswer(req.query, published));
  });

  app.get('/api/v1/health/instances', (req, res) => {
    const published = deps.store.current();
    if (!published) return notReady(res);
    sendAnswer(req, res, instancesAnswer(req.query, published));
  });

  if (deps.events) app.get('/api/v1/events', deps.events.handle);
  if (deps.history) app.get('/api/v1/history', historyHandler({ ...deps, history: deps.history }));
  if (deps.audit) app.get('/api/v1/audit', auditHandler({ audit: deps.audit, log: deps.log }));

  app.post(
    INGEST_PATH,
    // Raw bytes with a hard cap: the body is refused with 413 from its Content-Length (or as
    // soon as the stream passes the cap), never read whole.
    cappedRawBody(MAX_HEARTBEAT_BYTES, (_req, res) => {
      deps.onRejected('too_large');
      res.status(413).json({
        error: 'heartbeat rejected',
        reason: 'too_large',
        detail: `the cap is ${MAX_HEARTBEAT_BYTES} bytes`,
      });
    }),
    async (req, res) => {
      const body: unknown = req.body;
      const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      const result = await deps.ingest.ingest(bytes, deps.clock.now());
      if (result.ok) {
        res.status(202).json({ status: 'accepted', outcome: result.outcome });
      } else if (res.locals.unauthenticated !== undefined && result.reason !== 'replayed') {
        // Without the token only a verified signature authenticates; `replayed` comes after one.
        const check = res.locals.unauthenticated as BearerCheck;
        sendUnauthorized(res, check, 'AGGREGATOR_API_TOKEN, or a heartbeat signed with HEARTBEAT_SECRET');
      } else {
        res.status(400).json({ error: 'heartbeat rejected', reason: result.reason, detail: result.detail });
      }
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

  app.use(dashboardRouter());

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
  return app;
}
