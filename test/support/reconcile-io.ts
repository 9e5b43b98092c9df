/**
 * The reconciler's input and output in tests: a whole input built from defaults, its report with
 * the instance list built, and lookups of a component or a finding that fail with what is there
 * instead when it is missing.
 */
import { reconcile } from '../../aggregator/reconcile';
import type { ReconcileInput, ReconcileMemory, ReconcileResult } from '../../aggregator/reconcile';
import type {
  ComponentReport,
  Finding,
  FindingCode,
  Report,
  ReportWithoutInstances,
  Severity,
} from '../../aggregator/reconcile/report';
import type { PublishedReport } from '../../aggregator/report-store';
import { view } from './platform';
import { HEALTHY, NOW } from './records';

/**
 * The memory of a reconciler that has seen agents of the app before (and nothing else): with it,
 * an empty registry is agents that stopped, never an app without agents.
 */
export const AGENTS_SEEN: ReconcileMemory = Object.freeze({ rollout: null, agentsSeen: true });

/**
 * A reconcile's memory without what it carries to save work (`incremental`): what it judged
 * (rollout progress, trends, self-preservation, blindness, agents seen), for tests of those.
 */
export function judged(memory: ReconcileMemory): Omit<ReconcileMemory, 'incremental'> {
  const { incremental: _cache, ...rest } = memory;
  return rest;
}

/** A reconcile input at NOW with a healthy collector, STALE_AFTER_MS unset and a 10-minute rollout grace. */
export function input(overrides: Partial<ReconcileInput> = {}): ReconcileInput {
  return {
    nowMs: NOW,
    app: 'default',
    platform: view(),
    instances: [],
    collector: HEALTHY,
    policy: { staleAfterMs: null, rolloutGraceMs: 600_000 },
    memory: null,
    ...overrides,
  };
}

/** A reconcile's result as one full Report, its instance list built: the shape the API serves. */
export function fullReport(result: Pick<ReconcileResult, 'report' | 'instances'>): Report {
  return { ...result.report, instances: result.instances() };
}

/** A published report as one full Report, its instance list built. */
export function publishedReport(published: PublishedReport): Report {
  return { ...published.report, instances: published.instanceList() };
}

/** A Report built by hand, as the store takes a reconcile's result (report and instance list apart). */
export function asReconciled(report: Report): Pick<ReconcileResult, 'report' | 'instances'> {
  const { instances, ...rest } = report;
  return { report: rest, instances: () => instances };
}

/** The whole report (instance list built) of reconciling the default input with `overrides`. */
export function reconciledReport(overrides: Partial<ReconcileInput>): Report {
  return fullReport(reconcile(input(overrides)));
}

/** The component named `name`; throws, listing the components there are, when there is none. */
export function componentOf(report: ReportWithoutInstances, name = 'backend'): ComponentReport {
  const found = report.components.find((c) => c.name === name);
  if (!found) throw new Error(`no component ${name} in ${report.components.map((c) => c.name).join(', ')}`);
  return found;
}

/** The [code, severity] pairs of a component's findings, in report order. */
export function codes(report: ReportWithoutInstances, name = 'backend'): [FindingCode, Severity][] {
  return componentOf(report, name).findings.map((f) => [f.code, f.severity]);
}

/** A component's finding of `code`; throws, listing the findings there are, when there is none. */
export function findingOf(report: ReportWithoutInstances, code: FindingCode, name = 'backend'): Finding {
  const found = componentOf(report, name).findings.find((f) => f.code === code);
  if (!found) throw new Error(`no ${code} in ${name}: ${JSON.stringify(codes(report, name))}`);
  return found;
}
