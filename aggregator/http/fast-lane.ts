/**
 * The report routes' fast lane. Dashboards and scripts poll GET /api/v1/monitoring/replicas and
 * /api/v1/health/instances, and the answer is ready bytes; what cost the time was the way to
 * them: express's router and helmet setting a dozen headers one by one took two thirds of the
 * CPU per request. The lane is a plain request listener in front of the express app
 * (`(req, res) => lane(req, res) || app(req, res)`, app.ts): it answers the ordinary request
 * from the same route table, access check and ETag path as express's handlers
 * (report-routes.ts, auth.ts), with helmet's headers computed once at start-up; anything else
 * (another path or spelling of it, a missing token, a body, a bad paging parameter, no report
 * yet, HEAD) goes to express untouched, so every answer stays exactly what express gives.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { PublishedReport } from '../report-store';
import type { AccessCheck } from './auth';
import type { Query, ReportAnswer, ReportRoute } from './report-routes';
import { sendReady } from './report-routes';

/** Answers a request and returns true, or returns false having touched nothing. */
export type Lane = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface LaneOptions {
  /** The routes the lane may answer: the table express serves them from too. */
  readonly routes: ReadonlyMap<string, ReportRoute>;
  /** The report a request's query names (`?app=`); null: not the lane's to answer (express says why). */
  readonly reports: (query: Query) => PublishedReport | null;
  /** The routes' access check: the one express's guard calls. */
  readonly access: AccessCheck;
  /** The headers every answer carries (helmet's, from `captureHeaders`). */
  readonly headers: OutgoingHttpHeaders;
  /** Told the path of every request the lane answered (a metric; a test telling who answered). */
  readonly onAnswered?: ((path: string) => void) | undefined;
}

const NO_QUERY: Query = Object.freeze({});

/** A request with a body (declared or chunked) is never the lane's: the chain refuses it. */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return (length !== undefined && length !== '0') || headers['transfer-encoding'] !== undefined;
}

/** The lane over `options.routes`: answers what express would answer the same way, or nothing. */
export function createLane(options: LaneOptions): Lane {
  const { routes, reports, access, headers, onAnswered } = options;
  return (req, res) => {
    const url = req.url ?? '';
    const mark = url.indexOf('?');
    const path = mark < 0 ? url : url.slice(0, mark);
    const route = routes.get(path);
    if (route === undefined || req.method !== 'GET' || hasBody(req.headers)) return false;
    // express's URL parser reads a `#` as the start of a fragment; node:querystring does not.
    if (mark >= 0 && url.includes('#', mark)) return false;
    if (access(req) !== 'ok') return false;
    const query = mark < 0 ? NO_QUERY : parseQuery(url.slice(mark + 1));
    const published = reports(query);
    if (published === null) return false;
    let answer: ReportAnswer;
    try {
      answer = route(query, published);
    } catch {
      // Express answers (500) and logs the same failure; thrown from here it would end the process.
      return false;
    }
    if (!answer.ok) return false;
    sendReady(req, res, answer.body, headers);
    onAnswered?.(path);
    return true;
  };
}

/**
 * The headers a header-setting middleware (helmet) sets on every response, found by running it
 * once on a stand-in response, with their names as it spelled them. Throws, naming `name` and
 * what went wrong, when it does anything else: it throws, passes an error, does not call
 * next() at once, or sets a header node would refuse. There is then no lane to run without.
 */
export function captureHeaders(middleware: RequestHandler, name: string): OutgoingHttpHeaders {
  const fail = (reason: string, cause?: unknown): Error =>
    new Error(`the fast lane cannot compute ${name}'s headers: ${reason}`, { cause });
  // By lower-case name, as node keeps them: a later spelling replaces an earlier one.
  const captured = new Map<string, [string, number | string | string[]]>();
  const res = {
    locals: {},
    setHeader: (header: string, value: number | string | readonly string[]) => {
      captured.set(header.toLowerCase(), [header, typeof value === 'object' ? [...value] : value]);
    },
    removeHeader: (header: string) => {
      captured.delete(header.toLowerCase());
    },
    getHeader: (header: string) => captured.get(header.toLowerCase())?.[1],
  };
  const req = { method: 'GET', url: '/', headers: {}, secure: false };
  let passed: { err: unknown } | undefined;
  try {
    void middleware(
      req as unknown as Request,
      res as unknown as Response,
      ((err?: unknown) => {
        passed = { err };
      }) as NextFunction,
    );
  } catch (err) {
    throw fail(`it threw (${err instanceof Error ? err.message : String(err)})`, err);
  }
  if (passed === undefined) throw fail('it did not call next() at once');
  if (passed.err !== undefined) throw fail('it passed an error to next()', passed.err);
  const headers: OutgoingHttpHeaders = {};
  for (const [header, value] of captured.values()) {
    try {
      validateHeaderName(header);
      for (const one of [value].flat()) validateHeaderValue(header, String(one));
    } catch (err) {
      throw fail(`it set a header node refuses (${header})`, err);
    }
    headers[header] = value;
  }
  return Object.freeze(headers);
}
