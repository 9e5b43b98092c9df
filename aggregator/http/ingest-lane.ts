/**
 * The ingest's fast lane: the ordinary `POST /api/v1/heartbeats` answered by a plain request
 * listener in front of express, as the report routes' lane (fast-lane.ts) answers their GETs.
 * Through express a heartbeat cost its router, helmet's dozen setHeader calls, the rate
 * limiter's promises and res.json, several times the heartbeat's own parse and apply. The lane
 * takes a request only when it is the plain case: exactly that path, POST, a Content-Length
 * within the cap, no Content-Encoding, JSON or NDJSON, and the API token (or, with
 * HEARTBEAT_SECRET, none: the signatures are then checked). It spends the same rate limit,
 * judges the body with the same code (ingest-answer.ts) and sends the same headers (helmet's,
 * captured once; the limiter's) in the same order, so that its answers are express's byte for
 * byte. Anything else goes to express untouched, before the lane has spent or read anything.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { RejectReason } from '../../shared/heartbeat';
import type { Clock } from '../../shared/clock';
import type { AccessCheck, BearerCheck } from './auth';
import type { Lane } from './fast-lane';
import { IngestBodyCap, bodyKind } from './heartbeat-batch';
import type { IngestAnswer, IngestJudge, IngestRequest } from './ingest-answer';
import { INGEST_PATH, answerIngest } from './ingest-answer';
import type { IngestRateLimit, RateSpent, RateWindow } from './ingest-rate-limit';
import { clientKey } from './ingest-rate-limit';

export interface IngestLaneOptions extends IngestJudge {
  /** The /api access check, express's guard's. */
  readonly access: AccessCheck;
  /** HEARTBEAT_SECRET is set: a request without the token is judged by its signatures. */
  readonly signedIngest: boolean;
  /** INGEST_RATE_LIMIT_PER_S, express's middleware's limiter; null: unlimited. */
  readonly limiter: IngestRateLimit | null;
  readonly clock: Clock;
  /** The headers every answer carries first (helmet's, from `captureHeaders`). */
  readonly headers: OutgoingHttpHeaders;
  /** Told the path of every request the lane answered (a metric; a test telling who answered). */
  readonly onAnswered?: ((path: string) => void) | undefined;
}

/** One request in the lane, from its arrival to its answer. */
class Exchange implements IngestRequest {
  readonly chunks: Buffer[] = [];
  size = 0;
  settled = false;

  constructor(
    readonly lane: LaneState,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly cap: IngestBodyCap,
    /** Content-Length. */
    readonly declared: number,
    readonly unauthenticated: BearerCheck | undefined,
    readonly rate: RateSpent | undefined,
    /** `RateLimit` as it stood on arrival, which one heartbeat's answer carries. */
    readonly rateHeader: string | null,
  ) {}

  get kind(): IngestBodyCap['kind'] {
    return this.cap.kind;
  }
}

/** What every exchange shares: the options and the headers in the order express sends them. */
interface LaneState {
  readonly options: IngestLaneOptions;
  /** helmet's headers as a flat [name, value, …] list, ready to copy. */
  readonly head: readonly (number | string | readonly string[])[];
}

const EXCHANGE = Symbol('ingest exchange');

type LaneRequest = IncomingMessage & { [EXCHANGE]?: Exchange };

// The request's listeners are these, shared by every request (`this` is the request): no
// closure per request.
function onData(this: LaneRequest, chunk: Buffer): void {
  const exchange = this[EXCHANGE];
  if (exchange === undefined || exchange.settled) return;
  exchange.cap.see(chunk);
  exchange.size += chunk.length;
  // The declared length is at most the cap it had; a cap that shrank refuses it now.
  if (exchange.size <= exchange.cap.limit && exchange.declared <= exchange.cap.limit) {
    exchange.chunks.push(chunk);
    return;
  }
  // A JSON body declared a batch's length and turned out to be one heartbeat: express's 413.
  settle(exchange);
  this.pause();
  exchange.lane.options.onRejected('too_large' satisfies RejectReason);
  send(exchange, 413, exchange.cap.tooLarge(true), null, true);
}

function onEnd(this: LaneRequest): void {
  const exchange = this[EXCHANGE];
  if (exchange === undefined || exchange.settled) return;
  settle(exchange);
  const { chunks, size, lane } = exchange;
  const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
  let answer: IngestAnswer | Promise<IngestAnswer>;
  try {
    answer = answerIngest(lane.options, exchange, body, lane.options.clock.now());
  } catch (err) {
    // The ingest never throws; if it did, answering nothing would hold the client forever.
    exchange.res.destroy(err instanceof Error ? err : new Error(String(err)));
    return;
  }
  if (answer instanceof Promise) {
    answer.then(
      (settled) => answered(exchange, settled),
      () => exchange.res.destroy(),
    );
  } else {
    answered(exchange, answer);
  }
}

function onGone(this: LaneRequest): void {
  const exchange = this[EXCHANGE];
  if (exchange === undefined || exchange.settled) return;
  // Hung up mid-body: there is no one to answer.
  settle(exchange);
  exchange.res.destroy();
}

function settle(exchange: Exchange): void {
  exchange.settled = true;
  const req = exchange.req as LaneRequest;
  req.off('data', onData);
  req.off('end', onEnd);
  req.off('error', onGone);
  req.off('close', onGone);
  req[EXCHANGE] = undefined;
}

function answered(exchange: Exchange, answer: IngestAnswer): void {
  send(exchange, answer.status, answer.json, answer.challenge ?? null, false);
}

/**
 * Writes an answer with express's headers in express's order: helmet's, the limiter's
 * (`RateLimit` as it stood on arrival, or for a batch after its items were spent), `Connection:
 * close` on a 413,
 * the challenge on a 401, then the body's type and length.
 */
function send(
  exchange: Exchange,
  status: number,
  json: string,
  challenge: string | null,
  close: boolean,
): void {
  const { lane, rate, res } = exchange;
  const head = lane.head.slice();
  if (rate !== undefined) {
    const spent =
      exchange.cap.batch === true
        ? rate.limiter.header(rate.window, lane.options.clock.now())
        : exchange.rateHeader;
    head.push('RateLimit-Policy', rate.limiter.policy, 'RateLimit', spent ?? '');
  }
  if (close) head.push('Connection', 'close');
  if (challenge !== null) head.push('WWW-Authenticate', challenge);
  head.push('Content-Type', 'application/json; charset=utf-8', 'Content-Length', Buffer.byteLength(json));
  res.writeHead(status, head as string[]).end(json);
  lane.options.onAnswered?.(INGEST_PATH);
}

/** Writes the 429 of a spent window, as the limiter's middleware does. */
function refuseRate(
  lane: LaneState,
  res: ServerResponse,
  limiter: IngestRateLimit,
  window: RateWindow,
  now: number,
): void {
  const json = limiter.refusalJson;
  const head = lane.head.slice();
  head.push(
    'RateLimit-Policy',
    limiter.policy,
    'RateLimit',
    limiter.header(window, now),
    'Retry-After',
    limiter.retryAfter(window, now),
    'Content-Type',
    'application/json; charset=utf-8',
    'Content-Length',
    Buffer.byteLength(json),
  );
  res.writeHead(429, head as string[]).end(json);
  lane.options.onAnswered?.(INGEST_PATH);
}

/** The declared Content-Length, or null when there is none or it is not a plain number. */
function declaredLength(req: IncomingMessage): number | null {
  const header = req.headers['content-length'];
  if (header === undefined) return null;
  const length = Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : null;
}

/** The ingest's lane (see the module comment): answers the plain POST as express would, or nothing. */
export function createIngestLane(options: IngestLaneOptions): Lane {
  const head: (number | string | readonly string[])[] = [];
  for (const [name, value] of Object.entries(options.headers)) {
    if (value !== undefined) head.push(name, value);
  }
  const lane: LaneState = { options, head };
  const { access, signedIngest, limiter, clock } = options;
  return (req, res) => {
    if (req.url !== INGEST_PATH || req.method !== 'POST') return false;
    const headers = req.headers;
    if (headers['content-encoding'] !== undefined || headers['transfer-encoding'] !== undefined) return false;
    const kind = bodyKind(headers['content-type']);
    if (kind === 'other') return false;
    const declared = declaredLength(req);
    const cap = new IngestBodyCap(kind);
    // Unread refusals are express's (413 from Content-Length, as ever).
    if (declared === null || declared > cap.declaredLimit) return false;
    const check = access(req);
    // Without the token only signed ingest is the lane's; express answers the 401.
    if (check !== 'ok' && !signedIngest) return false;
    let rate: RateSpent | undefined;
    let rateHeader: string | null = null;
    if (limiter !== null) {
      const now = clock.now();
      const window = limiter.hit(clientKey(req), 1, now);
      if (limiter.exceeded(window)) {
        // Unread, as express leaves it: node discards the body once the answer is sent.
        refuseRate(lane, res, limiter, window, now);
        return true;
      }
      rate = { limiter, window };
      rateHeader = limiter.header(window, now);
    }
    const exchange = new Exchange(
      lane,
      req,
      res,
      cap,
      declared,
      check === 'ok' ? undefined : check,
      rate,
      rateHeader,
    );
    const carrier = req as LaneRequest;
    carrier[EXCHANGE] = exchange;
    carrier.on('data', onData);
    carrier.on('end', onEnd);
    carrier.on('error', onGone);
    carrier.on('close', onGone);
    return true;
  };
}
