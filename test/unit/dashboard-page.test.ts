/**
 * The dashboard's static side: the page, script and stylesheet are served by the aggregator
 * itself with a strict Content-Security-Policy, reference nothing on another origin, and the
 * script never hands report data to an HTML parser.
 */
import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import { systemClock } from '../../shared/clock';
import { silentLogger } from '../../shared/logger';
import { HeartbeatIngest, InstanceRegistry } from '../../aggregator/collector';
import { DASHBOARD_CSS, DASHBOARD_CSP, DASHBOARD_HTML, DASHBOARD_JS } from '../../aggregator/dashboard';
import { createHttpApp } from '../../aggregator/http/app';
import { closeServer, listen } from '../../aggregator/http/listen';
import { ReportStore } from '../../aggregator/report-store';

/** The one absolute URL allowed: the SVG namespace, an identifier that is never fetched. */
const SVG_NAMESPACE = 'http://www.w3.org/2000/svg';

describe('dashboard assets', () => {
  let server: Server;
  let ingest: HeartbeatIngest;
  let base: string;

  beforeAll(async () => {
    ingest = new HeartbeatIngest({
      app: 'test-app',
      registry: new InstanceRegistry(),
      redisUrl: null,
      log: silentLogger(),
    });
    const app = createHttpApp({
      store: new ReportStore(),
      ingest,
      metricsRegistry: new Registry(),
      clock: systemClock,
      log: silentLogger(),
      onRejected: () => undefined,
    });
    const bound = await listen(app, '127.0.0.1', 0);
    server = bound.server;
    base = `http://127.0.0.1:${bound.port}`;
  });

  afterAll(async () => {
    await closeServer(server);
    await ingest.close();
  });

  test('GET / is the HTML page with a viewport and a same-origin-only CSP', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("default-src 'none'");
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toBe(DASHBOARD_HTML);
    expect(html).toMatch(/<meta name="viewport" content="width=device-width, initial-scale=1">/);
    expect(html).toContain('<script src="dashboard/app.js" defer></script>');
    expect(html).toContain('<link rel="stylesheet" href="dashboard/app.css">');
  });

  test('the script and stylesheet are served with their types and revalidate by ETag', async () => {
    for (const [path, type, body] of [
      ['/dashboard/app.js', 'text/javascript; charset=utf-8', DASHBOARD_JS],
      ['/dashboard/app.css', 'text/css; charset=utf-8', DASHBOARD_CSS],
    ] as const) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(await res.text()).toBe(body);
      const etag = res.headers.get('etag');
      expect(etag).toMatch(/^"[\w-]+"$/);
      const again = await fetch(`${base}${path}`, { headers: { 'If-None-Match': etag ?? '' } });
      expect(again.status).toBe(304);
    }
  });

  test('nothing refers to another origin: no CDN, no web font, no remote import', () => {
    for (const text of [DASHBOARD_HTML, DASHBOARD_CSS, DASHBOARD_JS]) {
      const urls = text.match(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s'")]*/gi) ?? [];
      expect(urls.filter((url) => url !== SVG_NAMESPACE)).toEqual([]);
    }
    expect(DASHBOARD_CSS).not.toMatch(/@import|@font-face|url\(/);
  });

  test('the script parses and never passes data to an HTML parser', () => {
    expect(() => new Function(DASHBOARD_JS)).not.toThrow();
    expect(DASHBOARD_JS).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
  });

  test('without an event stream configured, /api/v1/events is a plain 404', async () => {
    const res = await fetch(`${base}/api/v1/events`);
    expect(res.status).toBe(404);
  });
});
