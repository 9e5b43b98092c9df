/**
 * The dashboard's words: what the banners, the verdict and the deployment notes say about a
 * report. Pure functions of (report, now), no DOM, so that they run in the browser as part of
 * `dashboard/app.js` and in a unit test under `node:vm` alike (test/unit/dashboard-page.test.ts).
 *
 * `DASHBOARD_TEXT_JS` is one JavaScript expression whose value is the object of these functions.
 * The tables it needs are built here from the code's own constants (FINDING_CODES, the platform
 * failure kinds), so a new finding code or failure kind reaches the page without retyping a list.
 */
import type { PlatformFailureKind } from '../platform/source';
import { PLATFORM_FAILURE_KINDS, isBlindingFailure } from '../platform/source';
import type { FindingCode } from '../reconcile/report';
import { FINDING_CODES } from '../reconcile/report';

/** A finding code as words: DEPLOYMENT_FAILED → "Deployment failed". */
export function findingLabel(code: FindingCode): string {
  const words = code.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The label the page shows beside each finding code, one for every code in FINDING_CODES. */
export const FINDING_LABELS: Readonly<Record<FindingCode, string>> = Object.freeze(
  Object.fromEntries(FINDING_CODES.map((code) => [code, findingLabel(code)])) as Record<FindingCode, string>,
);

/**
 * What failed, per failure kind; `{app}` is the report's app id. A record, so the compiler
 * insists on a phrase for every kind the platform source can report.
 */
const FAILURE_PHRASES: Readonly<Record<PlatformFailureKind, string>> = {
  unauthorized: 'DO_API_TOKEN refused (wrong, expired or revoked)',
  forbidden: 'DO_API_TOKEN lacks the scope to read app {app}',
  not_found: 'DO_APP_ID {app} not found',
  rate_limited: 'rate limited',
  server_error: 'server error',
  unreachable: 'unreachable (no answer)',
  bad_response: 'answer could not be read',
};

/**
 * Offsets at most this large are not shown: the default of CLOCK_SKEW_MAX_MS. The CLOCK_SKEW
 * finding, judged with the aggregator's own setting, names a skewed instance whatever it is.
 */
export const CLOCK_OFFSET_SHOWN_MS = 5_000;

const json = (value: unknown): string => JSON.stringify(value);

export const DASHBOARD_TEXT_JS = String.raw`(function () {
  'use strict';

  var FINDING_LABELS = ${json(FINDING_LABELS)};
  var FAILURE_PHRASES = ${json(FAILURE_PHRASES)};
  // Failures that leave the aggregator blind (no view of this app with this configuration).
  var BLINDING_FAILURES = ${json(PLATFORM_FAILURE_KINDS.filter(isBlindingFailure))};
  var CLOCK_OFFSET_SHOWN_MS = ${json(CLOCK_OFFSET_SHOWN_MS)};
  var COUNTS = 'desired, dashboard-ready and listed counts';

  function num(value) { return value === null || value === undefined ? '\u2014' : String(value); }

  function duration(ms) {
    if (ms === null || ms === undefined || !isFinite(ms)) return '\u2014';
    ms = Math.max(0, ms);
    if (ms < 10000) return (ms / 1000).toFixed(1) + ' s';
    if (ms < 120000) return Math.round(ms / 1000) + ' s';
    if (ms < 7200000) return Math.round(ms / 60000) + ' min';
    if (ms < 172800000) return Math.round(ms / 3600000) + ' h';
    return Math.round(ms / 86400000) + ' d';
  }

  function clock(date) {
    var pad = function (n) { return (n < 10 ? '0' : '') + n; };
    return pad(date.getHours()) + ':' + pad(date.getMinutes()) + ':' + pad(date.getSeconds());
  }

  function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }

  /** "12:03:04 (3 min ago)" in the browser's time zone. */
  function when(iso, nowMs) {
    var t = Date.parse(iso);
    if (!isFinite(t)) return 'an unknown time';
    return clock(new Date(t)) + ' (' + duration(nowMs - t) + ' ago)';
  }

  function capitalized(text) { return text.charAt(0).toUpperCase() + text.slice(1); }

  function findingLabel(code) { return FINDING_LABELS[code] || String(code); }

  function apiName(r) { return r.platform === 'digitalocean' ? 'DigitalOcean API' : 'Platform API'; }

  /** Blind: no platform view can be had (never fetched, or 401/403/404). Blind is never green. */
  function isBlind(r) {
    var s = r.summary;
    if (s.do_api_status === 'unavailable') return true;
    return !!s.do_api_error && BLINDING_FAILURES.indexOf(s.do_api_error.kind) >= 0;
  }

  /** "DO_APP_ID 6c1f… not found (HTTP 404)". */
  function failureWhat(e, r) {
    var phrase = FAILURE_PHRASES[e.kind] || 'failing';
    phrase = r.app_id ? phrase.replace('{app}', r.app_id) : phrase.replace(' {app}', '');
    return phrase + (typeof e.http_status === 'number' ? ' (HTTP ' + e.http_status + ')' : '');
  }

  /**
   * The banner about the platform data, or null when it is fine: {level, title, text, detail}.
   * Names what failed when the API answered with an error; "has not answered yet" only when
   * nothing has answered and no failure is known.
   */
  function platformBanner(r, nowMs) {
    var s = r.summary;
    var e = s.do_api_error;
    var age = duration(s.platform_data_age_ms) + ' old';
    if (e) {
      var title = s.do_api_status === 'stale' ? 'Platform data is stale. '
        : s.do_api_status === 'ok' ? 'Platform API failing. ' : 'Platform data unavailable. ';
      var text = apiName(r) + ': ' + failureWhat(e, r) + ' since ' + when(e.since, nowMs) +
        (e.fix_variable ? '; fix ' + e.fix_variable : '') + '.';
      if (e.request_id) text += ' request_id ' + e.request_id + ' (quote it to DigitalOcean support).';
      if (s.do_api_status === 'stale') text += ' ' + capitalized(COUNTS) + ' come from its last good answer, ' + age + '.';
      else if (s.do_api_status === 'unavailable') text += ' ' + capitalized(COUNTS) + ' are unknown.';
      return { level: isBlind(r) ? 'bad' : 'warn', title: title, text: text, detail: e.message || null };
    }
    if (s.do_api_status === 'stale') {
      return {
        level: 'warn',
        title: 'Platform data is stale. ',
        text: 'The platform API is failing; ' + COUNTS + ' come from its last good answer, ' + age + '.',
        detail: null
      };
    }
    if (s.do_api_status === 'unavailable') {
      return {
        level: 'bad',
        title: 'Platform data unavailable. ',
        text: 'The platform API has not answered yet; ' + COUNTS + ' are unknown.',
        detail: null
      };
    }
    return null;
  }

  /** The DATA_DEGRADED messages of every component, each once. */
  function degradedMessages(r) {
    var seen = [];
    r.components.forEach(function (c) {
      c.findings.forEach(function (f) {
        if (f.code === 'DATA_DEGRADED' && seen.indexOf(f.message) < 0) seen.push(f.message);
      });
    });
    return seen;
  }

  /** A message's first clause, for the few words under the verdict. */
  function firstClause(message) {
    var cut = message.search(/; |\. /);
    var clause = cut < 0 ? message.replace(/\.$/, '') : message.slice(0, cut);
    return clause.length > 140 ? clause.slice(0, 139) + '\u2026' : clause;
  }

  /** A component that runs standing instances (no note) without a known desired count. */
  function desiredUnknown(r) {
    return r.components.some(function (c) { return c.desired === null && !c.note; });
  }

  function degradedReason(r) {
    var e = r.summary.do_api_error;
    if (e && isBlind(r)) return apiName(r) + ': ' + failureWhat(e, r);
    if (r.summary.do_api_status === 'unavailable') return 'the platform API has not answered yet';
    var messages = degradedMessages(r);
    if (messages.length) return firstClause(messages[0]);
    if (desiredUnknown(r)) return 'desired count unknown';
    if (e) return apiName(r) + ': ' + failureWhat(e, r);
    return 'the aggregator cannot see all it needs';
  }

  /**
   * The verdict to show and why: {verdict, reason}. Never "ok" while the report is degraded or
   * the platform view is blind (an aggregator older than that rule may still send "ok").
   */
  function verdictView(r) {
    var s = r.summary;
    var verdict = s.verdict === 'ok' && (r.degraded || isBlind(r)) ? 'degraded' : s.verdict;
    if (verdict === 'degraded') return { verdict: verdict, reason: degradedReason(r) };
    return { verdict: verdict, reason: s.discrepancy ? 'counts disagree' : 'counts agree' };
  }

  /** A component's verdict as shown: judged on a blind platform view, it is not "ok". */
  function componentVerdict(r, c) {
    return c.verdict === 'ok' && isBlind(r) ? 'degraded' : c.verdict;
  }

  /** The in-progress and the queued deployment, each as {kind, id, text}. */
  function deploymentNotes(r, nowMs) {
    var notes = [];
    var current = r.in_progress_deployment;
    var queued = r.pending_deployment;
    var created = function (d) { return d.created_at ? ', created ' + when(d.created_at, nowMs) : ''; };
    if (current) {
      notes.push({
        kind: 'in-progress',
        id: current.id,
        text: 'Rolling out: deployment ' + current.id + ' (' + current.phase + ')' + created(current) + '.'
      });
    }
    if (queued) {
      notes.push({
        kind: 'pending',
        id: queued.id,
        text: 'Queued: deployment ' + queued.id + ' (' + queued.phase + ')' + created(queued) +
          (current ? ', waiting for ' + current.id + ' to finish.' : ', waiting to start.')
      });
    }
    return notes;
  }

  /** "clock 62 s behind" when an instance's clock is off by more than CLOCK_OFFSET_SHOWN_MS, else null. */
  function clockOffsetText(ms) {
    if (typeof ms !== 'number' || !isFinite(ms) || Math.abs(ms) <= CLOCK_OFFSET_SHOWN_MS) return null;
    return 'clock ' + duration(Math.abs(ms)) + (ms > 0 ? ' ahead' : ' behind');
  }

  return {
    CLOCK_OFFSET_SHOWN_MS: CLOCK_OFFSET_SHOWN_MS,
    num: num,
    duration: duration,
    clock: clock,
    plural: plural,
    when: when,
    capitalized: capitalized,
    findingLabel: findingLabel,
    isBlind: isBlind,
    failureWhat: failureWhat,
    platformBanner: platformBanner,
    degradedMessages: degradedMessages,
    verdictView: verdictView,
    componentVerdict: componentVerdict,
    deploymentNotes: deploymentNotes,
    clockOffsetText: clockOffsetText
  };
})()`;
