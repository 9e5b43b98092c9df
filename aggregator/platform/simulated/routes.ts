/**
 * The operations the simulated App Platform serves, named by method and path template as in
 * apps.yaml (`GET /v2/apps/{app_id}/deployments`), and which request is which. Pure.
 *
 * `/v2/apps/tiers/instance_sizes…` is the account's, not an app's: App Platform's ids are
 * UUIDs, so `tiers` is never read as one there. Every other `/v2/apps/<id>…` path is about the
 * app `<id>`, whether or not the operation exists (an unknown one answers 404 for that app).
 */

/** The account's own operations: about no app in particular. */
export const ACCOUNT_ROUTES = [
  'GET /v2/apps',
  'GET /v2/apps/tiers/instance_sizes',
  'GET /v2/apps/tiers/instance_sizes/{slug}',
] as const;
export type AccountRouteName = (typeof ACCOUNT_ROUTES)[number];

/** The operations on one app. */
export const APP_ROUTES = [
  'GET /v2/apps/{id}',
  'PUT /v2/apps/{id}',
  'GET /v2/apps/{app_id}/deployments',
  'POST /v2/apps/{app_id}/deployments',
  'GET /v2/apps/{app_id}/deployments/{deployment_id}',
  'GET /v2/apps/{app_id}/instances',
  'GET /v2/apps/{app_id}/health',
  'POST /v2/apps/{app_id}/restart',
] as const;
export type AppRouteName = (typeof APP_ROUTES)[number];

export type Route =
  /** `name` null: a path the API has no operation for. */
  | { readonly scope: 'account'; readonly name: AccountRouteName | null; readonly slug?: string }
  /** `name` null: no such operation on the app. */
  | {
      readonly scope: 'app';
      readonly appId: string;
      readonly name: AppRouteName | null;
      readonly deploymentId?: string;
    };

/** Which operation a request is, and which app it is about. */
export function matchRoute(method: string, path: string): Route {
  const parts = path.split('/').filter((p) => p.length > 0);
  const none: Route = { scope: 'account', name: null };
  if (parts[0] !== 'v2' || parts[1] !== 'apps') return none;
  const [, , first, second, third, extra] = parts;
  if (first === undefined) return method === 'GET' ? { scope: 'account', name: 'GET /v2/apps' } : none;
  if (first === 'tiers' && second === 'instance_sizes') {
    if (method !== 'GET' || extra !== undefined) return none;
    return third === undefined
      ? { scope: 'account', name: 'GET /v2/apps/tiers/instance_sizes' }
      : {
          scope: 'account',
          name: 'GET /v2/apps/tiers/instance_sizes/{slug}',
          slug: decodeURIComponent(third),
        };
  }
  const appId = decodeURIComponent(first);
  const of = (name: AppRouteName | null, deploymentId?: string): Route => ({
    scope: 'app',
    appId,
    name,
    ...(deploymentId === undefined ? {} : { deploymentId }),
  });
  if (extra !== undefined) return of(null);
  if (second === undefined) {
    if (method === 'GET') return of('GET /v2/apps/{id}');
    if (method === 'PUT') return of('PUT /v2/apps/{id}');
    return of(null);
  }
  if (second === 'deployments' && third !== undefined) {
    return method === 'GET'
      ? of('GET /v2/apps/{app_id}/deployments/{deployment_id}', decodeURIComponent(third))
      : of(null);
  }
  if (third !== undefined) return of(null);
  const name = `${method} /v2/apps/{app_id}/${second}`;
  return of(APP_ROUTES.find((known) => known === name) ?? null);
}
