/**
 * The dashboard's HTML shells, served at `GET /`: an app's page (DASHBOARD_HTML for a single-app
 * aggregator, DASHBOARD_APP_HTML with a link back to the fleet when it watches many apps) and
 * the fleet page (FLEET_HTML). They hold no report data (the scripts fill them from the API),
 * only the vocabulary (the words for the report's enums, in a JSON data block that no browser
 * runs and the Content-Security-Policy lets through), so they can be public even when `/api/*`
 * needs a token. URLs are relative so the pages also work behind a reverse proxy that mounts
 * them under a path prefix.
 */
import { DASHBOARD_VOCABULARY } from './vocabulary';

/** The id of the vocabulary's element; browser/dom.ts reads the same id. */
export const VOCABULARY_ELEMENT_ID = 'dashboard-vocabulary';

/** JSON that cannot end its <script> element early: every `<` escaped. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/** A favicon drawn inline: a browser asks for /favicon.ico otherwise. */
const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='4' fill='%236366f1'/%3E%3Cpath d='M4 11V8M8 11V5M12 11V7' stroke='white' stroke-width='2' stroke-linecap='round'/%3E%3C/svg%3E";

/** The document up to `<body>`: the page's title and its script module under dashboard/. */
function head(title: string, script: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="icon" href="${FAVICON}">
<link rel="stylesheet" href="dashboard/app.css">
<script type="application/json" id="${VOCABULARY_ELEMENT_ID}">${scriptJson(DASHBOARD_VOCABULARY)}</script>
<script type="module" src="dashboard/${script}"></script>
</head>
<body>
`;
}

/** The header bar: the brand (with a link back to the fleet on an app's page of many), the meta line, the connection. */
function top(backToFleet: boolean, waiting: string, connecting: string): string {
  const back = backToFleet ? '\n    <a class="back" id="fleet-link" href="./">\u2190 all apps</a>' : '';
  return `<header class="top">
  <div class="wrap top-inner">
    <div class="brand"><span class="logo" aria-hidden="true"></span><h1>replica-watch</h1>${back}</div>
    <p class="meta" id="meta">${waiting}</p>
    <p class="conn connecting" id="conn" role="status" aria-live="polite"><span class="dot" aria-hidden="true"></span><span id="conn-text">${connecting}</span></p>
  </div>
</header>
`;
}

/** The form that asks for AGGREGATOR_API_TOKEN when the API answers 401. */
const AUTH_FORM = `  <section id="auth" class="auth" hidden aria-labelledby="auth-h">
    <h2 id="auth-h">API token needed</h2>
    <p class="muted">This aggregator guards its API with AGGREGATOR_API_TOKEN. The token stays in this browser tab only.</p>
    <form id="auth-form">
      <label class="visually-hidden" for="auth-token">API token</label>
      <input id="auth-token" type="password" autocomplete="off" required placeholder="API token">
      <button type="submit">Connect</button>
    </form>
  </section>
`;

/**
 * An app's page. Its raw-data links carry `data-api`: the script adds the page's `?app=` to them.
 */
function appPage(backToFleet: boolean): string {
  return `${head('replica-watch', 'app.js')}${top(backToFleet, 'Waiting for the first report\u2026', 'Connecting')}<main class="wrap">
  <noscript><p class="empty">This dashboard needs JavaScript. The same data is at <a href="api/v1/monitoring/replicas">api/v1/monitoring/replicas</a>.</p></noscript>
  <div id="banners" role="region" aria-label="Alerts about the data"></div>
${AUTH_FORM}  <section aria-labelledby="summary-h">
    <h2 id="summary-h" class="visually-hidden">Summary</h2>
    <div id="summary" class="summary"></div>
  </section>
  <section aria-labelledby="components-h">
    <h2 id="components-h">Components</h2>
    <div id="components" class="components"><p class="empty">No report yet.</p></div>
  </section>
  <section aria-labelledby="history-h">
    <h2 id="history-h">Counts over time</h2>
    <div id="history"><p class="empty">Loading the history\u2026</p></div>
  </section>
  <section aria-labelledby="instances-h">
    <h2 id="instances-h">Instances</h2>
    <div id="instances"><p class="empty">No report yet.</p></div>
  </section>
</main>
<footer class="wrap foot">
  Raw data: <a href="api/v1/monitoring/replicas" data-api="api/v1/monitoring/replicas">report JSON</a> \u00b7 <a href="api/v1/health/instances" data-api="api/v1/health/instances">instances JSON</a> \u00b7 <a href="metrics">Prometheus metrics</a>
</footer>
</body>
</html>
`;
}

/** The page of the aggregator's one app (and of any app when it watches only one). */
export const DASHBOARD_HTML = appPage(false);

/** An app's page on an aggregator that watches many (`/?app=<app>`): with a link back to the fleet. */
export const DASHBOARD_APP_HTML = appPage(true);

/** The fleet page: every app the aggregator watches, a row each (browser/fleet.ts fills it). */
export const FLEET_HTML = `${head('replica-watch \u00b7 fleet', 'fleet.js')}${top(false, 'Loading the apps\u2026', 'Loading')}<main class="wrap">
  <noscript><p class="empty">This dashboard needs JavaScript. The same data is at <a href="api/v1/apps">api/v1/apps</a>.</p></noscript>
  <div id="banners" role="region" aria-label="Alerts about the data"></div>
${AUTH_FORM}  <section aria-labelledby="fleet-h">
    <h2 id="fleet-h">Apps</h2>
    <p class="totals" id="totals"></p>
    <div id="fleet"><p class="empty">Loading the apps\u2026</p></div>
  </section>
</main>
<footer class="wrap foot">
  Raw data: <a href="api/v1/apps">apps JSON</a> \u00b7 <a href="metrics">Prometheus metrics</a>
</footer>
</body>
</html>
`;
