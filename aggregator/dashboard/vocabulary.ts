/**
 * The words the dashboard uses for the report's enums, handed to the page as JSON in its HTML
 * (page.ts). The finding labels and the blinding failures are computed from FINDING_CODES and
 * PLATFORM_FAILURE_KINDS; the badges are records keyed by Verdict, Severity and InstanceState
 * (the types of VERDICTS, SEVERITIES, INSTANCE_STATES), so a new value fails to compile here
 * until it has its words. The browser code names no enum value of its own.
 */
import type { PlatformFailureKind } from '../model';
import { PLATFORM_FAILURE_KINDS, isBlindingFailure } from '../model';
import type { FindingCode, InstanceState, Severity, Verdict } from '../reconcile/report';
import { FINDING_CODES } from '../reconcile/report';
import type { Badge, DashboardVocabulary, StateBadge } from './browser/vocabulary';

/** A finding code as words: DEPLOYMENT_FAILED → "Deployment failed". */
export function findingLabel(code: FindingCode): string {
  const words = code.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The label the page shows beside each finding code, one for every code in FINDING_CODES. */
export const FINDING_LABELS: Readonly<Record<FindingCode, string>> = Object.freeze(
  Object.fromEntries(FINDING_CODES.map((code) => [code, findingLabel(code)])) as Record<FindingCode, string>,
);

// In the order of the chart's legend: from all well to nothing known.
const VERDICT_BADGES: Readonly<Record<Verdict, Badge>> = {
  ok: { label: 'OK', symbol: '\u2713' },
  rolling: { label: 'Rolling', symbol: '\u21bb' },
  discrepancy: { label: 'Discrepancy', symbol: '\u2715' },
  degraded: { label: 'Degraded', symbol: '!' },
};

const SEVERITY_BADGES: Readonly<Record<Severity, Badge>> = {
  critical: { label: 'Critical', symbol: '\u2716' },
  warning: { label: 'Warning', symbol: '\u26a0' },
  info: { label: 'Info', symbol: 'i' },
};

const STATE_BADGES: Readonly<Record<InstanceState, StateBadge>> = {
  live: { label: 'live', symbol: '\u25cf', rank: 3 },
  suspect: { label: 'suspect', symbol: '\u25d0', rank: 1 },
  gone: { label: 'gone', symbol: '\u2715', rank: 0 },
  left: { label: 'left', symbol: '\u23cf', rank: 4 },
};

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

/** Everything the page needs to word a report, as page.ts renders it into the HTML. */
export const DASHBOARD_VOCABULARY: DashboardVocabulary = Object.freeze({
  verdicts: VERDICT_BADGES,
  severities: SEVERITY_BADGES,
  states: STATE_BADGES,
  findingLabels: FINDING_LABELS,
  failurePhrases: FAILURE_PHRASES,
  blindingFailures: PLATFORM_FAILURE_KINDS.filter(isBlindingFailure),
  clockOffsetShownMs: CLOCK_OFFSET_SHOWN_MS,
});
