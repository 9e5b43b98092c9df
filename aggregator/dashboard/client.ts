/**
 * The dashboard's script, served at `dashboard/app.js`: plain DOM code, no framework, no
 * library. Every string from the report reaches the page through textContent or an attribute
 * value, never through innerHTML, so an instance id or a message cannot inject markup.
 *
 * The event stream is read with fetch rather than EventSource so that it can carry the
 * `Authorization` header when the API is guarded by AGGREGATOR_API_TOKEN.
 *
 * Kept as a string (String.raw, so backslashes survive; hence no template literals inside):
 * the build then needs no bundler and no copy step, and the server holds it in memory. What the
 * page says about a report (banners, verdict, deployments, clock offsets) comes from the pure
 * functions of client-text.ts, embedded here as `text`; this file is the DOM around them.
 */
import { DASHBOARD_TEXT_JS } from './client-text';

export const DASHBOARD_JS = String.raw`(function () {
  'use strict';

  var text = ${DASHBOARD_TEXT_JS};

  var TOKEN_KEY = 'replica-watch-token';
  var HISTORY_WINDOW_MS = 60 * 60 * 1000;
  var HISTORY_REFRESH_MS = 15000;
  // A missing or failing history endpoint is asked again, but rarely.
  var HISTORY_RETRY_MS = 60000;
  // Large fleets: the stream leaves instances out and the table is fetched at this pace.
  var INSTANCES_REFRESH_MS = 10000;
  var MAX_ROWS = 500;
  var MAX_FINDING_IDS = 12;
  // Three missed keep-alive comments (sent every 15 s): the connection is dead even if TCP says not.
  var STALL_MS = 45000;
  var MAX_BACKOFF_MS = 15000;
  var SVG_NS = 'http://www.w3.org/2000/svg';

  var VERDICTS = {
    ok: { label: 'OK', symbol: '\u2713' },
    rolling: { label: 'Rolling', symbol: '\u21bb' },
    discrepancy: { label: 'Discrepancy', symbol: '\u2715' },
    degraded: { label: 'Degraded', symbol: '!' }
  };
  var SEVERITIES = {
    critical: { label: 'Critical', symbol: '\u2716' },
    warning: { label: 'Warning', symbol: '\u26a0' },
    info: { label: 'Info', symbol: 'i' }
  };
  var STATES = {
    live: { label: 'live', symbol: '\u25cf', rank: 3 },
    suspect: { label: 'suspect', symbol: '\u25d0', rank: 1 },
    gone: { label: 'gone', symbol: '\u2715', rank: 0 },
    left: { label: 'left', symbol: '\u23cf', rank: 4 }
  };
  var SERIES = [
    { key: 'desired', label: 'Desired (spec)' },
    { key: 'platform_ready', label: 'Dashboard ready' },
    { key: 'platform_instances', label: 'Listed' },
    { key: 'live', label: 'Live (heartbeats)' },
    { key: 'serving', label: 'Serving' }
  ];
  // Thick lines first so thin dashed ones stay visible where the counts agree.
  var DRAW_ORDER = ['live', 'serving', 'platform_instances', 'platform_ready', 'desired'];

  var state = {
    report: null,
    receivedAt: 0,
    conn: 'connecting',
    instances: null,
    // When the list shown was current: a stream frame's arrival, or a fetch's answer.
    instancesAt: 0,
    instancesFetchedAt: 0,
    instancesTimer: null,
    instancesLoading: false,
    instancesError: null,
    history: null,
    historyStatus: 'loading',
    historyDetail: '',
    historyAt: 0,
    historyLoading: false
  };

  // ---- small helpers ----------------------------------------------------------------------

  function $(id) { return document.getElementById(id); }

  /** Creates an element; strings among the children become text nodes (never parsed as HTML). */
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    setAttrs(el, attrs);
    append(el, children);
    return el;
  }

  function svg(tag, attrs, children) {
    var el = document.createElementNS(SVG_NS, tag);
    setAttrs(el, attrs);
    append(el, children);
    return el;
  }

  function setAttrs(el, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === 'class') el.setAttribute('class', value);
      else el.setAttribute(key, value === true ? '' : String(value));
    });
  }

  function append(el, children) {
    if (children === null || children === undefined || children === false) return;
    if (!Array.isArray(children)) children = [children];
    children.forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      if (Array.isArray(child)) return append(el, child);
      el.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
    });
  }

  function replace(el, children) {
    el.textContent = '';
    append(el, children);
  }

  var num = text.num;
  var duration = text.duration;
  var clock = text.clock;
  var plural = text.plural;

  function bytes(value) {
    if (value === null || value === undefined) return '\u2014';
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    var i = 0;
    while (value >= 1024 && i < units.length - 1) { value /= 1024; i++; }
    return (value >= 100 || i === 0 ? Math.round(value) : value.toFixed(1)) + ' ' + units[i];
  }

  function badge(kind, key, table) {
    var entry = table[key] || { label: String(key), symbol: '?' };
    return h('span', { class: 'badge ' + kind + '-' + key }, [
      h('span', { 'aria-hidden': 'true' }, entry.symbol),
      entry.label
    ]);
  }

  function token() {
    try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
  }

  function headers(extra) {
    var result = extra || {};
    var t = token();
    if (t) result.Authorization = 'Bearer ' + t;
    return result;
  }

  function api(path) {
    return fetch(path, { headers: headers({ Accept: 'application/json' }), cache: 'no-store' });
  }

  // ---- the event stream -------------------------------------------------------------------

  var backoffMs = 1000;

  function setConn(conn) {
    state.conn = conn;
    var el = $('conn');
    el.className = 'conn ' + conn;
    $('conn-text').textContent = {
      connecting: 'Connecting',
      live: 'Live',
      reconnecting: 'Reconnecting',
      auth: 'Token needed'
    }[conn];
    renderBanners();
  }

  function connect() {
    var controller = new AbortController();
    var stall = null;
    var armStall = function () {
      clearTimeout(stall);
      stall = setTimeout(function () { controller.abort(); }, STALL_MS);
    };
    if (state.conn !== 'live' && state.conn !== 'reconnecting') setConn('connecting');
    fetch('api/v1/events', {
      headers: headers({ Accept: 'text/event-stream' }),
      cache: 'no-store',
      signal: controller.signal
    })
      .then(function (res) {
        if (res.status === 401 || res.status === 403) return 'auth';
        if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
        setConn('live');
        backoffMs = 1000;
        armStall();
        return readStream(res.body, armStall);
      })
      .catch(function () { return 'lost'; })
      .then(function (outcome) {
        clearTimeout(stall);
        if (outcome === 'auth') return needToken();
        setConn('reconnecting');
        setTimeout(connect, backoffMs);
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
      });
  }

  function readStream(body, onData) {
    var reader = body.pipeThrough(new TextDecoderStream()).getReader();
    var buffer = '';
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) return 'ended';
        onData();
        buffer += chunk.value.replace(/\r\n?/g, '\n');
        var end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          var frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          handleFrame(frame);
        }
        return pump();
      });
    }
    return pump();
  }

  function handleFrame(frame) {
    var event = 'message';
    var data = [];
    frame.split('\n').forEach(function (line) {
      if (line === '' || line.charAt(0) === ':') return;
      var colon = line.indexOf(':');
      var field = colon < 0 ? line : line.slice(0, colon);
      var value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    });
    if (event !== 'report' || data.length === 0) return;
    var report;
    try { report = JSON.parse(data.join('\n')); } catch (e) { return; }
    onReport(report);
  }

  function needToken() {
    setConn('auth');
    $('auth').hidden = false;
    $('auth-token').focus();
  }

  $('auth-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var value = $('auth-token').value.trim();
    if (!value) return;
    try { sessionStorage.setItem(TOKEN_KEY, value); } catch (e) { /* private mode: asked again next time */ }
    $('auth-token').value = '';
    $('auth').hidden = true;
    state.historyAt = 0;
    state.instancesFetchedAt = 0;
    connect();
  });

  // ---- data --------------------------------------------------------------------------------

  function onReport(report) {
    state.report = report;
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

  function loadInstances() {
    if (state.instancesLoading || state.instancesTimer) return;
    var wait = state.instancesFetchedAt + INSTANCES_REFRESH_MS - Date.now();
    if (wait > 0) {
      state.instancesTimer = setTimeout(function () { state.instancesTimer = null; loadInstances(); }, wait);
      return;
    }
    state.instancesLoading = true;
    api('api/v1/health/instances')
      .then(function (res) {
        if (res.status === 401 || res.status === 403) { needToken(); throw new Error('token needed'); }
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (body) {
        state.instances = Array.isArray(body.instances) ? body.instances : [];
        state.instancesError = null;
      })
      .catch(function (err) { state.instancesError = String(err && err.message || err); })
      .then(function () {
        state.instancesLoading = false;
        state.instancesAt = state.instancesFetchedAt = Date.now();
        renderInstances();
      });
  }

  function loadHistory() {
    var wait = state.historyStatus === 'ok' || state.historyStatus === 'loading' ? HISTORY_REFRESH_MS : HISTORY_RETRY_MS;
    if (state.historyLoading || (state.historyAt && Date.now() - state.historyAt < wait)) return;
    state.historyLoading = true;
    var since = new Date(Date.now() - HISTORY_WINDOW_MS).toISOString();
    api('api/v1/history?since=' + encodeURIComponent(since))
      .then(function (res) {
        if (res.status === 404) {
          state.historyStatus = 'missing';
          state.historyDetail = 'this aggregator does not record the history of the counts (GET api/v1/history answered 404)';
          return;
        }
        if (res.status === 401 || res.status === 403) { needToken(); throw new Error('token needed'); }
        if (!res.ok) throw new Error('GET api/v1/history answered ' + res.status);
        return res.json().then(function (body) {
          if (!body || !Array.isArray(body.points)) throw new Error('GET api/v1/history returned no points array');
          state.history = body;
          state.historyStatus = 'ok';
        });
      })
      .catch(function (err) {
        state.historyStatus = 'failed';
        state.historyDetail = 'the history could not be loaded (' + String(err && err.message || err) + ')';
      })
      .then(function () {
        state.historyLoading = false;
        state.historyAt = Date.now();
        renderHistory();
      });
  }

  // ---- rendering ---------------------------------------------------------------------------

  function render() {
    renderMeta();
    renderBanners();
    renderSummary();
    renderComponents();
    renderHistory();
    renderInstances();
  }

  function renderMeta() {
    var r = state.report;
    if (!r) return;
    var age = Date.now() - state.receivedAt;
    replace($('meta'), [
      'app ', h('strong', null, r.app),
      ' \u00b7 platform ', h('strong', null, r.platform),
      r.active_deployment_id ? [' \u00b7 active deployment ', h('strong', { class: 'mono' }, r.active_deployment_id)] : null,
      ' \u00b7 report ', h('time', { datetime: r.generated_at }, clock(new Date(r.generated_at))),
      age >= 2000 ? ' (' + duration(age) + ' ago)' : ''
    ]);
  }

  function banner(kind, symbol, children, name) {
    return h('div', { class: 'banner ' + kind, role: kind === 'bad' ? 'alert' : null, 'data-banner': name }, [
      h('span', { class: 'icon', 'aria-hidden': 'true' }, symbol),
      h('p', null, children)
    ]);
  }

  function renderBanners() {
    var list = [];
    var r = state.report;
    if (r && state.conn !== 'live' && state.conn !== 'connecting') {
      list.push(banner('warn', '\u21bb', [
        h('strong', null, 'Live updates interrupted. '),
        'Reconnecting; the data shown is the report of ' + clock(new Date(r.generated_at)) + '.'
      ], 'connection'));
    }
    if (!r) return replace($('banners'), list);
    var now = Date.now();
    var platform = text.platformBanner(r, now);
    if (platform) {
      list.push(banner(platform.level, platform.level === 'bad' ? '!' : '\u231b', [
        h('strong', null, platform.title),
        platform.text,
        platform.detail ? h('span', { class: 'detail' }, ' Detail: ' + platform.detail) : null
      ], 'platform'));
    }
    var verdict = text.verdictView(r);
    if (r.degraded || verdict.verdict === 'degraded') {
      var detail = text.degradedMessages(r);
      list.push(banner('warn', '!', [
        h('strong', null, 'Degraded: the aggregator cannot see all it needs, so no count is confirmed. '),
        detail.length ? detail.join(' ') : text.capitalized(verdict.reason) + '.'
      ], 'degraded'));
    }
    text.deploymentNotes(r, now).forEach(function (note) {
      list.push(h('div', { class: 'banner info', 'data-banner': 'deployment', 'data-deployment': note.kind }, [
        h('span', { class: 'icon', 'aria-hidden': 'true' }, note.kind === 'pending' ? '\u2026' : '\u21bb'),
        h('p', null, note.text)
      ]));
    });
    replace($('banners'), list);
  }

  function tile(label, value, sub, small) {
    return h('div', { class: 'tile' }, [
      h('div', { class: 'label' }, label),
      h('div', { class: small ? 'value small' : 'value' }, value),
      sub ? h('div', { class: 'sub' }, sub) : null
    ]);
  }

  function renderSummary() {
    var r = state.report;
    var s = r.summary;
    var platformAge = s.platform_data_age_ms === null ? null : 'data ' + duration(s.platform_data_age_ms) + ' old';
    var platformSub = s.do_api_error
      ? ['failing: ' + text.failureWhat(s.do_api_error, r), platformAge].filter(Boolean).join(' \u00b7 ')
      : platformAge;
    var verdict = text.verdictView(r);
    replace($('summary'), [
      tile('Verdict', badge('v', verdict.verdict, VERDICTS), verdict.reason, true),
      tile('Configured replicas', num(s.configured_replicas), 'sum of desired counts'),
      tile('Active instances', num(s.active_instances), 'heartbeating (live + suspect)'),
      tile('Serving', num(s.serving_instances), 'passing their health probe'),
      tile('Platform API', s.do_api_status.replace(/_/g, ' '), platformSub, true)
    ]);
  }

  function inRange(value, c) {
    if (c.desired === null || value === null) return true;
    var min = c.autoscaling ? c.autoscaling.min : c.desired;
    var max = c.autoscaling ? c.autoscaling.max : c.desired;
    return value >= min && value <= max;
  }

  function countTile(label, value, why, flag) {
    return h('div', { class: 'count' + (flag ? ' ' + flag : '') }, [
      h('dt', null, label),
      h('dd', null, num(value)),
      h('span', { class: 'why' }, why)
    ]);
  }

  function versusDesired(value, c) {
    if (inRange(value, c)) return { why: value === null ? 'unknown' : 'matches', flag: null };
    var target = c.autoscaling ? (value < c.autoscaling.min ? c.autoscaling.min : c.autoscaling.max) : c.desired;
    var delta = value - target;
    return { why: (delta > 0 ? '+' : '\u2212') + Math.abs(delta) + ' vs desired', flag: 'off' };
  }

  function renderComponent(c) {
    var verdict = text.componentVerdict(state.report, c);
    var desiredText = c.autoscaling ? c.autoscaling.min + '\u2013' + c.autoscaling.max : c.desired;
    var ready = versusDesired(c.platform_ready, c);
    var listed = versusDesired(c.platform_instances, c);
    var live = versusDesired(c.live, c);
    var notServing = c.live - c.serving;
    var extras = [
      ['orphaned', c.orphaned], ['suspect', c.suspect], ['stale', c.stale], ['left', c.left]
    ].map(function (pair, i) {
      return [i ? ' \u00b7 ' : '', pair[0] + ' ', h('b', null, String(pair[1]))];
    });
    var deployments = (c.deployments || []).map(function (d, i) {
      return [i ? ', ' : '', h('code', null, d.deployment_id || 'unknown'), d.active ? h('span', { class: 'tag active' }, 'active') : null, ' ' + d.live + ' live'];
    });
    var headingId = 'component-' + c.name;
    return h('article', { class: 'card c-' + verdict, 'aria-labelledby': headingId, 'data-component': c.name }, [
      h('div', { class: 'card-head' }, [
        h('h3', { id: headingId }, [c.name, c.kind ? h('span', { class: 'kind' }, c.kind) : null]),
        badge('v', verdict, VERDICTS)
      ]),
      h('dl', { class: 'counts' }, [
        countTile('Desired', desiredText, c.autoscaling ? 'autoscaling' : 'spec', null),
        countTile('Dashboard ready', c.platform_ready, ready.why, ready.flag),
        countTile('Listed', c.platform_instances, listed.why, listed.flag),
        countTile('Live', c.live, live.why, live.flag),
        countTile('Serving', c.serving, notServing > 0 ? notServing + ' not serving' : 'probe passing', notServing > 0 ? 'low' : null)
      ]),
      h('p', { class: 'extra' }, extras),
      deployments.length ? h('p', { class: 'extra' }, ['deployments: ', deployments]) : null,
      c.note ? h('p', { class: 'note' }, c.note) : null,
      c.findings.length
        ? h('ul', { class: 'findings', 'aria-label': 'Findings for ' + c.name }, c.findings.map(renderFinding))
        : verdict === 'degraded'
          ? h('p', { class: 'no-findings incomplete' }, 'No findings of its own, but the data it is judged on is incomplete (see above).')
          : h('p', { class: 'no-findings' }, (verdict === 'ok' ? '\u2713 ' : '') + 'No findings')
    ]);
  }

  function renderFinding(f) {
    var ids = f.instances.slice(0, MAX_FINDING_IDS).map(function (id) { return h('code', null, id); });
    var more = f.instances.length - ids.length;
    return h('li', { class: 'finding f-' + f.severity, 'data-code': f.code }, [
      h('div', { class: 'finding-head' }, [
        badge('s', f.severity, SEVERITIES),
        h('strong', { class: 'finding-label' }, text.findingLabel(f.code)),
        h('code', null, f.code)
      ]),
      h('p', { class: 'msg' }, f.message),
      ids.length ? h('p', { class: 'ids' }, ['Instances: ', ids, more > 0 ? 'and ' + more + ' more' : null]) : null,
      f.recommendation ? h('p', { class: 'rec' }, [h('strong', null, 'What to do: '), f.recommendation]) : null
    ]);
  }

  function renderComponents() {
    var r = state.report;
    replace($('components'), r.components.length
      ? r.components.map(renderComponent)
      : h('p', { class: 'empty' }, 'No component has reported and none is configured yet.'));
  }

  // ---- history chart (inline SVG) ----------------------------------------------------------

  function renderHistory() {
    var target = $('history');
    if (state.historyStatus === 'loading') return;
    if (state.historyStatus !== 'ok') {
      replace(target, h('p', { class: 'empty', 'data-history': state.historyStatus }, [
        'No chart: ' + state.historyDetail + '. The counts above are live.'
      ]));
      return;
    }
    var groups = {};
    var order = [];
    if (state.report) state.report.components.forEach(function (c) { groups[c.name] = []; order.push(c.name); });
    state.history.points.forEach(function (p) {
      if (!p || typeof p.component !== 'string' || !isFinite(Date.parse(p.at))) return;
      if (!groups[p.component]) { groups[p.component] = []; order.push(p.component); }
      groups[p.component].push(p);
    });
    // The stream is newer than the last fetch: its counts extend each line up to now.
    if (state.report) {
      var at = Date.parse(state.report.generated_at);
      state.report.components.forEach(function (c) {
        var group = groups[c.name];
        if (!group.length || Date.parse(group[group.length - 1].at) >= at) return;
        group.push({
          at: state.report.generated_at, component: c.name, desired: c.desired, platform_ready: c.platform_ready,
          platform_instances: c.platform_instances, live: c.live, serving: c.serving, orphaned: c.orphaned,
          stale: c.stale, verdict: c.verdict
        });
      });
    }
    var names = order.filter(function (name) { return groups[name].length > 0; });
    if (!names.length) {
      replace(target, h('p', { class: 'empty', 'data-history': 'empty' }, 'No history recorded in the last hour yet.'));
      return;
    }
    var figures = names.map(function (name) {
      return h('figure', { class: 'chart', 'data-component': name }, h('figcaption', null, h('span', null, name)));
    });
    replace(target, [renderLegend(), h('div', { class: 'charts' }, figures)]);
    // Drawn at the figure's real width, so axis text keeps its size on a phone and a wide screen.
    figures.forEach(function (figure, i) { drawChart(figure, names[i], groups[names[i]]); });
  }

  function renderLegend() {
    var lines = SERIES.map(function (s) {
      return h('li', null, [
        svg('svg', { viewBox: '0 0 28 10', 'aria-hidden': 'true' }, svg('line', { x1: 1, y1: 5, x2: 27, y2: 5, class: 'series sr-' + s.key })),
        s.label
      ]);
    });
    var bands = Object.keys(VERDICTS).map(function (v) {
      return h('li', null, [
        svg('svg', { viewBox: '0 0 28 10', 'aria-hidden': 'true' }, svg('rect', { x: 1, y: 1, width: 26, height: 8, rx: 2, class: 'band-' + v })),
        VERDICTS[v].label
      ]);
    });
    return h('div', { class: 'legends' }, [
      h('ul', { class: 'legend', 'aria-label': 'Lines: counts' }, lines),
      h('ul', { class: 'legend', 'aria-label': 'Bar under each chart: the verdict' }, [h('li', { class: 'legend-title' }, 'Verdict bar:')].concat(bands))
    ]);
  }

  function drawChart(figure, name, raw) {
    var points = raw
      .map(function (p) { return { p: p, t: Date.parse(p.at) }; })
      .sort(function (a, b) { return a.t - b.t; });
    var W = Math.max(260, Math.round(figure.clientWidth - 28));
    var H = W < 420 ? 170 : 200, L = 30, R = 8, T = 10, B = 42;
    var t1 = Math.max(points[points.length - 1].t, state.report ? Date.parse(state.report.generated_at) : 0);
    var t0 = Math.min(points[0].t, t1 - 60000);
    var max = 1;
    points.forEach(function (x) {
      SERIES.forEach(function (s) { var v = x.p[s.key]; if (typeof v === 'number' && v > max) max = v; });
    });
    var step = Math.max(1, Math.ceil(max / 4));
    var yMax = step * Math.ceil((max + 0.5) / step);
    var plotW = W - L - R, plotH = H - T - B;
    var xOf = function (t) { return L + ((t - t0) / (t1 - t0)) * plotW; };
    var yOf = function (v) { return T + plotH - (v / yMax) * plotH; };
    var endOf = function (j) { return j + 1 < points.length ? points[j + 1].t : t1; };
    var nodes = [];
    for (var v = 0; v <= yMax; v += step) {
      nodes.push(svg('line', { x1: L, x2: W - R, y1: yOf(v), y2: yOf(v), class: 'grid' }));
      nodes.push(svg('text', { x: L - 6, y: yOf(v) + 4, 'text-anchor': 'end', class: 'axis' }, String(v)));
    }
    var span = t1 - t0;
    var ticks = W < 420 ? 2 : 4;
    for (var i = 0; i <= ticks; i++) {
      var t = t0 + (span * i) / ticks;
      var label = span < 600000 ? clock(new Date(t)) : clock(new Date(t)).slice(0, 5);
      nodes.push(svg('text', { x: xOf(t), y: H - 4, 'text-anchor': i === 0 ? 'start' : i === ticks ? 'end' : 'middle', class: 'axis' }, label));
    }
    // The verdict band under the plot: one bar per run of the same verdict.
    var runStart = 0;
    points.forEach(function (x, j) {
      var next = points[j + 1];
      if (next && next.p.verdict === x.p.verdict) return;
      var from = points[runStart].t;
      var to = endOf(j);
      nodes.push(svg('rect', {
        x: xOf(from), y: H - B + 10, width: Math.max(1, xOf(to) - xOf(from)), height: 9,
        class: 'band-' + x.p.verdict, 'shape-rendering': 'crispEdges'
      }, svg('title', null, x.p.verdict + ' from ' + clock(new Date(from)) + ' to ' + clock(new Date(to)))));
      runStart = j + 1;
    });
    DRAW_ORDER.forEach(function (key) {
      var d = '';
      var open = false;
      points.forEach(function (x, j) {
        var value = x.p[key];
        if (typeof value !== 'number') { open = false; return; }
        var y = yOf(value).toFixed(1);
        if (!open) { d += 'M' + xOf(x.t).toFixed(1) + ' ' + y; open = true; }
        else d += 'V' + y;
        d += 'H' + xOf(endOf(j)).toFixed(1);
      });
      if (d) nodes.push(svg('path', { d: d, class: 'series sr-' + key, 'data-series': key }));
    });
    var last = points[points.length - 1].p;
    var now = SERIES.map(function (s) { return s.label.replace(/ \(.*\)/, '').toLowerCase() + ' ' + num(last[s.key]); }).join(', ');
    append(figure.querySelector('figcaption'), h('span', { class: 'now' }, 'now: ' + now));
    figure.appendChild(svg('svg', {
      viewBox: '0 0 ' + W + ' ' + H,
      width: W,
      height: H,
      role: 'img',
      'aria-label': name + ', last ' + duration(span) + ': now ' + now + ', verdict ' + last.verdict + '.'
    }, nodes));
  }

  // ---- instances table ---------------------------------------------------------------------

  function attention(i) {
    var s = STATES[i.state] ? STATES[i.state].rank : 5;
    if (i.state === 'live' && (i.serving === false || i.orphaned)) s = 2;
    return s;
  }

  function renderInstances() {
    var target = $('instances');
    var list = state.instances;
    if (!list) {
      replace(target, h('p', { class: 'empty' }, state.instancesError ? 'Could not load the instances: ' + state.instancesError : 'Loading the instances\u2026'));
      return;
    }
    if (!list.length) {
      replace(target, h('p', { class: 'empty' }, 'No instance has sent a heartbeat yet.'));
      return;
    }
    var sorted = list.slice().sort(function (a, b) {
      return a.component < b.component ? -1 : a.component > b.component ? 1
        : attention(a) - attention(b) || (a.instance_id < b.instance_id ? -1 : a.instance_id > b.instance_id ? 1 : 0);
    });
    var counts = {};
    var draining = 0;
    list.forEach(function (i) {
      counts[i.state] = (counts[i.state] || 0) + 1;
      if (i.draining) draining++;
    });
    var summary = Object.keys(STATES).filter(function (k) { return counts[k]; }).map(function (k) {
      return counts[k] + ' ' + k + (k === 'left' && draining ? ' (' + draining + ' draining)' : '');
    }).join(', ');
    var active = state.report && state.report.active_deployment_id;
    var elapsed = Date.now() - state.instancesAt;
    var rows = sorted.slice(0, MAX_ROWS).map(function (i) {
      var cpu = typeof i.cpu_usage === 'number' ? Math.round(i.cpu_usage * 100) : null;
      var memPct = i.mem_used_bytes !== null && i.mem_total_bytes ? Math.round((i.mem_used_bytes / i.mem_total_bytes) * 100) : null;
      var skew = text.clockOffsetText(i.clock_offset_ms);
      return h('tr', { 'data-instance': i.instance_id, 'data-state': i.state, 'data-draining': i.draining ? 'true' : null }, [
        h('th', { scope: 'row', class: 'sticky' }, h('code', null, i.instance_id)),
        h('td', null, i.component),
        h('td', null, [
          badge('st', i.state, STATES),
          i.draining ? h('span', { class: 'tag draining', title: 'said goodbye; the platform still lists it while it shuts down' }, 'draining') : null
        ]),
        h('td', null, [
          i.deployment_id ? h('code', null, i.deployment_id) : h('span', { class: 'muted' }, 'unknown'),
          i.orphaned ? h('span', { class: 'tag orphan' }, 'orphan') : active && i.deployment_id === active ? h('span', { class: 'tag active' }, 'active') : null
        ]),
        h('td', null, i.version || h('span', { class: 'muted' }, '\u2014')),
        h('td', { class: 'num', title: 'last heartbeat ' + i.last_seen }, [
          skew ? h('span', { class: 'tag skew', title: "the instance's clock is off the aggregator's; it is still counted" }, skew) : null,
          duration(i.age_ms + elapsed)
        ]),
        h('td', null, i.serving === true ? h('span', { class: 'yes' }, '\u2713 yes')
          : i.serving === false ? h('span', { class: 'no' }, '\u2715 no')
          : h('span', { class: 'muted' }, 'no probe')),
        h('td', { class: 'num' }, cpu === null ? '\u2014' : [cpu + ' %', meter(cpu)]),
        h('td', { class: 'num', title: i.rss_bytes !== null ? 'process RSS ' + bytes(i.rss_bytes) : null },
          memPct === null ? '\u2014' : [bytes(i.mem_used_bytes) + ' / ' + bytes(i.mem_total_bytes), meter(memPct)])
      ]);
    });
    var heads = ['Instance', 'Component', 'State', 'Deployment', 'Version', 'Last seen', 'Serving', 'CPU', 'Memory'];
    replace(target, h('div', { class: 'table-wrap' }, [
      h('table', null, [
        h('caption', null, plural(list.length, 'instance') + (summary ? ' (' + summary + ')' : '') +
          (state.report && !Array.isArray(state.report.instances) ? ' \u00b7 large fleet: list refreshed every ' + INSTANCES_REFRESH_MS / 1000 + ' s' : '')),
        h('thead', null, h('tr', null, heads.map(function (label, i) {
          return h('th', { scope: 'col', class: i === 0 ? 'sticky' : i >= 5 && i !== 6 ? 'num' : null }, label);
        }))),
        h('tbody', null, rows)
      ]),
      sorted.length > MAX_ROWS ? h('p', { class: 'more' }, 'Showing the first ' + MAX_ROWS + ' of ' + sorted.length + ' instances (problems first). The full list: api/v1/health/instances') : null
    ]));
  }

  function meter(pct) {
    var fill = h('span', { class: 'fill' });
    fill.style.width = Math.max(0, Math.min(100, pct)) + '%';
    return h('span', { class: pct >= 90 ? 'bar hot' : 'bar', 'aria-hidden': 'true' }, fill);
  }

  // ---- start -------------------------------------------------------------------------------

  var resizing = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizing);
    resizing = setTimeout(renderHistory, 150);
  });
  setInterval(function () { if (state.report) renderMeta(); }, 1000);
  connect();
})();
`;
