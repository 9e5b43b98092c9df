/**
 * "worsening": whether a component's surplus (or gap) has grown within a window, the pattern of
 * the reported problem (6 ready for 2 wanted, 4 surplus, then 6). The reconciler keeps, per
 * component, a few runs of equal deviation in its memory and annotates SURPLUS_INSTANCES and
 * MISSING_INSTANCES when the deviation now is larger than at the start of the same episode
 * (the latest runs of one sign) within the window.
 *
 * The deviation is kept rather than the live count: when the spec's count changes, a live count
 * alone would read as growth that is none.
 */
import type { DesiredRange } from '../model';
import type { Finding, FindingTrend } from './report';
import { formatDuration, isoTime } from './text';

/** How far back a surplus or gap is compared: long enough to see a slow leak of orphans. */
export const WORSENING_WINDOW_MS = 60 * 60_000;

// Runs kept per component: a count that flaps every reconcile must not grow the memory; the
// oldest runs go first, and they matter least.
const MAX_RUNS = 32;

/** A stretch of reconciles over which a component's deviation stayed the same. */
export interface DeviationRun {
  /** live − max when above the desired range, live − min (negative) when below, else 0. */
  readonly deviation: number;
  /** First and last reconcile (ms) that saw it. */
  readonly fromMs: number;
  readonly toMs: number;
}

/** Component name → its runs, oldest first. */
export type DeviationMemory = Readonly<Record<string, readonly DeviationRun[]>>;

/** What one reconcile tells about a component; null when its count cannot be judged now. */
export interface DeviationObservation {
  readonly live: number;
  readonly desired: DesiredRange;
}

export interface Worsening {
  /** A surplus grew (SURPLUS_INSTANCES) or a gap did (MISSING_INSTANCES). */
  readonly kind: 'surplus' | 'gap';
  readonly from: number;
  readonly to: number;
  /** When the episode stood at `from` (ms; no earlier than the window's start). */
  readonly sinceMs: number;
}

export interface TrendResult {
  /** The runs to remember (pruned to the window); empty when there is nothing to remember. */
  readonly runs: readonly DeviationRun[];
  /** Set when the surplus or gap now is larger than at the start of its episode in the window. */
  readonly worsening: Worsening | null;
}

/** Signed distance of `live` from the desired range: + surplus, − gap, 0 inside. */
export function deviationOf(live: number, desired: DesiredRange): number {
  if (live > desired.max) return live - desired.max;
  if (live < desired.min) return live - desired.min;
  return 0;
}

/**
 * Adds this reconcile's observation to the runs and compares it with the current episode (the
 * latest runs of the same sign) within the window. Without an observation (collector blind,
 * rollout in progress, desired unknown) the runs are only pruned: a count that cannot be trusted
 * is neither remembered nor compared.
 */
export function observeTrend(
  previous: readonly DeviationRun[] | undefined,
  observation: DeviationObservation | null,
  nowMs: number,
  windowMs: number,
): TrendResult {
  const windowStartMs = nowMs - windowMs;
  const kept = (previous ?? []).filter((run) => run.toMs >= windowStartMs && run.fromMs <= nowMs);
  if (observation === null) return { runs: kept, worsening: null };

  const deviation = deviationOf(observation.live, observation.desired);
  const last = kept[kept.length - 1];
  const runs =
    last !== undefined && last.deviation === deviation
      ? [...kept.slice(0, -1), { ...last, toMs: Math.max(last.toMs, nowMs) }]
      : [...kept, { deviation, fromMs: nowMs, toMs: nowMs }];
  const bounded = runs.slice(-MAX_RUNS);
  return { runs: bounded, worsening: deviation === 0 ? null : worseningOf(bounded, windowStartMs) };
}

/**
 * Net growth over the current episode: the deviation now against the earliest one of the latest
 * runs of the same sign within the window. A dip and a return to the same size is no growth, so
 * a count that wobbles around one value does not read as worsening.
 */
function worseningOf(runs: readonly DeviationRun[], windowStartMs: number): Worsening | null {
  const current = runs[runs.length - 1];
  if (current === undefined) return null;
  const sign = Math.sign(current.deviation);
  let first = current;
  for (let i = runs.length - 2; i >= 0; i--) {
    const run = runs[i];
    // An episode ends where the deviation changed sign or vanished: a new surplus after a
    // healthy spell is a new problem, not the old one growing.
    if (run === undefined || Math.sign(run.deviation) !== sign) break;
    first = run;
  }
  if (Math.abs(first.deviation) >= Math.abs(current.deviation)) return null;
  return {
    kind: sign > 0 ? 'surplus' : 'gap',
    from: Math.abs(first.deviation),
    to: Math.abs(current.deviation),
    sinceMs: Math.max(first.fromMs, windowStartMs),
  };
}

/**
 * Annotates the finding the deviation belongs to (SURPLUS_INSTANCES for a surplus,
 * MISSING_INSTANCES for a gap): "; worsening: 4 → 6 within 1 h" and a machine-readable `trend`.
 */
export function withWorsening(
  findings: readonly Finding[],
  worsening: Worsening | null,
  windowMs: number,
): Finding[] {
  if (worsening === null) return [...findings];
  const code = worsening.kind === 'surplus' ? 'SURPLUS_INSTANCES' : 'MISSING_INSTANCES';
  return findings.map((f) => {
    if (f.code !== code) return f;
    const trend: FindingTrend = {
      direction: 'worsening',
      from: worsening.from,
      to: worsening.to,
      since: isoTime(worsening.sinceMs),
      window_ms: windowMs,
    };
    const message = `${f.message}; worsening: ${worsening.from} → ${worsening.to} within ${formatDuration(windowMs)}`;
    return { ...f, message, trend };
  });
}
