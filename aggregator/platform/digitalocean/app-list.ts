/**
 * The account's apps as GET /v2/apps lists them, page by page: the pure part of
 * DigitalOceanClient.listApps (what a page adds, where the listing must stop). The client does
 * the requests.
 */
import { PlatformSchemaError } from './errors';
import type { ListedAppEntry } from './schemas';

/** One app of the account: its id, and the name of its spec (null when the listing gives none). */
export interface ListedApp {
  readonly id: string;
  readonly name: string | null;
}

/** Apps asked for per page: the API's maximum, since every page costs a request of the quota. */
export const APPS_PER_PAGE = 200;

/**
 * The most apps listApps() reads: 50 pages of APPS_PER_PAGE. Every page is one request of the
 * token's quota (5,000 an hour, 250 a minute), and a listing that repeats its pages (or a server
 * that links a next page forever) must not spend it; an account past this limit gets an error
 * that names it rather than a silently cut fleet.
 */
export const MAX_LISTED_APPS = 10_000;

/** The pages listApps() reads at most: MAX_LISTED_APPS at APPS_PER_PAGE a page. */
export const MAX_APP_PAGES = Math.ceil(MAX_LISTED_APPS / APPS_PER_PAGE);

/** `10,000`, locale-free. */
const LIMIT = String(MAX_LISTED_APPS).replace(/\B(?=(\d{3})+$)/g, ',');

/** The apps of the pages read so far: the first copy of each id, in the API's order. */
export class AppListing {
  private readonly listed: ListedApp[] = [];
  private readonly ids = new Set<string>();
  private skippedEntries = 0;

  /** The apps so far. */
  get apps(): readonly ListedApp[] {
    return this.listed;
  }

  /** Entries skipped so far because they had no id: they cannot be watched, nor told apart. */
  get skipped(): number {
    return this.skippedEntries;
  }

  /**
   * Adds one page's entries and says how many apps were new. An app created or deleted while
   * paging shifts the pages by one, so an id already listed is skipped (its first copy stays).
   */
  add(entries: readonly ListedAppEntry[]): number {
    let added = 0;
    for (const entry of entries) {
      if (!entry.id) {
        this.skippedEntries++;
        continue;
      }
      if (this.ids.has(entry.id)) continue;
      this.ids.add(entry.id);
      this.listed.push({ id: entry.id, name: entry.spec?.name || null });
      added++;
    }
    return added;
  }
}

/**
 * The failure of a listing past MAX_LISTED_APPS: permanent (asking again lists as many), and
 * saying which limit was hit so that an operator knows it is replica-watch's, not DigitalOcean's.
 */
export function tooManyApps(endpoint: string, call: string, status: number): PlatformSchemaError {
  return new PlatformSchemaError(
    endpoint,
    'links.pages.next',
    `the account has more apps than replica-watch lists (MAX_LISTED_APPS = ${LIMIT}: at most ` +
      `${MAX_APP_PAGES} pages of ${APPS_PER_PAGE}); it stops there rather than spend the token's ` +
      'request quota on paging',
    { call, status },
  );
}
