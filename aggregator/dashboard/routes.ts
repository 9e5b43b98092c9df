/**
 * Serves the dashboard: the page at `/`, its script modules and stylesheet under `/dashboard/`.
 * All live in memory (the modules read from the build once, when the routes are made); nothing
 * is fetched from anywhere else, and the Content-Security-Policy says so to the browser as well.
 */
import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { DASHBOARD_HTML } from './page';
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

function serve(item: Asset, csp: boolean) {
  return (req: Request, res: Response): void => {
    // Revalidated every time (cheap with the ETag): a new build is picked up on the next load.
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('ETag', item.etag);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (csp) {
      res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
      res.setHeader('X-Frame-Options', 'DENY');
      res.setHeader('Referrer-Policy', 'no-referrer');
    }
    if (req.headers['if-none-match'] === item.etag) {
      res.status(304).end();
      return;
    }
    res.type(item.type).send(item.body);
  };
}

/**
 * The dashboard's routes: GET `/`, `/dashboard/app.js` and the modules it imports,
 * `/dashboard/app.css`. Throws when the browser code is not built (scripts.ts).
 */
export function dashboardRouter(
  scripts: ReadonlyMap<DashboardModule, string> = loadDashboardScripts(),
): Router {
  const router = Router();
  router.get('/', serve(asset(DASHBOARD_HTML, 'text/html; charset=utf-8'), true));
  for (const [file, text] of scripts) {
    router.get(`/dashboard/${file}`, serve(asset(text, 'text/javascript; charset=utf-8'), false));
  }
  router.get('/dashboard/app.css', serve(asset(DASHBOARD_CSS, 'text/css; charset=utf-8'), false));
  return router;
}
