/**
 * What the registry keeps of a heartbeat (RecordedHeartbeat): a flat copy of the fields it,
 * the reconciler and the report read, its repeated strings shared. A parsed heartbeat is some
 * twenty objects and strings of its own; kept whole at 100k instances it was most of the heap,
 * and each one replaced ten seconds later was promoted garbage for the old generation.
 */
import type { Heartbeat, ServingStatus } from '../../shared/heartbeat';
import type { RecordedHeartbeat, RecordedStats } from '../model/instance-record';

/**
 * How many distinct strings are shared. Components, deployments, versions, regions and nodes
 * of a fleet are a few hundred; past the cap a string is kept as it came (correct, only not
 * shared), so a flood of distinct values cannot grow the table without end.
 */
export const MAX_SHARED_STRINGS = 10_000;

const shared = new Map<string, string>();

/** The one copy of `value` (see MAX_SHARED_STRINGS). */
function share<T extends string | null>(value: T): T {
  if (value === null) return value;
  const known = shared.get(value);
  if (known !== undefined) return known as T;
  if (shared.size < MAX_SHARED_STRINGS) shared.set(value, value);
  return value;
}

/** The commonest probe answer, shared: 200 and no error. */
const SERVING_200 = Object.freeze({ ok: true, status: 200, error: null });

function recordedServing(serving: ServingStatus | null): RecordedHeartbeat['serving'] {
  if (serving === null) return null;
  if (serving.ok && serving.status === 200 && serving.error === null) return SERVING_200;
  return { ok: serving.ok, status: serving.status, error: serving.error };
}

function recordedStats(stats: Heartbeat['stats']): RecordedStats | null {
  if (stats === null) return null;
  return {
    cpu_usage: stats.cpu_usage,
    rss_bytes: stats.rss_bytes,
    mem_total_bytes: stats.mem_total_bytes,
    mem_free_bytes: stats.mem_free_bytes,
    // Absent (an older agent) or null (no cgroup): the report shows null either way.
    container: stats.container ?? null,
  };
}

/** `value`, or the previous record's copy of it when equal: the new copy then dies young. */
function same<T extends string | null>(value: T, previous: T | undefined): T {
  return previous === value ? previous : value;
}

/**
 * What the registry keeps of `heartbeat`. The strings unique to an instance (its id, boot and pod
 * name) are taken from `previous`, the record it replaces, when they are equal: a renewal then
 * keeps no new string, and the parsed ones are garbage of the young generation, which costs
 * nothing to collect, instead of the old one's.
 */
export function recordedHeartbeat(
  heartbeat: Heartbeat,
  previous: RecordedHeartbeat | null,
): RecordedHeartbeat {
  return {
    type: heartbeat.type,
    component: share(heartbeat.component),
    instance_id: same(heartbeat.instance_id, previous?.instance_id),
    deployment_id: share(heartbeat.deployment_id),
    version: share(heartbeat.version),
    region: share(heartbeat.region),
    pod_name: same(heartbeat.pod_name, previous?.pod_name),
    node_name: share(heartbeat.node_name),
    boot_id: same(heartbeat.boot_id, previous?.boot_id),
    seq: heartbeat.seq,
    sent_at: heartbeat.sent_at,
    started_at: heartbeat.started_at,
    interval_ms: heartbeat.interval_ms,
    ttl_ms: heartbeat.ttl_ms,
    serving: recordedServing(heartbeat.serving),
    stats: recordedStats(heartbeat.stats),
  };
}
