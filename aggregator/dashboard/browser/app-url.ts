/**
 * The `app` a per-app page is about, and the URLs that name it: every API request of an app's
 * page carries `app=<app>`, and each row of the fleet page links to `?app=<app>`. Pure, no DOM
 * (the tests import this source).
 */

/**
 * The app a page is about: `?app=` of its address, or null when there is none (a single-app
 * aggregator, or the fleet page). An empty value is none.
 */
export function appOf(search: string): string | null {
  const app = new URLSearchParams(search).get('app');
  return app === null || app === '' ? null : app;
}

/**
 * `path` with `app=<app>` added to its query (URL-encoded), or `path` itself when `app` is null:
 * a single-app aggregator answers without it.
 */
export function withApp(path: string, app: string | null): string {
  if (app === null) return path;
  return `${path}${path.includes('?') ? '&' : '?'}app=${encodeURIComponent(app)}`;
}

/** The address of an app's own page, relative to the fleet page (so a path prefix is kept). */
export function appPageHref(app: string): string {
  return withApp('./', app);
}
