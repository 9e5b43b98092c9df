/**
 * System stats for the heartbeat, from Node's own `os`, `process` and `fs.statfs`, and the
 * container's own limits and use from its cgroup (cgroup.ts): no native module and no shelling
 * out, so the agent stays small. The host figures and the container's are apart and named so.
 */
import { statfs as statfsAsync } from 'node:fs/promises';
import os from 'node:os';
import type { SystemStats } from '../shared/heartbeat';
import type { CgroupPaths } from './cgroup';
import { createCgroupSampler } from './cgroup';

/** The part of `fs.statfs` the sampler reads; injectable so tests can make it fail. */
export type StatfsFn = (path: string) => Promise<{ blocks: number; bavail: number; bsize: number }>;

/** Test seams; production uses the defaults. */
export interface StatsSamplerOptions {
  /** The filesystem whose usage is reported; default `/`. */
  readonly diskPath?: string;
  readonly statfs?: StatfsFn;
  /** Where the cgroup files are; default the process's own (/sys/fs/cgroup, /proc/self/cgroup). */
  readonly cgroup?: CgroupPaths;
}

/** Takes a SystemStats sample (the heartbeat's `stats`). */
export interface StatsSampler {
  /** Never rejects: a disk that cannot be read reports null sizes. */
  sample(): Promise<SystemStats>;
}

interface CpuTimes {
  readonly busy: number;
  readonly total: number;
}

function cpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const { user, nice, sys, irq, idle } = cpu.times;
    busy += user + nice + sys + irq;
    total += user + nice + sys + irq + idle;
  }
  return { busy, total };
}

/**
 * Creates a sampler. Host CPU usage is the busy share of all cores between two samples; the
 * first sample measures from the sampler's creation.
 */
export function createStatsSampler(options: StatsSamplerOptions = {}): StatsSampler {
  const diskPath = options.diskPath ?? '/';
  const statfs: StatfsFn = options.statfs ?? ((path) => statfsAsync(path));
  let previous = cpuTimes();
  const cgroup = createCgroupSampler(options.cgroup);

  const disk = async (): Promise<{ total: number | null; free: number | null }> => {
    try {
      const fs = await statfs(diskPath);
      // bavail, not bfree: the space an unprivileged process can still write.
      return { total: fs.blocks * fs.bsize, free: fs.bavail * fs.bsize };
    } catch {
      return { total: null, free: null };
    }
  };

  return {
    async sample() {
      const current = cpuTimes();
      const busy = current.busy - previous.busy;
      const total = current.total - previous.total;
      previous = current;
      const cpuUsage = total > 0 ? Math.min(1, Math.max(0, busy / total)) : 0;
      const [{ total: diskTotal, free: diskFree }, container] = await Promise.all([
        disk(),
        // A monotonic clock: the CPU use is a rate between two samples.
        cgroup.sample(performance.now()),
      ]);
      const memory = process.memoryUsage();
      const loadAvg = os.loadavg();
      return {
        cpu_count: os.availableParallelism(),
        cpu_usage: cpuUsage,
        load_avg: [loadAvg[0] ?? 0, loadAvg[1] ?? 0, loadAvg[2] ?? 0],
        mem_total_bytes: os.totalmem(),
        mem_free_bytes: os.freemem(),
        rss_bytes: memory.rss,
        heap_used_bytes: memory.heapUsed,
        disk_total_bytes: diskTotal,
        disk_free_bytes: diskFree,
        host_uptime_s: os.uptime(),
        process_uptime_s: process.uptime(),
        platform: `${process.platform}-${process.arch}`,
        node_version: process.version,
        container,
      };
    },
  };
}
