/**
 * The dashboard's words: what the banners, the verdict and the deployment notes say about a
 * report. Pure functions of (report, now), no DOM: the page imports them (`dashboard/text.js`)
 * and the tests import this source (test/integration/dashboard-page.test.ts).
 *
 * The verdict shown is the report's own: the reconciler decides it (a blind report is degraded),
 * the page only words it.
 */
import type { FindingCode, PlatformErrorReport, Report, Verdict } from '../../reconcile/report';
import type { DashboardVocabulary } from './vocabulary';

/** The report as the page receives it: the event stream leaves the instance list out for a large fleet. */
export type PageReport = Omit<Report, 'instances'> & { readonly instances?: Report['instances'] };

/** The platform banner: `level` bad when the aggregator is blind, warn when its data is only old. */
export interface Banner {
  readonly level: 'bad' | 'warn';
  readonly title: string;
  readonly text: string;
  readonly detail: string | null;
}

export interface VerdictView {
  readonly verdict: Verdict;
  /** The few words under the verdict. */
  readonly reason: string;
}

export interface DeploymentNote {
  readonly kind: 'in-progress' | 'pending';
  readonly id: string;
  readonly text: string;
}

/** The functions that need the vocabulary (the report's enums as words). */
export interface DashboardText {
  findingLabel(code: FindingCode): string;
  /** Blind: no platform view can be had (never fetched, or a failure of configuration: 401/403/404). */
  isBlind(report: PageReport): boolean;
  /** "DO_APP_ID 6c1f… not found (HTTP 404)". */
  failureWhat(error: PlatformErrorReport, report: PageReport): string;
  platformBanner(report: PageReport, nowMs: number): Banner | null;
  verdictView(report: PageReport): VerdictView;
  clockOffsetText(ms: number): string | null;
}

const DASH = '\u2014';
const COUNTS = 'desired, dashboard-ready and listed counts';

/** A count, or a dash when it is unknown. */
export function num(value: number | string | null | undefined): string {
  return value === null || value === undefined ? DASH : String(value);
}

/** "4.2 s", "37 s", "12 min", "5 h", "3 d"; a dash when unknown. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return DASH;
  const t = Math.max(0, ms);
  if (t < 10_000) return `${(t / 1000).toFixed(1)} s`;
  if (t < 120_000) return `${Math.round(t / 1000)} s`;
  if (t < 7_200_000) return `${Math.round(t / 60_000)} min`;
  if (t < 172_800_000) return `${Math.round(t / 3_600_000)} h`;
  return `${Math.round(t / 86_400_000)} d`;
}

/** HH:MM:SS in the browser's time zone. */
export function clock(date: Date): string {
  const pad = (n: number): string => (n < 10 ? '0' : '') + n;
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "12:03:04 (3 min ago)" in the browser's time zone. */
export function when(iso: string, nowMs: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return 'an unknown time';
  return `${clock(new Date(t))} (${duration(nowMs - t)} ago)`;
}

export function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The DATA_DEGRADED messages of every component, each once. */
export function degradedMessages(report: PageReport): string[] {
  const seen: string[] = [];
  for (const c of report.components) {
    for (const f of c.findings) {
      if (f.code === 'DATA_DEGRADED' && !seen.includes(f.message)) seen.push(f.message);
    }
  }
  return seen;
}

/** The in-progress and the queued deployment, each with its phase and age. */
export function deploymentNotes(report: PageReport, nowMs: number): DeploymentNote[] {
  const notes: DeploymentNote[] = [];
  const current = report.in_progress_deployment;
  const queued = report.pending_deployment;
  const created = (d: { readonly created_at: string | null }): string =>
    d.created_at ? `, created ${when(d.created_at, nowMs)}` : '';
  if (current) {
    notes.push({
      kind: 'in-progress',
      id: current.id,
      text: `Rolling out: deployment ${current.id} (${current.phase})${created(current)}.`,
    });
  }
  if (queued) {
    const waiting = current ? `, waiting for ${current.id} to finish.` : ', waiting to start.';
    notes.push({
      kind: 'pending',
      id: queued.id,
      text: `Queued: deployment ${queued.id} (${queued.phase})${created(queued)}${waiting}`,
    });
  }
  return notes;
}

/** A message's first clause, for the few words under the verdict. */
function firstClause(message: string): string {
  const cut = message.search(/; |\. /);
  const clause = cut < 0 ? message.replace(/\.$/, '') : message.slice(0, cut);
  return clause.length > 140 ? `${clause.slice(0, 139)}\u2026` : clause;
}

/** A component that runs standing instances (no note) without a known desired count. */
function desiredUnknown(report: PageReport): boolean {
  return report.components.some((c) => c.desired === null && !c.note);
}

function apiName(report: PageReport): string {
  return report.platform === 'digitalocean' ? 'DigitalOcean API' : 'Platform API';
}

/** The functions of the page that word the report's enums with `vocabulary`. */
export function dashboardText(vocabulary: DashboardVocabulary): DashboardText {
  const { findingLabels, failurePhrases, blindingFailures, clockOffsetShownMs } = vocabulary;

  function isBlind(report: PageReport): boolean {
    const s = report.summary;
    if (s.do_api_status === 'unavailable') return true;
    return s.do_api_error !== null && blindingFailures.includes(s.do_api_error.kind);
  }

  function failureWhat(error: PlatformErrorReport, report: PageReport): string {
    const phrase = failurePhrases[error.kind] ?? 'failing';
    const what = report.app_id ? phrase.replace('{app}', report.app_id) : phrase.replace(' {app}', '');
    return what + (typeof error.http_status === 'number' ? ` (HTTP ${error.http_status})` : '');
  }

  /**
   * Names what failed when the API answered with an error; "has not answered yet" only when
   * nothing has answered and no failure is known. null when the platform data is fine.
   */
  function platformBanner(report: PageReport, nowMs: number): Banner | null {
    const s = report.summary;
    const e = s.do_api_error;
    const age = `${duration(s.platform_data_age_ms)} old`;
    if (e) {
      const title =
        s.do_api_status === 'stale'
          ? 'Platform data is stale. '
          : s.do_api_status === 'ok'
            ? 'Platform API failing. '
            : 'Platform data unavailable. ';
      let text =
        `${apiName(report)}: ${failureWhat(e, report)} since ${when(e.since, nowMs)}` +
        `${e.fix_variable ? `; fix ${e.fix_variable}` : ''}.`;
      if (e.request_id) text += ` request_id ${e.request_id} (quote it to DigitalOcean support).`;
      if (s.do_api_status === 'stale')
        text += ` ${capitalized(COUNTS)} come from its last good answer, ${age}.`;
      else if (s.do_api_status === 'unavailable') text += ` ${capitalized(COUNTS)} are unknown.`;
      return { level: isBlind(report) ? 'bad' : 'warn', title, text, detail: e.message || null };
    }
    if (s.do_api_status === 'stale') {
      return {
        level: 'warn',
        title: 'Platform data is stale. ',
        text: `The platform API is failing; ${COUNTS} come from its last good answer, ${age}.`,
        detail: null,
      };
    }
    if (s.do_api_status === 'unavailable') {
      return {
        level: 'bad',
        title: 'Platform data unavailable. ',
        text: `The platform API has not answered yet; ${COUNTS} are unknown.`,
        detail: null,
      };
    }
    return null;
  }

  function degradedReason(report: PageReport): string {
    const e = report.summary.do_api_error;
    if (e && isBlind(report)) return `${apiName(report)}: ${failureWhat(e, report)}`;
    if (report.summary.do_api_status === 'unavailable') return 'the platform API has not answered yet';
    const messages = degradedMessages(report);
    if (messages[0] !== undefined) return firstClause(messages[0]);
    if (desiredUnknown(report)) return 'desired count unknown';
    if (e) return `${apiName(report)}: ${failureWhat(e, report)}`;
    return 'the aggregator cannot see all it needs';
  }

  /** The report's verdict, and why: what cannot be seen when degraded, else whether the counts agree. */
  function verdictView(report: PageReport): VerdictView {
    const { verdict, discrepancy } = report.summary;
    if (verdict === 'degraded') return { verdict, reason: degradedReason(report) };
    return { verdict, reason: discrepancy ? 'counts disagree' : 'counts agree' };
  }

  /** "clock 62 s behind" when an instance's clock is off by more than clockOffsetShownMs, else null. */
  function clockOffsetText(ms: number): string | null {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || Math.abs(ms) <= clockOffsetShownMs) return null;
    return `clock ${duration(Math.abs(ms))}${ms > 0 ? ' ahead' : ' behind'}`;
  }

  return {
    findingLabel: (code) => findingLabels[code] ?? String(code),
    isBlind,
    failureWhat,
    platformBanner,
    verdictView,
    clockOffsetText,
  };
}
