/**
 * How alive an instance is, judged from its last heartbeat at a reference time. The reference
 * time is what makes self-preservation work: while the collector is blind it stays at the moment
 * it went blind, so no instance ages into `gone` because the aggregator stopped seeing heartbeats.
 */
import type { CollectorHealth, InstanceRecord } from '../model';
import type { InstanceState } from './report';

/**
 * The time ages are measured at: now while the collector is healthy, else
 * min(now, blindSinceMs). A blind collector that cannot say since when falls back to now.
 */
export function referenceTimeMs(nowMs: number, collector: CollectorHealth): number {
  if (collector.healthy || collector.blindSinceMs === null) return nowMs;
  return Math.min(nowMs, collector.blindSinceMs);
}

export interface InstanceStatus {
  readonly state: InstanceState;
  /** max(0, reference time − lastSeenMs). */
  readonly ageMs: number;
}

/**
 * left: it said goodbye. Otherwise, with staleAfter = staleAfterMs ?? the heartbeat's ttl_ms:
 * gone when age ≥ staleAfter; suspect when age > 2 × its interval (two beats missed); else live.
 */
export function instanceStatus(
  record: InstanceRecord,
  refNowMs: number,
  staleAfterMs: number | null,
): InstanceStatus {
  const ageMs = Math.max(0, refNowMs - record.lastSeenMs);
  if (record.leftAtMs !== null) return { state: 'left', ageMs };
  const staleAfter = staleAfterMs ?? record.heartbeat.ttl_ms;
  if (ageMs >= staleAfter) return { state: 'gone', ageMs };
  if (ageMs > 2 * record.heartbeat.interval_ms) return { state: 'suspect', ageMs };
  return { state: 'live', ageMs };
}

/** How long ago the instance was last seen, at the reference time: max(0, refNowMs − lastSeenMs). */
export function ageAt(record: InstanceRecord, refNowMs: number): number {
  return Math.max(0, refNowMs - record.lastSeenMs);
}

/**
 * The earliest reference time at which `state`, judged as instanceStatus judges it, may be
 * another (ms; Infinity: never while the reference time only moves forward). Early rather than
 * late: at that moment the state is judged again, and may well turn out the same.
 * - live: two beats missed (suspect), or the staleness period over (gone), whichever is first;
 * - suspect: the staleness period over;
 * - gone and left: final until a newer heartbeat replaces the record.
 */
export function stateChangesAtMs(
  record: InstanceRecord,
  state: InstanceState,
  staleAfterMs: number | null,
): number {
  if (state === 'gone' || state === 'left') return Number.POSITIVE_INFINITY;
  const goneAtMs = record.lastSeenMs + (staleAfterMs ?? record.heartbeat.ttl_ms);
  if (state === 'suspect') return goneAtMs;
  return Math.min(goneAtMs, record.lastSeenMs + 2 * record.heartbeat.interval_ms);
}

/** live and suspect instances are counted as running (`live`, `active_instances`). */
export function countsAsLive(state: InstanceState): boolean {
  return state === 'live' || state === 'suspect';
}

/**
 * A `left` instance within `graceMs` of its goodbye (measured at the reference time): if the
 * platform still lists it, it is draining (App Platform stops sending it traffic, then stops it),
 * not a zombie.
 */
export function withinDrainGrace(record: InstanceRecord, refNowMs: number, graceMs: number): boolean {
  return record.leftAtMs !== null && refNowMs - record.leftAtMs < graceMs;
}
