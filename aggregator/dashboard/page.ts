/**
 * The dashboard's HTML shell, served at `GET /`. It holds no report data (the script fills it
 * from the event stream), only the vocabulary (the words for the report's enums, in a JSON data
 * block that no browser runs and the Content-Security-Policy lets through), so it can be public
 * even when `/api/*` needs a token. URLs are relative so the page also works behind a reverse
 * proxy that mounts it under a path prefix.
 */
import { DASHBOARD_VOCABULARY } from './vocabulary';

/** The id of the vocabulary's element; browser/app.ts reads the same id. */
export const VOCABULARY_ELEMENT_ID = 'dashboard-vocabulary';

/** JSON that cannot end its <script> element early: every `<` escaped. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/** A favicon drawn inline: a browser asks for /favicon.ico otherwise. */
const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='4' fill='%236366f1'/%3E%3Cpath d='M4 11V8M8 11V5M12 11V7' stroke='white' stroke-width='2' stroke-linecap='round'/%3E%3C/svg%3E";

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>replica-watch</title>
<link rel="icon" href="${FAVICON}">
<link rel="stylesheet" href="dashboard/app.css">
<script type="application/json" id="${VOCABULARY_ELEMENT_ID}">${scriptJson(DASHBOARD_VOCABULARY)}</script>
<script type="module" src="dashboard/app.js"></script>
</head>
<body>
<header class="top">
  <div class="wrap top-inner">
    <div class="brand"><span class="logo" aria-hidden="true"></span><h1>replica-watch</h1></div>
    <p class="meta" id="meta">Waiting for the first report…</p>
    <p class="conn connecting" id="conn" role="status" aria-live="polite"><span class="dot" aria-hidden="true"></span><span id="conn-text">Connecting</span></p>
  </div>
</header>
<main class="wrap">
  <noscript><p class="empty">This dashboard needs JavaScript. The same data is at <a href="api/v1/monitoring/replicas">api/v1/monitoring/replicas</a>.</p></noscript>
  <div id="banners" role="region" aria-label="Alerts about the data"></div>
  <section id="auth" class="auth" hidden aria-labelledby="auth-h">
    <h2 id="auth-h">API token needed</h2>
    <p class="muted">This aggregator guards its API with AGGREGATOR_API_TOKEN. The token stays in this browser tab only.</p>
    <form id="auth-form">
      <label class="visually-hidden" for="auth-token">API token</label>
      <input id="auth-token" type="password" autocomplete="off" required placeholder="API token">
      <button type="submit">Connect</button>
    </form>
  </section>
  <section aria-labelledby="summary-h">
    <h2 id="summary-h" class="visually-hidden">Summary</h2>
    <div id="summary" class="summary"></div>
  </section>
  <section aria-labelledby="components-h">
    <h2 id="components-h">Components</h2>
    <div id="components" class="components"><p class="empty">No report yet.</p></div>
  </section>
  <section aria-labelledby="history-h">
    <h2 id="history-h">Counts over time</h2>
    <div id="history"><p class="empty">Loading the history…</p></div>
  </section>
  <section aria-labelledby="instances-h">
    <h2 id="instances-h">Instances</h2>
    <div id="instances"><p class="empty">No report yet.</p></div>
  </section>
</main>
<footer class="wrap foot">
  Raw data: <a href="api/v1/monitoring/replicas">report JSON</a> · <a href="api/v1/health/instances">instances JSON</a> · <a href="metrics">Prometheus metrics</a>
</footer>
</body>
</html>
`;
