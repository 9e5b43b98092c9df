/** The reconciler: a pure function from heartbeats and platform data to the report. */
export { reconcile } from './reconcile';
export type {
  ReconcileInput,
  ReconcileMemory,
  ReconcilePolicy,
  ReconcileResult,
  RolloutMemory,
} from './types';
export { referenceTimeMs, instanceStatus, countsAsLive } from './instance-state';
export type { InstanceStatus } from './instance-state';
export { instanceGeneration, activeGeneration } from './generation';
export { planComponents, hasStandingInstances, DEFAULT_COMPONENT } from './components';
export { FINDING_CODES, SEVERITIES, VERDICTS, INSTANCE_STATES } from './report';
export { SELF_PRESERVATION_DEFAULTS, renewalsOf, selfPreservation } from './self-preservation';
export type {
  SelfPreservationEpisode,
  SelfPreservationMemory,
  SelfPreservationResult,
} from './self-preservation';
export { WORSENING_WINDOW_MS, deviationOf, observeTrend, withWorsening } from './trend';
export { AGENTLESS_NOTE, agentsSeen, isAgentless } from './agentless';
export {
  appCost,
  centsToUsd,
  componentCost,
  componentSurplus,
  sumOrNull,
  surplusOf,
  wasteCentsOf,
} from './waste';
export type { ComponentCost, CostContext } from './waste';
export type { DeviationMemory, DeviationObservation, DeviationRun, TrendResult, Worsening } from './trend';
export type {
  ComponentReport,
  DeploymentCount,
  Finding,
  FindingCode,
  FindingTrend,
  InstanceReport,
  InstanceState,
  Report,
  ReportSummary,
  ReportWithoutInstances,
  Severity,
  Verdict,
} from './report';
