/**
 * What `POST /api/v1/heartbeats` answers to a body it has read within its cap: one heartbeat's
 * 202, 400 or 401, or a batch's 200 with one answer per item (heartbeat-batch.ts). Express's
 * handler (app.ts) and the ingest lane (ingest-lane.ts) both send these answers, serialized
 * here once, so that neither has its own copy of a status, a body or a rule.
 */
import type { RejectReason } from '../../shared/heartbeat';
import type { ApplyOutcome, HeartbeatIngest, IngestResult } from '../collector';
import { APPLY_OUTCOMES } from '../collector';
import type { BearerCheck } from './auth';
import { unauthorized } from './auth';
import type { BodyKind } from './heartbeat-batch';
import { isBatch, splitBatch } from './heartbeat-batch';
import type { RateSpent } from './ingest-rate-limit';

/** An answer, ready to send as `application/json; charset=utf-8`. */
export interface IngestAnswer {
  readonly status: number;
  readonly json: string;
  /** A 401's WWW-Authenticate. */
  readonly challenge?: string;
}

/** What the ingest route judges with. */
export interface IngestJudge {
  readonly ingest: Pick<HeartbeatIngest, 'ingestNow' | 'ingestManyNow'>;
  /** Counts a batch refused whole (too many items, not an array). */
  readonly onRejected: (reason: RejectReason) => void;
}

/** A request's circumstances, besides its body. */
export interface IngestRequest {
  readonly kind: BodyKind;
  /** Without the API token, why (the heartbeats must prove themselves by their signatures). */
  readonly unauthenticated: BearerCheck | undefined;
  /** The rate limit's window, one heartbeat of it spent on arrival; undefined: unlimited. */
  readonly rate: RateSpent | undefined;
}

/** What the 401 of an ingest without the token asks for. */
export const INGEST_CREDENTIALS = 'AGGREGATOR_API_TOKEN, or a heartbeat signed with HEARTBEAT_SECRET';

const UNAUTHORIZED: Record<Exclude<BearerCheck, 'ok'>, IngestAnswer> = {
  missing: { status: 401, ...unauthorized('missing', INGEST_CREDENTIALS) },
  invalid: { status: 401, ...unauthorized('invalid', INGEST_CREDENTIALS) },
};

// Made once: the answers of every accepted heartbeat.
const ACCEPTED = Object.fromEntries(
  APPLY_OUTCOMES.map((outcome) => [
    outcome,
    { status: 202, json: JSON.stringify({ status: 'accepted', outcome }) },
  ]),
) as Record<ApplyOutcome, IngestAnswer>;

function rejected(reason: string, detail: string, status = 400): IngestAnswer {
  return { status, json: JSON.stringify({ error: 'heartbeat rejected', reason, detail }) };
}

/** The body of a JSON object without its opening brace, to follow other fields. */
function fieldsOf(json: string): string {
  return json.slice(1);
}

/** The ingest path. */
export const INGEST_PATH = '/api/v1/heartbeats';

/**
 * Judges a body (see the module comment); the answer at once unless a relay into Redis is to
 * be awaited first. Never throws, nor rejects.
 */
export function answerIngest(
  judge: IngestJudge,
  request: IngestRequest,
  body: Buffer,
  nowMs: number,
): IngestAnswer | Promise<IngestAnswer> {
  if (isBatch(request.kind, body)) return answerBatch(judge, request, body, nowMs);
  const result = judge.ingest.ingestNow(body, nowMs);
  const unauthenticated = request.unauthenticated;
  return result instanceof Promise
    ? result.then((settled) => answerOne(settled, unauthenticated))
    : answerOne(result, unauthenticated);
}

/** How a request without the token failed the check; null: it has the token, or none is wanted. */
function anonymousAs(check: BearerCheck | undefined): Exclude<BearerCheck, 'ok'> | null {
  return check === 'missing' || check === 'invalid' ? check : null;
}

/** One heartbeat's answer, as the route has always given it. */
function answerOne(result: IngestResult, unauthenticated: BearerCheck | undefined): IngestAnswer {
  if (result.ok) return ACCEPTED[result.outcome];
  // Without the token only a verified signature authenticates; `replayed` comes after one.
  const anonymous = anonymousAs(unauthenticated);
  if (anonymous !== null && result.reason !== 'replayed') return UNAUTHORIZED[anonymous];
  return rejected(result.reason, result.detail);
}

function answerBatch(
  judge: IngestJudge,
  request: IngestRequest,
  body: Buffer,
  nowMs: number,
): IngestAnswer | Promise<IngestAnswer> {
  const { rate } = request;
  const anonymous = anonymousAs(request.unauthenticated);
  const split = splitBatch(request.kind, body);
  if (!split.ok) {
    if (split.reason !== 'empty_batch') {
      judge.onRejected(split.reason === 'too_many_items' ? 'too_large' : 'malformed_json');
    }
    // As for one heartbeat: an anonymous sender learns nothing but that it must prove itself.
    if (anonymous !== null && split.status === 400) return UNAUTHORIZED[anonymous];
    return {
      status: split.status,
      json: JSON.stringify({ error: 'batch rejected', reason: split.reason, detail: split.detail }),
    };
  }
  const items = split.items;
  // The request spent one heartbeat on arrival, its first item's; the others spend one each,
  // and those past the window's limit are refused (429) unjudged.
  let admitted = items.length;
  if (rate !== undefined) {
    const before = rate.window.hits - 1;
    rate.window.hits += items.length - 1;
    admitted = Math.max(1, Math.min(items.length, rate.limiter.limit - before));
  }
  const results = judge.ingest.ingestManyNow(
    admitted === items.length ? items : items.slice(0, admitted),
    nowMs,
  );
  return results instanceof Promise
    ? results.then((settled) => batchAnswer(request, items.length, settled))
    : batchAnswer(request, items.length, results);
}

/** The 200 of a batch of `total` items, `results` those judged (the rest were over the rate). */
function batchAnswer(request: IngestRequest, total: number, results: readonly IngestResult[]): IngestAnswer {
  const rate = request.rate;
  const anonymous = anonymousAs(request.unauthenticated);
  const admitted = results.length;
  const parts: string[] = new Array<string>(total);
  let accepted = 0;
  let authenticated = 0;
  for (let index = 0; index < results.length; index++) {
    const result = results[index] as IngestResult;
    if (result.ok) {
      accepted++;
      authenticated++;
      parts[index] = `{"index":${index},"status":202,"outcome":"${result.outcome}"}`;
    } else if (anonymous !== null && result.reason !== 'replayed') {
      parts[index] = `{"index":${index},"status":401,${fieldsOf(UNAUTHORIZED[anonymous].json)}`;
    } else {
      authenticated++;
      parts[index] =
        `{"index":${index},"status":400,${fieldsOf(rejected(result.reason, result.detail).json)}`;
    }
  }
  if (anonymous !== null && authenticated === 0) return UNAUTHORIZED[anonymous];
  if (admitted < total && rate !== undefined) {
    const limited = `"status":429,${fieldsOf(rate.limiter.refusalJson)}`;
    for (let index = admitted; index < total; index++) parts[index] = `{"index":${index},${limited}`;
  }
  return {
    status: 200,
    json: `{"accepted":${accepted},"rejected":${total - accepted},"results":[${parts.join(',')}]}`,
  };
}
