/**
 * The dashboard in real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core;
 * never a downloaded browser). An in-process aggregator in the embedded mode and real agent
 * processes: the components and instances appear, and when an agent is killed -9 the page
 * updates without a reload. Reports published straight into the store cover what a live fleet
 * cannot show on demand: the history chart and its absence, hostile strings, banners (a blind
 * platform view named with its cause and the variable to fix, never under an "OK"; deployments
 * rolling out and queued), new finding codes, skewed clocks and draining instances, a large
 * fleet and a guarded API. Screenshots land in test-artifacts/ (gitignored).
 */
import { existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startAggregator, type RunningAggregator } from '../../aggregator/app';
import { loadAggregatorConfig } from '../../aggregator/config';
import { closeServer, listen } from '../../aggregator/http/listen';
import type { ComponentReport, InstanceReport, Report } from '../../aggregator/reconcile/report';
import {
  findingReport as finding,
  orphanedComponentReport,
  sampleReport,
} from '../support/published-reports';
import { asReconciled } from '../support/reconcile-io';
import { fastAgentEnv, killAll, REPO_ROOT, spawnBuilt, type SpawnedProcess } from '../support/spawn';
import { waitFor } from '../support/wait';

/** The little of the browser's DOM that the callbacks run in the page use (the project has no DOM lib). */
interface PageElement {
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement> & { readonly length: number };
}
declare const document: PageElement & { readonly documentElement: { readonly scrollWidth: number } };
declare const window: { readonly innerWidth: number; loadedOnce?: string; pwned?: number };

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');
const PAGE_TIMEOUT_MS = 15_000;

async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's browser with \`apt-get install -y chromium\` (.ci/run does). ` +
        'The test never downloads a browser.',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** What a page did that it must not: script errors, and requests to anything but the aggregator. */
interface Watched {
  readonly page: Page;
  readonly errors: string[];
  readonly foreignRequests: string[];
}

async function openPage(context: BrowserContext, origin: string): Promise<Watched> {
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  const errors: string[] = [];
  const foreignRequests: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    // The history endpoint is optional: the page handles its 404 (the browser logs it anyway).
    const optional = msg.location().url.includes('/api/v1/history?') && msg.text().includes('404');
    if (msg.type() === 'error' && !optional) errors.push(msg.text());
  });
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith('data:')) foreignRequests.push(url);
  });
  return { page, errors, foreignRequests };
}

/** The number shown in a component's count tile (e.g. "Live"). */
function countTile(page: Page, component: string, label: string): Promise<string | null> {
  return page.evaluate(
    ([name, dt]) => {
      const card = [...document.querySelectorAll('#components article')].find(
        (el) => el.getAttribute('data-component') === name,
      );
      const tile = [...(card?.querySelectorAll('.count') ?? [])].find(
        (el) => el.querySelector('dt')?.textContent === dt,
      );
      return tile?.querySelector('dd')?.textContent ?? null;
    },
    [component, label] as const,
  );
}

/** Waits until a component's tiles show `expected` (probes on a busy machine may flicker first). */
function tilesOf(
  page: Page,
  component: string,
  expected: Record<string, string>,
): Promise<Record<string, string | null>> {
  const labels = Object.keys(expected);
  return waitFor(
    async () => {
      const values = await Promise.all(labels.map((label) => countTile(page, component, label)));
      return Object.fromEntries(labels.map((label, i) => [label, values[i] ?? null]));
    },
    {
      until: (seen) => labels.every((label) => seen[label] === expected[label]),
      timeoutMs: PAGE_TIMEOUT_MS,
      everyMs: 100,
    },
  );
}

function rowState(page: Page, instanceId: string): Promise<string | null> {
  return page.evaluate(
    (id) =>
      [...document.querySelectorAll('#instances tbody tr')]
        .find((row) => row.getAttribute('data-instance') === id)
        ?.getAttribute('data-state') ?? null,
    instanceId,
  );
}

function screenshot(page: Page, name: string, fullPage = true): Promise<Buffer> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return page.screenshot({ path: path.join(ARTIFACTS, name), fullPage });
}

/** A stand-in backend for the agents' probes: /health answers 200, anything else 503. */
async function startBackend(): Promise<{ server: Server; url: string }> {
  const { server, port } = await listen(
    (req, res) => {
      res.statusCode = req.url === '/health' ? 200 : 503;
      res.end();
    },
    '127.0.0.1',
    0,
  );
  return { server, url: `http://127.0.0.1:${port}` };
}

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe('a live fleet', () => {
  const processes: SpawnedProcess[] = [];
  let aggregator: RunningAggregator | undefined;
  let backend: { server: Server; url: string } | undefined;
  const contexts: BrowserContext[] = [];

  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    await killAll(processes);
    await aggregator?.stop();
    if (backend) await closeServer(backend.server);
  });

  test('components and instances appear, and the page follows a kill -9 without reloading', async () => {
    const app = 'dash-e2e';
    aggregator = await startAggregator(
      loadAggregatorConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        AGGREGATOR_APP: app,
        PLATFORM: 'static',
        DESIRED_REPLICAS: 'backend=2,worker=1',
        ACTIVE_DEPLOYMENT_ID: 'dep-2',
        RECONCILE_INTERVAL_MS: '250',
      }),
    );
    backend = await startBackend();
    const fleet = [
      { id: 'backend-7c9d4f6b8-xb2kc', component: 'backend', deployment: 'dep-2', probe: 'health' },
      { id: 'backend-7c9d4f6b8-q4m2z', component: 'backend', deployment: 'dep-2', probe: 'health' },
      { id: 'backend-5f8b2d9c4-kq7wm', component: 'backend', deployment: 'dep-1', probe: 'broken' },
      { id: 'worker-6d4c8b7f9-m3x8p', component: 'worker', deployment: 'dep-2', probe: 'health' },
    ];
    const agents = fleet.map((agent) =>
      spawnBuilt(
        'agent/main.js',
        fastAgentEnv(app, agent.id, {
          AGENT_COMPONENT: agent.component,
          DEPLOYMENT_ID: agent.deployment,
          APP_VERSION: agent.deployment === 'dep-2' ? '1.4.2' : '1.4.1',
          AGENT_PROBE_URL: `${backend?.url}/${agent.probe}`,
          AGGREGATOR_URL: aggregator?.url ?? '',
          LOG_LEVEL: 'warn',
        }),
      ),
    );
    processes.push(...agents);
    const orphan = agents[2] as SpawnedProcess;

    // Every agent reporting with its probe settled, so the first screenshot shows the whole story.
    await waitFor(async () => aggregator?.reconcileNow().instanceList() ?? [], {
      until: (instances) =>
        instances.filter((i) => i.state === 'live' && i.serving === (i.deployment_id === 'dep-2')).length ===
        4,
      timeoutMs: 20_000,
      everyMs: 100,
    });

    const desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(desktop);
    const { page, errors, foreignRequests } = await openPage(desktop, aggregator.url);
    await page.goto(`${aggregator.url}/`);

    await page.waitForFunction(() => document.querySelectorAll('#instances tbody tr').length === 4);
    const backendTiles = { Desired: '2', 'Dashboard ready': '\u2014', Live: '3', Serving: '2' };
    expect(await tilesOf(page, 'backend', backendTiles)).toEqual(backendTiles);
    expect(await tilesOf(page, 'worker', { Live: '1', Serving: '1' })).toEqual({ Live: '1', Serving: '1' });
    const backendCard = page.locator('article[data-component="backend"]');
    expect(await backendCard.locator('.badge').first().textContent()).toContain('Discrepancy');
    expect(await backendCard.getAttribute('class')).toContain('c-discrepancy');
    const orphanFinding = backendCard.locator('li[data-code="ORPHANED_INSTANCES"]');
    expect(await orphanFinding.locator('.ids').textContent()).toContain('backend-5f8b2d9c4-kq7wm');
    expect(await orphanFinding.locator('.rec').textContent()).toMatch(/^What to do: \S/);
    expect(await page.locator('article[data-component="worker"] .badge').first().textContent()).toContain(
      'OK',
    );
    expect(await rowState(page, 'backend-5f8b2d9c4-kq7wm')).toBe('live');
    const orphanRow = page.locator('tr[data-instance="backend-5f8b2d9c4-kq7wm"]');
    expect(await orphanRow.textContent()).toMatch(/dep-1.*orphan.*1\.4\.1.*✕ no/);
    // The history is another part of the aggregator: a chart when it answers, a note when it does not.
    const history = await fetch(`${aggregator.url}/api/v1/history`);
    await page
      .locator(history.ok ? '#history figure.chart[data-component="backend"] svg' : '#history [data-history]')
      .waitFor();
    await screenshot(page, 'dashboard.png');

    await page.evaluate(() => {
      window.loadedOnce = 'same page';
    });
    await orphan.signal('SIGKILL');
    await page.waitForFunction(
      () => {
        const row = [...document.querySelectorAll('#instances tbody tr')].find(
          (r) => r.getAttribute('data-instance') === 'backend-5f8b2d9c4-kq7wm',
        );
        return row?.getAttribute('data-state') === 'gone';
      },
      undefined,
      { timeout: 20_000 },
    );
    expect(await countTile(page, 'backend', 'Live')).toBe('2');
    expect(await rowState(page, 'backend-5f8b2d9c4-kq7wm')).toBe('gone');
    expect(await page.evaluate(() => window.loadedOnce)).toBe('same page');
    expect(await page.locator('#conn-text').textContent()).toBe('Live');
    await screenshot(page, 'dashboard-after-kill.png');

    // A phone: everything readable, the page itself never wider than the screen.
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    contexts.push(phone);
    const mobile = await openPage(phone, aggregator.url);
    await mobile.page.goto(`${aggregator.url}/`);
    await mobile.page.waitForFunction(() => document.querySelectorAll('#instances tbody tr').length === 4);
    expect(await countTile(mobile.page, 'backend', 'Live')).toBe('2');
    const widths = await mobile.page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      screen: window.innerWidth,
    }));
    expect(widths.page).toBeLessThanOrEqual(widths.screen);
    await screenshot(mobile.page, 'dashboard-phone.png');

    expect(errors).toEqual([]);
    expect(mobile.errors).toEqual([]);
    expect(foreignRequests).toEqual([]);
    expect(mobile.foreignRequests).toEqual([]);
  });
});

// ---- published reports ---------------------------------------------------------------------

/** The #356 backend, its orphans on dep-1. */
function component(overrides: Partial<ComponentReport> = {}): ComponentReport {
  return orphanedComponentReport({
    deployments: [
      { deployment_id: 'dep-2', live: 2, active: true },
      { deployment_id: 'dep-1', live: 4, active: false },
    ],
    ...overrides,
  });
}

function instance(id: string, overrides: Partial<InstanceReport> = {}): InstanceReport {
  return {
    instance_id: id,
    component: 'backend',
    deployment_id: 'dep-2',
    version: '1.4.2',
    state: 'live',
    last_seen: new Date().toISOString(),
    age_ms: 400,
    started_at: new Date().toISOString(),
    serving: true,
    orphaned: false,
    region: 'ams3',
    node_name: null,
    cpu_usage: 0.3,
    rss_bytes: 80_000_000,
    mem_used_bytes: 2_000_000_000,
    mem_total_bytes: 4_000_000_000,
    clock_offset_ms: 0,
    draining: false,
    container: null,
    ...overrides,
  };
}

function report(overrides: Partial<Report> = {}): Report {
  const components = overrides.components ?? [component()];
  const instances = overrides.instances ?? [instance('backend-7c9d4f6b8-xb2kc')];
  return {
    ...sampleReport(
      { generated_at: new Date().toISOString(), app: 'published', active_deployment_id: 'dep-2' },
      {
        active_instances: instances.length,
        serving_instances: instances.length,
        discrepancy: true,
        verdict: 'discrepancy',
        do_api_status: 'ok',
        platform_data_age_ms: 5_000,
      },
    ),
    ...overrides,
    components,
    instances,
  };
}

/** The text of the page's parts where a verdict or a banner shows (the chart legend aside). */
async function verdictTexts(page: Page): Promise<{ summary: string; components: string; banners: string }> {
  const text = async (selector: string) => (await page.textContent(selector)) ?? '';
  return {
    summary: await text('#summary'),
    components: await text('#components'),
    banners: await text('#banners'),
  };
}

/**
 * A RegExp for the whole of `text`, taken literally but for `{clock}` (a time as the page prints
 * it, HH:MM:SS in the browser's time zone) and `{n}` (a whole number).
 */
function shape(text: string): RegExp {
  const literal = text.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  return new RegExp(`^${literal.replace(/\{clock\}/g, '\\d\\d:\\d\\d:\\d\\d').replace(/\{n\}/g, '\\d+')}$`);
}

/** Ten minutes of history for `backend`: 6 listed and ready, orphans drained from minute 6 on. */
function historyPoints(): unknown[] {
  const now = Date.now();
  return Array.from({ length: 21 }, (_, i) => {
    const drained = i >= 12;
    return {
      at: new Date(now - (20 - i) * 30_000).toISOString(),
      component: 'backend',
      desired: 2,
      platform_ready: drained ? 2 : 6,
      platform_instances: drained ? 2 : 6,
      live: drained ? 2 : 6,
      serving: drained ? 2 : 5,
      orphaned: drained ? 0 : 4,
      stale: 0,
      verdict: drained ? 'ok' : i >= 10 ? 'rolling' : 'discrepancy',
    };
  });
}

describe('published reports', () => {
  let aggregator: RunningAggregator;
  let context: BrowserContext;

  beforeAll(async () => {
    // A reconcile interval far beyond the test: only the reports published here are shown.
    aggregator = await startAggregator(
      loadAggregatorConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        AGGREGATOR_APP: 'published',
        PLATFORM: 'static',
        DESIRED_REPLICAS: 'backend=2',
        RECONCILE_INTERVAL_MS: '600000',
      }),
    );
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await context?.close();
    await aggregator?.stop();
  });

  test('the history is drawn as an inline SVG chart, a note replaces it when the endpoint is missing or fails', async () => {
    aggregator.store.publish(asReconciled(report()));
    const { page, errors, foreignRequests } = await openPage(context, aggregator.url);
    const asked: string[] = [];
    await page.route('**/api/v1/history?**', (route) => {
      asked.push(route.request().url());
      return route.fulfill({
        json: {
          component: null,
          since: new Date(Date.now() - 3_600_000).toISOString(),
          points: historyPoints(),
        },
      });
    });
    await page.goto(`${aggregator.url}/`);
    const chart = page.locator('#history figure.chart[data-component="backend"]');
    await chart.waitFor();
    for (const series of ['desired', 'platform_ready', 'platform_instances', 'live', 'serving']) {
      expect(await chart.locator(`path[data-series="${series}"]`).count()).toBe(1);
    }
    // One bar per run of a verdict: discrepancy, then rolling, then ok.
    expect(
      await chart
        .locator('rect[class^="band-"]')
        .evaluateAll((bars) => bars.map((b) => b.getAttribute('class'))),
    ).toEqual(['band-discrepancy', 'band-rolling', 'band-ok']);
    expect(await chart.locator('svg').getAttribute('aria-label')).toContain('live 2');
    expect(await page.locator('#history .legends').textContent()).toContain('Dashboard ready');
    expect(new URL(asked[0] ?? '').searchParams.get('since')).toMatch(/^\d{4}-\d\d-\d\dT/);
    await screenshot(page, 'dashboard-chart.png');
    await page.close();

    for (const [status, shown] of [
      [404, 'missing'],
      [500, 'failed'],
    ] as const) {
      const next = await openPage(context, aggregator.url);
      await next.page.route('**/api/v1/history?**', (route) =>
        route.fulfill({ status, json: { error: 'nope' } }),
      );
      await next.page.goto(`${aggregator.url}/`);
      const note = next.page.locator(`#history [data-history="${shown}"]`);
      await note.waitFor();
      expect(await note.textContent()).toMatch(
        new RegExp(
          `^No chart: .*\\(GET api/v1/history answered ${status}\\)\\. The counts above are live\\.$`,
        ),
      );
      expect(await next.page.locator('#history svg').count()).toBe(0);
      expect(await countTile(next.page, 'backend', 'Live')).toBe('6');
      await next.page.close();
      // A failing endpoint is reported as a console error by Chromium; nothing else may be.
      expect(next.errors.filter((e) => !e.includes(`status of ${status}`))).toEqual([]);
    }
    expect(errors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });

  test('strings from the report are shown as text, never run as markup', async () => {
    const hostile = '<img src=x onerror="window.pwned=1">';
    const { page, errors } = await openPage(context, aggregator.url);
    aggregator.store.publish(
      asReconciled(
        report({
          active_deployment_id: '<b>dep</b>',
          components: [
            component({
              name: hostile,
              findings: [
                {
                  code: 'ORPHANED_INSTANCES',
                  severity: 'warning',
                  message: '<script>window.pwned=2</script> four orphans',
                  instances: ['<svg onload="window.pwned=3">'],
                  recommendation: '<a href="javascript:window.pwned=4">click</a>',
                  deployment_ids: ['dep-1'],
                },
              ],
            }),
          ],
          instances: [instance('<iframe src="javascript:window.pwned=5">', { version: '<i>v</i>' })],
        }),
      ),
    );
    await page.goto(`${aggregator.url}/`);
    await page.locator('#instances tbody tr').waitFor();
    expect(await page.locator('#components h3').first().textContent()).toContain(hostile);
    expect(await page.locator('#components .finding .msg').textContent()).toBe(
      '<script>window.pwned=2</script> four orphans',
    );
    expect(await page.locator('#components .finding .ids').textContent()).toContain(
      '<svg onload="window.pwned=3">',
    );
    expect(await page.locator('#instances tbody th').textContent()).toBe(
      '<iframe src="javascript:window.pwned=5">',
    );
    expect(
      await page.locator('main img, main script, main iframe, #components a, #meta b, td i').count(),
    ).toBe(0);
    expect(await page.evaluate(() => window.pwned)).toBeUndefined();
    expect(errors).toEqual([]);
    await page.close();
  });

  test('banners for degraded and stale data; a large fleet fetches its instance list separately', async () => {
    const { page, errors } = await openPage(context, aggregator.url);
    await page.goto(`${aggregator.url}/`);
    await page.locator('#components article').waitFor();

    const many = Array.from({ length: 600 }, (_, n) =>
      instance(`backend-7c9d4f6b8-${String(n).padStart(5, '0')}`, n === 599 ? { state: 'gone' } : {}),
    );
    aggregator.store.publish(
      asReconciled(
        report({
          degraded: true,
          summary: {
            configured_replicas: 2,
            active_instances: 599,
            serving_instances: 599,
            discrepancy: true,
            verdict: 'degraded',
            do_api_status: 'stale',
            platform_data_age_ms: 300_000,
            do_api_error: null,
            agentless: false,
            surplus_instances: null,
            estimated_monthly_waste_usd: null,
          },
          components: [
            // Its counts match the list: the stream sizes a report by them.
            component({
              live: 599,
              serving: 599,
              stale: 1,
              verdict: 'degraded',
              findings: [
                {
                  code: 'DATA_DEGRADED',
                  severity: 'warning',
                  message: 'Redis has been unreachable for 2 min.',
                  instances: [],
                  recommendation: 'Check REDIS_URL.',
                  deployment_ids: [],
                },
              ],
            }),
          ],
          instances: many,
        }),
      ),
    );
    const banners = page.locator('#banners');
    await page.waitForFunction(() =>
      (document.querySelector('#banners')?.textContent ?? '').includes('Degraded'),
    );
    expect(await banners.textContent()).toContain('Redis has been unreachable for 2 min.');
    expect(await banners.textContent()).toContain('Platform data is stale');
    expect(await banners.textContent()).toContain('5 min old');
    expect(await page.locator('article[data-component="backend"] .badge').first().textContent()).toContain(
      'Degraded',
    );

    // 600 instances are over the stream's inline limit: the page asks for the list itself.
    await page.waitForFunction(() => document.querySelectorAll('#instances tbody tr').length === 500);
    expect(await page.locator('#instances .more').textContent()).toContain('first 500 of 600');
    expect(await page.locator('#instances caption').textContent()).toContain(
      'large fleet: list refreshed every 10 s',
    );
    // Problems first: the one gone instance heads the table.
    expect(await page.locator('#instances tbody tr').first().getAttribute('data-state')).toBe('gone');
    await screenshot(page, 'dashboard-degraded.png', false);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('a blind platform view (DO_APP_ID answered 404) is named in the banner, never shown as OK', async () => {
    const since = Date.now() - 180_000;
    const failure = {
      kind: 'not_found',
      message: 'GET /v2/apps/6c1f0a2e-bad: HTTP 404: The resource you were accessing could not be found.',
      http_status: 404,
      request_id: '4d9f2c1e-aa10-4b7e-9d2a-5e3b7c8f1a22',
      since: new Date(since).toISOString(),
      fix_variable: 'DO_APP_ID',
    };
    // As the reconciler reports it (degraded: it never calls a blind view ok); the page shows that verdict.
    const { page, errors } = await openPage(context, aggregator.url);
    aggregator.store.publish(
      asReconciled(
        report({
          platform: 'digitalocean',
          app_id: '6c1f0a2e-bad',
          degraded: true,
          summary: {
            configured_replicas: 0,
            active_instances: 2,
            serving_instances: 2,
            discrepancy: false,
            verdict: 'degraded',
            do_api_status: 'unavailable',
            platform_data_age_ms: null,
            do_api_error: failure,
            agentless: false,
            surplus_instances: null,
            estimated_monthly_waste_usd: null,
          },
          components: [
            component({
              desired: null,
              platform_ready: null,
              platform_instances: null,
              live: 2,
              serving: 2,
              orphaned: 0,
              deployments: [{ deployment_id: 'dep-2', live: 2, active: false }],
              verdict: 'degraded',
              findings: [
                finding(
                  'DATA_DEGRADED',
                  'warning',
                  'DO_APP_ID 6c1f0a2e-bad not found (404): the platform view cannot be read.',
                ),
              ],
            }),
          ],
          instances: [instance('backend-7c9d4f6b8-xb2kc'), instance('backend-7c9d4f6b8-q4m2z')],
        }),
      ),
    );
    await page.goto(`${aggregator.url}/`);
    const platform = page.locator('#banners [data-banner="platform"]');
    await platform.waitFor();
    expect(await platform.getAttribute('class')).toBe('banner bad');
    expect(await platform.getAttribute('role')).toBe('alert');
    expect(await platform.textContent()).toMatch(
      shape(
        '!Platform data unavailable. DigitalOcean API: DO_APP_ID 6c1f0a2e-bad not found (HTTP 404) ' +
          'since {clock} (3 min ago); fix DO_APP_ID. request_id 4d9f2c1e-aa10-4b7e-9d2a-5e3b7c8f1a22 ' +
          '(quote it to DigitalOcean support). Desired, dashboard-ready and listed counts are unknown. ' +
          'Detail: GET /v2/apps/6c1f0a2e-bad: HTTP 404: The resource you were accessing could not be found.',
      ),
    );
    const shown = await verdictTexts(page);
    expect(shown.banners).not.toContain('has not answered yet');
    expect(shown.banners).toContain('Degraded: the aggregator cannot see all it needs');
    for (const text of [shown.summary, shown.components]) {
      expect(text).not.toMatch(/\bOK\b/);
      expect(text).not.toContain('\u2713');
      expect(text).not.toContain('counts agree');
    }
    const verdictTile = page.locator('#summary .tile').first();
    expect(await verdictTile.locator('.badge').getAttribute('class')).toBe('badge v-degraded');
    expect(await verdictTile.textContent()).toBe(
      'Verdict!DegradedDigitalOcean API: DO_APP_ID 6c1f0a2e-bad not found (HTTP 404)',
    );
    expect(await page.locator('#summary .badge.v-ok, #components .badge.v-ok').count()).toBe(0);
    const card = page.locator('article[data-component="backend"]');
    expect(await card.getAttribute('class')).toContain('c-degraded');
    expect(await card.locator('.badge').first().textContent()).toBe('!Degraded');
    expect(await card.locator('li[data-code="DATA_DEGRADED"] .finding-label').textContent()).toBe(
      'Data degraded',
    );
    await screenshot(page, 'dashboard-blind-404.png', false);
    expect(await page.locator('#summary .tile').last().textContent()).toBe(
      'Platform APIunavailablefailing: DO_APP_ID 6c1f0a2e-bad not found (HTTP 404)',
    );
    expect(errors).toEqual([]);
    await page.close();

    // Nothing has answered yet and no failure is known: then, and only then, "has not answered yet".
    const waiting = await openPage(context, aggregator.url);
    aggregator.store.publish(
      asReconciled(
        report({
          platform: 'digitalocean',
          summary: {
            configured_replicas: 0,
            active_instances: 1,
            serving_instances: 1,
            discrepancy: false,
            verdict: 'degraded',
            do_api_status: 'unavailable',
            platform_data_age_ms: null,
            do_api_error: null,
            agentless: false,
            surplus_instances: null,
            estimated_monthly_waste_usd: null,
          },
          degraded: true,
          components: [component({ verdict: 'degraded', desired: null, platform_ready: null })],
        }),
      ),
    );
    await waiting.page.goto(`${aggregator.url}/`);
    const pending = waiting.page.locator('#banners [data-banner="platform"]');
    await pending.waitFor();
    expect(await pending.textContent()).toBe(
      '!Platform data unavailable. The platform API has not answered yet; desired, dashboard-ready and ' +
        'listed counts are unknown.',
    );
    expect((await verdictTexts(waiting.page)).summary).not.toMatch(/\bOK\b/);
    // A degraded component with no finding of its own says its data is incomplete, not "No findings".
    expect(
      await waiting.page.locator('article[data-component="backend"] .no-findings').textContent(),
    ).toMatch(/^No findings of its own/);
    expect(waiting.errors).toEqual([]);
    await waiting.page.close();
  });

  test('deployments rolling out and queued, new codes with labels, skewed clocks and draining instances', async () => {
    const now = Date.now();
    const { page, errors } = await openPage(context, aggregator.url);
    aggregator.store.publish(
      asReconciled(
        report({
          platform: 'digitalocean',
          app_id: 'app-7f3e',
          in_progress_deployment: {
            id: 'dep-3',
            phase: 'DEPLOYING',
            created_at: new Date(now - 120_000).toISOString(),
          },
          pending_deployment: {
            id: 'dep-4',
            phase: 'PENDING_BUILD',
            created_at: new Date(now - 40_000).toISOString(),
          },
          summary: {
            configured_replicas: 3,
            active_instances: 3,
            serving_instances: 3,
            discrepancy: true,
            verdict: 'rolling',
            do_api_status: 'ok',
            platform_data_age_ms: 4_000,
            do_api_error: null,
            agentless: false,
            surplus_instances: null,
            estimated_monthly_waste_usd: null,
          },
          components: [
            component({
              live: 3,
              serving: 3,
              left: 1,
              orphaned: 0,
              platform_ready: 3,
              platform_instances: 4,
              verdict: 'rolling',
              findings: [
                finding(
                  'CLOCK_SKEW',
                  'warning',
                  'backend-7c9d4f6b8-xb2kc: its clock is 62 s behind the aggregator.',
                ),
                finding('ROLLOUT_IN_PROGRESS', 'info', 'Deployment dep-3 is DEPLOYING (2/5 steps).'),
              ],
            }),
            component({
              name: 'worker',
              kind: 'worker',
              desired: 1,
              platform_ready: 1,
              platform_instances: 1,
              live: 1,
              serving: 1,
              orphaned: 0,
              verdict: 'discrepancy',
              deployments: [{ deployment_id: 'dep-2', live: 1, active: true }],
              findings: [
                finding(
                  'DEPLOYMENT_FAILED',
                  'warning',
                  'Deployment dep-1b ended ERROR at build; dep-2 still runs.',
                ),
              ],
            }),
          ],
          instances: [
            instance('backend-7c9d4f6b8-xb2kc', { clock_offset_ms: -62_000 }),
            instance('backend-7c9d4f6b8-q4m2z', { clock_offset_ms: 3_000 }),
            instance('backend-7c9d4f6b8-zz9rt', { state: 'left', draining: true, serving: null }),
            instance('worker-6d4c8b7f9-m3x8p', { component: 'worker', clock_offset_ms: 7_200_000 }),
          ],
        }),
      ),
    );
    await page.goto(`${aggregator.url}/`);
    await page.locator('#instances tbody tr').first().waitFor();

    const notes = page.locator('#banners [data-banner="deployment"]');
    expect(await notes.evaluateAll((els) => els.map((el) => el.getAttribute('data-deployment')))).toEqual([
      'in-progress',
      'pending',
    ]);
    expect(await notes.nth(0).textContent()).toMatch(
      shape('\u21bbRolling out: deployment dep-3 (DEPLOYING), created {clock} (2 min ago).'),
    );
    expect(await notes.nth(1).textContent()).toMatch(
      shape(
        '\u2026Queued: deployment dep-4 (PENDING_BUILD), created {clock} ({n} s ago), waiting for dep-3 to finish.',
      ),
    );
    expect(await page.locator('#banners [data-banner="platform"]').count()).toBe(0);
    const shown = await verdictTexts(page);
    expect(shown.summary).not.toMatch(/\bOK\b/);
    expect(shown.summary).toContain('Rolling');

    // The finding codes with their labels beside them.
    const labels = await page
      .locator('#components .finding')
      .evaluateAll((els) =>
        els.map((el) => [
          el.getAttribute('data-code'),
          el.querySelector('.finding-label')?.textContent ?? null,
        ]),
      );
    expect(labels).toEqual([
      ['CLOCK_SKEW', 'Clock skew'],
      ['ROLLOUT_IN_PROGRESS', 'Rollout in progress'],
      ['DEPLOYMENT_FAILED', 'Deployment failed'],
    ]);

    // A large clock offset is shown with its direction; a small one is not; draining is marked.
    const row = (id: string) => page.locator(`#instances tr[data-instance="${id}"]`);
    expect(await row('backend-7c9d4f6b8-xb2kc').locator('.tag.skew').textContent()).toBe('clock 62 s behind');
    expect(await row('worker-6d4c8b7f9-m3x8p').locator('.tag.skew').textContent()).toBe('clock 2 h ahead');
    expect(await row('backend-7c9d4f6b8-q4m2z').locator('.tag.skew').count()).toBe(0);
    const draining = row('backend-7c9d4f6b8-zz9rt');
    expect(await draining.getAttribute('data-state')).toBe('left');
    expect(await draining.getAttribute('data-draining')).toBe('true');
    expect(await draining.locator('.tag.draining').textContent()).toBe('draining');
    expect(await row('backend-7c9d4f6b8-q4m2z').locator('.tag.draining').count()).toBe(0);
    expect(await page.locator('#instances caption').textContent()).toContain('1 left (1 draining)');
    await screenshot(page, 'dashboard-deployments.png');
    expect(errors).toEqual([]);
    await page.close();
  });

  test('a guarded API: a 401 asks for the token, which is then sent as a bearer token', async () => {
    aggregator.store.publish(asReconciled(report()));
    const { page } = await openPage(context, aggregator.url);
    const authorizations: (string | undefined)[] = [];
    // The aggregator's own guard is not part of this test: the route plays it.
    await page.route('**/api/v1/events', (route) => {
      const authorization = route.request().headers().authorization;
      authorizations.push(authorization);
      if (authorization !== 'Bearer s3cret')
        return route.fulfill({ status: 401, json: { error: 'unauthorized' } });
      return route.continue();
    });
    await page.goto(`${aggregator.url}/`);
    await page.locator('#auth-token').waitFor({ state: 'visible' });
    expect(await page.locator('#conn-text').textContent()).toBe('Token needed');
    await page.fill('#auth-token', 's3cret');
    await page.click('#auth button');
    await page.locator('#components article[data-component="backend"]').waitFor();
    expect(await page.locator('#auth').isHidden()).toBe(true);
    expect(authorizations[0]).toBeUndefined();
    expect(authorizations).toContain('Bearer s3cret');
    await page.close();
  });
});
