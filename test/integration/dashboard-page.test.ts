/**
 * The dashboard's static side: the page, its script modules (the browser code as `npm run build`
 * compiled it) and stylesheet are served by the aggregator itself with a strict
 * Content-Security-Policy, reference nothing on another origin, import nothing of the server,
 * and never hand report data to an HTML parser; the page carries the vocabulary built from the
 * report's enums. And what the page says about a report (the pure functions of
 * browser/text.ts, imported from source): the platform banner names the failure and the
 * variable to fix, the verdict is the report's own, the in-progress and queued deployments,
 * finding labels, clock offsets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { HeartbeatIngest } from '../../aggregator/collector';
import {
  CLOCK_OFFSET_SHOWN_MS,
  DASHBOARD_CSS,
  DASHBOARD_CSP,
  DASHBOARD_HTML,
  DASHBOARD_MODULES,
  DASHBOARD_VOCABULARY,
  FINDING_LABELS,
  VOCABULARY_ELEMENT_ID,
  dashboardScriptDir,
  loadDashboardScripts,
} from '../../aggregator/dashboard';
import { clock, dashboardText, deploymentNotes } from '../../aggregator/dashboard/browser/text';
import { createHttpApp } from '../../aggregator/http/app';
import { closeServer, listen } from '../../aggregator/http/listen';
import { PLATFORM_FAILURE_KINDS, isBlindingFailure } from '../../aggregator/model';
import { reconcile } from '../../aggregator/reconcile';
import type {
  DeploymentReport,
  PlatformErrorReport,
  Report,
  Verdict,
} from '../../aggregator/reconcile/report';
import { FINDING_CODES, INSTANCE_STATES, SEVERITIES, VERDICTS } from '../../aggregator/reconcile/report';
import { ReportStore } from '../../aggregator/report-store';
import { embeddedIngest, httpDeps } from '../support/http-deps';
import { componentReport, findingReport as finding, sampleReport } from '../support/published-reports';
import { notFoundView } from '../support/platform';
import { input } from '../support/reconcile-io';
import { instances, NOW } from '../support/records';
import { REPO_ROOT } from '../support/spawn';

/** The one absolute URL allowed: the SVG namespace, an identifier that is never fetched. */
const SVG_NAMESPACE = 'http://www.w3.org/2000/svg';

/** The compiled modules, as the aggregator serves them. */
const SCRIPTS = loadDashboardScripts();

/** The vocabulary as the page carries it: the JSON data block of the HTML. */
function vocabularyOf(html: string): unknown {
  const block = new RegExp(
    `<script type="application/json" id="${VOCABULARY_ELEMENT_ID}">(.*?)</script>`,
  ).exec(html);
  return block?.[1] === undefined ? undefined : JSON.parse(block[1]);
}

describe('dashboard assets', () => {
  let server: Server;
  let ingest: HeartbeatIngest;
  let base: string;

  beforeAll(async () => {
    ingest = embeddedIngest('test-app');
    const app = createHttpApp(httpDeps(new ReportStore(), { ingest }));
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
    expect(html).toContain('<script type="module" src="dashboard/app.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="dashboard/app.css">');
    expect(vocabularyOf(html)).toEqual(DASHBOARD_VOCABULARY);
  });

  test('the script modules and stylesheet are served with their types and revalidate by ETag', async () => {
    const assets: [string, string, string][] = [
      ...DASHBOARD_MODULES.map((file): [string, string, string] => [
        `/dashboard/${file}`,
        'text/javascript; charset=utf-8',
        SCRIPTS.get(file) ?? '',
      ]),
      ['/dashboard/app.css', 'text/css; charset=utf-8', DASHBOARD_CSS],
    ];
    for (const [path, type, body] of assets) {
      expect(body).not.toBe('');
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
    for (const text of [DASHBOARD_HTML, DASHBOARD_CSS, ...SCRIPTS.values()]) {
      const urls = text.match(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s'")]*/gi) ?? [];
      expect(urls.filter((url) => url !== SVG_NAMESPACE)).toEqual([]);
    }
    expect(DASHBOARD_CSS).not.toMatch(/@import|@font-face|url\(/);
  });

  test('the modules import only each other: the server types they use are erased, nothing of it is served', () => {
    // Static imports and re-exports (`import … from './x.js'`, `import './x.js'`), one per line as tsc emits them.
    const statement = /^(?:import|export)\b[^;'"\n]*\bfrom\s*['"]([^'"]+)['"]|^import\s*['"]([^'"]+)['"]/gm;
    const imported = [...SCRIPTS.values()].flatMap((text) =>
      [...text.matchAll(statement)].map((m) => m[1] ?? m[2]),
    );
    expect(imported).toContain('./text.js');
    expect(imported.filter((spec) => !DASHBOARD_MODULES.some((file) => spec === `./${file}`))).toEqual([]);
    expect(SCRIPTS.get('app.js')).not.toMatch(/\bimport\s*\(/);
  });

  test('the modules never pass data to an HTML parser', () => {
    for (const text of SCRIPTS.values()) {
      expect(text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    }
  });

  test('the page scripts read the vocabulary from the element the page renders', () => {
    expect(SCRIPTS.get('dom.js')).toContain(`'${VOCABULARY_ELEMENT_ID}'`);
    for (const entry of ['app.js', 'fleet.js'] as const)
      expect(SCRIPTS.get(entry)).toContain('readVocabulary()');
  });

  test("every request of an app's page names its app (?app=): each URL goes through url()", () => {
    const script = SCRIPTS.get('app.js') ?? '';
    expect(script).toContain("fetch(url('api/v1/events')");
    expect(script).toMatch(/\bapi\(url\(/);
    expect(script.match(/\b(?:fetch|api)\((?!url\()/g)).toBeNull();
  });

  test('a missing build fails loudly, naming the fix', () => {
    expect(dashboardScriptDir()).toBe(path.join(REPO_ROOT, 'dist', 'browser', 'dashboard', 'browser'));
    const empty = mkdtempSync(path.join(tmpdir(), 'dashboard-'));
    try {
      expect(() => loadDashboardScripts(empty)).toThrow(
        `the dashboard's browser code is not built (${DASHBOARD_MODULES.join(', ')} missing in ${empty}): run npm run build`,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test('without an event stream configured, /api/v1/events is a plain 404', async () => {
    const res = await fetch(`${base}/api/v1/events`);
    expect(res.status).toBe(404);
  });
});

// ---- what the page says ------------------------------------------------------------------

/** The functions with the vocabulary the page is handed; they need no DOM. */
const text = dashboardText(DASHBOARD_VOCABULARY);

/** HH:MM:SS of `ms` as the page prints it (the local time zone). */
const hhmmss = (ms: number): string => clock(new Date(ms));

function apiError(overrides: Partial<PlatformErrorReport> = {}): PlatformErrorReport {
  return {
    kind: 'not_found',
    message: 'GET /v2/apps/6c1f-bad: HTTP 404: The resource you were accessing could not be found.',
    http_status: 404,
    request_id: '4d9f2c1e-aa10-4b7e-9d2a-5e3b7c8f1a22',
    since: new Date(NOW - 180_000).toISOString(),
    fix_variable: 'DO_APP_ID',
    ...overrides,
  };
}

function deploymentOf(id: string, phase: string, createdAtMs: number | null): DeploymentReport {
  return { id, phase, created_at: createdAtMs === null ? null : new Date(createdAtMs).toISOString() };
}

function pageReport(
  summary: Partial<Report['summary']> = {},
  overrides: Partial<Omit<Report, 'summary'>> = {},
): Report {
  return sampleReport(
    { generated_at: new Date(NOW).toISOString(), platform: 'digitalocean', app_id: '6c1f-bad', ...overrides },
    { do_api_status: 'ok', platform_data_age_ms: 5_000, ...summary },
  );
}

/** The DigitalOcean API answered 404 for DO_APP_ID and never anything else. */
const blind404 = (verdict: Verdict) =>
  pageReport(
    { verdict, do_api_status: 'unavailable', platform_data_age_ms: null, do_api_error: apiError() },
    { degraded: verdict === 'degraded', components: [componentReport({ verdict })] },
  );

describe('the platform banner', () => {
  test('a 404 for DO_APP_ID is named with its status, time, request_id and the variable to fix', () => {
    expect(text.platformBanner(blind404('degraded'), NOW)).toEqual({
      level: 'bad',
      title: 'Platform data unavailable. ',
      text:
        `DigitalOcean API: DO_APP_ID 6c1f-bad not found (HTTP 404) since ${hhmmss(NOW - 180_000)} (3 min ago); ` +
        'fix DO_APP_ID. request_id 4d9f2c1e-aa10-4b7e-9d2a-5e3b7c8f1a22 (quote it to DigitalOcean support). ' +
        'Desired, dashboard-ready and listed counts are unknown.',
      detail: 'GET /v2/apps/6c1f-bad: HTTP 404: The resource you were accessing could not be found.',
    });
  });

  test('"has not answered yet" only while nothing answered and no failure is known', () => {
    const waiting = pageReport({ do_api_status: 'unavailable', platform_data_age_ms: null });
    expect(text.platformBanner(waiting, NOW)).toEqual({
      level: 'bad',
      title: 'Platform data unavailable. ',
      text: 'The platform API has not answered yet; desired, dashboard-ready and listed counts are unknown.',
      detail: null,
    });
    for (const kind of PLATFORM_FAILURE_KINDS) {
      const failed = pageReport({
        do_api_status: 'unavailable',
        platform_data_age_ms: null,
        do_api_error: apiError({ kind }),
      });
      expect(text.platformBanner(failed, NOW)?.text).not.toContain('has not answered');
    }
  });

  test('a refused or under-scoped token names DO_API_TOKEN; no request_id, none is printed', () => {
    const refused = pageReport({
      do_api_status: 'unavailable',
      do_api_error: apiError({
        kind: 'unauthorized',
        http_status: 401,
        request_id: null,
        fix_variable: 'DO_API_TOKEN',
      }),
    });
    expect(text.platformBanner(refused, NOW)?.text).toBe(
      `DigitalOcean API: DO_API_TOKEN refused (wrong, expired or revoked) (HTTP 401) since ${hhmmss(NOW - 180_000)} ` +
        '(3 min ago); fix DO_API_TOKEN. Desired, dashboard-ready and listed counts are unknown.',
    );
    const readOnly = pageReport({
      do_api_status: 'stale',
      platform_data_age_ms: 600_000,
      do_api_error: apiError({ kind: 'forbidden', http_status: 403, fix_variable: 'DO_API_TOKEN' }),
    });
    const banner = text.platformBanner(readOnly, NOW);
    expect(banner).toMatchObject({ level: 'bad', title: 'Platform data is stale. ' });
    expect(banner?.text).toMatch(
      /^DigitalOcean API: DO_API_TOKEN lacks the scope to read app 6c1f-bad \(HTTP 403\) since .*; fix DO_API_TOKEN\. .* last good answer, 10 min old\.$/,
    );
  });

  test('a transient failure over a last good view is a warning with the age of the data', () => {
    const stale = pageReport({
      do_api_status: 'stale',
      platform_data_age_ms: 300_000,
      do_api_error: apiError({
        kind: 'server_error',
        http_status: 503,
        request_id: null,
        fix_variable: null,
      }),
    });
    expect(text.platformBanner(stale, NOW)).toMatchObject({
      level: 'warn',
      title: 'Platform data is stale. ',
      text:
        `DigitalOcean API: server error (HTTP 503) since ${hhmmss(NOW - 180_000)} (3 min ago). ` +
        'Desired, dashboard-ready and listed counts come from its last good answer, 5 min old.',
    });
    const unreachable = pageReport({
      do_api_status: 'stale',
      do_api_error: apiError({
        kind: 'unreachable',
        http_status: null,
        request_id: null,
        fix_variable: null,
      }),
    });
    expect(text.platformBanner(unreachable, NOW)?.text).toMatch(
      /^DigitalOcean API: unreachable \(no answer\) since /,
    );
    expect(text.platformBanner(pageReport(), NOW)).toBeNull();
    expect(text.platformBanner(pageReport({ do_api_status: 'not_configured' }), NOW)).toBeNull();
  });

  test('every failure kind has words of its own', () => {
    const phrases = PLATFORM_FAILURE_KINDS.map((kind) =>
      text.platformBanner(
        pageReport({
          do_api_status: 'stale',
          do_api_error: apiError({ kind, http_status: null, request_id: null, fix_variable: null }),
        }),
        NOW,
      ),
    ).map((banner) => /^DigitalOcean API: (.*) since /.exec(banner?.text ?? '')?.[1]);
    expect(phrases.filter((phrase) => phrase === undefined || phrase === 'failing')).toEqual([]);
    expect(new Set(phrases).size).toBe(PLATFORM_FAILURE_KINDS.length);
  });
});

describe('the verdict', () => {
  test('degraded shows its reason, never "counts agree"', () => {
    expect(text.verdictView(blind404('degraded'))).toEqual({
      verdict: 'degraded',
      reason: 'DigitalOcean API: DO_APP_ID 6c1f-bad not found (HTTP 404)',
    });
    const redisDown = pageReport(
      { verdict: 'degraded' },
      {
        degraded: true,
        components: [
          componentReport({
            verdict: 'degraded',
            findings: [
              finding(
                'DATA_DEGRADED',
                'warning',
                'Heartbeats cannot be read since 22:10:20: connection refused; counts are frozen at that moment',
              ),
            ],
          }),
        ],
      },
    );
    expect(text.verdictView(redisDown)).toEqual({
      verdict: 'degraded',
      reason: 'Heartbeats cannot be read since 22:10:20: connection refused',
    });
    const noDesired = pageReport(
      { verdict: 'degraded', configured_replicas: 0 },
      {
        platform: 'static',
        degraded: true,
        components: [componentReport({ desired: null, verdict: 'degraded' })],
      },
    );
    expect(text.verdictView(noDesired)).toEqual({ verdict: 'degraded', reason: 'desired count unknown' });
  });

  test("the verdict shown is the report's own: the page judges nothing again", () => {
    for (const verdict of VERDICTS) {
      const report = pageReport(
        { verdict, discrepancy: verdict === 'discrepancy' },
        { degraded: verdict === 'degraded' },
      );
      expect(text.verdictView(report).verdict).toBe(verdict);
    }
    expect(text.isBlind(blind404('degraded'))).toBe(true);
  });

  test('a healthy report keeps its verdict', () => {
    expect(text.verdictView(pageReport())).toEqual({ verdict: 'ok', reason: 'counts agree' });
    expect(text.verdictView(pageReport({ verdict: 'discrepancy', discrepancy: true }))).toEqual({
      verdict: 'discrepancy',
      reason: 'counts disagree',
    });
    const transient = pageReport({
      do_api_status: 'stale',
      do_api_error: apiError({ kind: 'rate_limited', http_status: 429, fix_variable: null }),
    });
    expect(text.isBlind(transient)).toBe(false);
    expect(text.verdictView(transient)).toEqual({ verdict: 'ok', reason: 'counts agree' });
  });

  test("the reconciler's report of a DO_APP_ID answered with 404 reads as degraded, naming the failure", () => {
    const { report } = reconcile(
      input({
        platform: notFoundView('req-7'),
        instances: instances('backend', 2),
      }),
    );
    expect(text.verdictView(report)).toEqual({
      verdict: 'degraded',
      reason: 'DigitalOcean API: DO_APP_ID app-123 not found (HTTP 404)',
    });
    const banner = text.platformBanner(report, NOW);
    expect(banner?.text).toMatch(
      /^DigitalOcean API: DO_APP_ID app-123 not found \(HTTP 404\) since \d\d:\d\d:\d\d \(60 s ago\); fix DO_APP_ID\. request_id req-7 /,
    );
    // The page shows these verdicts as they are: a blind report is degraded, by the reconciler.
    expect(report.summary.verdict).toBe('degraded');
    expect(report.components.map((c) => c.verdict)).not.toContain('ok');
  });
});

describe('deployments, finding labels, clock offsets', () => {
  test('the in-progress and the queued deployment are named with their phase and age', () => {
    const report = pageReport(
      { verdict: 'rolling' },
      {
        in_progress_deployment: deploymentOf('dep-3', 'DEPLOYING', NOW - 120_000),
        pending_deployment: deploymentOf('dep-4', 'PENDING_BUILD', NOW - 30_000),
      },
    );
    expect(deploymentNotes(report, NOW)).toEqual([
      {
        kind: 'in-progress',
        id: 'dep-3',
        text: `Rolling out: deployment dep-3 (DEPLOYING), created ${hhmmss(NOW - 120_000)} (2 min ago).`,
      },
      {
        kind: 'pending',
        id: 'dep-4',
        text: `Queued: deployment dep-4 (PENDING_BUILD), created ${hhmmss(NOW - 30_000)} (30 s ago), waiting for dep-3 to finish.`,
      },
    ]);
    const queuedOnly = pageReport({}, { pending_deployment: deploymentOf('dep-9', 'PENDING_DEPLOY', null) });
    expect(deploymentNotes(queuedOnly, NOW)).toEqual([
      { kind: 'pending', id: 'dep-9', text: 'Queued: deployment dep-9 (PENDING_DEPLOY), waiting to start.' },
    ]);
    expect(deploymentNotes(pageReport(), NOW)).toEqual([]);
  });

  test('every finding code has a label, derived from FINDING_CODES', () => {
    expect(Object.keys(FINDING_LABELS)).toEqual([...FINDING_CODES]);
    for (const code of FINDING_CODES) expect(text.findingLabel(code)).toBe(FINDING_LABELS[code]);
    expect(text.findingLabel('DEPLOYMENT_FAILED')).toBe('Deployment failed');
    expect(text.findingLabel('CLOCK_SKEW')).toBe('Clock skew');
    expect(text.findingLabel('ORPHANED_INSTANCES')).toBe('Orphaned instances');
  });

  test('a clock offset is shown only beyond CLOCK_OFFSET_SHOWN_MS, with its direction', () => {
    expect(CLOCK_OFFSET_SHOWN_MS).toBe(5_000);
    expect(text.clockOffsetText(0)).toBeNull();
    expect(text.clockOffsetText(5_000)).toBeNull();
    expect(text.clockOffsetText(-5_000)).toBeNull();
    expect(text.clockOffsetText(5_001)).toBe('clock 5.0 s ahead');
    expect(text.clockOffsetText(-62_000)).toBe('clock 62 s behind');
    expect(text.clockOffsetText(3 * 3_600_000)).toBe('clock 3 h ahead');
  });

  test("the vocabulary has words for every value of the report's enums, and only for those", () => {
    const keys = (record: object): string[] => Object.keys(record).sort();
    expect(keys(DASHBOARD_VOCABULARY.verdicts)).toEqual([...VERDICTS].sort());
    expect(keys(DASHBOARD_VOCABULARY.severities)).toEqual([...SEVERITIES].sort());
    expect(keys(DASHBOARD_VOCABULARY.states)).toEqual([...INSTANCE_STATES].sort());
    expect(keys(DASHBOARD_VOCABULARY.findingLabels)).toEqual([...FINDING_CODES].sort());
    expect(keys(DASHBOARD_VOCABULARY.failurePhrases)).toEqual([...PLATFORM_FAILURE_KINDS].sort());
    expect(DASHBOARD_VOCABULARY.blindingFailures).toEqual(PLATFORM_FAILURE_KINDS.filter(isBlindingFailure));
    expect(DASHBOARD_VOCABULARY.clockOffsetShownMs).toBe(CLOCK_OFFSET_SHOWN_MS);
    const badges = [
      ...Object.values(DASHBOARD_VOCABULARY.verdicts),
      ...Object.values(DASHBOARD_VOCABULARY.severities),
      ...Object.values(DASHBOARD_VOCABULARY.states),
    ];
    expect(badges.filter((b) => !b.label || !b.symbol)).toEqual([]);
    expect(DASHBOARD_VOCABULARY.findingLabels.CLOCK_SKEW).toBe('Clock skew');
  });
});
