/** One instance as the report shows it. */
import type { ClassifiedInstance } from './facts';
import type { InstanceReport } from './report';
import { ageAt } from './instance-state';
import { isoTime } from './text';

/**
 * `deployment_id` is the instance's generation: its DEPLOYMENT_ID, else the template hash of its
 * name. Stats fields are null for a goodbye (it carries no stats).
 */
export function instanceReport(
  instance: ClassifiedInstance,
  refNowMs: number,
  orphaned: boolean,
  draining: boolean,
): InstanceReport {
  const { record } = instance;
  const hb = record.heartbeat;
  const stats = hb.stats;
  return {
    instance_id: record.instanceId,
    component: record.component,
    deployment_id: instance.generation,
    version: hb.version,
    state: instance.state,
    last_seen: isoTime(record.lastSeenMs),
    age_ms: ageAt(record, refNowMs),
    started_at: isoTime(hb.started_at),
    serving: hb.serving?.ok ?? null,
    orphaned,
    region: hb.region,
    node_name: hb.node_name,
    cpu_usage: stats?.cpu_usage ?? null,
    rss_bytes: stats?.rss_bytes ?? null,
    mem_used_bytes: stats ? Math.max(0, stats.mem_total_bytes - stats.mem_free_bytes) : null,
    mem_total_bytes: stats?.mem_total_bytes ?? null,
    clock_offset_ms: record.clockOffsetMs,
    draining,
    container: stats?.container ?? null,
  };
}
