/**
 * The remediation decision: a pure function of (report, firing alerts, now, last actions, mode,
 * leadership, what the platform source can do) → one decision per component that has a
 * trigger finding. No I/O, no clock: table-tested.
 *
 * The checks run from the broadest to the most specific, so the reason given is the one that
 * would still hold if the narrower ones were fixed: a follower in cooldown says not_leader.
 */
import type { ComponentReport, FindingCode, ReportWithoutInstances } from '../reconcile/report';
import { formatDuration, isoTime } from '../reconcile/text';
import type { Decision, FiringAlert, RemediationPolicy, RestartCall, SkipReason } from './types';
import { REMEDIATION_TRIGGERS } from './types';

export interface DecisionInput {
  readonly report: ReportWithoutInstances;
  readonly firing: readonly FiringAlert[];
  readonly nowMs: number;
  readonly policy: RemediationPolicy;
  /** Component → when it was last acted on (or dry-run); null while unknown (audit unreadable). */
  readonly lastActionMs: ReadonlyMap<string, number> | null;
  /** This aggregator holds the leader lease (or runs alone). */
  readonly leader: boolean;
  /** The platform source can act (false for the static source). */
  readonly canAct: boolean;
}

const ROLLOUT_CODES: readonly FindingCode[] = ['ROLLOUT_IN_PROGRESS', 'ROLLOUT_STUCK'];

/** The rolling restart of one component, exactly as it would be sent. */
export function restartCall(appId: string, component: string): RestartCall {
  return {
    method: 'POST',
    path: `/v2/apps/${encodeURIComponent(appId)}/restart`,
    body: { components: [component] },
  };
}

/** One decision per component that has a trigger finding now, in the report's component order. */
export function decideRemediation(input: DecisionInput): Decision[] {
  const decisions: Decision[] = [];
  for (const component of input.report.components) {
    const triggers = component.findings
      .map((f) => f.code)
      .filter((code) => REMEDIATION_TRIGGERS.includes(code));
    if (triggers.length === 0) continue;
    decisions.push(decideComponent(input, component, triggers));
  }
  return decisions;
}

function decideComponent(
  input: DecisionInput,
  component: ComponentReport,
  triggers: FindingCode[],
): Decision {
  const { report, policy, nowMs } = input;
  const name = component.name;
  const skip = (reason: SkipReason, detail: string, untilMs: number | null = null): Decision => ({
    kind: 'skip',
    component: name,
    triggers,
    reason,
    detail,
    untilMs,
  });
  const what = triggers.join(' and ');

  if (policy.mode === 'off')
    return skip('mode_off', `REMEDIATION_MODE is off; ${what} on ${name} is left to people`);
  if (!input.leader)
    return skip('not_leader', 'another aggregator holds the leader lease; only the leader remediates');
  if (!input.canAct) {
    return skip(
      'platform_cannot_act',
      `the ${report.platform} platform source has no platform API to act through; fix ${name} by hand`,
    );
  }
  if (report.degraded || component.verdict === 'degraded') {
    return skip(
      'degraded_collector',
      'the collector cannot read heartbeats, so the counts cannot be trusted',
    );
  }
  if (report.summary.do_api_status !== 'ok') {
    const age = report.summary.platform_data_age_ms;
    return skip(
      'stale_platform_data',
      `the platform data is ${report.summary.do_api_status}` +
        (age === null ? '' : ` (${formatDuration(age)} old)`) +
        ': no action on data that may be out of date',
    );
  }
  if (component.verdict === 'rolling' || component.findings.some((f) => ROLLOUT_CODES.includes(f.code))) {
    return skip('rollout_in_progress', `a deployment is rolling out ${name}; a restart would disturb it`);
  }
  const firing = input.firing.filter((a) => a.component === name && triggers.includes(a.code));
  if (firing.length === 0) {
    return skip('not_firing', `${what} on ${name} is not a firing alert (yet): it must be confirmed first`);
  }
  const firingSinceMs = Math.min(...firing.map((a) => a.sinceMs));
  const firingFor = nowMs - firingSinceMs;
  if (firingFor < policy.minFiringMs) {
    const untilMs = firingSinceMs + policy.minFiringMs;
    return skip(
      'firing_too_short',
      `firing for ${formatDuration(firingFor)}; acts once it has fired for ${formatDuration(policy.minFiringMs)}, at ${isoTime(untilMs)}`,
      untilMs,
    );
  }
  if (input.lastActionMs === null) {
    return skip(
      'cooldown_unknown',
      'the audit trail cannot be read, so the last action and its cooldown are unknown; waiting for it',
    );
  }
  const lastMs = input.lastActionMs.get(name);
  if (lastMs !== undefined && nowMs < lastMs + policy.cooldownMs) {
    const untilMs = lastMs + policy.cooldownMs;
    return skip(
      'cooldown',
      `acted on ${name} at ${isoTime(lastMs)}; cooldown until ${isoTime(untilMs)}`,
      untilMs,
    );
  }
  const call = restartCall(report.app_id ?? report.app, name);
  const reason = `${firing.map((a) => `${a.code} firing since ${isoTime(a.sinceMs)}`).join(', ')}`;
  if (policy.mode === 'dry-run') {
    return {
      kind: 'dry-run',
      component: name,
      triggers,
      call,
      detail: `dry run: would restart ${name} (${call.method} ${call.path}); ${reason}`,
    };
  }
  return {
    kind: 'act',
    component: name,
    triggers,
    call,
    detail: `rolling restart of ${name} (${call.method} ${call.path}); ${reason}`,
  };
}
