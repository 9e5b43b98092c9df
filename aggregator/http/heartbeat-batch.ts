/**
 * The batch form of `POST /api/v1/heartbeats`: a JSON array of heartbeats (`Content-Type:
 * application/json`, the body's first non-blank byte `[`) or NDJSON (`application/x-ndjson`,
 * one heartbeat a line, blank lines ignored). Framing only: the body is cut into each item's
 * own bytes, unparsed, and every item then goes through the same admission as a single POST
 * (so it is refused with the same reason and detail, its size capped the same, its own bytes
 * verified and relayed). The caps, and the answers that name them, are here.
 */
import { MAX_HEARTBEAT_BYTES } from '../../shared/heartbeat';

/** The most items one batch may hold (413 beyond, naming it). */
export const MAX_BATCH_ITEMS = 1000;

/** The most bytes one batch body may have: MAX_BATCH_ITEMS items at the single cap (8 MiB). */
export const MAX_BATCH_BYTES = MAX_BATCH_ITEMS * MAX_HEARTBEAT_BYTES;

/** How a body is read: `json` may be one heartbeat or an array of them; `other` is one heartbeat. */
export type BodyKind = 'json' | 'ndjson' | 'other';

/** A media type's name, lower case, without parameters (`application/json; charset=utf-8`). */
function mediaType(contentType: string): string {
  const semicolon = contentType.indexOf(';');
  return (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/** The body kind a Content-Type names; absent or anything else: one heartbeat, as ever. */
export function bodyKind(contentType: string | undefined): BodyKind {
  if (contentType === undefined) return 'other';
  // The agents' own header, spelled as they spell it, without the parsing.
  if (contentType === 'application/json') return 'json';
  const type = mediaType(contentType);
  if (type === 'application/json') return 'json';
  return type === 'application/x-ndjson' ? 'ndjson' : 'other';
}

const OPEN_BRACKET = 0x5b;

function isBlank(byte: number): boolean {
  // JSON's whitespace: space, tab, line feed, carriage return.
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/**
 * The cap on an ingest body as it arrives. A batch may have MAX_BATCH_BYTES, one heartbeat
 * MAX_HEARTBEAT_BYTES. A `json` body may declare a batch's length, but is held to one
 * heartbeat's cap until its first non-blank byte shows an array (8 KiB of blanks is no batch
 * either). `see` every chunk in order before counting it against `limit`.
 */
export class IngestBodyCap {
  /** The most a Content-Length may declare. */
  readonly declaredLimit: number;
  /** The cap now in force on the bytes read. */
  limit: number;
  /** Whether the body is a batch; null while a `json` body has shown no byte yet. */
  batch: boolean | null;

  constructor(readonly kind: BodyKind) {
    this.batch = kind === 'json' ? null : kind === 'ndjson';
    this.declaredLimit = kind === 'other' ? MAX_HEARTBEAT_BYTES : MAX_BATCH_BYTES;
    this.limit = kind === 'ndjson' ? MAX_BATCH_BYTES : MAX_HEARTBEAT_BYTES;
  }

  see(chunk: Buffer): void {
    if (this.batch !== null) return;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (isBlank(byte)) continue;
      this.batch = byte === OPEN_BRACKET;
      if (this.batch) this.limit = MAX_BATCH_BYTES;
      return;
    }
  }

  /**
   * The 413 for a body past the cap: the batch's naming its limits, for a batch or a `json` body
   * declared past a batch's cap unread; else the single heartbeat's, as it has always been.
   */
  tooLarge(read: boolean): string {
    if (this.batch === true) return BATCH_TOO_LARGE;
    return this.batch === null && !read && this.kind === 'json' ? BATCH_TOO_LARGE : HEARTBEAT_TOO_LARGE;
  }
}

/** The 413 of one heartbeat, as it has always been. */
export const HEARTBEAT_TOO_LARGE = JSON.stringify({
  error: 'heartbeat rejected',
  reason: 'too_large',
  detail: `the cap is ${MAX_HEARTBEAT_BYTES} bytes`,
});

const BATCH_TOO_LARGE = JSON.stringify({
  error: 'batch rejected',
  reason: 'too_large',
  detail:
    `a batch is capped at ${MAX_BATCH_BYTES} bytes (MAX_BATCH_BYTES: MAX_BATCH_ITEMS ${MAX_BATCH_ITEMS} × ` +
    `${MAX_HEARTBEAT_BYTES} bytes), one heartbeat at ${MAX_HEARTBEAT_BYTES} bytes`,
});

/** Why a batch is refused as a whole (each item is otherwise judged on its own). */
export type BatchRefusalReason = 'malformed_json' | 'empty_batch' | 'too_many_items';

/** The batch reasons, for the OpenAPI document. */
export const BATCH_REFUSAL_REASONS: readonly (BatchRefusalReason | 'too_large')[] = [
  'malformed_json',
  'empty_batch',
  'too_many_items',
  'too_large',
];

/** A batch cut into its items' bytes, or refused whole. */
export type SplitBatch =
  | { readonly ok: true; readonly items: Buffer[] }
  | {
      readonly ok: false;
      readonly status: 400 | 413;
      readonly reason: BatchRefusalReason;
      readonly detail: string;
    };

function refused(reason: BatchRefusalReason, detail: string): SplitBatch {
  return { ok: false, status: reason === 'too_many_items' ? 413 : 400, reason, detail };
}

const TOO_MANY = refused(
  'too_many_items',
  `more than ${MAX_BATCH_ITEMS} items; the cap is ${MAX_BATCH_ITEMS} heartbeats a batch (MAX_BATCH_ITEMS)`,
);

/** Whether a body is a batch: NDJSON always, JSON when its first non-blank byte is `[`. */
export function isBatch(kind: BodyKind, body: Buffer): boolean {
  if (kind !== 'json') return kind === 'ndjson';
  for (let i = 0; i < body.length; i++) {
    const byte = body[i] as number;
    if (!isBlank(byte)) return byte === OPEN_BRACKET;
  }
  return false;
}

/** Cuts a batch body into its items (see the module comment); `kind` is `json` or `ndjson`. */
export function splitBatch(kind: BodyKind, body: Buffer): SplitBatch {
  return kind === 'ndjson' ? splitLines(body) : splitArray(body);
}

function splitLines(body: Buffer): SplitBatch {
  const items: Buffer[] = [];
  let start = 0;
  while (start < body.length) {
    const newline = body.indexOf(0x0a, start);
    const end = newline < 0 ? body.length : newline;
    let first = start;
    while (first < end && isBlank(body[first] as number)) first++;
    if (first < end) {
      if (items.length === MAX_BATCH_ITEMS) return TOO_MANY;
      items.push(body.subarray(start, end));
    }
    start = end + 1;
  }
  return items.length === 0
    ? refused('empty_batch', 'the NDJSON body holds no heartbeat')
    : { ok: true, items };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * The top level of a JSON array: its elements' bytes, found by counting brackets outside
 * strings. An element is not parsed here; a broken one is refused on its own (malformed_json)
 * by the admission. Only a body that is not an array at all, unclosed, or followed by more, is
 * refused whole.
 */
function splitArray(body: Buffer): SplitBatch {
  const end = body.length;
  let i = 0;
  while (i < end && isBlank(body[i] as number)) i++;
  // isBatch saw the bracket; this is what it saw.
  i++;
  let first = i;
  while (first < end && isBlank(body[first] as number)) first++;
  const items: Buffer[] = [];
  let closed = -1;
  if (first < end && body[first] === CLOSE_BRACKET) {
    closed = first;
  } else {
    let start = i;
    let depth = 0;
    let inString = false;
    for (; i < end; i++) {
      const byte = body[i] as number;
      if (inString) {
        if (byte === BACKSLASH) i++;
        else if (byte === QUOTE) inString = false;
      } else if (byte === QUOTE) {
        inString = true;
      } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        depth++;
      } else if (byte === CLOSE_BRACE || (byte === CLOSE_BRACKET && depth > 0)) {
        if (depth > 0) depth--;
      } else if (depth === 0 && (byte === COMMA || byte === CLOSE_BRACKET)) {
        if (items.length === MAX_BATCH_ITEMS) return TOO_MANY;
        items.push(body.subarray(start, i));
        start = i + 1;
        if (byte === CLOSE_BRACKET) {
          closed = i;
          break;
        }
      }
    }
  }
  if (closed < 0) return refused('malformed_json', 'the JSON array is not closed (no `]` at its end)');
  let after = closed + 1;
  while (after < end && isBlank(body[after] as number)) after++;
  if (after < end) {
    return refused('malformed_json', `more after the JSON array's closing \`]\` (byte ${after})`);
  }
  return items.length === 0
    ? refused('empty_batch', 'the JSON array holds no heartbeat')
    : { ok: true, items };
}
