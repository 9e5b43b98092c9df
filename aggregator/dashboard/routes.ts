/**
 * Serves the dashboard: the page at `/` (the fleet page, or an app's page), its script modules
 * and stylesheet under `/dashboard/`.
 * All live in memory (the modules read from the build once, when the routes are made); nothing
 * is fetched from anywhere else, and the Content-Security-Policy says so to the browser as well.
 */
import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { DASHBOARD_APP_HTML, DASHBOARD_HTML, FLEET_HTML } from './page';
import { type DashboardModule, loadDashboardScripts } from './scripts';
import { DASHBOARD_CSS } from './styles';

/**
 * Only our own origin, for everything: a page that cannot load a CDN script or send data
 * elsewhere. `data:` images for the inline favicon.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

function asset(text: string, type: string): Asset {
  const body = Buffer.from(text, 'utf8');
  return { body, type, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
}

function serve(item: Asset | ((req: Request) => Asset), csp: boolean) {
  return (req: Request, res: Response): void => {
    const chosen = typeof item === 'function' ? item(req) : item;
    // Revalidated every time (cheap with the ETag): a new build is picked up on the next load.
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('ETag', chosen.etag);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (csp) {
      res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
      res.setHeader('X-Frame-Options', 'DENY');
      res.setHeader('Referrer-Policy', 'no-referrer');
    }
    if (req.headers['if-none-match'] === chosen.etag) {
      res.status(304).end();
      return;
    }
    res.type(chosen.type).send(chosen.body);
  };
}

export interface DashboardRouterOptions {
  /**
   * Whether the aggregator watches more than one app; asked on every request to `/`, so the
   * answer may change while it runs. Absent: a single-app aggregator.
   */
  readonly multiApp?: () => boolean;
  /** The compiled browser modules; absent: read from the build (loadDashboardScripts). */
  readonly scripts?: ReadonlyMap<DashboardModule, string>;
}

/** `?app=` names an app (an empty value names none). */
function namesApp(req: Request): boolean {
  const app: unknown = (req.query as Record<string, unknown>).app;
  return typeof app === 'string' ? app !== '' : Array.isArray(app) && app.length > 0;
}

/**
 * The dashboard's routes: GET `/`, the `/dashboard/` modules the pages load (app.js, fleet.js
 * and what they import), `/dashboard/app.css`. `/` is the fleet page when `multiApp()` and no
 * `?app=` is given; else an app's page (with a link back to the fleet when `multiApp()`).
 * Throws when the browser code is not built (scripts.ts).
 */
export function dashboardRouter(options: DashboardRouterOptions = {}): Router {
  const { multiApp = () => false, scripts = loadDashboardScripts() } = options;
  const html = (text: string): Asset => asset(text, 'text/html; charset=utf-8');
  const single = html(DASHBOARD_HTML);
  const appOfMany = html(DASHBOARD_APP_HTML);
  const fleet = html(FLEET_HTML);
  const router = Router();
  router.get(
    '/',
    serve((req) => (!multiApp() ? single : namesApp(req) ? appOfMany : fleet), true),
  );
  for (const [file, text] of scripts) {
    router.get(`/dashboard/${file}`, serve(asset(text, 'text/javascript; charset=utf-8'), false));
  }
  router.get('/dashboard/app.css', serve(asset(DASHBOARD_CSS, 'text/css; charset=utf-8'), false));
  return router;
}
