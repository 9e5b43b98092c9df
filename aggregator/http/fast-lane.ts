/**
 * The report routes' fast lane. Dashboards and scripts poll GET /api/v1/monitoring/replicas and
 * /api/v1/health/instances, and the answer is ready bytes; what cost the time was the way to
 * them: express's router and helmet setting a dozen headers one by one took two thirds of the
 * CPU per request. The lane answers the ordinary request before express sees it, with helmet's
 * headers computed once at start-up; anything else (another path or spelling of it, a missing
 * token, a body, a bad paging parameter, no report yet, HEAD) goes to express unchanged, so
 * every other answer stays exactly what it was.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';

/** Answers a request and returns true, or returns false having touched nothing. */
export type Lane = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * Puts `lane` in front of the app: every request the server hands to the app meets the lane
 * first. It wraps the app's dispatch method (express calls `app.handle` for each request); if an
 * express version has none, the app stays as it is and every request takes the normal way.
 */
export function installLane(app: Express, lane: Lane): void {
  const target = app as unknown as {
    handle?: (req: IncomingMessage, res: ServerResponse, next?: unknown) => void;
  };
  const handle = target.handle;
  if (typeof handle !== 'function') return;
  target.handle = function laneFirst(req, res, next) {
    if (!lane(req, res)) handle.call(this, req, res, next);
  };
}

/**
 * The headers a header-setting middleware (helmet) sets on every response, found by running it
 * once on a stand-in response. null when it does anything else (then there is no fast lane).
 */
export function captureHeaders(middleware: RequestHandler): OutgoingHttpHeaders | null {
  const headers: OutgoingHttpHeaders = {};
  let passed = false;
  const res = {
    locals: {},
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = value as string;
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
    getHeader: (name: string) => headers[name.toLowerCase()],
  };
  const req = { method: 'GET', url: '/', headers: {}, secure: false };
  try {
    void middleware(
      req as unknown as Request,
      res as unknown as Response,
      ((err?: unknown) => {
        passed = err === undefined;
      }) as NextFunction,
    );
  } catch {
    return null;
  }
  return passed ? headers : null;
}

/** A request with a body (declared or chunked) is never the lane's: the chain refuses it. */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return (length !== undefined && length !== '0') || headers['transfer-encoding'] !== undefined;
}
