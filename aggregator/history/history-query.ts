/**
 * GET /api/v1/history's query string, parsed by a pure function: `component` (a name; absent or
 * empty for every component) and `since` (ms since the epoch, or ISO 8601 with a time zone;
 * absent for the default window). A bad value is a problem naming the parameter (HTTP 400).
 */
import { NAME_PATTERN } from '../../shared/names';
import type { HistoryQuery } from './history-store';
import { HISTORY_DEFAULTS } from './history-store';

/** Why a query was refused: the parameter and what is wrong with it. */
export interface QueryProblem {
  readonly parameter: string;
  readonly message: string;
}

export type ParsedQuery<T> =
  { readonly ok: true; readonly query: T } | { readonly ok: false; readonly problem: QueryProblem };

export interface HistoryQueryOptions {
  /** The window when `since` is absent. */
  readonly defaultWindowMs?: number;
  readonly maxPoints?: number;
}

const EPOCH_MS = /^\d{1,15}$/;
// A date, or a date and time with seconds optional and a zone required: a time without a zone
// would be read in the server's local zone, which the caller cannot know.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;
const ISO_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?$/;

/** A time given as ms since the epoch or as ISO 8601; a string saying what is wrong otherwise. */
export function parseTimeParameter(text: string): number | string {
  if (EPOCH_MS.test(text)) return Number(text);
  if (ISO_WITHOUT_ZONE.test(text)) return 'needs a time zone (Z or ±hh:mm), e.g. 2026-03-01T12:00:00Z';
  const ms = ISO_8601.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms))
    return 'must be ms since the epoch or an ISO 8601 time, e.g. 2026-03-01T12:00:00Z';
  return ms;
}

/** A single string value, or a problem when the parameter is given twice or as a structure. */
export function singleParameter(
  params: Readonly<Record<string, unknown>>,
  name: string,
): { value: string | undefined } | QueryProblem {
  const raw = params[name];
  if (raw === undefined) return { value: undefined };
  if (typeof raw !== 'string') return { parameter: name, message: 'must be given once, as a plain value' };
  return { value: raw.trim() };
}

/** Parses `component` and `since` at `nowMs`. */
export function parseHistoryQuery(
  params: Readonly<Record<string, unknown>>,
  nowMs: number,
  options: HistoryQueryOptions = {},
): ParsedQuery<HistoryQuery> {
  const component = singleParameter(params, 'component');
  if ('parameter' in component) return { ok: false, problem: component };
  const since = singleParameter(params, 'since');
  if ('parameter' in since) return { ok: false, problem: since };

  const name = component.value === undefined || component.value === '' ? null : component.value;
  if (name !== null && !NAME_PATTERN.test(name)) {
    return {
      ok: false,
      problem: { parameter: 'component', message: 'must be a component name (A-Z a-z 0-9 . _ -)' },
    };
  }
  let sinceMs = nowMs - (options.defaultWindowMs ?? HISTORY_DEFAULTS.defaultWindowMs);
  if (since.value !== undefined && since.value !== '') {
    const parsed = parseTimeParameter(since.value);
    if (typeof parsed === 'string') return { ok: false, problem: { parameter: 'since', message: parsed } };
    sinceMs = parsed;
  }
  return {
    ok: true,
    query: { component: name, sinceMs, limit: options.maxPoints ?? HISTORY_DEFAULTS.maxPoints },
  };
}
