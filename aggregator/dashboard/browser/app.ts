/**
 * The dashboard's script, served at `dashboard/app.js` (an ES module; it imports its siblings
 * from `dashboard/`): plain DOM code, no framework, no library. It reads the report from the
 * event stream and draws the page around the words of text.ts; the enums' words come from the
 * vocabulary the server rendered into the page.
 *
 * The event stream is read with fetch rather than EventSource so that it can carry the
 * `Authorization` header when the API is guarded by AGGREGATOR_API_TOKEN. The report is also
 * fetched once at the start (drawn before the stream's first frame) and every few seconds while
 * the stream is down, so the page neither waits on nor freezes with the stream.
 *
 * With an aggregator that watches many apps the page is about the app of `?app=` in its address,
 * and every API request it makes (the stream too) names that app.
 */
import type { ComponentReport, Finding, InstanceReport, Verdict } from '../../reconcile/report';
import type { HistoryPoint } from '../../history/history-point';
import { renderHistory as drawHistory, type HistoryStatus } from './chart.js';
import { api, errorOf, errorText, headers, saveToken } from './api.js';
import { appOf, withApp } from './app-url.js';
import { badge, byId, h, onTokenEntered, readVocabulary, replace, type Child } from './dom.js';
import {
  capitalized,
  clock,
  dashboardText,
  degradedMessages,
  deploymentNotes,
  duration,
  num,
  plural,
  type PageReport,
} from './text.js';

const HISTORY_WINDOW_MS = 60 * 60 * 1000;
const HISTORY_REFRESH_MS = 15_000;
// A missing or failing history endpoint is asked again, but rarely.
const HISTORY_RETRY_MS = 60_000;
// Large fleets: the stream leaves instances out and the table is fetched at this pace.
const INSTANCES_REFRESH_MS = 10_000;
const MAX_ROWS = 500;
const MAX_FINDING_IDS = 12;
// Three missed keep-alive comments (sent every 15 s): the connection is dead even if TCP says not.
const STALL_MS = 45_000;
const MAX_BACKOFF_MS = 15_000;
// While the stream is down the report is fetched at this pace instead.
const REPORT_POLL_MS = 5_000;

type Conn = 'connecting' | 'live' | 'reconnecting' | 'auth';
const CONN_TEXT: Readonly<Record<Conn, string>> = {
  connecting: 'Connecting',
  live: 'Live',
  reconnecting: 'Reconnecting',
  auth: 'Token needed',
};

const vocabulary = readVocabulary();
const text = dashboardText(vocabulary);
/** The app of `?app=`, named in every API request; null: the aggregator's one app. */
const APP = appOf(location.search);
/** An API path of this page's app. */
const url = (path: string): string => withApp(path, APP);

const state = {
  report: null as PageReport | null,
  receivedAt: 0,
  conn: 'connecting' as Conn,
  instances: null as readonly InstanceReport[] | null,
  // When the list shown was current: a stream frame's arrival, or a fetch's answer.
  instancesAt: 0,
  instancesFetchedAt: 0,
  instancesTimer: null as ReturnType<typeof setTimeout> | null,
  instancesLoading: false,
  instancesError: null as string | null,
  history: [] as readonly HistoryPoint[],
  historyStatus: 'loading' as HistoryStatus,
  historyDetail: '',
  historyAt: 0,
  historyLoading: false,
  reportLoading: false,
  // Why the report could not be fetched (an unknown app, a failing server); null when it could.
  reportError: null as string | null,
};

// ---- small helpers ----------------------------------------------------------------------

function bytes(value: number | null): string {
  if (value === null) return '\u2014';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let scaled = value;
  let i = 0;
  while (scaled >= 1024 && i < units.length - 1) {
    scaled /= 1024;
    i++;
  }
  return `${scaled >= 100 || i === 0 ? Math.round(scaled) : scaled.toFixed(1)} ${units[i]}`;
}

// ---- the event stream -------------------------------------------------------------------

let backoffMs = 1000;

function setConn(conn: Conn): void {
  state.conn = conn;
  byId('conn').className = `conn ${conn}`;
  byId('conn-text').textContent = CONN_TEXT[conn];
  renderBanners();
}

function connect(): void {
  const controller = new AbortController();
  let stall: ReturnType<typeof setTimeout> | undefined;
  const armStall = (): void => {
    clearTimeout(stall);
    stall = setTimeout(() => controller.abort(), STALL_MS);
  };
  if (state.conn !== 'live' && state.conn !== 'reconnecting') setConn('connecting');
  fetch(url('api/v1/events'), {
    headers: headers('text/event-stream'),
    cache: 'no-store',
    signal: controller.signal,
  })
    .then((res) => {
      if (res.status === 401 || res.status === 403) return 'auth';
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      setConn('live');
      backoffMs = 1000;
      armStall();
      return readStream(res.body, armStall);
    })
    .catch(() => 'lost')
    .then((outcome) => {
      clearTimeout(stall);
      if (outcome === 'auth') return needToken();
      setConn('reconnecting');
      setTimeout(connect, backoffMs);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    });
}

async function readStream(body: ReadableStream<BufferSource>, onData: () => void): Promise<'ended'> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) return 'ended';
    onData();
    buffer += chunk.value.replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      handleFrame(frame);
    }
  }
}

function handleFrame(frame: string): void {
  let event = 'message';
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (event !== 'report' || data.length === 0) return;
  let report: PageReport;
  try {
    report = JSON.parse(data.join('\n')) as PageReport;
  } catch {
    return;
  }
  onReport(report);
}

function needToken(): void {
  setConn('auth');
  byId('auth').hidden = false;
  byId('auth-token').focus();
}

onTokenEntered(saveToken, () => {
  state.historyAt = 0;
  state.instancesFetchedAt = 0;
  loadReport();
  connect();
});

// ---- data --------------------------------------------------------------------------------

/**
 * The report without its instance list (fetched apart, as for a large fleet): at the start, and
 * while the stream is down. Drawn only when newer than the one shown, so an answer that arrives
 * after the stream's frame cannot take the page back.
 */
function loadReport(): void {
  if (state.reportLoading) return;
  state.reportLoading = true;
  const path = 'api/v1/monitoring/replicas';
  api(url(`${path}?instances=false`))
    .then(async (res) => {
      // No report yet (503): the stream brings the first; nothing is wrong.
      if (res.status === 503) return;
      if (res.status === 401 || res.status === 403) return needToken();
      if (!res.ok) {
        const why = await errorOf(res);
        throw new Error(`GET ${path} answered ${res.status}${why ? `: ${why}` : ''}`);
      }
      const report = (await res.json()) as PageReport | null;
      if (!report || !Array.isArray(report.components)) throw new Error(`GET ${path} returned no report`);
      state.reportError = null;
      const shown = state.report ? Date.parse(state.report.generated_at) : -Infinity;
      if (Date.parse(report.generated_at) > shown) onReport(report);
      else renderBanners();
    })
    .catch((err: unknown) => {
      state.reportError = errorText(err);
      renderBanners();
    })
    .then(() => {
      state.reportLoading = false;
    });
}

function onReport(report: PageReport): void {
  state.report = report;
  state.reportError = null;
  state.receivedAt = Date.now();
  if (Array.isArray(report.instances)) {
    state.instances = report.instances;
    state.instancesAt = state.receivedAt;
    state.instancesError = null;
  } else {
    loadInstances();
  }
  render();
  loadHistory();
}

function loadInstances(): void {
  if (state.instancesLoading || state.instancesTimer) return;
  const wait = state.instancesFetchedAt + INSTANCES_REFRESH_MS - Date.now();
  if (wait > 0) {
    state.instancesTimer = setTimeout(() => {
      state.instancesTimer = null;
      loadInstances();
    }, wait);
    return;
  }
  state.instancesLoading = true;
  api(url('api/v1/health/instances'))
    .then((res) => {
      if (res.status === 401 || res.status === 403) {
        needToken();
        throw new Error('token needed');
      }
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return res.json() as Promise<{ instances?: unknown }>;
    })
    .then((body) => {
      state.instances = Array.isArray(body.instances) ? (body.instances as InstanceReport[]) : [];
      state.instancesError = null;
    })
    .catch((err: unknown) => {
      state.instancesError = errorText(err);
    })
    .then(() => {
      state.instancesLoading = false;
      state.instancesAt = state.instancesFetchedAt = Date.now();
      renderInstances();
    });
}

function loadHistory(): void {
  const ok = state.historyStatus === 'ok' || state.historyStatus === 'loading';
  const wait = ok ? HISTORY_REFRESH_MS : HISTORY_RETRY_MS;
  if (state.historyLoading || (state.historyAt && Date.now() - state.historyAt < wait)) return;
  state.historyLoading = true;
  const since = new Date(Date.now() - HISTORY_WINDOW_MS).toISOString();
  api(url(`api/v1/history?since=${encodeURIComponent(since)}`))
    .then(async (res) => {
      if (res.status === 404) {
        state.historyStatus = 'missing';
        state.historyDetail =
          'this aggregator does not record the history of the counts (GET api/v1/history answered 404)';
        return;
      }
      if (res.status === 401 || res.status === 403) {
        needToken();
        throw new Error('token needed');
      }
      if (!res.ok) throw new Error(`GET api/v1/history answered ${res.status}`);
      const body = (await res.json()) as { points?: unknown } | null;
      if (!body || !Array.isArray(body.points))
        throw new Error('GET api/v1/history returned no points array');
      state.history = body.points as HistoryPoint[];
      state.historyStatus = 'ok';
    })
    .catch((err: unknown) => {
      state.historyStatus = 'failed';
      state.historyDetail = `the history could not be loaded (${errorText(err)})`;
    })
    .then(() => {
      state.historyLoading = false;
      state.historyAt = Date.now();
      renderHistory();
    });
}

// ---- rendering ---------------------------------------------------------------------------

function render(): void {
  renderMeta();
  renderBanners();
  renderSummary();
  renderComponents();
  renderHistory();
  renderInstances();
}

function renderMeta(): void {
  const r = state.report;
  if (!r) return;
  const age = Date.now() - state.receivedAt;
  replace(byId('meta'), [
    'app ',
    h('strong', null, r.app),
    ' \u00b7 platform ',
    h('strong', null, r.platform),
    r.active_deployment_id
      ? [' \u00b7 active deployment ', h('strong', { class: 'mono' }, r.active_deployment_id)]
      : null,
    ' \u00b7 report ',
    h('time', { datetime: r.generated_at }, clock(new Date(r.generated_at))),
    age >= 2000 ? ` (${duration(age)} ago)` : '',
  ]);
}

function banner(kind: 'warn' | 'bad', symbol: string, children: Child, name: string): HTMLElement {
  return h('div', { class: `banner ${kind}`, role: kind === 'bad' ? 'alert' : null, 'data-banner': name }, [
    h('span', { class: 'icon', 'aria-hidden': 'true' }, symbol),
    h('p', null, children),
  ]);
}

function renderBanners(): void {
  const list: HTMLElement[] = [];
  const r = state.report;
  if (state.reportError) {
    list.push(
      banner(
        'bad',
        '!',
        [
          h(
            'strong',
            null,
            APP === null ? 'No report. ' : ['No report for app ', h('code', null, APP), '. '],
          ),
          `${state.reportError}.`,
          r ? ` The data shown is the report of ${clock(new Date(r.generated_at))}.` : null,
        ],
        'report',
      ),
    );
  }
  if (r && state.conn !== 'live' && state.conn !== 'connecting') {
    list.push(
      banner(
        'warn',
        '\u21bb',
        [
          h('strong', null, 'Live updates interrupted. '),
          `Reconnecting; the data shown is the report of ${clock(new Date(r.generated_at))}.`,
        ],
        'connection',
      ),
    );
  }
  if (!r) return replace(byId('banners'), list);
  const now = Date.now();
  const platform = text.platformBanner(r, now);
  if (platform) {
    list.push(
      banner(
        platform.level,
        platform.level === 'bad' ? '!' : '\u231b',
        [
          h('strong', null, platform.title),
          platform.text,
          platform.detail ? h('span', { class: 'detail' }, ` Detail: ${platform.detail}`) : null,
        ],
        'platform',
      ),
    );
  }
  const verdict = text.verdictView(r);
  if (r.degraded || verdict.verdict === 'degraded') {
    const detail = degradedMessages(r);
    list.push(
      banner(
        'warn',
        '!',
        [
          h('strong', null, 'Degraded: the aggregator cannot see all it needs, so no count is confirmed. '),
          detail.length ? detail.join(' ') : `${capitalized(verdict.reason)}.`,
        ],
        'degraded',
      ),
    );
  }
  for (const note of deploymentNotes(r, now)) {
    list.push(
      h('div', { class: 'banner info', 'data-banner': 'deployment', 'data-deployment': note.kind }, [
        h('span', { class: 'icon', 'aria-hidden': 'true' }, note.kind === 'pending' ? '\u2026' : '\u21bb'),
        h('p', null, note.text),
      ]),
    );
  }
  replace(byId('banners'), list);
}

function tile(label: string, value: Child, sub: string | null, small = false): HTMLElement {
  return h('div', { class: 'tile' }, [
    h('div', { class: 'label' }, label),
    h('div', { class: small ? 'value small' : 'value' }, value),
    sub ? h('div', { class: 'sub' }, sub) : null,
  ]);
}

function renderSummary(): void {
  const r = state.report;
  if (!r) return;
  const s = r.summary;
  const platformAge = s.platform_data_age_ms === null ? null : `data ${duration(s.platform_data_age_ms)} old`;
  const platformSub = s.do_api_error
    ? [`failing: ${text.failureWhat(s.do_api_error, r)}`, platformAge].filter(Boolean).join(' \u00b7 ')
    : platformAge;
  const verdict = text.verdictView(r);
  replace(byId('summary'), [
    tile('Verdict', badge('v', verdict.verdict, vocabulary.verdicts), verdict.reason, true),
    tile('Configured replicas', num(s.configured_replicas), 'sum of desired counts'),
    tile('Active instances', num(s.active_instances), 'heartbeating (live + suspect)'),
    tile('Serving', num(s.serving_instances), 'passing their health probe'),
    tile('Platform API', s.do_api_status.replace(/_/g, ' '), platformSub, true),
  ]);
}

function inRange(value: number | null, c: ComponentReport): boolean {
  if (c.desired === null || value === null) return true;
  const min = c.autoscaling ? c.autoscaling.min : c.desired;
  const max = c.autoscaling ? c.autoscaling.max : c.desired;
  return value >= min && value <= max;
}

function countTile(
  label: string,
  value: number | string | null,
  why: string,
  flag: string | null,
): HTMLElement {
  return h('div', { class: `count${flag ? ` ${flag}` : ''}` }, [
    h('dt', null, label),
    h('dd', null, num(value)),
    h('span', { class: 'why' }, why),
  ]);
}

function versusDesired(value: number | null, c: ComponentReport): { why: string; flag: string | null } {
  if (value === null || c.desired === null || inRange(value, c)) {
    return { why: value === null ? 'unknown' : 'matches', flag: null };
  }
  const target = c.autoscaling
    ? value < c.autoscaling.min
      ? c.autoscaling.min
      : c.autoscaling.max
    : c.desired;
  const delta = value - target;
  return { why: `${delta > 0 ? '+' : '\u2212'}${Math.abs(delta)} vs desired`, flag: 'off' };
}

function renderComponent(c: ComponentReport): HTMLElement {
  const verdict: Verdict = c.verdict;
  const desiredText = c.autoscaling ? `${c.autoscaling.min}\u2013${c.autoscaling.max}` : c.desired;
  const ready = versusDesired(c.platform_ready, c);
  const listed = versusDesired(c.platform_instances, c);
  const live = versusDesired(c.live, c);
  const notServing = c.live - c.serving;
  const extras = (
    [
      ['orphaned', c.orphaned],
      ['suspect', c.suspect],
      ['stale', c.stale],
      ['left', c.left],
    ] as const
  ).map(([label, value], i) => [i ? ' \u00b7 ' : '', `${label} `, h('b', null, String(value))]);
  const deployments = (c.deployments ?? []).map((d, i) => [
    i ? ', ' : '',
    h('code', null, d.deployment_id || 'unknown'),
    d.active ? h('span', { class: 'tag active' }, 'active') : null,
    ` ${d.live} live`,
  ]);
  const headingId = `component-${c.name}`;
  const noFindings =
    verdict === 'degraded'
      ? h(
          'p',
          { class: 'no-findings incomplete' },
          'No findings of its own, but the data it is judged on is incomplete (see above).',
        )
      : h('p', { class: 'no-findings' }, `${verdict === 'ok' ? '\u2713 ' : ''}No findings`);
  return h(
    'article',
    { class: `card c-${verdict}`, 'aria-labelledby': headingId, 'data-component': c.name },
    [
      h('div', { class: 'card-head' }, [
        h('h3', { id: headingId }, [c.name, c.kind ? h('span', { class: 'kind' }, c.kind) : null]),
        badge('v', verdict, vocabulary.verdicts),
      ]),
      h('dl', { class: 'counts' }, [
        countTile('Desired', desiredText, c.autoscaling ? 'autoscaling' : 'spec', null),
        countTile('Dashboard ready', c.platform_ready, ready.why, ready.flag),
        countTile('Listed', c.platform_instances, listed.why, listed.flag),
        countTile('Live', c.live, live.why, live.flag),
        countTile(
          'Serving',
          c.serving,
          notServing > 0 ? `${notServing} not serving` : 'probe passing',
          notServing > 0 ? 'low' : null,
        ),
      ]),
      h('p', { class: 'extra' }, extras),
      deployments.length ? h('p', { class: 'extra' }, ['deployments: ', deployments]) : null,
      c.note ? h('p', { class: 'note' }, c.note) : null,
      c.findings.length
        ? h(
            'ul',
            { class: 'findings', 'aria-label': `Findings for ${c.name}` },
            c.findings.map(renderFinding),
          )
        : noFindings,
    ],
  );
}

function renderFinding(f: Finding): HTMLElement {
  const ids = f.instances.slice(0, MAX_FINDING_IDS).map((id) => h('code', null, id));
  const more = f.instances.length - ids.length;
  return h('li', { class: `finding f-${f.severity}`, 'data-code': f.code }, [
    h('div', { class: 'finding-head' }, [
      badge('s', f.severity, vocabulary.severities),
      h('strong', { class: 'finding-label' }, text.findingLabel(f.code)),
      h('code', null, f.code),
    ]),
    h('p', { class: 'msg' }, f.message),
    ids.length ? h('p', { class: 'ids' }, ['Instances: ', ids, more > 0 ? `and ${more} more` : null]) : null,
    f.recommendation ? h('p', { class: 'rec' }, [h('strong', null, 'What to do: '), f.recommendation]) : null,
  ]);
}

function renderComponents(): void {
  const r = state.report;
  if (!r) return;
  replace(
    byId('components'),
    r.components.length
      ? r.components.map(renderComponent)
      : h('p', { class: 'empty' }, 'No component has reported and none is configured yet.'),
  );
}

function renderHistory(): void {
  drawHistory(
    byId('history'),
    { status: state.historyStatus, detail: state.historyDetail, points: state.history },
    state.report,
    vocabulary.verdicts,
  );
}

// ---- instances table ---------------------------------------------------------------------

/** Lower first: gone, suspect, live with a problem, live, left; an unknown state last. */
function attention(i: InstanceReport): number {
  const rank = vocabulary.states[i.state]?.rank ?? Number.MAX_SAFE_INTEGER;
  return i.state === 'live' && (i.serving === false || i.orphaned) ? rank - 0.5 : rank;
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function meter(pct: number): HTMLElement {
  const fill = h('span', { class: 'fill' });
  fill.style.width = `${Math.max(0, Math.min(100, pct))}%`;
  return h('span', { class: pct >= 90 ? 'bar hot' : 'bar', 'aria-hidden': 'true' }, fill);
}

function instanceRow(i: InstanceReport, active: string | null, elapsed: number): HTMLElement {
  const cpu = typeof i.cpu_usage === 'number' ? Math.round(i.cpu_usage * 100) : null;
  const memPct =
    i.mem_used_bytes !== null && i.mem_total_bytes
      ? Math.round((i.mem_used_bytes / i.mem_total_bytes) * 100)
      : null;
  const skew = text.clockOffsetText(i.clock_offset_ms);
  const serving =
    i.serving === true
      ? h('span', { class: 'yes' }, '\u2713 yes')
      : i.serving === false
        ? h('span', { class: 'no' }, '\u2715 no')
        : h('span', { class: 'muted' }, 'no probe');
  return h(
    'tr',
    { 'data-instance': i.instance_id, 'data-state': i.state, 'data-draining': i.draining ? 'true' : null },
    [
      h('th', { scope: 'row', class: 'sticky' }, h('code', null, i.instance_id)),
      h('td', null, i.component),
      h('td', null, [
        badge('st', i.state, vocabulary.states),
        i.draining
          ? h(
              'span',
              {
                class: 'tag draining',
                title: 'said goodbye; the platform still lists it while it shuts down',
              },
              'draining',
            )
          : null,
      ]),
      h('td', null, [
        i.deployment_id ? h('code', null, i.deployment_id) : h('span', { class: 'muted' }, 'unknown'),
        i.orphaned
          ? h('span', { class: 'tag orphan' }, 'orphan')
          : active && i.deployment_id === active
            ? h('span', { class: 'tag active' }, 'active')
            : null,
      ]),
      h('td', null, i.version || h('span', { class: 'muted' }, '\u2014')),
      h('td', { class: 'num', title: `last heartbeat ${i.last_seen}` }, [
        skew
          ? h(
              'span',
              {
                class: 'tag skew',
                title: "the instance's clock is off the aggregator's; it is still counted",
              },
              skew,
            )
          : null,
        duration(i.age_ms + elapsed),
      ]),
      h('td', null, serving),
      h('td', { class: 'num' }, cpu === null ? '\u2014' : [`${cpu} %`, meter(cpu)]),
      h(
        'td',
        { class: 'num', title: i.rss_bytes !== null ? `process RSS ${bytes(i.rss_bytes)}` : null },
        memPct === null
          ? '\u2014'
          : [`${bytes(i.mem_used_bytes)} / ${bytes(i.mem_total_bytes)}`, meter(memPct)],
      ),
    ],
  );
}

function renderInstances(): void {
  const target = byId('instances');
  const list = state.instances;
  if (!list) {
    const message = state.instancesError
      ? `Could not load the instances: ${state.instancesError}`
      : 'Loading the instances\u2026';
    replace(target, h('p', { class: 'empty' }, message));
    return;
  }
  if (!list.length) {
    replace(target, h('p', { class: 'empty' }, 'No instance has sent a heartbeat yet.'));
    return;
  }
  const sorted = [...list].sort(
    (a, b) =>
      byText(a.component, b.component) || attention(a) - attention(b) || byText(a.instance_id, b.instance_id),
  );
  const counts = new Map<string, number>();
  let draining = 0;
  for (const i of list) {
    counts.set(i.state, (counts.get(i.state) ?? 0) + 1);
    if (i.draining) draining++;
  }
  const summary = Object.keys(vocabulary.states)
    .filter((k) => counts.get(k))
    .map((k) => `${counts.get(k)} ${k}${k === 'left' && draining ? ` (${draining} draining)` : ''}`)
    .join(', ');
  const active = state.report?.active_deployment_id ?? null;
  const elapsed = Date.now() - state.instancesAt;
  const rows = sorted.slice(0, MAX_ROWS).map((i) => instanceRow(i, active, elapsed));
  const heads = [
    'Instance',
    'Component',
    'State',
    'Deployment',
    'Version',
    'Last seen',
    'Serving',
    'CPU',
    'Memory',
  ];
  const largeFleet =
    state.report && !Array.isArray(state.report.instances)
      ? ` \u00b7 large fleet: list refreshed every ${INSTANCES_REFRESH_MS / 1000} s`
      : '';
  replace(
    target,
    h('div', { class: 'table-wrap' }, [
      h('table', null, [
        h('caption', null, plural(list.length, 'instance') + (summary ? ` (${summary})` : '') + largeFleet),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            heads.map((label, i) =>
              h('th', { scope: 'col', class: i === 0 ? 'sticky' : i >= 5 && i !== 6 ? 'num' : null }, label),
            ),
          ),
        ),
        h('tbody', null, rows),
      ]),
      sorted.length > MAX_ROWS
        ? h(
            'p',
            { class: 'more' },
            `Showing the first ${MAX_ROWS} of ${sorted.length} instances (problems first). ` +
              `The full list: ${url('api/v1/health/instances')}`,
          )
        : null,
    ]),
  );
}

// ---- start -------------------------------------------------------------------------------

let resizing: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizing);
  resizing = setTimeout(renderHistory, 150);
});
setInterval(() => {
  if (state.report) renderMeta();
}, 1000);
setInterval(() => {
  if (state.conn !== 'live' && state.conn !== 'auth') loadReport();
}, REPORT_POLL_MS);
// The raw-data links of the page name its app too.
document.querySelectorAll('a[data-api]').forEach((link) => {
  link.setAttribute('href', url(link.getAttribute('data-api') ?? ''));
});
if (APP !== null) document.title = `${APP} \u00b7 replica-watch`;
loadReport();
connect();
