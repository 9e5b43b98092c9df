/**
 * Every instance classified, redoing only what changed since the previous reconcile.
 *
 * At 100k instances a reconcile that classified every record and rebuilt every component's facts
 * cost ~150 ms, and almost all of it was the same as the time before: a heartbeat of a live
 * instance renews it, and nothing its component's facts read changes. So the classification is
 * carried over in the reconcile's memory (an explicit input and output: the reconciler stays a
 * pure function), and an instance is classified again only when
 * - its record is another object (a newer heartbeat, a goodbye, a restart), or
 * - the deadline of its state has come (stateChangesAtMs: two beats missed, the staleness period
 *   over).
 * A component's facts are rebuilt only when one of its instances changed in a way the facts read
 * (`sameForFacts`); a renewal that changes nothing but the last-seen time and the stats leaves
 * them as they were. What the facts do not read (the instance list's ages and stats) is built
 * from the current records, never from the carried facts.
 *
 * The memory only holds while what it was judged under does: the same staleness and clock-skew
 * policy, and a reference time that did not move backwards (a collector that turns blind freezes
 * the reference time at the moment it went blind, which may bring gone instances back to life).
 * Otherwise everything is classified afresh. test/unit/reconcile-incremental.test.ts holds the
 * result to a full recomputation over random event sequences.
 */
import type { InstanceRecord, SnapshotChanges } from '../model';
import type { RenewalColumns } from './self-preservation';
import { copyRenewal, emptyRenewals, writeRenewal } from './self-preservation';
import type { ClassifiedInstance } from './facts';
import { classifyInstance } from './facts';
import { stateChangesAtMs } from './instance-state';

/** What a classification is judged under: another key, and none of the carried one holds. */
export interface ClassificationKey {
  readonly refNowMs: number;
  readonly staleAfterMs: number | null;
  readonly clockSkewMaxMs: number;
}

/** The classification one reconcile hands the next (IncrementalMemory.classification). */
export interface ClassificationMemory {
  readonly key: ClassificationKey;
  /** The reconcile's input, in its order: a record that is the same object is the same heartbeat. */
  readonly records: readonly InstanceRecord[];
  /** Their classification, aligned with `records`. */
  readonly classified: readonly ClassifiedInstance[];
  /** When each classification may change (ms; stateChangesAtMs), aligned with `records`. */
  readonly changesAtMs: Float64Array;
  /** What self-preservation reads of each record, aligned with `records`. */
  readonly renewals: RenewalColumns;
  /** How many records each component has. */
  readonly components: ReadonlyMap<string, number>;
  /**
   * Who may still update the buffers above in place: a reconcile that does bumps the owner's
   * generation, which makes this memory stale (`generation` no longer the owner's) and a later
   * reconcile given it again starts afresh instead of trusting buffers that moved on.
   */
  readonly owner: { generation: number };
  readonly generation: number;
}

/** Whether `memory`'s buffers are still as it left them (see ClassificationMemory.owner). */
function isCurrent(memory: ClassificationMemory): boolean {
  return memory.owner.generation === memory.generation;
}

/**
 * The records lined up with the previous reconcile's: for each, the index of the very same
 * record object there, or -1. Independent of the reference time, so that self-preservation,
 * which decides the reference time, can read the renewal columns first.
 */
export interface Alignment {
  readonly records: readonly InstanceRecord[];
  /** The memory lined up with: null when there was none, or it was stale (see ClassificationMemory.owner). */
  readonly carried: ClassificationMemory | null;
  /**
   * How the records line up with the carried ones: `walked`, the index into the carried records
   * of the same object, or -1 (new, replaced or out of order); `in place`, the same records in
   * the same places but at `positions`, replaced by newer records of the same instances.
   */
  readonly lineUp:
    | { readonly kind: 'walked'; readonly carriedIndex: Int32Array }
    | { readonly kind: 'in place'; readonly positions: readonly number[] };
  readonly renewals: RenewalColumns;
  /** Records per component, in the order the components first appear. */
  readonly components: ReadonlyMap<string, number>;
  /** Components that gained or lost a record (a record replaced in place is not counted here). */
  readonly touched: ReadonlySet<string>;
}

export interface Classification {
  /** Every record classified, in the input's order. */
  readonly classified: readonly ClassifiedInstance[];
  /**
   * The components whose facts may differ from the carried ones: an instance of theirs came,
   * went or changed what facts read. null: nothing was carried, every component is new.
   */
  readonly changed: ReadonlySet<string> | null;
  readonly memory: ClassificationMemory;
}

/**
 * Whether the facts built with `before` hold with `after` in its place: the same state (live or
 * suspect: a gone or left instance's age is shown, so its record is read), component,
 * generation, start, no failing probe (whose detail is shown), and a clock within the skew limit
 * on both (a skewed clock's offset is shown). Names are not facts: the pod name matters to the
 * draining of a `left` instance, never quiet, and the index by name is built from the current
 * records.
 */
function sameForFacts(
  before: ClassifiedInstance,
  after: ClassifiedInstance,
  clockSkewMaxMs: number,
): boolean {
  const a = before.record;
  const b = after.record;
  return (
    after.live &&
    before.state === after.state &&
    before.generation === after.generation &&
    before.explicit === after.explicit &&
    before.startedAtMs === after.startedAtMs &&
    !before.probeFails &&
    !after.probeFails &&
    a.component === b.component &&
    a.instanceId === b.instanceId &&
    a.leftAtMs === b.leftAtMs &&
    Math.abs(a.clockOffsetMs) <= clockSkewMaxMs &&
    Math.abs(b.clockOffsetMs) <= clockSkewMaxMs
  );
}

/** Records per component, kept up to date as records come, go and move (marking what they touch). */
class ComponentCounts {
  readonly counts: Map<string, number>;
  readonly touched = new Set<string>();

  constructor(from?: ReadonlyMap<string, number>) {
    this.counts = new Map(from);
  }

  count(name: string, by: number): void {
    this.touched.add(name);
    const left = (this.counts.get(name) ?? 0) + by;
    if (left === 0) this.counts.delete(name);
    else this.counts.set(name, left);
  }
}

/**
 * Lines `records` up with the carried ones. With the registry's word for what changed
 * (`changes`, whose basis must be the carried records) only the replaced records are read.
 * Otherwise: the records usually come in instance-id order (the registry's snapshot), and the
 * previous reconcile's in the same order, so the two lists are walked side by side, and a
 * record that is the same object as the one at the same place costs a pointer compare, without
 * reading the record. Any other order only costs more work, never a wrong answer: only the very
 * same record object is ever matched.
 */
export function alignRecords(
  records: readonly InstanceRecord[],
  carried: ClassificationMemory | null,
  changes: SnapshotChanges | null = null,
): Alignment {
  // A stale memory's buffers moved on with a later reconcile: nothing of it lines up.
  if (carried !== null && !isCurrent(carried)) return alignRecords(records, null);
  if (carried === null) {
    const renewals = emptyRenewals(records.length);
    const components = new ComponentCounts();
    records.forEach((record, i) => {
      writeRenewal(record, renewals, i);
      components.count(record.component, 1);
    });
    const carriedIndex = new Int32Array(records.length).fill(-1);
    return {
      records,
      carried: null,
      lineUp: { kind: 'walked', carriedIndex },
      renewals,
      components: components.counts,
      touched: new Set(),
    };
  }
  if (
    changes !== null &&
    isCurrent(carried) &&
    changes.basis === carried.records &&
    records.length === carried.records.length
  ) {
    const inPlace = alignInPlace(records, carried, changes.positions);
    if (inPlace !== null) {
      // Its buffers are this reconcile's now.
      carried.owner.generation++;
      return inPlace;
    }
  }
  return alignByWalk(records, carried);
}

/**
 * The in-place line-up; null when a position holds another instance than before (then walk).
 * The renewal columns are updated in place, the carried memory giving them up (see
 * ClassificationMemory.owner): at 100k instances a copy of them per reconcile was megabytes of
 * garbage a second, held until the next full collection.
 */
function alignInPlace(
  records: readonly InstanceRecord[],
  carried: ClassificationMemory,
  positions: readonly number[],
): Alignment | null {
  for (const position of positions) {
    const record = records[position];
    const old = carried.records[position];
    if (record === undefined || old === undefined || record.instanceId !== old.instanceId) return null;
  }
  const renewals = carried.renewals;
  const components = new ComponentCounts(carried.components);
  for (const position of positions) {
    const record = records[position] as InstanceRecord;
    const old = carried.records[position] as InstanceRecord;
    writeRenewal(record, renewals, position);
    if (record.component !== old.component) {
      components.count(old.component, -1);
      components.count(record.component, 1);
    }
  }
  return {
    records,
    carried,
    lineUp: { kind: 'in place', positions },
    renewals,
    components: components.counts,
    touched: components.touched,
  };
}

function alignByWalk(records: readonly InstanceRecord[], carried: ClassificationMemory): Alignment {
  const carriedIndex = new Int32Array(records.length).fill(-1);
  const renewals = emptyRenewals(records.length);
  const components = new ComponentCounts(carried.components);
  const count = (name: string, by: number) => components.count(name, by);
  const before = carried.records;
  let j = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as InstanceRecord;
    if (before[j] === record) {
      carriedIndex[i] = j;
      copyRenewal(carried.renewals, j, renewals, i);
      j++;
      continue;
    }
    // Skip what the previous input held before this id: gone from the registry since.
    while (j < before.length && (before[j] as InstanceRecord).instanceId < record.instanceId) {
      count((before[j] as InstanceRecord).component, -1);
      j++;
    }
    const old = before[j];
    if (old === record) {
      carriedIndex[i] = j;
      copyRenewal(carried.renewals, j, renewals, i);
      j++;
      continue;
    }
    writeRenewal(record, renewals, i);
    if (old !== undefined && old.instanceId === record.instanceId) {
      j++;
      // Replaced in place by a newer record: whether that changes its component's facts is the
      // classification's to say. Moved to another component, it left one and joined the other.
      if (old.component === record.component) continue;
      count(old.component, -1);
    }
    count(record.component, 1);
  }
  for (; j < before.length; j++) count((before[j] as InstanceRecord).component, -1);
  return {
    records,
    carried,
    lineUp: { kind: 'walked', carriedIndex },
    renewals,
    components: components.counts,
    touched: components.touched,
  };
}

/** Whether a carried classification may be used under `key`. */
function holdsUnder(
  memory: ClassificationMemory | null,
  key: ClassificationKey,
): memory is ClassificationMemory {
  return (
    memory !== null &&
    memory.key.staleAfterMs === key.staleAfterMs &&
    memory.key.clockSkewMaxMs === key.clockSkewMaxMs &&
    key.refNowMs >= memory.key.refNowMs
  );
}

/** Classifies the aligned records at `key.refNowMs`, reusing what the memory lined up with classified where it still holds. */
export function classifyRecords(aligned: Alignment, key: ClassificationKey): Classification {
  const { records, lineUp, carried } = aligned;
  const { refNowMs, staleAfterMs, clockSkewMaxMs } = key;
  const reusable = holdsUnder(carried, key);
  // In place (alignRecords took the carried buffers over), the carried classification is the
  // starting point and is updated where it stands; otherwise it is built anew.
  const inPlace = reusable && lineUp.kind === 'in place';
  const classified: ClassifiedInstance[] = inPlace
    ? (carried.classified as ClassifiedInstance[])
    : new Array<ClassifiedInstance>(records.length);
  const changesAtMs = inPlace ? carried.changesAtMs : new Float64Array(records.length);
  const fresh = (index: number, record: InstanceRecord): ClassifiedInstance => {
    const instance = classifyInstance(record, refNowMs, staleAfterMs);
    classified[index] = instance;
    changesAtMs[index] = stateChangesAtMs(record, instance.state, staleAfterMs);
    return instance;
  };
  // In place the owner is the carried one (its generation bumped by alignRecords); else a new one.
  const owner = lineUp.kind === 'in place' && carried !== null ? carried.owner : { generation: 0 };
  const memory: ClassificationMemory = {
    key,
    records,
    classified,
    changesAtMs,
    renewals: aligned.renewals,
    components: aligned.components,
    owner,
    generation: owner.generation,
  };
  if (!reusable) {
    records.forEach((record, i) => fresh(i, record));
    return { classified, changed: null, memory };
  }
  const changed = new Set(aligned.touched);
  // A renewal that changes nothing the facts read leaves them as they were.
  const judgeReplaced = (index: number, record: InstanceRecord, before: ClassifiedInstance) => {
    if (!sameForFacts(before, fresh(index, record), clockSkewMaxMs)) changed.add(record.component);
  };
  // A kept record whose state's deadline came is judged again.
  const judgeKept = (index: number, record: InstanceRecord, kept: ClassifiedInstance, untilMs: number) => {
    if (refNowMs < untilMs) {
      classified[index] = kept;
      changesAtMs[index] = untilMs;
    } else if (fresh(index, record).state !== kept.state) {
      changed.add(record.component);
    }
  };

  if (lineUp.kind === 'in place') {
    for (const position of lineUp.positions) {
      const before = carried.classified[position] as ClassifiedInstance;
      judgeReplaced(position, records[position] as InstanceRecord, before);
    }
    // The deadlines are one typed array: only the records whose deadline came are read.
    for (let i = 0; i < records.length; i++) {
      const untilMs = changesAtMs[i] as number;
      if (refNowMs >= untilMs) {
        judgeKept(i, records[i] as InstanceRecord, classified[i] as ClassifiedInstance, untilMs);
      }
    }
    return { classified, changed, memory };
  }

  // A replaced record's predecessor is found by walking the carried list alongside, as
  // alignByWalk did: in id order it is the next one not matched.
  const { carriedIndex } = lineUp;
  const before = carried.records;
  let j = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as InstanceRecord;
    const at = carriedIndex[i] as number;
    if (at >= 0) {
      j = at + 1;
      judgeKept(i, record, carried.classified[at] as ClassifiedInstance, carried.changesAtMs[at] as number);
      continue;
    }
    while (j < before.length && (before[j] as InstanceRecord).instanceId < record.instanceId) j++;
    const old = before[j];
    if (old !== undefined && old.instanceId === record.instanceId) {
      judgeReplaced(i, record, carried.classified[j] as ClassifiedInstance);
      j++;
    } else {
      // New: its component is touched already.
      fresh(i, record);
    }
  }
  return { classified, changed, memory };
}
