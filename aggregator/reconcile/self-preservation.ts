/**
 * Self-preservation beyond a Redis outage (after Netflix Eureka): when most of the instances that
 * were live stop renewing at once, the likelier story is that the aggregator stopped hearing
 * them (a partition between the fleet and Redis, a broken feed), not that the fleet died. The
 * aggregator then takes itself for blind, exactly as when Redis is down: the reference time
 * freezes at the collapse, so nothing ages into `gone`, the verdict is `degraded` and
 * DATA_DEGRADED replaces MISSING_INSTANCES.
 *
 * It holds until renewals come back — until as many instances renew as (1 − threshold) of those
 * that were live before, new instances included (a replacement fleet ends it too) — or for at
 * most `maxHoldMs`. Eureka recomputes its expected renewals every 15 minutes for the same reason:
 * a fleet that really shrank (instances killed without a goodbye and not replaced) must not keep
 * the aggregator blind, and remediation paused, for ever. Past the hold the losses are taken as
 * real: the silent instances age into `gone`, and MISSING_INSTANCES follows if the count is short.
 */
import type { CollectorHealth, InstanceRecord } from '../model';
import { plural } from './text';

/** A collapse of renewals in progress. */
export interface SelfPreservationEpisode {
  /** The last renewal heard from the instances that fell silent (ms): ages are frozen there. */
  readonly sinceMs: number;
  /** When the collapse was noticed (ms): the hold is counted from here. */
  readonly detectedAtMs: number;
  /** Instances that were live when it began: renewals must come back to (1 − threshold) of it. */
  readonly expected: number;
  /** How many of them had stopped renewing, for the message. */
  readonly silent: number;
}

/** What self-preservation carries from one reconcile to the next. */
export interface SelfPreservationMemory {
  /** When renewals were last judged (ms): the instances live then are the ones judged next time. */
  readonly checkedAtMs: number;
  /** null while renewals are normal. */
  readonly episode: SelfPreservationEpisode | null;
}

/** SELF_PRESERVATION_THRESHOLD's default, and the smallest fleet judged at all. */
export const SELF_PRESERVATION_DEFAULTS = Object.freeze({
  threshold: 0.5,
  // Two instances going quiet together is ordinary (a node restart); it says nothing about us.
  minInstances: 3,
  // Long enough to ride out a partition or a Redis failover, short enough that a fleet that
  // really shrank is reported within minutes.
  maxHoldMs: 5 * 60_000,
});

export interface SelfPreservationResult {
  /** The collector's health as the reconcile must use it: blind while self-preservation holds. */
  readonly collector: CollectorHealth;
  /** null when there is nothing to carry (no episode, and too few instances to judge next time). */
  readonly memory: SelfPreservationMemory | null;
}

/**
 * What self-preservation reads of each record, a column each: judging renewals then touches no
 * record, which at 100k instances scattered over the heap is what the judgement cost.
 */
export interface RenewalColumns {
  readonly count: number;
  readonly lastSeenMs: Float64Array;
  /** NaN: no goodbye. */
  readonly leftAtMs: Float64Array;
  readonly intervalMs: Float64Array;
  readonly ttlMs: Float64Array;
}

/** Columns for `count` records, to be filled by writeRenewal or copyRenewal. */
export function emptyRenewals(count: number): RenewalColumns {
  return {
    count,
    lastSeenMs: new Float64Array(count),
    leftAtMs: new Float64Array(count),
    intervalMs: new Float64Array(count),
    ttlMs: new Float64Array(count),
  };
}

/** Row `i` of `to` from `record`. */
export function writeRenewal(record: InstanceRecord, to: RenewalColumns, i: number): void {
  to.lastSeenMs[i] = record.lastSeenMs;
  to.leftAtMs[i] = record.leftAtMs ?? Number.NaN;
  to.intervalMs[i] = record.heartbeat.interval_ms;
  to.ttlMs[i] = record.heartbeat.ttl_ms;
}

/** Row `i` of `to` from row `j` of `from`. */
export function copyRenewal(from: RenewalColumns, j: number, to: RenewalColumns, i: number): void {
  to.lastSeenMs[i] = from.lastSeenMs[j] as number;
  to.leftAtMs[i] = from.leftAtMs[j] as number;
  to.intervalMs[i] = from.intervalMs[j] as number;
  to.ttlMs[i] = from.ttlMs[j] as number;
}

/** The columns of `records`. */
export function renewalsOf(records: readonly InstanceRecord[]): RenewalColumns {
  const columns = emptyRenewals(records.length);
  records.forEach((record, i) => writeRenewal(record, columns, i));
  return columns;
}

/**
 * Judges whether renewals collapsed since the previous reconcile. The instances judged are those
 * live at the previous check or since (last heartbeat younger than their staleness period then,
 * no goodbye), provided that check lies within one staleness period; one has
 * stopped renewing once it missed two beats (older than 2 × its interval: the `suspect`
 * threshold). More than `threshold` of at least `minInstances` of them silent → blind. Nothing
 * is judged at the first reconcile (nothing was seen live before), nor while the collector is
 * blind anyway (a running episode is kept, and its moment of blindness wins if earlier).
 */
export function selfPreservation(
  renewals: RenewalColumns,
  collector: CollectorHealth,
  nowMs: number,
  staleAfterMs: number | null,
  threshold: number,
  previous: SelfPreservationMemory | null,
): SelfPreservationResult {
  const episode = previous?.episode ?? null;
  if (!collector.healthy) {
    if (episode === null) return { collector, memory: previous };
    const blindSinceMs =
      collector.blindSinceMs === null ? episode.sinceMs : Math.min(collector.blindSinceMs, episode.sinceMs);
    return { collector: { ...collector, blindSinceMs }, memory: previous };
  }
  const { count, lastSeenMs, leftAtMs, intervalMs, ttlMs } = renewals;
  let present = 0;
  let renewing = 0;
  let base = 0;
  let silent = 0;
  let lastHeardMs = Number.NEGATIVE_INFINITY;
  // A goodbye heard since the collapse is as good as a renewal: the aggregator is not blind to
  // that instance, it left on purpose (a restart that replaced the silent ones ends the episode).
  let leftSince = 0;
  for (let i = 0; i < count; i++) {
    const leftAt = leftAtMs[i] as number;
    if (leftAt === leftAt) {
      // Not NaN: it said goodbye.
      if (episode !== null && leftAt >= episode.sinceMs) leftSince++;
      continue;
    }
    const seenMs = lastSeenMs[i] as number;
    const renews = nowMs - seenMs <= 2 * (intervalMs[i] as number);
    present++;
    if (renews) renewing++;
    if (previous === null) continue;
    const checkedAtMs = previous.checkedAtMs;
    const window = staleAfterMs ?? (ttlMs[i] as number);
    // Heard since the check counts too: a fleet growing while some fall silent is not a collapse.
    const liveThen = nowMs - checkedAtMs <= window && checkedAtMs - seenMs < window;
    if (!liveThen) continue;
    base++;
    if (!renews) {
      silent++;
      lastHeardMs = Math.max(lastHeardMs, seenMs);
    }
  }

  if (episode !== null) {
    const held = nowMs - episode.detectedAtMs < SELF_PRESERVATION_DEFAULTS.maxHoldMs;
    if (held && renewing + leftSince < (1 - threshold) * episode.expected) {
      return { collector: blind(episode, threshold), memory: { checkedAtMs: nowMs, episode } };
    }
  } else if (base >= SELF_PRESERVATION_DEFAULTS.minInstances && silent > threshold * base) {
    const started: SelfPreservationEpisode = {
      sinceMs: lastHeardMs,
      detectedAtMs: nowMs,
      expected: base,
      silent,
    };
    return { collector: blind(started, threshold), memory: { checkedAtMs: nowMs, episode: started } };
  }
  const judgeNextTime = present >= SELF_PRESERVATION_DEFAULTS.minInstances;
  return { collector, memory: judgeNextTime ? { checkedAtMs: nowMs, episode: null } : null };
}

function blind(episode: SelfPreservationEpisode, threshold: number): CollectorHealth {
  return {
    healthy: false,
    blindSinceMs: episode.sinceMs,
    detail:
      `${episode.silent} of ${plural(episode.expected, 'instance')} that were live stopped renewing at once ` +
      `(more than ${Math.round(threshold * 100)}%: self-preservation takes that for the aggregator's blindness, ` +
      `not the fleet's death, until renewals come back or for at most ` +
      `${SELF_PRESERVATION_DEFAULTS.maxHoldMs / 60_000} min)`,
  };
}
