/**
 * The reconciler: a pure function from (platform view, registry snapshot, now, policy, memory)
 * to a report. No I/O, no clock reads, no randomness: the same input gives a deep-equal output.
 *
 * Semantics, in brief (each rule is documented where it lives):
 * - ages are measured at the reference time, frozen while the collector is blind
 *   (instance-state.ts);
 * - components are the platform's plus every one the heartbeats name (components.ts);
 * - an instance's generation is its deployment id or its name's template hash, and each
 *   component has one active generation (generation.ts); live instances of another one, other
 *   than the in-progress deployment's, are orphans (facts.ts);
 * - findings come from the rules in findings/, verdicts from verdict.ts;
 * - a collapse of renewals makes the aggregator blind as a Redis outage does (self-preservation.ts);
 * - the memory carries the rollout progress between reconciles, for ROLLOUT_STUCK (rollout.ts),
 *   and each component's recent surplus or gap, for the "worsening" annotation (trend.ts);
 * - an app no agent has ever reported for is judged from the platform alone (agentless.ts);
 * - each component's surplus and its monthly cost come from waste.ts, exact to the cent.
 */
import type { DeploymentInfo, InstanceRecord, PlatformFailure, PlatformView } from '../model';
import { AGENTLESS_NOTE, agentlessUnobserved, agentsSeen, isAgentless } from './agentless';
import type { ComponentFacts } from './facts';
import type { FactsContext } from './facts';
import { byInstanceId, classifyInstance, componentFacts, type ClassifiedInstance } from './facts';
import type { CarriedFacts } from './carried-facts';
import { reuseFacts } from './carried-facts';
import { alignRecords, classifyRecords } from './classification';
import type { FindingContext } from './findings';
import { componentFindings } from './findings';
import { planComponents } from './components';
import { referenceTimeMs } from './instance-state';
import { instanceReport } from './instance-report';
import type {
  ComponentReport,
  DeploymentReport,
  Finding,
  InstanceReport,
  PlatformErrorReport,
  ReportWithoutInstances,
  ReportSummary,
} from './report';
import { SEVERITIES } from './report';
import { UNKNOWN_APP_ID } from './commands';
import { fixVariableOf, platformBlindness } from './platform-blindness';
import { observeRollout } from './rollout';
import { SELF_PRESERVATION_DEFAULTS, selfPreservation } from './self-preservation';
import { isoTime } from './text';
import type { DeviationObservation, DeviationRun } from './trend';
import { observeTrend, withWorsening, WORSENING_WINDOW_MS } from './trend';
import type { ReconcileInput, ReconcileResult } from './types';
import { RECONCILE_POLICY_DEFAULTS } from './types';
import { componentVerdict, isWarningOrWorse, worstVerdict } from './verdict';
import type { ComponentCost } from './waste';
import { appCost, centsToUsd, componentCost } from './waste';

/** Reconciles the heartbeats with the platform view; see the module comment for the rules. */
export function reconcile(input: ReconcileInput): ReconcileResult {
  const { nowMs, platform: view, policy } = input;
  const agentless = isAgentless(input.instances, input.collector, view, input.memory);
  const carried = input.memory?.incremental?.classification ?? null;
  const aligned = alignRecords(input.instances, carried, input.changes ?? null);
  // From here on, blindness includes self-preservation: the same rules then hold for both. An
  // agentless app has no renewals to collapse.
  const preserved = agentless
    ? { collector: input.collector, memory: null }
    : selfPreservation(
        aligned.renewals,
        input.collector,
        nowMs,
        policy.staleAfterMs,
        policy.selfPreservationThreshold ?? SELF_PRESERVATION_DEFAULTS.threshold,
        input.memory?.selfPreservation ?? null,
      );
  const collector = preserved.collector;
  const refNowMs = referenceTimeMs(nowMs, collector);
  const platformBlind = platformBlindness(view);
  const platformBlindSinceMs =
    platformBlind === null ? null : (platformBlind.sinceMs ?? input.memory?.platformBlindSinceMs ?? nowMs);
  const drainGraceMs = policy.drainGraceMs ?? RECONCILE_POLICY_DEFAULTS.drainGraceMs;
  const platformFresh = view.status === 'ok' || view.status === 'not_configured';
  const observed = observeRollout(
    view.inProgressDeployment,
    input.memory?.rollout ?? null,
    nowMs,
    policy.rolloutGraceMs,
    platformFresh,
  );

  const clockSkewMaxMs = policy.clockSkewMaxMs ?? RECONCILE_POLICY_DEFAULTS.clockSkewMaxMs;
  const classification = classifyRecords(aligned, {
    refNowMs,
    staleAfterMs: policy.staleAfterMs,
    clockSkewMaxMs,
  });
  const { classified, changed } = classification;
  // Carried facts are only as good as the classification they were built on.
  const carriedFacts = changed === null ? undefined : input.memory?.incremental?.facts;
  // Grouped only when some component's facts must be built again.
  let byComponent: Map<string, ClassifiedInstance[]> | undefined;
  const instancesOf = (name: string) => (byComponent ??= groupByComponent(classified)).get(name) ?? [];
  // Only UNREPORTED_INSTANCES needs it, and only for a platform that lists instances: built on
  // first use, it costs nothing to the static source and a platform without instance listings.
  let byName: Map<string, ClassifiedInstance> | undefined;
  const instancesByName = () => (byName ??= indexByName(classified));
  // Commands need a DigitalOcean app id; the aggregator's app name is none.
  const appId = view.appId ?? UNKNOWN_APP_ID;
  const worseningWindowMs = policy.worseningWindowMs ?? WORSENING_WINDOW_MS;
  const deviations: Record<string, readonly DeviationRun[]> = {};

  const components: ComponentReport[] = [];
  const factsInOrder: ComponentFacts[] = [];
  const factsMemory = new Map<string, CarriedFacts>();
  const costs: ComponentCost[] = [];
  let unobserved = false;
  let configured = 0;
  const factsContext: FactsContext = {
    activeDeploymentId: view.activeDeployment?.id ?? null,
    inProgressDeploymentId: view.inProgressDeployment?.id ?? null,
    refNowMs,
    drainGraceMs,
    clockSkewMaxMs,
  };
  for (const plan of planComponents(view, aligned.components.keys())) {
    const facts =
      reuseFacts(carriedFacts?.get(plan.name), plan, factsContext, changed?.has(plan.name) ?? true) ??
      componentFacts(plan, instancesOf(plan.name), factsContext);
    factsMemory.set(plan.name, { facts, context: factsContext });
    if (facts.standing && facts.desired !== null) configured += facts.desired.min;
    const cost = componentCost(facts, {
      agentless,
      collectorHealthy: collector.healthy,
      platformBlind: platformBlind !== null,
    });
    const ctx: FindingContext = {
      appId,
      facts,
      view,
      collector,
      nowMs,
      refNowMs,
      rollout: observed.status,
      platformFresh,
      get instancesByName() {
        return instancesByName();
      },
      platformBlind,
      platformBlindSinceMs,
      clockSkewMaxMs,
      drainGraceMs,
      alertForMs: policy.alertForMs ?? RECONCILE_POLICY_DEFAULTS.alertForMs,
      agentless,
      cost,
    };
    const trend = observeTrend(
      input.memory?.deviations?.[plan.name],
      agentless ? null : deviationObservation(facts, collector.healthy),
      nowMs,
      worseningWindowMs,
    );
    if (trend.runs.length > 0) deviations[plan.name] = trend.runs;
    const findings = withWorsening(componentFindings(ctx), trend.worsening, worseningWindowMs);
    // Agentless with no count from the platform either: nothing is seen of the component.
    const blindToIt = agentlessUnobserved(facts, agentless);
    unobserved ||= blindToIt;
    components.push(
      componentReport(facts, findings, {
        app: input.app,
        degraded: !collector.healthy || platformBlind !== null || blindToIt,
        agentless,
        cost,
      }),
    );
    factsInOrder.push(facts);
    costs.push(cost);
  }
  // The instance list is most of a large fleet's report and most consumers never read it (the
  // counts, findings, alerts and history use the components): it is built on first call, once.
  let instances: InstanceReport[] | undefined;

  const report: ReportWithoutInstances = {
    generated_at: isoTime(nowMs),
    app: input.app,
    platform: view.source,
    app_id: view.appId,
    app_name: view.appName,
    active_deployment_id: view.activeDeployment?.id ?? null,
    in_progress_deployment: deploymentReport(view.inProgressDeployment),
    pending_deployment: deploymentReport(view.pendingDeployment),
    summary: summarize(components, configured, view, nowMs, agentless, costs),
    components,
    recommendations: recommendations(components),
    degraded: !collector.healthy || platformBlind !== null || unobserved || !knowsAnyDesired(factsInOrder),
  };
  // Without runs the field stays out, so the memory of an app with no counts to judge is unchanged.
  const hasRuns = Object.keys(deviations).length > 0;
  const selfPreserving = preserved.memory === null ? {} : { selfPreservation: preserved.memory };
  const blind = platformBlindSinceMs === null ? {} : { platformBlindSinceMs };
  // Sticky: once an agent has reported, an empty registry means agents that stopped, not none.
  const seen = agentsSeen(input.instances, input.memory) ? { agentsSeen: true } : {};
  return {
    report,
    instances: () =>
      (instances ??= instanceList(input.instances, factsInOrder, refNowMs, policy.staleAfterMs)),
    memory: {
      rollout: observed.memory,
      incremental: { classification: classification.memory, facts: factsMemory },
      ...(hasRuns ? { deviations } : {}),
      ...selfPreserving,
      ...blind,
      ...seen,
    },
  };
}

/**
 * The instance list sorted by component then id, each record classified as this reconcile did
 * (classifyInstance is a pure function of the record, the reference time and the policy). Built
 * from the records, not from the carried classification, which the next reconcile updates in
 * place, nor from the facts, which may be carried from an earlier reconcile with the records of
 * then: the list shows each instance's latest heartbeat. Components come sorted by name and
 * every instance's component is among them; orphans and draining instances are told by id.
 */
function instanceList(
  records: readonly InstanceRecord[],
  factsInOrder: readonly ComponentFacts[],
  refNowMs: number,
  staleAfterMs: number | null,
): InstanceReport[] {
  const byComponent = groupByComponent(
    records.map((record) => classifyInstance(record, refNowMs, staleAfterMs)),
  );
  const instances: InstanceReport[] = [];
  for (const facts of factsInOrder) {
    const orphaned = new Set(facts.orphans.map((i) => i.record.instanceId));
    const draining = new Set(facts.draining.map((i) => i.record.instanceId));
    // The registry hands its snapshot over in id order, so this sort only confirms it in one pass.
    const group = [...(byComponent.get(facts.name) ?? [])].sort(byInstanceId);
    for (const instance of group) {
      const id = instance.record.instanceId;
      instances.push(instanceReport(instance, refNowMs, orphaned.has(id), draining.has(id)));
    }
  }
  return instances;
}

/**
 * Whether any component that runs standing instances has a desired count. Without one (the static
 * source without DESIRED_REPLICAS) nothing can be judged, and the report must not look green.
 */
function knowsAnyDesired(components: readonly ComponentFacts[]): boolean {
  return components.some((facts) => !facts.standing || facts.desired !== null);
}

/** A count worth comparing over time: seen by a collector that is not blind, outside a rollout. */
function deviationObservation(facts: ComponentFacts, collectorHealthy: boolean): DeviationObservation | null {
  if (!collectorHealthy || !facts.standing || facts.rolling || facts.desired === null) return null;
  return { live: facts.live.length, desired: facts.desired };
}

function groupByComponent(instances: readonly ClassifiedInstance[]): Map<string, ClassifiedInstance[]> {
  const groups = new Map<string, ClassifiedInstance[]>();
  // Ids usually start with the component's name, so in id order one component's instances come
  // in runs: a string compare with the previous one's component saves most map lookups.
  let runName: string | null = null;
  let run: ClassifiedInstance[] = [];
  for (const instance of instances) {
    const name = instance.record.component;
    if (name !== runName) {
      const group = groups.get(name);
      run = group ?? [];
      if (group === undefined) groups.set(name, run);
      runName = name;
    }
    run.push(instance);
  }
  return groups;
}

/**
 * The app's instances by every name the platform may list them under (instance id, pod name).
 * A live instance wins a shared name, so a restarted pod is not reported missing because of its
 * dead predecessor.
 */
function indexByName(instances: readonly ClassifiedInstance[]): Map<string, ClassifiedInstance> {
  const index = new Map<string, ClassifiedInstance>();
  for (const instance of instances) {
    const names = [instance.record.instanceId, instance.record.heartbeat.pod_name];
    for (const name of names) {
      if (name === null) continue;
      const known = index.get(name);
      if (known === undefined || (!known.live && instance.live)) index.set(name, instance);
    }
  }
  return index;
}

/** What a component's report needs beyond its facts and findings. */
interface ComponentReportContext {
  readonly app: string;
  /** The collector or the platform view is blind, or nothing at all is seen of the component. */
  readonly degraded: boolean;
  readonly agentless: boolean;
  readonly cost: ComponentCost;
}

function componentReport(
  facts: ComponentFacts,
  findings: readonly Finding[],
  context: ComponentReportContext,
): ComponentReport {
  const { desired } = facts;
  const { degraded, agentless, cost } = context;
  const live = facts.live.length;
  // Agentless, the live count is no count (0 of nothing): PLATFORM_COUNT_MISMATCH judges the range.
  const outOfRange =
    !agentless && facts.standing && desired !== null && (live < desired.min || live > desired.max);
  // A count that cannot be judged is not ok: the component is degraded (DATA_DEGRADED says why).
  const unjudged = facts.standing && desired === null;
  return {
    name: facts.name,
    kind: facts.kind,
    desired: desired?.min ?? null,
    autoscaling: desired?.autoscaling ? { min: desired.min, max: desired.max } : null,
    platform_ready: facts.platform?.ready ?? null,
    platform_instances: facts.platform?.listed?.length ?? null,
    live,
    serving: facts.serving,
    suspect: facts.suspect,
    stale: facts.gone,
    left: facts.left,
    orphaned: facts.orphans.length,
    deployments: [...facts.deployments],
    verdict: componentVerdict({
      degraded: degraded || unjudged,
      rolling: facts.rolling,
      outOfRange,
      findings,
    }),
    findings,
    note: componentNote(facts, agentless),
    app: context.app,
    instance_size_slug: cost.slug,
    usd_per_month: centsToUsd(cost.monthlyCents),
    surplus_instances: cost.surplus,
    estimated_monthly_waste_usd: centsToUsd(cost.wasteCents),
  };
}

/** Why the component is treated specially: it runs no standing instances, or no agents report. */
function componentNote(facts: ComponentFacts, agentless: boolean): string | null {
  const notes = [
    ...(facts.standing
      ? []
      : [`a ${facts.kind} runs no standing instances: its instances are not held against a desired count`]),
    ...(agentless ? [AGENTLESS_NOTE] : []),
  ];
  return notes.length === 0 ? null : notes.join('; ');
}

function summarize(
  components: readonly ComponentReport[],
  configured: number,
  view: PlatformView,
  nowMs: number,
  agentless: boolean,
  costs: readonly ComponentCost[],
): ReportSummary {
  const sum = (pick: (c: ComponentReport) => number) => components.reduce((total, c) => total + pick(c), 0);
  // Summed in cents, not from the components' dollars: exact to the cent however many there are.
  const total = appCost(costs);
  return {
    configured_replicas: configured,
    active_instances: sum((c) => c.live),
    serving_instances: sum((c) => c.serving),
    discrepancy: components.some((c) => c.verdict === 'discrepancy' || c.findings.some(isWarningOrWorse)),
    verdict: worstVerdict(components.map((c) => c.verdict)),
    do_api_status: view.status,
    platform_data_age_ms: view.fetchedAtMs === null ? null : Math.max(0, nowMs - view.fetchedAtMs),
    do_api_error: platformErrorReport(view.error),
    agentless,
    surplus_instances: total.surplus,
    estimated_monthly_waste_usd: centsToUsd(total.wasteCents),
  };
}

function deploymentReport(deployment: DeploymentInfo | null): DeploymentReport | null {
  if (deployment === null) return null;
  const created = deployment.createdAtMs;
  return {
    id: deployment.id,
    phase: deployment.phase,
    created_at: created === null ? null : isoTime(created),
  };
}

function platformErrorReport(error: PlatformFailure | null): PlatformErrorReport | null {
  if (error === null) return null;
  return {
    kind: error.kind,
    message: error.message,
    http_status: error.httpStatus,
    request_id: error.requestId,
    since: isoTime(error.sinceMs),
    fix_variable: fixVariableOf(error.kind),
  };
}

/** The distinct recommendations of warning-or-worse findings, most severe first (then by component). */
function recommendations(components: readonly ComponentReport[]): string[] {
  const findings = components.flatMap((c) => c.findings).filter(isWarningOrWorse);
  // Array.prototype.sort is stable: equal severities keep component order.
  findings.sort((a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity));
  return [...new Set(findings.map((f) => f.recommendation))];
}
