/**
 * Bearer tokens for the HTTP API (AGGREGATOR_API_TOKEN, METRICS_TOKEN): compared in constant
 * time, refused the way RFC 6750 says (401, `WWW-Authenticate: Bearer`, a JSON error that names
 * what is wanted and never the token).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler, Response } from 'express';

/** What a request's Authorization header amounts to against one token. */
export type BearerCheck = 'ok' | 'missing' | 'invalid';

/** The realm named in WWW-Authenticate. */
export const AUTH_REALM = 'replica-watch';

const BEARER = /^Bearer +([\x21-\x7e]+) *$/i;

/**
 * Whether two tokens are equal, in time independent of where they differ and of their lengths:
 * both are hashed to 32 bytes first, and timingSafeEqual compares those.
 */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** A request as far as its credentials go: node's, and so express's too. */
export type Credentials = Pick<IncomingMessage, 'headers'>;

/** Checks `Authorization: Bearer <token>`; another scheme counts as missing. */
export function checkBearer(req: Credentials, token: string): BearerCheck {
  const header = req.headers.authorization;
  if (header === undefined || !/^bearer\b/i.test(header)) return 'missing';
  const match = BEARER.exec(header);
  return match?.[1] !== undefined && tokensEqual(match[1], token) ? 'ok' : 'invalid';
}

/** Who may call a set of routes, decided from the request alone. */
export type AccessCheck = (req: Credentials) => BearerCheck;

/**
 * The access check for one token (null: open, every request passes). The /api routes have one,
 * made once, which express's guard and the report routes' fast lane both call.
 */
export function bearerAccess(token: string | null): AccessCheck {
  if (token === null) return () => 'ok';
  return (req) => checkBearer(req, token);
}

/** A 401's parts: the WWW-Authenticate challenge and the JSON body (express and the ingest lane send both). */
export interface Unauthorized {
  readonly challenge: string;
  readonly json: string;
}

/** The 401 for `check`; `wanted` names the variable whose token is expected. */
export function unauthorized(check: BearerCheck, wanted: string): Unauthorized {
  const challenge =
    check === 'invalid'
      ? `Bearer realm="${AUTH_REALM}", error="invalid_token"`
      : `Bearer realm="${AUTH_REALM}"`;
  const json = JSON.stringify({
    error: 'unauthorized',
    detail:
      check === 'invalid'
        ? `the bearer token is not the one configured (${wanted})`
        : `send Authorization: Bearer <${wanted}>`,
  });
  return { challenge, json };
}

/** Answers 401 with the challenge; `wanted` names the variable whose token is expected. */
export function sendUnauthorized(res: Response, check: BearerCheck, wanted: string): void {
  const answer = unauthorized(check, wanted);
  res.setHeader('WWW-Authenticate', answer.challenge);
  // As res.json() sends it, from the one serialisation.
  res.status(401).set('Content-Type', 'application/json').send(answer.json);
}

/** A middleware letting through only requests that carry `token`; `wanted` is its variable name. */
export function requireBearer(token: string, wanted: string): RequestHandler {
  return (req, res, next) => {
    const check = checkBearer(req, token);
    if (check === 'ok') return next();
    sendUnauthorized(res, check, wanted);
  };
}
