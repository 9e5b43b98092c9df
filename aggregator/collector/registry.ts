/**
 * The in-memory registry of instances: the one place a heartbeat is applied, whichever way it
 * came (feed, resync, HTTP ingest, relay). Applying is idempotent and order-aware, so the same
 * heartbeat arriving twice, or an old one arriving late, changes nothing.
 */
import type { Heartbeat } from '../../shared/heartbeat';
import type { InstanceRecord, SnapshotChanges } from '../model';
import type { RecordedHeartbeat } from '../model/instance-record';
import { recordedHeartbeat } from './recorded-heartbeat';

/**
 * What applying one heartbeat did. A closed set: it is a metric label
 * (`replica_watch_heartbeats_applied_total{outcome}`).
 * - new: first time this instance id is seen;
 * - updated: a newer heartbeat of a known instance (or a newer boot of it: a restart);
 * - left: a goodbye was recorded;
 * - duplicate: already applied (same boot, seq not newer): ignored;
 * - out_of_order: from an older boot, or from a boot that already said goodbye: ignored.
 */
export const APPLY_OUTCOMES = ['new', 'updated', 'left', 'duplicate', 'out_of_order'] as const;
export type ApplyOutcome = (typeof APPLY_OUTCOMES)[number];

/** Called for every heartbeat applied (duplicates included); feeds the applied-heartbeats metric. */
export type AppliedHook = (outcome: ApplyOutcome, heartbeat: Heartbeat) => void;

/**
 * How long a gone or left instance is remembered (and its Redis index entry kept): long enough to
 * show it through a few reconcile and alert cycles, short enough that the leftovers of a rolling
 * deploy fade from the report. The registry owns it; the collectors evict and prune by it.
 */
export const DEFAULT_RETENTION_MS = 10 * 60_000;

export interface InstanceRegistryOptions {
  /** How long gone and left instances are remembered; default DEFAULT_RETENTION_MS. Must exceed the agents' TTL. */
  readonly retentionMs?: number;
}

/**
 * Orders two heartbeats of one instance id by (started_at, boot_id): which agent run is newer.
 * boot_id breaks the tie of two runs started in the same millisecond, so that every aggregator
 * picks the same winner.
 */
function compareBoots(a: Heartbeat, b: RecordedHeartbeat): number {
  if (a.started_at !== b.started_at) return a.started_at < b.started_at ? -1 : 1;
  if (a.boot_id === b.boot_id) return 0;
  return a.boot_id < b.boot_id ? -1 : 1;
}

/** Instance id → latest record, in a Map: O(1) per heartbeat, fine at 100k instances. */
export class InstanceRegistry {
  // Records are immutable and replaced whole on update, so a snapshot can share them safely.
  // Each id has one slot holding its latest record and its place in `records`, which keeps the
  // records in id order (code points): a snapshot is a copy of that array, already sorted,
  // without reading a record (at 100k records scattered over the heap, reading each is what a
  // snapshot cost), and the reconciler, which lines each snapshot up with the previous one,
  // finds most records at the same place. Only a new id unsorts it.
  private readonly slots = new Map<string, Slot>();
  private ordered: Slot[] = [];
  private records: InstanceRecord[] = [];
  private orderedSorted = true;
  /** No record expires before this (ms): evict() has nothing to forget until after it. */
  private nextExpiryMs = Number.POSITIVE_INFINITY;
  // What changed since the last snapshot, for changes(): the places of replaced records, each
  // once, unless an id came or went (then the places themselves moved and no hint is given).
  private latest: InstanceRecord[] | null = null;
  private replaced: number[] = [];
  private replacedFlags = new Uint8Array(0);
  private moved = true;
  private lastChanges: SnapshotChanges | null = null;
  /** How long gone and left instances are remembered (see DEFAULT_RETENTION_MS). */
  readonly retentionMs: number;

  constructor(options: InstanceRegistryOptions = {}) {
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  }

  /** Applies one heartbeat (or goodbye) seen at `seenAtMs`. O(1). */
  apply(heartbeat: Heartbeat, seenAtMs: number): ApplyOutcome {
    const id = heartbeat.instance_id;
    const slot = this.slots.get(id);
    const goodbye = heartbeat.type === 'goodbye';
    if (!slot) {
      // A goodbye of an instance never seen (e.g. it heartbeated before this aggregator
      // started) is still worth keeping: the instance may be draining and shows as `left`.
      const added: Slot = {
        id,
        record: record(heartbeat, seenAtMs, seenAtMs, goodbye ? seenAtMs : null, seenAtMs, null),
        index: this.ordered.length,
      };
      this.slots.set(id, added);
      const last = this.ordered[this.ordered.length - 1];
      if (last !== undefined && id < last.id) this.orderedSorted = false;
      this.ordered.push(added);
      this.records.push(added.record);
      this.moved = true;
      this.nextExpiryMs = Math.min(this.nextExpiryMs, this.expiryOf(added.record));
      return goodbye ? 'left' : 'new';
    }
    const previous = slot.record;
    const recorded = previous.heartbeat;
    const order = compareBoots(heartbeat, recorded);
    if (order < 0) return 'out_of_order';
    if (order === 0) {
      // An agent may number its goodbye like its last heartbeat; a goodbye must never be lost
      // as a "duplicate" of the heartbeat before it.
      const goodbyeAfterSameSeq = goodbye && recorded.type !== 'goodbye' && heartbeat.seq === recorded.seq;
      if (heartbeat.seq <= recorded.seq && !goodbyeAfterSameSeq) return 'duplicate';
      // A boot that said goodbye has had its last word; only a new boot brings the id back.
      if (previous.leftAtMs !== null) return 'out_of_order';
    }
    // Clocks differ a little between Redis (feed, resync) and this process (HTTP ingest):
    // last-seen never moves backwards.
    const lastSeenMs = Math.max(previous.lastSeenMs, seenAtMs);
    slot.record = record(
      heartbeat,
      lastSeenMs,
      previous.firstSeenMs,
      goodbye ? lastSeenMs : null,
      seenAtMs,
      previous,
    );
    this.records[slot.index] = slot.record;
    if (!this.moved && this.replacedFlags[slot.index] === 0) {
      this.replacedFlags[slot.index] = 1;
      this.replaced.push(slot.index);
    }
    // An update only moves the expiry later: nextExpiryMs stays a lower bound.
    return goodbye ? 'left' : 'updated';
  }

  /** Every record, by instance id (code-point order), in a fresh array (the records themselves are immutable). O(n). */
  snapshot(): InstanceRecord[] {
    if (!this.orderedSorted) {
      // UTF-16 code-unit order, the same as the reconciler's compareStrings. Sorted but for the
      // ids added since: TimSort merges them in about one pass.
      this.ordered.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      this.reindex();
      this.orderedSorted = true;
    }
    const records = this.records.slice();
    const basis = this.latest;
    this.lastChanges = this.moved || basis === null ? null : { basis, positions: this.replaced };
    if (this.moved) this.replacedFlags = new Uint8Array(records.length);
    else for (const position of this.replaced) this.replacedFlags[position] = 0;
    this.replaced = [];
    this.moved = false;
    this.latest = records;
    return records;
  }

  /**
   * What changed between the snapshot before the latest one and the latest one (see
   * SnapshotChanges); null after the first snapshot, or when an instance came or went between
   * the two (then the reconciler lines the records up itself).
   */
  changes(): SnapshotChanges | null {
    return this.lastChanges;
  }

  get(instanceId: string): InstanceRecord | undefined {
    return this.slots.get(instanceId)?.record;
  }

  get size(): number {
    return this.slots.size;
  }

  /**
   * Forgets instances last seen (or left) more than `retentionMs` before `nowMs`: gone and left
   * instances stay visible that long, then the registry stops growing with them. Returns how
   * many were removed. O(n).
   */
  evict(nowMs: number): number {
    // Called once per reconcile: the scan is done only once a record may have expired.
    if (nowMs <= this.nextExpiryMs) return 0;
    let removed = 0;
    let nextExpiryMs = Number.POSITIVE_INFINITY;
    for (const [id, { record: rec }] of this.slots) {
      const expiryMs = this.expiryOf(rec);
      if (expiryMs < nowMs) {
        this.slots.delete(id);
        removed++;
      } else {
        nextExpiryMs = Math.min(nextExpiryMs, expiryMs);
      }
    }
    this.nextExpiryMs = nextExpiryMs;
    if (removed > 0) {
      this.ordered = this.ordered.filter((slot) => this.slots.has(slot.id));
      this.reindex();
      this.moved = true;
    }
    return removed;
  }

  /** When a record expires: `retentionMs` after it was last seen or said goodbye; forgotten after that. */
  private expiryOf(rec: InstanceRecord): number {
    return Math.max(rec.lastSeenMs, rec.leftAtMs ?? 0) + this.retentionMs;
  }

  /** Places every slot's record in `records` by the slot's place in `ordered`. */
  private reindex(): void {
    this.records = this.ordered.map((slot, index) => {
      slot.index = index;
      return slot.record;
    });
  }
}

/** The one place an instance's latest record lives (see InstanceRegistry's fields). */
interface Slot {
  readonly id: string;
  record: InstanceRecord;
  /** Its place in the registry's `records` (and `ordered`). */
  index: number;
}

function record(
  heartbeat: Heartbeat,
  lastSeenMs: number,
  firstSeenMs: number,
  leftAtMs: number | null,
  recordedAtMs: number,
  previous: InstanceRecord | null,
): InstanceRecord {
  const kept = recordedHeartbeat(heartbeat, previous?.heartbeat ?? null);
  return Object.freeze({
    instanceId: kept.instance_id,
    component: kept.component,
    heartbeat: kept,
    lastSeenMs,
    firstSeenMs,
    leftAtMs,
    clockOffsetMs: heartbeat.sent_at - recordedAtMs,
  });
}
