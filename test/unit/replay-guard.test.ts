/** The replay guard: consistent clocks within a boot, never the agent's clock being right. */
import type { InstanceRecord } from '../../aggregator/model';
import { ReplayGuard } from '../../aggregator/collector/replay-guard';
import type { Heartbeat } from '../../shared/heartbeat';
import { makeHeartbeat } from '../support/heartbeats';

const T0 = 1_800_000_000_000;
const TTL = 30_000;

function hb(seq: number, sentAt: number, bootId = 'boot-1'): Heartbeat {
  return makeHeartbeat({
    instance_id: 'i-1',
    boot_id: bootId,
    seq,
    sent_at: sentAt,
    ttl_ms: TTL,
    started_at: T0 - 1,
  });
}

function known(heartbeat: Heartbeat, recordedAtMs: number): InstanceRecord {
  return {
    instanceId: heartbeat.instance_id,
    component: heartbeat.component,
    heartbeat,
    lastSeenMs: recordedAtMs,
    firstSeenMs: recordedAtMs,
    leftAtMs: null,
    clockOffsetMs: heartbeat.sent_at - recordedAtMs,
  };
}

describe('ReplayGuard', () => {
  it('admits a new boot whose clock is within its TTL of the recording clock, either way', () => {
    const guard = new ReplayGuard(() => undefined);
    expect(guard.judge(hb(1, T0 - TTL), T0)).toBeNull();
    expect(guard.judge(hb(1, T0 + TTL), T0)).toBeNull();
  });

  it('holds back a new boot off by more than its TTL until a newer seq confirms the offset', () => {
    const guard = new ReplayGuard(() => undefined);
    expect(guard.judge(hb(7, T0 - 60_000), T0)).toMatch(/60000 ms behind .* boot boot-1 is new here/);
    // The same seq again (a copy) confirms nothing.
    expect(guard.judge(hb(7, T0 - 60_000), T0 + 10_000)).toMatch(/new here/);
    // A newer seq with the same offset does.
    expect(guard.judge(hb(8, T0 - 50_000), T0 + 10_000)).toBeNull();
  });

  it('does not confirm a candidate with another boot or an offset off by more than the TTL', () => {
    const guard = new ReplayGuard(() => undefined);
    expect(guard.judge(hb(1, T0 + 90_000), T0)).toMatch(/ahead of/);
    expect(guard.judge(hb(2, T0 + 90_000 + 10_000, 'boot-2'), T0 + 10_000)).toMatch(/new here/);
    expect(guard.judge(hb(3, T0 + 10_000 + 90_000 + TTL + 1, 'boot-2'), T0 + 10_000)).toMatch(/new here/);
  });

  it('for a known boot: a newer seq is admitted at its known offset, and refused when recorded a TTL later than that', () => {
    const last = hb(5, T0 - 60_000);
    const guard = new ReplayGuard(() => known(last, T0));
    expect(guard.judge(hb(6, T0 - 50_000), T0 + 10_000)).toBeNull();
    expect(guard.judge(hb(6, T0 - 50_000), T0 + 10_000 + TTL)).toBeNull();
    expect(guard.judge(hb(6, T0 - 50_000), T0 + 10_000 + TTL + 1)).toMatch(/held-back copy/);
    // Not newer: the registry ignores it as a duplicate, so the guard lets it through untouched.
    expect(guard.judge(hb(5, T0 - 60_000), T0 + 600_000)).toBeNull();
  });

  it('forgets the oldest candidate beyond its capacity', () => {
    const guard = new ReplayGuard(() => undefined, 1);
    const other = { ...hb(1, T0 - 60_000), instance_id: 'i-2' };
    expect(guard.judge(hb(1, T0 - 60_000), T0)).not.toBeNull();
    expect(guard.judge(other, T0)).not.toBeNull();
    expect(guard.judge({ ...other, seq: 2, sent_at: T0 - 50_000 }, T0 + 10_000)).toBeNull();
    // i-1's candidate was dropped for i-2's: its next heartbeat starts over.
    expect(guard.judge(hb(2, T0 - 50_000), T0 + 10_000)).toMatch(/new here/);
  });
});
