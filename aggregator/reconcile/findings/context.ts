/** What every finding rule is given, and the one way a Finding is built. */
import type { CollectorHealth } from '../../model';
import type { PlatformView } from '../../model';
import type { ClassifiedInstance, ComponentFacts } from '../facts';
import type { PlatformBlindness } from '../platform-blindness';
import type { Finding, FindingCode, Severity } from '../report';
import type { RolloutStatus } from '../rollout';
import type { ComponentCost } from '../waste';

export interface FindingContext {
  /** The real app id for commands: the platform's app id, else the aggregator's app. */
  readonly appId: string;
  readonly facts: ComponentFacts;
  readonly view: PlatformView;
  readonly collector: CollectorHealth;
  readonly nowMs: number;
  /** The time ages are measured at (see referenceTimeMs). */
  readonly refNowMs: number;
  /** The app's rollout, null when none is in progress. */
  readonly rollout: RolloutStatus | null;
  /** The platform's numbers are current (status ok or not_configured), not a stale copy. */
  readonly platformFresh: boolean;
  /** Every instance of the app by the names the platform may list it under (instance id, pod name). */
  readonly instancesByName: ReadonlyMap<string, ClassifiedInstance>;
  /** Why the platform view cannot be had, null when it can (platform-blindness.ts). */
  readonly platformBlind: PlatformBlindness | null;
  /** Since when it has been blind (ms), measured across reconciles; null when it is not. */
  readonly platformBlindSinceMs: number | null;
  /** CLOCK_SKEW_MAX_MS, default applied. */
  readonly clockSkewMaxMs: number;
  /** DRAIN_GRACE_MS, default applied. */
  readonly drainGraceMs: number;
  /** ALERT_FOR_MS, default applied. */
  readonly alertForMs: number;
  /** No agent reports for the app: it is judged from the platform alone (agentless.ts). */
  readonly agentless: boolean;
  /** The component's surplus and what it costs (waste.ts). */
  readonly cost: ComponentCost;
}

/** Builds a finding; instances and deployment ids default to none. */
export function finding(
  code: FindingCode,
  severity: Severity,
  message: string,
  recommendation: string,
  instances: readonly string[] = [],
  deploymentIds: readonly string[] = [],
): Finding {
  return { code, severity, message, instances, recommendation, deployment_ids: deploymentIds };
}

/** The ids of some instances, in the order given. */
export function idsOf(instances: readonly ClassifiedInstance[]): string[] {
  return instances.map((i) => i.record.instanceId);
}

/** Where the desired count comes from, for messages: the spec, or the static configuration. */
export function desiredSource(view: PlatformView): string {
  return view.source === 'static' ? 'DESIRED_REPLICAS' : 'the spec';
}

/** "2", or "2-5 (autoscaling)". */
export function describeDesired(facts: ComponentFacts): string {
  const { desired } = facts;
  if (desired === null) return 'an unknown count';
  return desired.autoscaling ? `${desired.min}-${desired.max} (autoscaling)` : `${desired.min}`;
}

/** " while deployment X rolls out", or "" when no rollout is in progress. */
export function rollingNote(ctx: FindingContext): string {
  return ctx.facts.rolling && ctx.rollout ? ` while deployment ${ctx.rollout.deployment.id} rolls out` : '';
}
