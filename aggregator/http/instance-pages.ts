/**
 * Paging of large instance lists (`?limit=&cursor=` on the report and instance routes). The
 * cursor names the last instance of the page before, as (component, instance id), which is the
 * order of every instance list in a report. A page therefore starts after that key in whichever
 * report is current when it is asked for: instances that come or go between two requests never
 * shift the pages, nothing is listed twice and nothing that stayed is skipped.
 */
import type { InstanceReport } from '../reconcile/report';
import { compareStrings } from '../reconcile/text';

/** Page size when a cursor comes without a limit. */
export const DEFAULT_PAGE_LIMIT = 1_000;
/** The largest page: a bigger one is no cheaper than the whole list, which needs no paging. */
export const MAX_PAGE_LIMIT = 10_000;

/** The position a page starts after. */
export interface InstanceKey {
  readonly component: string;
  readonly instanceId: string;
}

export interface PageRequest {
  readonly limit: number;
  /** null: the first page. */
  readonly after: InstanceKey | null;
}

export type PageParams =
  | { readonly ok: true; readonly page: PageRequest | null }
  | { readonly ok: false; readonly parameter: 'limit' | 'cursor'; readonly detail: string };

export interface InstancePage {
  readonly instances: readonly InstanceReport[];
  /** The cursor of the next page; null on the last one. */
  readonly nextCursor: string | null;
}

// A version tag inside the cursor: a later build can change the format and still tell an old
// cursor from junk.
const CURSOR_VERSION = 1;
const CURSOR_TEXT = /^[A-Za-z0-9_-]{1,2048}$/;

/** The opaque cursor of a position: base64url of a small versioned JSON array. */
export function encodeCursor(key: InstanceKey): string {
  return Buffer.from(JSON.stringify([CURSOR_VERSION, key.component, key.instanceId])).toString('base64url');
}

/** Decodes a cursor; null when it is not one this build wrote. */
export function decodeCursor(text: string): InstanceKey | null {
  if (!CURSOR_TEXT.test(text)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length !== 3 || value[0] !== CURSOR_VERSION) return null;
  const [, component, instanceId] = value as unknown[];
  if (typeof component !== 'string' || typeof instanceId !== 'string') return null;
  return { component, instanceId };
}

/**
 * Reads `limit` and `cursor` from a parsed query string. Neither given: no paging (null). A
 * repeated, non-numeric or out-of-range value is refused with the parameter's name.
 */
export function parsePageParams(query: Readonly<Record<string, unknown>>): PageParams {
  const { limit: rawLimit, cursor: rawCursor } = query;
  if (rawLimit === undefined && rawCursor === undefined) return { ok: true, page: null };
  let limit = DEFAULT_PAGE_LIMIT;
  if (rawLimit !== undefined) {
    if (typeof rawLimit !== 'string' || !/^\d{1,9}$/.test(rawLimit)) {
      return {
        ok: false,
        parameter: 'limit',
        detail: `limit must be one integer from 1 to ${MAX_PAGE_LIMIT}`,
      };
    }
    limit = Number(rawLimit);
    if (limit < 1 || limit > MAX_PAGE_LIMIT) {
      return {
        ok: false,
        parameter: 'limit',
        detail: `limit must be from 1 to ${MAX_PAGE_LIMIT}, got ${limit}`,
      };
    }
  }
  let after: InstanceKey | null = null;
  if (rawCursor !== undefined) {
    after = typeof rawCursor === 'string' ? decodeCursor(rawCursor) : null;
    if (after === null) {
      return {
        ok: false,
        parameter: 'cursor',
        detail: 'cursor is not one this server issued: pass next_cursor from the previous page as it came',
      };
    }
  }
  return { ok: true, page: { limit, after } };
}

function compareKey(instance: InstanceReport, key: InstanceKey): number {
  return (
    compareStrings(instance.component, key.component) || compareStrings(instance.instance_id, key.instanceId)
  );
}

/**
 * The page of `instances` (sorted by component, then instance id, as every report lists them)
 * after `request.after`. O(log n + limit): a binary search, then a slice.
 */
export function pageOf(instances: readonly InstanceReport[], request: PageRequest): InstancePage {
  let start = 0;
  if (request.after !== null) {
    let high = instances.length;
    while (start < high) {
      const middle = (start + high) >>> 1;
      if (compareKey(instances[middle] as InstanceReport, request.after) <= 0) start = middle + 1;
      else high = middle;
    }
  }
  const page = instances.slice(start, start + request.limit);
  const last = page[page.length - 1];
  const more = start + page.length < instances.length;
  return {
    instances: page,
    nextCursor:
      more && last !== undefined
        ? encodeCursor({ component: last.component, instanceId: last.instance_id })
        : null,
  };
}
