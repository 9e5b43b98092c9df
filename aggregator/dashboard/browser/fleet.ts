/**
 * The fleet page's script, served at `dashboard/fleet.js` when the aggregator watches many apps:
 * a table of the apps, worst first as GET api/v1/apps orders them, each row a link to the app's
 * own page (`?app=<app>`). It asks again every few seconds, revalidating with the answer's ETag
 * when the server sends one; a failed refresh keeps the rows shown and says so in a banner.
 */
import type { Verdict } from '../../reconcile/report';
import { api, errorOf, errorText, saveToken } from './api.js';
import { appPageHref } from './app-url.js';
import { badge, byId, h, onTokenEntered, readVocabulary, replace, type Child } from './dom.js';
import {
  discoveryBanner,
  fleetRow,
  isFleetView,
  totalsText,
  type FleetRowView,
  type FleetView,
} from './fleet-text.js';
import { clock, dashboardText, duration, plural, when } from './text.js';

const PATH = 'api/v1/apps';
// Often enough to follow a rollout, rarely enough to cost nothing with the ETag.
const REFRESH_MS = 5_000;

type Conn = 'connecting' | 'live' | 'reconnecting' | 'auth';
const CONN_TEXT: Readonly<Record<Conn, string>> = {
  connecting: 'Loading',
  live: `Refreshed every ${REFRESH_MS / 1000} s`,
  reconnecting: 'Refresh failing',
  auth: 'Token needed',
};

const vocabulary = readVocabulary();
const text = dashboardText(vocabulary);

const state = {
  answer: null as FleetView | null,
  etag: null as string | null,
  /** When the rows shown were last confirmed current (a 200 or a 304). */
  updatedAt: 0,
  error: null as string | null,
  conn: 'connecting' as Conn,
  loading: false,
  timer: null as ReturnType<typeof setTimeout> | null,
};

function setConn(conn: Conn): void {
  state.conn = conn;
  byId('conn').className = `conn ${conn}`;
  byId('conn-text').textContent = CONN_TEXT[conn];
}

function needToken(): void {
  setConn('auth');
  byId('auth').hidden = false;
  byId('auth-token').focus();
}

function schedule(): void {
  if (state.timer) clearTimeout(state.timer);
  state.timer = setTimeout(refresh, REFRESH_MS);
}

async function ask(): Promise<'ok' | 'auth'> {
  const conditional = state.etag && state.answer ? { 'If-None-Match': state.etag } : undefined;
  const res = await api(PATH, conditional);
  if (res.status === 401 || res.status === 403) return 'auth';
  if (res.status === 304 && state.answer) return 'ok';
  if (!res.ok) {
    const why = await errorOf(res);
    throw new Error(`GET ${PATH} answered ${res.status}${why ? `: ${why}` : ''}`);
  }
  const body: unknown = await res.json();
  if (!isFleetView(body)) throw new Error(`GET ${PATH} returned no list of apps`);
  state.answer = body;
  state.etag = res.headers.get('ETag');
  return 'ok';
}

function refresh(): void {
  if (state.loading) return;
  state.loading = true;
  ask()
    .then((outcome) => {
      if (outcome === 'auth') return 'auth';
      state.error = null;
      state.updatedAt = Date.now();
      setConn('live');
      return 'ok';
    })
    .catch((err: unknown) => {
      state.error = errorText(err);
      setConn('reconnecting');
      return 'failed';
    })
    .then((outcome) => {
      state.loading = false;
      render();
      // Asked again once a token is given.
      if (outcome === 'auth') return needToken();
      schedule();
    });
}

onTokenEntered(saveToken, () => {
  setConn('connecting');
  refresh();
});

// ---- rendering ---------------------------------------------------------------------------

function render(): void {
  renderMeta();
  renderBanners();
  renderTable();
}

function renderMeta(): void {
  if (!state.answer) return;
  const age = Date.now() - state.updatedAt;
  replace(byId('meta'), [
    h('strong', null, plural(state.answer.apps.length, 'app')),
    ' \u00b7 updated ',
    h('time', { datetime: new Date(state.updatedAt).toISOString() }, clock(new Date(state.updatedAt))),
    age >= 2000 ? ` (${duration(age)} ago)` : '',
  ]);
}

function banner(level: 'bad' | 'warn' | 'info', symbol: string, children: Child, name: string): HTMLElement {
  return h('div', { class: `banner ${level}`, role: level === 'bad' ? 'alert' : null, 'data-banner': name }, [
    h('span', { class: 'icon', 'aria-hidden': 'true' }, symbol),
    h('p', null, children),
  ]);
}

function renderBanners(): void {
  const list: HTMLElement[] = [];
  if (state.error) {
    const kept = state.answer
      ? ` Showing the list as of ${clock(new Date(state.updatedAt))}; asking again every ${REFRESH_MS / 1000} s.`
      : ` Asking again every ${REFRESH_MS / 1000} s.`;
    list.push(
      banner(
        'bad',
        '!',
        [h('strong', null, 'Could not refresh the apps. '), `${state.error}.`, kept],
        'fleet',
      ),
    );
  }
  const discovery = discoveryBanner(state.answer?.discovery, (iso) => when(iso, Date.now()));
  if (discovery) {
    list.push(
      banner(discovery.level, discovery.level === 'warn' ? '\u231b' : '\u2026', discovery.text, 'discovery'),
    );
  }
  replace(byId('banners'), list);
}

const HEADS: readonly { readonly label: string; readonly num?: boolean }[] = [
  { label: 'App' },
  { label: 'Verdict' },
  { label: 'Configured', num: true },
  { label: 'Active', num: true },
  { label: 'Dashboard ready', num: true },
  { label: 'Listed', num: true },
  { label: 'Findings' },
  { label: 'Surplus', num: true },
  { label: 'Waste', num: true },
];

function row(view: FleetRowView): HTMLElement {
  const verdict: Verdict = view.verdict;
  return h('tr', { class: `fr-${verdict}`, 'data-app': view.app, 'data-verdict': verdict }, [
    h('th', { scope: 'row', class: 'sticky' }, [
      h('a', { class: 'app-link', href: view.href }, view.name),
      view.appId ? h('small', { class: 'app-id mono' }, view.appId) : null,
    ]),
    h('td', null, [
      badge('v', verdict, vocabulary.verdicts),
      view.note ? h('small', { class: 'note-small' }, view.note) : null,
    ]),
    h('td', { class: 'num', 'data-count': 'configured' }, view.configured),
    h('td', { class: view.noAgents ? 'num muted' : 'num', 'data-count': 'active' }, view.active),
    h('td', { class: 'num', 'data-count': 'ready' }, view.ready),
    h('td', { class: 'num', 'data-count': 'listed' }, view.listed),
    h(
      'td',
      { class: 'codes' },
      view.findings.length
        ? view.findings.map((f) => h('code', { title: f.label, 'data-code': f.code }, f.code))
        : h('span', { class: 'muted' }, 'none'),
    ),
    h('td', { class: view.surplusKnown ? 'num' : 'num muted', 'data-count': 'surplus' }, view.surplus),
    h('td', { class: view.wasteKnown ? 'num waste' : 'num muted', 'data-waste': '' }, view.waste),
  ]);
}

function renderTable(): void {
  const answer = state.answer;
  if (!answer) {
    if (!state.error) return;
    replace(byId('fleet'), h('p', { class: 'empty' }, 'No list of apps yet.'));
    return;
  }
  replace(byId('totals'), totalsText(answer, vocabulary.verdicts));
  if (!answer.apps.length) {
    replace(byId('fleet'), h('p', { class: 'empty' }, 'This aggregator watches no app yet.'));
    return;
  }
  const views = answer.apps.map((app) => fleetRow(app, appPageHref(app.app), text.findingLabel));
  replace(
    byId('fleet'),
    h('div', { class: 'table-wrap' }, [
      h('table', { class: 'fleet' }, [
        h('caption', { class: 'visually-hidden' }, 'Apps, worst first; each opens its own page'),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            HEADS.map((head, i) =>
              h('th', { scope: 'col', class: i === 0 ? 'sticky' : head.num ? 'num' : null }, head.label),
            ),
          ),
        ),
        h('tbody', null, views.map(row)),
      ]),
    ]),
  );
}

// A click anywhere on a row opens the app, as its link does (which keyboards and new tabs use).
byId('fleet').addEventListener('click', (event) => {
  const target = event.target as Element | null;
  if (!target || target.closest('a')) return;
  const link = target.closest('tr')?.querySelector('a.app-link');
  if (!(link instanceof HTMLAnchorElement)) return;
  // Selecting text in a row is not a click on it.
  if (String(window.getSelection() ?? '') !== '') return;
  location.assign(link.href);
});

setInterval(() => {
  if (state.answer) renderMeta();
}, 1000);
refresh();
