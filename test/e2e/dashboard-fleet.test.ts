/**
 * The fleet page in real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core;
 * never a downloaded browser), against a stub express server: the dashboard's router of a
 * many-app aggregator, and fixed answers for GET /api/v1/apps and the per-app endpoints, which
 * record the `app` each request names. The rows appear worst first with their dollars a month
 * or "unknown", a hostile name stays text, the page revalidates with the ETag, keeps its rows
 * under an error banner when a refresh fails, and a click on a row opens that app's page, whose
 * every request names the app. Screenshots land in test-artifacts/ (gitignored).
 */
import { existsSync, mkdirSync } from 'node:fs';
import type { Server, ServerResponse } from 'node:http';
import path from 'node:path';
import express from 'express';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { dashboardRouter } from '../../aggregator/dashboard';
import type { FleetView, FleetApp } from '../../aggregator/dashboard/browser/fleet-text';
import { closeServer, listen } from '../../aggregator/http/listen';
import { sampleReport } from '../support/published-reports';
import { REPO_ROOT } from '../support/spawn';
import { waitFor } from '../support/wait';
import { fleetRow, orphanedFleetRow, unshardedState } from '../support/fleet';

/** The little of the browser's DOM that the callbacks run in the page use (the project has no DOM lib). */
interface PageElement {
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): Iterable<PageElement> & { readonly length: number };
}
declare const document: PageElement;
declare const window: { pwned?: number };

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');
const PAGE_TIMEOUT_MS = 15_000;
/** The page asks every 5 s: two rounds and some room. */
const REFRESH_WAIT_MS = 15_000;
const HOSTILE = '<img src=x onerror="window.pwned=1">';

function fleetApp(overrides: Partial<FleetApp> & Pick<FleetApp, 'app' | 'verdict'>): FleetApp {
  return fleetRow({ generated_at: new Date().toISOString(), ...overrides });
}

/**
 * Worst first: orphans costing $48 a month; an app without agents whose waste is unknown (its
 * key needs encoding: a bare `+` in a query is a space); a calm app with a hostile name.
 */
const FLEET: FleetView = {
  generated_at: new Date().toISOString(),
  apps: [
    orphanedFleetRow({ app: 'shop', app_id: '6c1f0a2e-shop', name: 'shop' }),
    fleetApp({
      app: 'ledger+eu',
      app_id: '9d2b-ledger',
      name: 'ledger (EU)',
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
    fleetApp({ app: 'blog', app_id: '17aa-blog', name: HOSTILE, verdict: 'ok' }),
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
const FLEET_ETAG = '"fleet-1"';

/** What the stub saw and how it answers. */
interface Stub {
  readonly origin: string;
  /** GET /api/v1/apps, with the If-None-Match each sent. */
  readonly fleetRequests: (string | undefined)[];
  /** The per-app requests: path and the raw query string. */
  readonly appRequests: { readonly path: string; readonly search: string; readonly app: unknown }[];
  /** Answer GET /api/v1/apps with this status instead (null: the fleet). */
  failWith: number | null;
  close(): Promise<void>;
}

async function startStub(): Promise<Stub> {
  const streams = new Set<ServerResponse>();
  const app = express();
  const stub = {
    origin: '',
    fleetRequests: [] as (string | undefined)[],
    appRequests: [] as { path: string; search: string; app: unknown }[],
    failWith: null as number | null,
  };
  app.get('/api/v1/apps', (req, res) => {
    stub.fleetRequests.push(req.headers['if-none-match']);
    if (stub.failWith !== null) {
      res.status(stub.failWith).json({ error: 'the fleet view is failing' });
      return;
    }
    res.setHeader('ETag', FLEET_ETAG);
    if (req.headers['if-none-match'] === FLEET_ETAG) {
      res.status(304).end();
      return;
    }
    res.json(FLEET);
  });
  app.use('/api/v1', (req, _res, next) => {
    stub.appRequests.push({
      path: `/api/v1${req.path}`,
      search: req.originalUrl.slice(req.originalUrl.indexOf('?') + 1),
      app: req.query.app,
    });
    next();
  });
  const report = (app: string) =>
    sampleReport({ generated_at: new Date().toISOString(), app, app_id: '9d2b-ledger' });
  app.get('/api/v1/monitoring/replicas', (req, res) => {
    // As the aggregator answers instances=false: no list.
    const { instances: _left, ...rest } = report(String(req.query.app));
    res.json(rest);
  });
  app.get('/api/v1/health/instances', (_req, res) => {
    res.json({ instances: [] });
  });
  app.get('/api/v1/history', (_req, res) => {
    res.json({ component: null, since: new Date().toISOString(), points: [] });
  });
  app.get('/api/v1/events', (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
    res.write(`event: report\ndata: ${JSON.stringify(report(String(req.query.app)))}\n\n`);
    streams.add(res);
    res.on('close', () => streams.delete(res));
  });
  app.use(dashboardRouter({ multiApp: () => true }));
  const { server, port } = await listen(app, '127.0.0.1', 0);
  return Object.assign(stub, {
    origin: `http://127.0.0.1:${port}`,
    async close(): Promise<void> {
      for (const res of streams) res.end();
      await closeServer(server as Server);
    },
  });
}

let browser: Browser;
let stub: Stub;
let context: BrowserContext;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's browser with \`apt-get install -y chromium\` (.ci/run does). ` +
        'The test never downloads a browser.',
    );
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
  stub = await startStub();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await stub?.close();
});

/** A page that records script errors (a failing fetch that the test caused aside) and foreign requests. */
async function openPage(expectedStatus: number | null = null) {
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    const caused = expectedStatus !== null && msg.text().includes(`status of ${expectedStatus}`);
    if (msg.type() === 'error' && !caused) errors.push(msg.text());
  });
  page.on('request', (req) => {
    if (!req.url().startsWith(`${stub.origin}/`) && !req.url().startsWith('data:')) foreign.push(req.url());
  });
  return { page, errors, foreign };
}

function column(page: Page, selector: string): Promise<(string | null)[]> {
  return page.evaluate(
    (sel) => [...document.querySelectorAll(`#fleet tbody tr ${sel}`)].map((el) => el.textContent),
    selector,
  );
}

function screenshot(page: Page, name: string): Promise<Buffer> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });
}

test('the fleet: a row per app, worst first, in dollars a month or "unknown", names as text', async () => {
  const { page, errors, foreign } = await openPage();
  await page.goto(`${stub.origin}/`);
  await page.waitForFunction(() => document.querySelectorAll('#fleet tbody tr').length === 3);

  const rows = page.locator('#fleet tbody tr');
  expect(await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-app')))).toEqual([
    'shop',
    'ledger+eu',
    'blog',
  ]);
  expect(await column(page, 'td[data-waste]')).toEqual(['$48.00/mo', 'unknown', '$0.00/mo']);
  expect(await column(page, 'td[data-count="active"]')).toEqual(['6', 'no agents', '2']);
  expect(await column(page, 'td[data-count="configured"]')).toEqual(['2', '3', '2']);
  expect(await column(page, 'td[data-count="surplus"]')).toEqual(['4', 'unknown', '0']);
  expect(await column(page, '.badge')).toEqual(['\u2715Discrepancy', '!Degraded', '\u2713OK']);
  expect(await rows.nth(0).locator('.badge').getAttribute('class')).toBe('badge v-discrepancy');
  expect(await rows.nth(0).locator('td.codes code').allTextContents()).toEqual([
    'ORPHANED_INSTANCES',
    'SURPLUS_INSTANCES',
  ]);
  expect(await rows.nth(0).locator('td.codes code').first().getAttribute('title')).toBe('Orphaned instances');
  expect(await rows.nth(0).locator('th .app-id').textContent()).toBe('6c1f0a2e-shop');
  // The platform's name is text: no element made of it, nothing run.
  expect(await rows.nth(2).locator('a.app-link').textContent()).toBe(HOSTILE);
  expect(await page.locator('main img').count()).toBe(0);
  expect(await page.evaluate(() => window.pwned)).toBeUndefined();
  // Real links, to the app's page; the key URL-encoded.
  expect(
    await rows.locator('a.app-link').evaluateAll((els) => els.map((el) => el.getAttribute('href'))),
  ).toEqual(['./?app=shop', './?app=ledger%2Beu', './?app=blog']);
  expect(await page.locator('#totals').textContent()).toBe(
    '3 apps (1 Degraded, 1 Discrepancy, 1 OK) \u00b7 surplus at least 4 instances (1 app unknown) ' +
      '\u00b7 waste at least $48.00/mo (1 app unknown)',
  );
  expect(await page.locator('#meta').textContent()).toMatch(/^3 apps · updated \d\d:\d\d:\d\d/);
  // On a desktop every column shows without scrolling the table sideways.
  expect(await page.locator('#fleet .table-wrap').evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(
    true,
  );
  await screenshot(page, 'dashboard-fleet.png');

  // It asks again by itself, with the ETag it was given; a 304 keeps the rows.
  const asked = stub.fleetRequests.length;
  await waitFor(async () => stub.fleetRequests.length, {
    until: (n) => n > asked,
    timeoutMs: REFRESH_WAIT_MS,
    everyMs: 100,
  });
  expect(stub.fleetRequests.at(-1)).toBe(FLEET_ETAG);
  await page.waitForTimeout(300);
  expect(await rows.count()).toBe(3);
  expect(await page.locator('#conn-text').textContent()).toBe('Refreshed every 5 s');
  expect(await page.locator('#banners').textContent()).toBe('');
  expect(errors).toEqual([]);
  expect(foreign).toEqual([]);
  await page.close();
});

test('a failed refresh shows a banner and keeps the rows; the next good answer clears it', async () => {
  const { page, errors } = await openPage(503);
  await page.goto(`${stub.origin}/`);
  await page.waitForFunction(() => document.querySelectorAll('#fleet tbody tr').length === 3);
  stub.failWith = 503;
  try {
    const banner = page.locator('#banners [data-banner="fleet"]');
    await banner.waitFor({ timeout: REFRESH_WAIT_MS });
    expect(await banner.getAttribute('role')).toBe('alert');
    expect(await banner.textContent()).toMatch(
      /^!Could not refresh the apps\. GET api\/v1\/apps answered 503: the fleet view is failing\. Showing the list as of \d\d:\d\d:\d\d; asking again every 5 s\.$/,
    );
    expect(await page.locator('#fleet tbody tr').count()).toBe(3);
    expect(await page.locator('#conn-text').textContent()).toBe('Refresh failing');
    await screenshot(page, 'dashboard-fleet-failing.png');
  } finally {
    stub.failWith = null;
  }
  await page
    .locator('#banners [data-banner="fleet"]')
    .waitFor({ state: 'detached', timeout: REFRESH_WAIT_MS });
  expect(await page.locator('#fleet tbody tr').count()).toBe(3);
  expect(errors).toEqual([]);
  await page.close();
});

test("a click on a row opens that app's page, which names the app in every request", async () => {
  const { page, errors, foreign } = await openPage();
  await page.goto(`${stub.origin}/`);
  await page.waitForFunction(() => document.querySelectorAll('#fleet tbody tr').length === 3);
  stub.appRequests.length = 0;

  // The verdict cell, not the link: the whole row opens the app.
  await page.locator('#fleet tbody tr[data-app="ledger+eu"] td').first().click();
  await page.waitForURL(`${stub.origin}/?app=ledger%2Beu`);
  await page.locator('#components article[data-component="backend"]').waitFor();
  expect(await page.locator('#meta strong').first().textContent()).toBe('ledger+eu');

  const seen = await waitFor(async () => [...stub.appRequests], {
    until: (requests) =>
      ['/api/v1/monitoring/replicas', '/api/v1/events', '/api/v1/history'].every((p) =>
        requests.some((r) => r.path === p),
      ),
    timeoutMs: PAGE_TIMEOUT_MS,
    everyMs: 100,
  });
  const replicas = seen.find((r) => r.path === '/api/v1/monitoring/replicas');
  expect(replicas?.search).toBe('instances=false&app=ledger%2Beu');
  expect(seen.map((r) => r.app)).toEqual(seen.map(() => 'ledger+eu'));
  expect(seen.every((r) => r.search.endsWith('app=ledger%2Beu'))).toBe(true);

  // The raw-data links and the title name the app; the way back is a link to the fleet.
  expect(await page.locator('footer a').first().getAttribute('href')).toBe(
    'api/v1/monitoring/replicas?app=ledger%2Beu',
  );
  expect(await page.title()).toBe('ledger+eu \u00b7 replica-watch');
  const back = page.locator('#fleet-link');
  expect(await back.textContent()).toBe('\u2190 all apps');
  await back.click();
  await page.waitForURL(`${stub.origin}/`);
  await page.waitForFunction(() => document.querySelectorAll('#fleet tbody tr').length === 3);

  // The link itself, too.
  await page.locator('#fleet tbody tr[data-app="shop"] a.app-link').click();
  await page.waitForURL(`${stub.origin}/?app=shop`);
  await page.locator('#components article').first().waitFor();
  await screenshot(page, 'dashboard-fleet-app.png');
  expect(errors).toEqual([]);
  expect(foreign).toEqual([]);
  await page.close();
});

test('a guarded API: a 401 asks for the token, which the fleet then sends as a bearer token', async () => {
  const { page, errors } = await openPage(401);
  const authorizations: (string | undefined)[] = [];
  // The aggregator's guard is not part of this test: the route plays it.
  await page.route('**/api/v1/apps', (route) => {
    const authorization = route.request().headers().authorization;
    authorizations.push(authorization);
    if (authorization !== 'Bearer s3cret')
      return route.fulfill({ status: 401, json: { error: 'unauthorized' } });
    return route.continue();
  });
  await page.goto(`${stub.origin}/`);
  await page.locator('#auth-token').waitFor({ state: 'visible' });
  expect(await page.locator('#conn-text').textContent()).toBe('Token needed');
  expect(await page.locator('#banners').textContent()).toBe('');
  await page.fill('#auth-token', 's3cret');
  await page.click('#auth button');
  await page.waitForFunction(() => document.querySelectorAll('#fleet tbody tr').length === 3);
  expect(await page.locator('#auth').isHidden()).toBe(true);
  expect(authorizations[0]).toBeUndefined();
  expect(authorizations.at(-1)).toBe('Bearer s3cret');
  expect(errors).toEqual([]);
  await page.close();
});
