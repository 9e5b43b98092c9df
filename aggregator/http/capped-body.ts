/**
 * Request bodies with a hard cap that is enforced while reading, not after. body-parser refuses
 * an oversized body with 413 only once it has drained all of it (to keep the connection
 * usable), so a client declaring 10 MB, or trickling bytes, holds the request for as long as it
 * likes. Here a body declared larger than the cap is refused before a byte of it is read, and
 * one that grows past the cap is refused the moment it does; the answer carries
 * `Connection: close`, so Node closes the socket after it instead of reading the rest.
 */
import type { Request, RequestHandler, Response } from 'express';

/**
 * Answers a refused body; called at most once per request, before anything else is sent, with
 * the cap it passed and whether any of the body was read (cappedRawBody).
 */
export type TooLargeHandler = (req: Request, res: Response, cap?: BodyCap, read?: boolean) => void;

/**
 * A cap that may change as the body arrives (the ingest's: a batch's until the first byte
 * shows one heartbeat, heartbeat-batch.ts): `limit` is the cap in force, `see` is shown each
 * chunk before it is counted.
 */
export interface BodyCap {
  /** The most a Content-Length may declare. */
  readonly declaredLimit: number;
  readonly limit: number;
  see(chunk: Buffer): void;
}

function declaredLength(req: Request): number | null {
  const header = req.headers['content-length'];
  if (header === undefined) return null;
  const length = Number(header);
  return Number.isFinite(length) ? length : null;
}

function refuse(req: Request, res: Response, onTooLarge: TooLargeHandler, cap?: BodyCap, read = false): void {
  res.setHeader('Connection', 'close');
  onTooLarge(req, res, cap, read);
}

function fixedCap(limit: number): BodyCap {
  return { declaredLimit: limit, limit, see: () => undefined };
}

/**
 * Reads the raw body (any content type, no decompression: a compressed body is refused with
 * 415) into `req.body` as a Buffer of at most `limit` bytes (a number, or a cap made per
 * request), then calls next(). A client that hangs up mid-body gets nothing: there is no one
 * to answer.
 */
export function cappedRawBody(
  limit: number | ((req: Request) => BodyCap),
  onTooLarge: TooLargeHandler,
): RequestHandler {
  const fixed = typeof limit === 'number' ? fixedCap(limit) : null;
  return (req, res, next) => {
    const cap = fixed ?? (limit as (req: Request) => BodyCap)(req);
    const declared = declaredLength(req);
    if (declared !== null && declared > cap.declaredLimit) return refuse(req, res, onTooLarge, cap);
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
      res.setHeader('Connection', 'close');
      res.status(415).json({ error: 'unsupported content-encoding', detail: 'send the body uncompressed' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (then: () => void) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
      then();
    };
    const onData = (chunk: Buffer) => {
      cap.see(chunk);
      size += chunk.length;
      // A cap that shrank (one heartbeat, not a batch) refuses what was declared past it now.
      if (size <= cap.limit && (declared === null || declared <= cap.limit)) {
        chunks.push(chunk);
        return;
      }
      settle(() => {
        req.pause();
        refuse(req, res, onTooLarge, cap, true);
      });
    };
    const onEnd = () =>
      settle(() => {
        req.body = Buffer.concat(chunks, size);
        next();
      });
    const onGone = () => settle(() => res.destroy());
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  };
}

/**
 * Refuses, before reading it, any body declared larger than `limitBytes`: for the routes that
 * take no body, so that none of them drains megabytes only to throw them away.
 */
export function declaredBodyLimit(limitBytes: number, onTooLarge: TooLargeHandler): RequestHandler {
  return (req, res, next) => {
    const declared = declaredLength(req);
    if (declared !== null && declared > limitBytes) return refuse(req, res, onTooLarge);
    next();
  };
}
