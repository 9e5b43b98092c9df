/**
 * The dashboard of an aggregator that watches many apps, served by its router alone in a stub
 * express app whose GET /api/v1/apps answers a fixed fleet: `/` is the fleet page (its HTML and
 * script under the same Content-Security-Policy as an app's page, nothing inline), `/?app=x`
 * an app's page with a link back to the fleet, and a single-app aggregator keeps today's page.
 * And what the fleet page says (the pure functions of browser/fleet-text.ts and the URLs of
 * browser/api.ts, imported from source): the rows of that fleet, dollars a month or "unknown"
 * (never $0), "no agents", the totals line.
 */
import type { Server } from 'node:http';
import express from 'express';
import {
  DASHBOARD_APP_HTML,
  DASHBOARD_CSP,
  DASHBOARD_HTML,
  DASHBOARD_VOCABULARY,
  FLEET_HTML,
  VOCABULARY_ELEMENT_ID,
  dashboardRouter,
  loadDashboardScripts,
} from '../../aggregator/dashboard';
import { appOf, appPageHref, withApp } from '../../aggregator/dashboard/browser/app-url';
import {
  discoveryBanner,
  fleetRow,
  isFleetView,
  monthlyUsd,
  totalsText,
  type FleetView,
} from '../../aggregator/dashboard/browser/fleet-text';
import { dashboardText } from '../../aggregator/dashboard/browser/text';
import { closeServer, listen } from '../../aggregator/http/listen';
import { fleetRow as calmRow, orphanedFleetRow, unshardedState } from '../support/fleet';

const SCRIPTS = loadDashboardScripts();

const fleetApp = calmRow;

/** Worst first, as the aggregator orders them: orphans costing $48 a month, an app without agents, a calm one. */
const FLEET: FleetView = {
  generated_at: '2026-01-02T03:04:06.000Z',
  apps: [
    orphanedFleetRow({ app: 'shop', app_id: '6c1f0a2e-shop', name: 'shop' }),
    fleetApp({
      app: 'ledger',
      app_id: '9d2b-ledger',
      name: 'ledger',
      verdict: 'degraded',
      configured_replicas: 3,
      active_instances: null,
      platform_ready: 3,
      platform_instances: 3,
      surplus_instances: null,
      estimated_monthly_waste_usd: null,
      agentless: true,
      degraded: true,
    }),
    fleetApp({ app: 'blog', app_id: '17aa-blog', name: 'blog', verdict: 'ok' }),
  ],
  totals: {
    apps: 3,
    by_verdict: { ok: 1, discrepancy: 1, rolling: 0, degraded: 1 },
    surplus_instances: 4,
    estimated_monthly_waste_usd: 48,
    unknown_waste_apps: 1,
  },
  discovery: null,
  shards: unshardedState(3),
};

const text = dashboardText(DASHBOARD_VOCABULARY);

describe('the router of a many-app aggregator', () => {
  let server: Server;
  let base: string;
  let multi = true;

  beforeAll(async () => {
    const app = express();
    app.get('/api/v1/apps', (_req, res) => {
      res.json(FLEET);
    });
    app.use(dashboardRouter({ multiApp: () => multi }));
    const bound = await listen(app, '127.0.0.1', 0);
    server = bound.server;
    base = `http://127.0.0.1:${bound.port}`;
  });

  afterEach(() => {
    multi = true;
  });

  afterAll(async () => {
    await closeServer(server);
  });

  test('GET / is the fleet page, under the same CSP, with nothing inline', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    expect(html).toBe(FLEET_HTML);
    expect(html).toContain('<script type="module" src="dashboard/fleet.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="dashboard/app.css">');
    expect(html).toContain('<div id="fleet">');
    expect(html).not.toContain('all apps');
    // Every script is a file of our own or the vocabulary's JSON data block, which no browser runs.
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts).toEqual([
      `<script type="application/json" id="${VOCABULARY_ELEMENT_ID}">`,
      '<script type="module" src="dashboard/fleet.js">',
    ]);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    const block = new RegExp(`id="${VOCABULARY_ELEMENT_ID}">(.*?)</script>`).exec(html);
    expect(JSON.parse(block?.[1] ?? 'null')).toEqual(DASHBOARD_VOCABULARY);
  });

  test('the fleet script and the modules it imports are served, and revalidate by ETag', async () => {
    for (const file of ['fleet.js', 'fleet-text.js', 'api.js', 'app-url.js', 'dom.js', 'text.js'] as const) {
      const res = await fetch(`${base}/dashboard/${file}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(await res.text()).toBe(SCRIPTS.get(file));
      const again = await fetch(`${base}/dashboard/${file}`, {
        headers: { 'If-None-Match': res.headers.get('etag') ?? '' },
      });
      expect(again.status).toBe(304);
    }
    const fleet = SCRIPTS.get('fleet.js') ?? '';
    expect(fleet).toContain("'api/v1/apps'");
    expect(fleet).toContain("'If-None-Match'");
    expect(fleet).toMatch(/from '\.\/fleet-text\.js'/);
  });

  test("/?app=x is that app's page, with a link back to the fleet", async () => {
    const res = await fetch(`${base}/?app=x`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    const html = await res.text();
    expect(html).toBe(DASHBOARD_APP_HTML);
    expect(html).toContain('<script type="module" src="dashboard/app.js"></script>');
    expect(html).toContain('<a class="back" id="fleet-link" href="./">\u2190 all apps</a>');
    expect(html).toContain('<div id="components"');
    // Pages of their own: the fleet's ETag does not answer for an app's page.
    const fleet = await fetch(`${base}/`);
    const etag = fleet.headers.get('etag') ?? '';
    expect(etag).not.toBe(res.headers.get('etag'));
    expect((await fetch(`${base}/?app=x`, { headers: { 'If-None-Match': etag } })).status).toBe(200);
    expect((await fetch(`${base}/`, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    // An empty ?app= names no app.
    expect(await (await fetch(`${base}/?app=`)).text()).toBe(FLEET_HTML);
  });

  test("watching one app, / and /?app=x are today's page; multiApp() is asked on every request", async () => {
    multi = false;
    for (const path of ['/', '/?app=x']) {
      const html = await (await fetch(`${base}${path}`)).text();
      expect(html).toBe(DASHBOARD_HTML);
      expect(html).not.toContain('all apps');
    }
    multi = true;
    expect(await (await fetch(`${base}/`)).text()).toBe(FLEET_HTML);
  });

  test('dashboardRouter() with no argument is a single-app dashboard', async () => {
    const app = express();
    app.use(dashboardRouter());
    const bound = await listen(app, '127.0.0.1', 0);
    try {
      const html = await (await fetch(`http://127.0.0.1:${bound.port}/`)).text();
      expect(html).toBe(DASHBOARD_HTML);
    } finally {
      await closeServer(bound.server);
    }
  });

  test('the rows of the stub fleet: worst first, dollars a month or "unknown", "no agents"', async () => {
    const body: unknown = await (await fetch(`${base}/api/v1/apps`)).json();
    expect(isFleetView(body)).toBe(true);
    const answer = body as FleetView;
    const rows = answer.apps.map((app) => fleetRow(app, appPageHref(app.app), text.findingLabel));
    expect(
      rows.map((r) => [r.app, r.verdict, r.configured, r.active, r.ready, r.listed, r.surplus, r.waste]),
    ).toEqual([
      ['shop', 'discrepancy', '2', '6', '6', '6', '4', '$48.00/mo'],
      ['ledger', 'degraded', '3', 'no agents', '3', '3', 'unknown', 'unknown'],
      ['blog', 'ok', '2', '2', '2', '2', '0', '$0.00/mo'],
    ]);
    expect(rows[0]).toMatchObject({
      href: './?app=shop',
      name: 'shop',
      appId: '6c1f0a2e-shop',
      wasteKnown: true,
      findings: [
        { code: 'ORPHANED_INSTANCES', label: 'Orphaned instances' },
        { code: 'SURPLUS_INSTANCES', label: 'Surplus instances' },
      ],
    });
    expect(rows[1]).toMatchObject({ noAgents: true, wasteKnown: false, surplusKnown: false, note: null });
    expect(totalsText(answer, DASHBOARD_VOCABULARY.verdicts)).toBe(
      '3 apps (1 Degraded, 1 Discrepancy, 1 OK) \u00b7 surplus at least 4 instances (1 app unknown) ' +
        '\u00b7 waste at least $48.00/mo (1 app unknown)',
    );
  });
});

describe('what the fleet page says', () => {
  test('waste in dollars a month; unknown is "unknown", never $0', () => {
    expect(monthlyUsd(48)).toBe('$48.00/mo');
    expect(monthlyUsd(0)).toBe('$0.00/mo');
    expect(monthlyUsd(1234.5)).toBe('$1,234.50/mo');
    expect(monthlyUsd(0.125)).toBe('$0.13/mo');
    for (const unknown of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(monthlyUsd(unknown)).toBe('unknown');
    }
  });

  test('an app never reconciled, or without platform data, says so; a nameless app shows its key', () => {
    const waiting = fleetApp({ app: 'new', verdict: 'degraded', generated_at: null });
    expect(fleetRow(waiting, appPageHref('new'), text.findingLabel)).toMatchObject({
      name: 'new',
      appId: null,
      note: 'not reconciled yet',
    });
    const blind = fleetApp({ app: 'blind', verdict: 'degraded', platform_data_age_ms: null });
    expect(fleetRow(blind, '', text.findingLabel).note).toBe('no platform data');
  });

  test('totals that are unknown are "unknown"; exact totals have no floor', () => {
    const calm: FleetView = {
      generated_at: FLEET.generated_at,
      apps: [fleetApp({ app: 'a', verdict: 'ok' }), fleetApp({ app: 'b', verdict: 'ok' })],
      totals: {
        apps: 2,
        by_verdict: { ok: 2, discrepancy: 0, rolling: 0, degraded: 0 },
        surplus_instances: 0,
        estimated_monthly_waste_usd: 0,
        unknown_waste_apps: 0,
      },
      discovery: null,
      shards: unshardedState(2),
    };
    expect(totalsText(calm, DASHBOARD_VOCABULARY.verdicts)).toBe(
      '2 apps (2 OK) \u00b7 surplus 0 instances \u00b7 waste $0.00/mo',
    );
    const blind = {
      ...FLEET,
      totals: { ...FLEET.totals, surplus_instances: null, estimated_monthly_waste_usd: null },
    };
    expect(totalsText(blind, DASHBOARD_VOCABULARY.verdicts)).toBe(
      '3 apps (1 Degraded, 1 Discrepancy, 1 OK) \u00b7 surplus unknown \u00b7 waste unknown',
    );
  });

  test('app discovery (DO_APP_ID=*) failing or pending is said; fine or not used, nothing is', () => {
    const at = (iso: string) => `<${iso}>`;
    expect(
      discoveryBanner(
        { status: 'failing', listed_at: '2026-01-02T03:00:00.000Z', error: 'HTTP 401 from GET /v2/apps' },
        at,
      ),
    ).toEqual({
      level: 'warn',
      text: 'App discovery failing: HTTP 401 from GET /v2/apps; the list is the one read at <2026-01-02T03:00:00.000Z>.',
    });
    expect(discoveryBanner({ status: 'failing', listed_at: null, error: null }, at)?.text).toBe(
      'App discovery failing; no list has been read yet.',
    );
    expect(discoveryBanner({ status: 'pending', listed_at: null, error: null }, at)?.level).toBe('info');
    expect(
      discoveryBanner({ status: 'ok', listed_at: '2026-01-02T03:00:00.000Z', error: null }, at),
    ).toBeNull();
    expect(discoveryBanner(null, at)).toBeNull();
    expect(discoveryBanner(undefined, at)).toBeNull();
  });

  test('an answer without a list of apps is not drawn', () => {
    expect(isFleetView(null)).toBe(false);
    expect(isFleetView({ apps: 'x', totals: {} })).toBe(false);
    expect(isFleetView({ apps: [{ name: 'no key' }], totals: {} })).toBe(false);
    expect(isFleetView(FLEET)).toBe(true);
  });

  test("an app's page names its app, URL-encoded, in every API URL; none when there is no ?app=", () => {
    expect(appOf('?app=ledger%2Beu')).toBe('ledger+eu');
    expect(appOf('?app=')).toBeNull();
    expect(appOf('')).toBeNull();
    expect(withApp('api/v1/events', 'ledger+eu')).toBe('api/v1/events?app=ledger%2Beu');
    expect(withApp('api/v1/history?since=x', 'a b&c')).toBe('api/v1/history?since=x&app=a%20b%26c');
    expect(withApp('api/v1/events', null)).toBe('api/v1/events');
    expect(appPageHref('a/b?c')).toBe('./?app=a%2Fb%3Fc');
  });
});
