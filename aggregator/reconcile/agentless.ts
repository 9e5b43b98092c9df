/**
 * Agentless judgement: an app that no agent reports for is judged from the platform alone.
 *
 * "No agents" is more than "no heartbeat now": the registry holds no instance record at all AND
 * this reconciler has never seen one (ReconcileMemory.agentsSeen). An app whose agents all died
 * still has their records, and once they are forgotten the memory still says agents were there:
 * it raises MISSING_INSTANCES as it always did, and is never mistaken for an agentless app.
 *
 * Two more conditions, because without them "no agents" cannot be told from "cannot see":
 * - the collector can read: a blind collector sees no records whether agents run or not;
 * - the platform observes instances: the static source lists none and counts none ready, so
 *   with it the heartbeats are all there is, and an app without any is judged as before.
 *
 * Agentless, the heartbeat findings (MISSING, SURPLUS, UNREPORTED) and self-preservation stay
 * out; PLATFORM_COUNT_MISMATCH compares the platform with itself (findings/agentless-count.ts).
 */
import type { CollectorHealth, InstanceRecord, PlatformView } from '../model';
import type { ComponentFacts } from './facts';
import type { ReconcileMemory } from './types';

/** Whether any agent has reported for this app, now or at an earlier reconcile (sticky). */
export function agentsSeen(instances: readonly InstanceRecord[], memory: ReconcileMemory | null): boolean {
  return instances.length > 0 || memory?.agentsSeen === true;
}

/** Whether this reconcile judges the app from the platform alone (see the module comment). */
export function isAgentless(
  instances: readonly InstanceRecord[],
  collector: CollectorHealth,
  view: PlatformView,
  memory: ReconcileMemory | null,
): boolean {
  return collector.healthy && view.source !== 'static' && !agentsSeen(instances, memory);
}

/**
 * Agentless, and the platform counts none of a component's standing instances (no ready count,
 * no list): nothing at all is seen of them, so the component is degraded, never ok.
 */
export function agentlessUnobserved(facts: ComponentFacts, agentless: boolean): boolean {
  return (
    agentless &&
    facts.standing &&
    (facts.platform?.ready ?? null) === null &&
    (facts.platform?.listed ?? null) === null
  );
}

/** The component note of an agentless app. */
export const AGENTLESS_NOTE = 'no agents report for this app: judged from the platform alone';

/**
 * How to get heartbeats, for recommendations: the agent beside every instance, or the HTTP
 * protocol from any language.
 */
export function installAgentAdvice(component: string): string {
  return (
    `install the agent beside every ${component} instance so that heartbeats say which instances really run ` +
    `and serve (the README's "Agent" section: AGENT_ENABLED=true with REDIS_URL or AGGREGATOR_URL; ` +
    `from any language: docs/heartbeat-protocol.md)`
  );
}
