/**
 * The dashboard's stylesheet, served at `dashboard/app.css`. No web fonts, no external URL:
 * the page must work in a locked-down network and under a `style-src 'self'` policy.
 */
export const DASHBOARD_CSS = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f3f5f8;
  --card: #ffffff;
  --text: #172033;
  --muted: #5a6476;
  --border: #dbe1e8;
  --head-bg: #0f1b2d;
  --head-text: #f2f5fa;
  --code-bg: #eef1f5;
  --ok: #16783a;
  --ok-bg: #dcf5e3;
  --rolling: #0a5bc4;
  --rolling-bg: #dcebff;
  --bad: #b93a0c;
  --bad-bg: #ffe5da;
  --warn: #8a5a00;
  --warn-bg: #fff0c7;
  --grey: #5f6b7a;
  --grey-bg: #e8ecf1;
  --s-desired: #6b7585;
  --s-ready: #8246d6;
  --s-listed: #c07a00;
  --s-live: #0a5bc4;
  --s-serving: #16883f;
  --radius: 10px;
  --shadow: 0 1px 2px rgba(15, 27, 45, 0.06), 0 2px 8px rgba(15, 27, 45, 0.05);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d131c;
    --card: #151e2b;
    --text: #e4e9f1;
    --muted: #9aa6b8;
    --border: #273447;
    --head-bg: #080d14;
    --code-bg: #1e2a3a;
    --ok: #5fd38a;
    --ok-bg: #123322;
    --rolling: #78b4ff;
    --rolling-bg: #112a4a;
    --bad: #ff9b73;
    --bad-bg: #43200f;
    --warn: #f3c355;
    --warn-bg: #3b2d0b;
    --grey: #a7b1c0;
    --grey-bg: #222d3c;
    --s-desired: #a3adbd;
    --s-ready: #b58cff;
    --s-listed: #f0b43c;
    --s-live: #6aa9ff;
    --s-serving: #4fcf7e;
    --shadow: none;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--text);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.88em; }
code { background: var(--code-bg); border-radius: 4px; padding: 0.05em 0.35em; overflow-wrap: anywhere; }
h1, h2, h3 { margin: 0; line-height: 1.2; }
h2 { font-size: 1.05rem; font-weight: 650; margin: 1.6rem 0 0.7rem; color: var(--text); }
h3 { font-size: 1.1rem; font-weight: 650; }
.wrap { max-width: 1240px; margin: 0 auto; padding: 0 16px; }
.visually-hidden {
  position: absolute !important; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; margin: -1px; padding: 0; border: 0;
}
.muted { color: var(--muted); }

/* Header */
.top { background: var(--head-bg); color: var(--head-text); }
.top-inner { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 18px; padding-top: 12px; padding-bottom: 12px; }
.brand { display: flex; align-items: center; gap: 10px; }
.brand h1 { font-size: 1.15rem; font-weight: 700; letter-spacing: 0.01em; }
.logo { width: 22px; height: 22px; border-radius: 6px; background: linear-gradient(135deg, #38bdf8, #6366f1); display: inline-block; }
.meta { margin: 0; flex: 1 1 320px; color: #b7c2d3; font-size: 0.88rem; }
.meta strong { color: var(--head-text); font-weight: 600; }
.conn { margin: 0; display: inline-flex; align-items: center; gap: 7px; font-size: 0.85rem; font-weight: 600; padding: 3px 10px; border-radius: 999px; background: rgba(255, 255, 255, 0.08); }
.conn .dot { width: 9px; height: 9px; border-radius: 50%; background: #9aa6b8; }
.conn.live .dot { background: #4ade80; box-shadow: 0 0 0 3px rgba(74, 222, 128, 0.25); }
.conn.reconnecting .dot, .conn.connecting .dot { background: #fbbf24; }
.conn.auth .dot { background: #f87171; }

/* Banners */
#banners { margin-top: 14px; display: grid; gap: 8px; }
#banners:empty { display: none; }
.banner { border-radius: var(--radius); padding: 10px 14px; border: 1px solid; display: flex; gap: 10px; align-items: flex-start; }
.banner .icon { font-weight: 800; }
.banner p { margin: 0; }
.banner .detail { display: block; margin-top: 3px; font-size: 0.85rem; color: var(--muted); overflow-wrap: anywhere; }
.banner.warn { background: var(--warn-bg); border-color: color-mix(in srgb, var(--warn) 35%, transparent); color: var(--text); }
.banner.bad { background: var(--bad-bg); border-color: color-mix(in srgb, var(--bad) 35%, transparent); }
.banner.info { background: var(--rolling-bg); border-color: color-mix(in srgb, var(--rolling) 30%, transparent); }

/* Summary */
.summary { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 10px; margin-top: 16px; }
.tile { background: var(--card); border: 1px solid var(--border); border-radius: var(--radius); padding: 10px 14px; box-shadow: var(--shadow); }
.tile .label { font-size: 0.78rem; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); font-weight: 600; }
.tile .value { font-size: 1.6rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.tile .value.small { font-size: 1.05rem; padding-top: 0.35rem; }
.tile .sub { font-size: 0.8rem; color: var(--muted); }

/* Badges: colour plus a symbol and a word, never colour alone */
.badge { display: inline-flex; align-items: center; gap: 5px; border-radius: 999px; padding: 2px 10px; font-size: 0.8rem; font-weight: 700; white-space: nowrap; border: 1px solid transparent; }
.v-ok { color: var(--ok); background: var(--ok-bg); border-color: color-mix(in srgb, var(--ok) 25%, transparent); }
.v-rolling { color: var(--rolling); background: var(--rolling-bg); border-color: color-mix(in srgb, var(--rolling) 25%, transparent); }
.v-discrepancy { color: var(--bad); background: var(--bad-bg); border-color: color-mix(in srgb, var(--bad) 25%, transparent); }
.v-degraded { color: var(--warn); background: var(--warn-bg); border-color: color-mix(in srgb, var(--warn) 25%, transparent); }
.s-critical { color: var(--bad); background: var(--bad-bg); }
.s-warning { color: var(--warn); background: var(--warn-bg); }
.s-info { color: var(--rolling); background: var(--rolling-bg); }
.st-live { color: var(--ok); background: var(--ok-bg); }
.st-suspect { color: var(--warn); background: var(--warn-bg); }
.st-gone { color: var(--bad); background: var(--bad-bg); }
.st-left { color: var(--grey); background: var(--grey-bg); }
.tag { display: inline-block; font-size: 0.72rem; font-weight: 700; text-transform: uppercase; letter-spacing: 0.04em; padding: 0 6px; border-radius: 4px; margin-left: 6px; vertical-align: 1px; }
.tag.active { color: var(--ok); background: var(--ok-bg); }
.tag.orphan { color: var(--bad); background: var(--bad-bg); }
.tag.draining { color: var(--grey); background: var(--grey-bg); }
/* A sentence, not a keyword: "clock 62 s behind". */
.tag.skew { color: var(--warn); background: var(--warn-bg); text-transform: none; letter-spacing: 0; margin: 0 6px 0 0; }

/* Components */
.components { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 520px), 1fr)); gap: 14px; align-items: start; }
.card { background: var(--card); border: 1px solid var(--border); border-left: 5px solid var(--grey); border-radius: var(--radius); padding: 14px 16px 12px; box-shadow: var(--shadow); min-width: 0; }
.card.c-ok { border-left-color: var(--ok); }
.card.c-rolling { border-left-color: var(--rolling); }
.card.c-discrepancy { border-left-color: var(--bad); }
.card.c-degraded { border-left-color: var(--warn); }
.card-head { display: flex; justify-content: space-between; align-items: center; gap: 10px; flex-wrap: wrap; }
.kind { font-size: 0.78rem; font-weight: 600; color: var(--muted); margin-left: 6px; }
.counts { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 8px; margin: 12px 0 8px; }
.count { background: var(--bg); border: 1px solid var(--border); border-radius: 8px; padding: 8px 8px 7px; text-align: center; min-width: 0; }
.count dt { font-size: 0.74rem; font-weight: 650; color: var(--muted); line-height: 1.2; }
.count dd { margin: 2px 0 0; font-size: 1.75rem; font-weight: 750; font-variant-numeric: tabular-nums; line-height: 1.15; }
.count .why { display: block; font-size: 0.72rem; color: var(--muted); margin-top: 1px; min-height: 1.1em; }
.count.off { border-color: color-mix(in srgb, var(--bad) 55%, transparent); background: var(--bad-bg); }
.count.off dd, .count.off .why { color: var(--bad); font-weight: 700; }
.count.low { border-color: color-mix(in srgb, var(--warn) 55%, transparent); background: var(--warn-bg); }
.count.low dd, .count.low .why { color: var(--warn); font-weight: 700; }
.extra { margin: 2px 0 0; font-size: 0.85rem; color: var(--muted); }
.extra b { color: var(--text); font-variant-numeric: tabular-nums; }
.note { margin: 8px 0 0; font-size: 0.88rem; color: var(--muted); font-style: italic; }
.findings { list-style: none; margin: 12px 0 0; padding: 0; display: grid; gap: 8px; }
.finding { border: 1px solid var(--border); border-radius: 8px; padding: 9px 12px; background: var(--bg); }
.finding.f-critical { border-left: 4px solid var(--bad); }
.finding.f-warning { border-left: 4px solid var(--warn); }
.finding.f-info { border-left: 4px solid var(--rolling); }
.finding-head { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.finding p { margin: 5px 0 0; }
.finding .ids { font-size: 0.85rem; color: var(--muted); }
.finding .ids code { margin: 0 3px 3px 0; display: inline-block; color: var(--text); }
.finding .rec { font-size: 0.9rem; }
.finding .rec strong { color: var(--text); }
.no-findings { margin: 10px 0 0; color: var(--ok); font-size: 0.9rem; font-weight: 600; }
.no-findings.incomplete { color: var(--warn); }
.finding-label { font-size: 0.92rem; }

/* Chart */
.legends { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 6px 28px; margin: 0 0 10px; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; margin: 0; padding: 0; list-style: none; font-size: 0.85rem; color: var(--muted); }
.legend-title { font-weight: 650; }
.legend li { display: inline-flex; align-items: center; gap: 6px; }
.legend svg { width: 28px; height: 10px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 520px), 1fr)); gap: 14px; }
.chart { margin: 0; background: var(--card); border: 1px solid var(--border); border-radius: var(--radius); padding: 12px 14px 8px; box-shadow: var(--shadow); min-width: 0; }
.chart figcaption { display: flex; justify-content: space-between; gap: 8px; flex-wrap: wrap; font-weight: 650; margin-bottom: 6px; }
.chart figcaption .now { font-weight: 400; font-size: 0.82rem; color: var(--muted); }
.chart svg { width: 100%; height: auto; display: block; overflow: visible; }
.chart .grid { stroke: var(--border); stroke-width: 1; }
.chart .axis { fill: var(--muted); font-size: 11px; }
.chart .series { fill: none; stroke-linejoin: round; stroke-linecap: round; vector-effect: non-scaling-stroke; }
.sr-desired { stroke: var(--s-desired); stroke-width: 2; stroke-dasharray: 7 5; }
.sr-platform_ready { stroke: var(--s-ready); stroke-width: 2; stroke-dasharray: 2 4 9 4; }
.sr-platform_instances { stroke: var(--s-listed); stroke-width: 2.5; stroke-dasharray: 1 5; }
.sr-live { stroke: var(--s-live); stroke-width: 3.5; }
.sr-serving { stroke: var(--s-serving); stroke-width: 2; }
.band-ok { fill: var(--ok); }
.band-rolling { fill: var(--rolling); }
.band-discrepancy { fill: var(--bad); }
.band-degraded { fill: var(--warn); }
.empty { background: var(--card); border: 1px dashed var(--border); border-radius: var(--radius); padding: 14px 16px; color: var(--muted); margin: 0; }

/* Instances */
.table-wrap { overflow-x: auto; background: var(--card); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: 0.88rem; }
caption { text-align: left; padding: 10px 14px; color: var(--muted); font-size: 0.85rem; caption-side: top; }
th, td { padding: 7px 12px; text-align: left; border-top: 1px solid var(--border); white-space: nowrap; vertical-align: middle; }
thead th { font-size: 0.74rem; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); background: var(--bg); border-top: 1px solid var(--border); position: sticky; top: 0; }
tbody th { font-weight: 600; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:hover { background: color-mix(in srgb, var(--bg) 60%, transparent); }
/* Gone and departed instances: their last known values, shown dimmer than the living. */
tbody tr[data-state="gone"] td, tbody tr[data-state="left"] td { opacity: 0.62; }
tbody tr[data-state="gone"] td:nth-child(3), tbody tr[data-state="left"] td:nth-child(3) { opacity: 1; }
tbody th.sticky, thead th.sticky { position: sticky; left: 0; background: var(--card); z-index: 1; }
thead th.sticky { background: var(--bg); z-index: 2; }
.yes { color: var(--ok); font-weight: 650; }
.no { color: var(--bad); font-weight: 700; }
.bar { display: inline-block; width: 44px; height: 6px; border-radius: 3px; background: var(--grey-bg); margin-left: 8px; vertical-align: middle; overflow: hidden; }
.bar .fill { display: block; height: 100%; background: var(--s-live); }
.bar.hot .fill { background: var(--bad); }
.more { padding: 8px 14px; color: var(--muted); font-size: 0.85rem; border-top: 1px solid var(--border); margin: 0; }

/* Token form */
.auth { background: var(--card); border: 1px solid var(--border); border-radius: var(--radius); padding: 14px 16px; margin-top: 16px; }
.auth form { display: flex; gap: 8px; flex-wrap: wrap; margin-top: 8px; }
.auth input { flex: 1 1 240px; font: inherit; padding: 7px 10px; border: 1px solid var(--border); border-radius: 8px; background: var(--bg); color: var(--text); }
.auth button { font: inherit; font-weight: 650; padding: 7px 16px; border: 0; border-radius: 8px; background: var(--rolling); color: #fff; cursor: pointer; }

/* Fleet: a row per app, worst first; the row opens the app's page */
.back { color: #b7c2d3; font-size: 0.88rem; font-weight: 600; text-decoration: none; margin-left: 8px; padding: 2px 8px; border-radius: 999px; background: rgba(255, 255, 255, 0.08); }
.back:hover, .back:focus-visible { color: var(--head-text); background: rgba(255, 255, 255, 0.16); }
.totals { margin: -0.2rem 0 0.7rem; color: var(--muted); font-size: 0.9rem; font-variant-numeric: tabular-nums; }
.totals:empty { display: none; }
table.fleet tbody tr { cursor: pointer; }
table.fleet tbody th { box-shadow: inset 4px 0 var(--grey); }
table.fleet tbody tr.fr-ok th { box-shadow: inset 4px 0 var(--ok); }
table.fleet tbody tr.fr-rolling th { box-shadow: inset 4px 0 var(--rolling); }
table.fleet tbody tr.fr-discrepancy th { box-shadow: inset 4px 0 var(--bad); }
table.fleet tbody tr.fr-degraded th { box-shadow: inset 4px 0 var(--warn); }
.app-link { color: var(--text); font-weight: 650; text-decoration: none; }
.app-link:hover, .app-link:focus-visible { text-decoration: underline; }
.app-id { display: block; color: var(--muted); font-weight: 400; font-size: 0.76rem; }
.note-small { display: block; color: var(--warn); font-size: 0.76rem; margin-top: 2px; }
/* Names and codes wrap rather than widen the table past the Waste column. */
table.fleet thead th { white-space: normal; vertical-align: bottom; }
table.fleet tbody th { white-space: normal; min-width: 120px; max-width: 260px; overflow-wrap: anywhere; }
td.codes { white-space: normal; max-width: 240px; }
td.codes code { display: inline-block; margin: 1px 4px 1px 0; font-size: 0.74rem; overflow-wrap: normal; }
td.waste { font-weight: 650; }

.foot { color: var(--muted); font-size: 0.82rem; padding-top: 22px; padding-bottom: 28px; }
.foot a { color: inherit; }

@media (max-width: 640px) {
  body { font-size: 14px; }
  .wrap { padding: 0 10px; }
  .meta { flex-basis: 100%; order: 3; }
  .counts { grid-template-columns: repeat(3, minmax(0, 1fr)); }
  .count dd { font-size: 1.45rem; }
  .card { padding: 12px 12px 10px; }
  .tile .value { font-size: 1.35rem; }
  .summary { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .summary .tile:last-child:nth-child(odd) { grid-column: 1 / -1; }
  th, td { padding: 6px 9px; }
}
`;
