/**
 * The alert state machine, one per (component, finding code): a pure function of the previous
 * states, one report and `now` (no clock, no I/O).
 *
 *   inactive ──present──▶ pending ──present for ALERT_CONFIRMATIONS reconciles
 *                            │        and ALERT_FOR_MS since it became pending──▶ firing
 *                            └─absent once──▶ inactive (a blip never alerts)
 *   firing ──absent for ALERT_CONFIRMATIONS reconciles and ALERT_FOR_MS──▶ resolved (inactive)
 *   firing ──ALERT_REPEAT_MS since the last notice──▶ repeat
 *
 * Which findings alert: severity warning or critical, and DATA_DEGRADED while the report is
 * degraded (the aggregator is blind: one page about that instead of a flood of MISSING). Some
 * reconciles cannot tell whether a finding holds, and then the state neither moves forward nor
 * back (it is "frozen"): every code but DATA_DEGRADED while the report is degraded (a finding
 * absent because the data could not be read resolves nothing, and frozen counts start nothing),
 * and every code but ROLLOUT_STUCK and DEPLOYMENT_FAILED of a component whose verdict is
 * `rolling` (counts move during a rollout; one that stopped moving raises ROLLOUT_STUCK after
 * ROLLOUT_GRACE_MS, one with failed steps DEPLOYMENT_FAILED at once).
 */
import type {
  ComponentReport,
  Finding,
  FindingCode,
  ReportWithoutInstances,
  Severity,
} from '../reconcile/report';

/** The codes that are about the rollout itself, so a rollout in progress does not hold them back. */
const ALERTABLE_WHILE_ROLLING: ReadonlySet<FindingCode> = new Set(['ROLLOUT_STUCK', 'DEPLOYMENT_FAILED']);

export interface AlertSettings {
  /** ALERT_CONFIRMATIONS: consecutive reconciles a finding must hold (or be gone) for. */
  readonly confirmations: number;
  /** ALERT_FOR_MS: and at least this long. */
  readonly forMs: number;
  /** ALERT_REPEAT_MS: how often a firing alert is notified again. */
  readonly repeatMs: number;
}

export const ALERT_DEFAULTS: AlertSettings = Object.freeze({
  confirmations: 2,
  forMs: 60_000,
  // A page every few hours keeps a forgotten alert visible without becoming noise.
  repeatMs: 4 * 60 * 60_000,
});

/** At most this many instance ids are kept with an alert: states are persisted and sent. */
export const MAX_ALERT_INSTANCES = 20;

/** What an alert says, from the latest reconcile in which its finding held. */
export interface AlertContent {
  readonly severity: Severity;
  readonly message: string;
  /** The first MAX_ALERT_INSTANCES instance ids. */
  readonly instances: readonly string[];
  /** How many instances the finding named in all. */
  readonly instanceCount: number;
  readonly deploymentIds: readonly string[];
  readonly recommendation: string;
  readonly desired: number | null;
  readonly live: number;
  readonly platformReady: number | null;
  readonly platformInstances: number | null;
}

export type AlertStatus = 'pending' | 'firing';

/** One alert's state. Inactive alerts have none. */
export interface AlertState {
  readonly component: string;
  readonly code: FindingCode;
  readonly status: AlertStatus;
  /**
   * pending: consecutive reconciles the finding held; firing: consecutive reconciles it has
   * been absent (0 while it holds).
   */
  readonly streak: number;
  /** When the current streak began (ms). */
  readonly streakSinceMs: number;
  /** When it began firing (ms); null while pending. */
  readonly firingSinceMs: number | null;
  /** When it was last notified (firing or repeat, ms); null while pending. */
  readonly notifiedAtMs: number | null;
  /** The severity label, fixed when it began firing: labels must not change under an alert. */
  readonly severity: Severity;
  readonly content: AlertContent;
}

/** Alert states by alertKey. */
export type AlertStates = ReadonlyMap<string, AlertState>;

export interface AlertTransition {
  readonly kind: 'firing' | 'repeat' | 'resolved';
  /** The state after the step (for resolved: the last firing state). */
  readonly state: AlertState;
}

export interface AlertStep {
  /** Every state after the step. */
  readonly states: AlertStates;
  /** States new or changed by the step (what must be persisted). */
  readonly upserted: readonly AlertState[];
  /** Keys of states that ended (resolved, or pending that did not hold). */
  readonly removed: readonly string[];
  /** What to notify, in key order. */
  readonly transitions: readonly AlertTransition[];
}

/** The key of (component, code): component names never contain `|` (NAME_PATTERN). */
export function alertKey(component: string, code: FindingCode): string {
  return `${component}|${code}`;
}

/** Whether a finding of this component alerts in this report (see the module comment). */
export function isAlertable(finding: Finding, component: ComponentReport, degraded: boolean): boolean {
  if (finding.code === 'DATA_DEGRADED') return degraded;
  if (degraded || finding.severity === 'info') return false;
  return component.verdict !== 'rolling' || ALERTABLE_WHILE_ROLLING.has(finding.code);
}

/** Whether this report cannot tell if the (component, code) finding holds (see the module comment). */
function isFrozen(
  report: ReportWithoutInstances,
  verdicts: ReadonlyMap<string, string>,
  state: AlertState,
): boolean {
  if (state.code === 'DATA_DEGRADED') return false;
  if (report.degraded) return true;
  return verdicts.get(state.component) === 'rolling' && !ALERTABLE_WHILE_ROLLING.has(state.code);
}

function contentOf(finding: Finding, component: ComponentReport): AlertContent {
  return {
    severity: finding.severity,
    message: finding.message,
    instances: finding.instances.slice(0, MAX_ALERT_INSTANCES),
    instanceCount: finding.instances.length,
    deploymentIds: [...finding.deployment_ids],
    recommendation: finding.recommendation,
    desired: component.desired,
    live: component.live,
    platformReady: component.platform_ready,
    platformInstances: component.platform_instances,
  };
}

function sameContent(a: AlertContent, b: AlertContent): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

interface Present {
  readonly component: string;
  readonly code: FindingCode;
  readonly content: AlertContent;
}

/** The alertable findings of a report by key. */
function presentFindings(report: ReportWithoutInstances): Map<string, Present> {
  const present = new Map<string, Present>();
  for (const component of report.components) {
    for (const finding of component.findings) {
      if (!isAlertable(finding, component, report.degraded)) continue;
      present.set(alertKey(component.name, finding.code), {
        component: component.name,
        code: finding.code,
        content: contentOf(finding, component),
      });
    }
  }
  return present;
}

/** Advances every alert by one reconcile. Pure: same input, deep-equal output. */
export function stepAlerts(
  previous: AlertStates,
  report: ReportWithoutInstances,
  nowMs: number,
  settings: AlertSettings,
): AlertStep {
  const present = presentFindings(report);
  const verdicts = new Map(report.components.map((c) => [c.name, c.verdict]));
  const states = new Map<string, AlertState>();
  const upserted: AlertState[] = [];
  const removed: string[] = [];
  const transitions: AlertTransition[] = [];
  const held = (state: AlertState) =>
    state.streak >= settings.confirmations && nowMs - state.streakSinceMs >= settings.forMs;
  const keep = (key: string, state: AlertState, changed: boolean) => {
    states.set(key, state);
    if (changed) upserted.push(state);
  };
  const fireIfHeld = (key: string, pending: AlertState) => {
    if (!held(pending)) return keep(key, pending, true);
    const firing: AlertState = {
      ...pending,
      status: 'firing',
      streak: 0,
      streakSinceMs: nowMs,
      firingSinceMs: nowMs,
      notifiedAtMs: nowMs,
      severity: pending.content.severity,
    };
    keep(key, firing, true);
    transitions.push({ kind: 'firing', state: firing });
  };
  const repeatIfDue = (key: string, firing: AlertState, changed: boolean) => {
    if (firing.streak > 0 || nowMs - (firing.notifiedAtMs ?? nowMs) < settings.repeatMs) {
      return keep(key, firing, changed);
    }
    const repeated: AlertState = { ...firing, notifiedAtMs: nowMs };
    keep(key, repeated, true);
    transitions.push({ kind: 'repeat', state: repeated });
  };

  const keys = [...new Set([...previous.keys(), ...present.keys()])].sort();
  for (const key of keys) {
    const state = previous.get(key);
    const seen = present.get(key);
    if (state === undefined) {
      // A key with no state came from `present`: the check only narrows the type.
      if (!seen) continue;
      fireIfHeld(key, {
        component: seen.component,
        code: seen.code,
        status: 'pending',
        streak: 1,
        streakSinceMs: nowMs,
        firingSinceMs: null,
        notifiedAtMs: null,
        severity: seen.content.severity,
        content: seen.content,
      });
      continue;
    }
    if (isFrozen(report, verdicts, state)) {
      if (state.status === 'firing') repeatIfDue(key, state, false);
      else keep(key, state, false);
      continue;
    }
    if (state.status === 'pending') {
      if (!seen) {
        removed.push(key);
        continue;
      }
      fireIfHeld(key, {
        ...state,
        streak: state.streak + 1,
        severity: seen.content.severity,
        content: seen.content,
      });
      continue;
    }
    if (seen) {
      const changed = state.streak > 0 || !sameContent(state.content, seen.content);
      const holding = changed ? { ...state, streak: 0, content: seen.content } : state;
      repeatIfDue(key, holding, changed);
      continue;
    }
    const absent: AlertState = {
      ...state,
      streak: state.streak + 1,
      streakSinceMs: state.streak === 0 ? nowMs : state.streakSinceMs,
    };
    if (held(absent)) {
      removed.push(key);
      transitions.push({ kind: 'resolved', state: absent });
    } else {
      keep(key, absent, true);
    }
  }
  return { states, upserted, removed, transitions };
}
