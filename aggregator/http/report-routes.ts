/**
 * The report routes (GET /api/v1/monitoring/replicas and /api/v1/health/instances): one table
 * of what each answers from the published report, and one way of sending that answer with its
 * ETag. Express's handlers (app.ts) and the fast lane (fast-lane.ts) both serve this table
 * through `sendReady`, so neither has its own copy of the paths, the paging or the 304 rule.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { PublishedReport, SerializedReport } from '../report-store';
import { instancesBody, serializeBody } from '../report-store';
import type { PageRequest } from './instance-pages';
import { pageOf, parsePageParams } from './instance-pages';

/** A parsed query string (express's default parser and the lane's are both node:querystring). */
export type Query = Readonly<Record<string, unknown>>;

/** A report route's answer: ready bytes, or the paging parameter that is wrong. */
export type ReportAnswer =
  | { readonly ok: true; readonly body: SerializedReport }
  | { readonly ok: false; readonly parameter: string; readonly detail: string };

/** What a report route answers to a query, from the published report. */
export type ReportRoute = (query: Query, published: PublishedReport) => ReportAnswer;

/** One page of the report: its fields, that page of instances and the next page's cursor. */
function reportPage(published: PublishedReport, request: PageRequest): SerializedReport {
  const page = pageOf(published.instanceList(), request);
  return serializeBody({
    ...published.report,
    instances: page.instances,
    next_cursor: page.nextCursor,
  });
}

/** One page of the instance list, with the next page's cursor. */
function instancesPage(published: PublishedReport, request: PageRequest): SerializedReport {
  const page = pageOf(published.instanceList(), request);
  return serializeBody({ ...instancesBody(published.report, page.instances), next_cursor: page.nextCursor });
}

/**
 * A list route's answer: the whole list as ready bytes, or with `limit`/`cursor` one page of it
 * with `next_cursor` (null on the last page); a bad paging parameter is named.
 */
function listAnswer(
  query: Query,
  whole: () => SerializedReport,
  paged: (page: PageRequest) => SerializedReport,
): ReportAnswer {
  const params = parsePageParams(query);
  if (!params.ok) return params;
  return { ok: true, body: params.page === null ? whole() : paged(params.page) };
}

/** GET /api/v1/monitoring/replicas: `instances=false` leaves the list out (nothing to page then). */
const replicas: ReportRoute = (query, published) => {
  if (query.instances === 'false') return { ok: true, body: published.withoutInstances() };
  return listAnswer(query, published.full, (page) => reportPage(published, page));
};

/** GET /api/v1/health/instances. */
const instances: ReportRoute = (query, published) =>
  listAnswer(query, published.instances, (page) => instancesPage(published, page));

/**
 * The report routes by path. A Map, not an object literal: a path such as `/constructor` must
 * find nothing rather than something inherited.
 */
export const REPORT_ROUTES: ReadonlyMap<string, ReportRoute> = new Map([
  ['/api/v1/monitoring/replicas', replicas],
  ['/api/v1/health/instances', instances],
]);

/** If-None-Match holds `etag` (or `*`); weak forms match too, as RFC 9110 has it for GET. */
function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || (trimmed.startsWith('W/') ? trimmed.slice(2) : trimmed) === etag;
  });
}

const NO_HEADERS: OutgoingHttpHeaders = Object.freeze({});

/**
 * Sends ready bytes with their ETag, or 304 when If-None-Match holds it: one writeHead with
 * `headers` (the lane's copy of helmet's; express's handlers have had helmet set them already
 * and pass none) and the body's own. One object per request, which node uses as it is when no
 * header was set before (the lane).
 */
export function sendReady(
  req: IncomingMessage,
  res: ServerResponse,
  ready: SerializedReport,
  headers: OutgoingHttpHeaders = NO_HEADERS,
): void {
  const head: OutgoingHttpHeaders = { ...headers, etag: ready.etag, 'cache-control': 'no-cache' };
  if (etagMatches(req.headers['if-none-match'], ready.etag)) {
    res.writeHead(304, head).end();
    return;
  }
  head['content-type'] = 'application/json; charset=utf-8';
  head['content-length'] = ready.body.length;
  res.writeHead(200, head).end(ready.body);
}
