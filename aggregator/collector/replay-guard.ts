/**
 * The replay guard of signed heartbeats. A signature proves who wrote a heartbeat, not when: a
 * copy read from Redis or the wire can be sent again. The guard never trusts an agent's clock to
 * be right, only to be consistent within one boot:
 * - liveness is by recording time (Redis time, or the receive time on HTTP), never `sent_at`;
 * - a boot the registry knows: a seq not newer is the registry's duplicate (nothing changes); a
 *   newer seq whose clock offset (`sent_at` − recording time) fell more than its TTL below the
 *   boot's known offset was recorded long after it was sent: a held-back copy, refused;
 * - a boot it does not know, with an offset within the TTL: admitted;
 * - a boot it does not know, off by more than the TTL: a skewed clock or a replayed capture, which
 *   one heartbeat cannot tell apart. It is held back as a candidate, and the boot is admitted when
 *   a second heartbeat with a newer seq confirms the offset (within the TTL). A lone replayed copy
 *   never gets one; a skewed agent gets one an interval later, and its skew shows as CLOCK_SKEW.
 * What it cannot catch: a stream of captures of a boot this aggregator never saw, replayed at
 * their original pace (docs/replica-monitoring.md, "Signed heartbeats").
 */
import type { Heartbeat } from '../../shared/heartbeat';
import type { InstanceRecord } from '../model';

/** How many unconfirmed boots are remembered; past it the oldest is dropped (it must start over). */
export const MAX_UNCONFIRMED_BOOTS = 10_000;

interface Candidate {
  readonly bootId: string;
  readonly seq: number;
  readonly offsetMs: number;
}

/** Judges signed heartbeats against what the registry knows; see the module comment. */
export class ReplayGuard {
  // Insertion order is age order: the first key is the oldest candidate.
  private readonly candidates = new Map<string, Candidate>();

  constructor(
    private readonly known: (instanceId: string) => InstanceRecord | undefined,
    private readonly capacity = MAX_UNCONFIRMED_BOOTS,
  ) {}

  /** null: admit this copy, recorded at `recordedAtMs`; else why it is refused as a replay. */
  judge(heartbeat: Heartbeat, recordedAtMs: number): string | null {
    const id = heartbeat.instance_id;
    const ttlMs = heartbeat.ttl_ms;
    const offsetMs = heartbeat.sent_at - recordedAtMs;
    const record = this.known(id);
    if (record !== undefined && record.heartbeat.boot_id === heartbeat.boot_id) {
      if (heartbeat.seq <= record.heartbeat.seq) return null;
      const lateByMs = record.clockOffsetMs - offsetMs;
      if (lateByMs <= ttlMs) return null;
      return (
        `recorded ${lateByMs} ms later than boot ${heartbeat.boot_id}'s clock says (more than its ttl_ms ` +
        `${ttlMs}): a held-back copy, or the agent's clock was set back`
      );
    }
    if (Math.abs(offsetMs) <= ttlMs) {
      this.candidates.delete(id);
      return null;
    }
    const candidate = this.candidates.get(id);
    if (
      candidate !== undefined &&
      candidate.bootId === heartbeat.boot_id &&
      heartbeat.seq > candidate.seq &&
      Math.abs(offsetMs - candidate.offsetMs) <= ttlMs
    ) {
      this.candidates.delete(id);
      return null;
    }
    this.remember(id, { bootId: heartbeat.boot_id, seq: heartbeat.seq, offsetMs });
    const direction = offsetMs < 0 ? 'behind' : 'ahead of';
    return (
      `sent_at is ${Math.abs(offsetMs)} ms ${direction} the recording clock, more than its ttl_ms (${ttlMs}), ` +
      `and boot ${heartbeat.boot_id} is new here: a replayed copy, or a skewed clock ` +
      '(admitted once a second heartbeat of this boot confirms the offset)'
    );
  }

  private remember(id: string, candidate: Candidate): void {
    this.candidates.delete(id);
    this.candidates.set(id, candidate);
    if (this.candidates.size > this.capacity) {
      const oldest = this.candidates.keys().next();
      if (!oldest.done) this.candidates.delete(oldest.value);
    }
  }
}
