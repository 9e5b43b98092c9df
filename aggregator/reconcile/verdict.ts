/** Verdicts: per component, and the worst of them for the summary. */
import type { Finding, Verdict } from './report';

/** warning or critical: what counts as a discrepancy and what recommendations come from. */
export function isWarningOrWorse(finding: Finding): boolean {
  return finding.severity !== 'info';
}

export interface VerdictFacts {
  /** The collector is blind. */
  readonly degraded: boolean;
  /** A rollout is in progress for this component. */
  readonly rolling: boolean;
  /** The live count lies outside the desired range (false when desired is unknown). */
  readonly outOfRange: boolean;
  readonly findings: readonly Finding[];
}

/**
 * degraded (collector blind) > rolling (rollout in progress) > discrepancy (live outside
 * [min, max], or a finding of severity warning or worse) > ok. Blindness and rollouts come first
 * because they explain, and make unreliable, whatever else is off.
 */
export function componentVerdict(facts: VerdictFacts): Verdict {
  if (facts.degraded) return 'degraded';
  if (facts.rolling) return 'rolling';
  if (facts.outOfRange || facts.findings.some(isWarningOrWorse)) return 'discrepancy';
  return 'ok';
}

// The summary ranks a discrepancy above a rollout: one component's real problem outweighs
// another's routine rollout.
const SUMMARY_RANK: Readonly<Record<Verdict, number>> = { ok: 0, rolling: 1, discrepancy: 2, degraded: 3 };

/** The worst verdict (degraded > discrepancy > rolling > ok); ok when there is none. */
export function worstVerdict(verdicts: readonly Verdict[]): Verdict {
  return verdicts.reduce<Verdict>((worst, v) => (SUMMARY_RANK[v] > SUMMARY_RANK[worst] ? v : worst), 'ok');
}
