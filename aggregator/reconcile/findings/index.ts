/** The finding rules, and the order findings appear in within a component. */
import type { Finding } from '../report';
import { FINDING_CODES, SEVERITIES } from '../report';
import type { FindingContext } from './context';
import { clockSkewFinding } from './clock-skew';
import { dataDegradedFinding } from './data-degraded';
import { deploymentFailedFinding } from './deployment-failed';
import { missingFinding, surplusFinding } from './instance-count';
import { notServingFinding } from './not-serving';
import { orphanedFinding } from './orphaned';
import { platformCountFinding } from './platform-count';
import { rolloutFinding } from './rollout';
import { staleHeartbeatsFinding } from './stale-heartbeats';
import { unreportedFinding } from './unreported';

export type { FindingContext } from './context';
export { failedDeployment } from './deployment-failed';

const RULES: readonly ((ctx: FindingContext) => Finding | null)[] = [
  orphanedFinding,
  staleHeartbeatsFinding,
  rolloutFinding,
  platformCountFinding,
  notServingFinding,
  missingFinding,
  surplusFinding,
  unreportedFinding,
  dataDegradedFinding,
  deploymentFailedFinding,
  clockSkewFinding,
];

/** Most severe first, then in FINDING_CODES order. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) ||
    FINDING_CODES.indexOf(a.code) - FINDING_CODES.indexOf(b.code)
  );
}

/** Every finding of one component, most severe first. */
export function componentFindings(ctx: FindingContext): Finding[] {
  return RULES.map((rule) => rule(ctx))
    .filter((found): found is Finding => found !== null)
    .sort(compareFindings);
}
