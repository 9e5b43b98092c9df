/**
 * The container's own limits and use, from its cgroup. Node's `os` answers for the host: on App
 * Platform or Kubernetes every instance would report the machine's memory and cores. The kernel
 * says what one container may use and uses in its cgroup files:
 * - v2 (unified): `memory.max`, `memory.current`, `cpu.max` ("<quota> <period>" or "max"),
 *   `cpu.stat` (`usage_usec`), in the directory `/proc/self/cgroup` names ("0::<path>");
 * - v1 (a fallback): `memory/memory.limit_in_bytes`, `memory/memory.usage_in_bytes`,
 *   `cpu/cpu.cfs_quota_us` (-1: none) with `cpu.cfs_period_us`, `cpuacct/cpuacct.usage` (ns).
 * Files are read with plain fs reads (no shelling out); what cannot be read is null, and no
 * cgroup at all is null for the whole (then the heartbeat carries `container: null`).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerStats } from '../shared/heartbeat';

/** Where the cgroup filesystem and the process's cgroup list are; injectable for tests. */
export interface CgroupPaths {
  /** Default `/sys/fs/cgroup`. */
  readonly root?: string;
  /** Default `/proc/self/cgroup`. */
  readonly selfCgroup?: string;
}

/** Samples the container's cgroup; CPU use is measured between two samples. */
export interface CgroupSampler {
  /** null when there is no cgroup to read. Never rejects. */
  sample(nowMs: number): Promise<ContainerStats | null>;
}

// v1 reports "no limit" as a huge number (the page-rounded max of a signed 64-bit value).
const V1_UNLIMITED_BYTES = 2 ** 60;

async function readText(file: string): Promise<string | null> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return null;
  }
}

function count(text: string | null | undefined): number | null {
  if (text === null || text === undefined || !/^\d+$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

/** "max" → null (none); a number → itself; unreadable → null. */
function limit(text: string | null | undefined): number | null {
  return text === 'max' ? null : count(text);
}

/** The lines of /proc/self/cgroup: `<id>:<controllers>:<path>`. */
function cgroupLines(list: string | null): { controllers: string[]; path: string }[] {
  return (list ?? '').split('\n').flatMap((line) => {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    return match ? [{ controllers: (match[1] ?? '').split(','), path: match[2] ?? '/' }] : [];
  });
}

/** The v2 directory of this process: `<root>/<path of the "0::" line>`, if it is a v2 hierarchy. */
async function v2Directory(root: string, list: string | null): Promise<string | null> {
  const line = cgroupLines(list).find((l) => l.controllers.length === 1 && l.controllers[0] === '');
  if (line === undefined) return null;
  // In a container the namespace root is the container's own cgroup ("0::/").
  const own = path.join(root, line.path);
  if ((await readText(path.join(own, 'cgroup.controllers'))) !== null) return own;
  return (await readText(path.join(root, 'cgroup.controllers'))) !== null ? root : null;
}

interface Reading {
  readonly version: 1 | 2;
  readonly memoryLimitBytes: number | null;
  readonly memoryUsedBytes: number | null;
  readonly cpuQuotaCores: number | null;
  /** Cumulative CPU time of the cgroup (µs), null when unreadable. */
  readonly cpuUsageUs: number | null;
}

async function readV2(dir: string): Promise<Reading> {
  const [memoryMax, memoryCurrent, cpuMax, cpuStat] = await Promise.all(
    ['memory.max', 'memory.current', 'cpu.max', 'cpu.stat'].map((file) => readText(path.join(dir, file))),
  );
  const [quota, period] = (cpuMax ?? '').split(/\s+/);
  const periodUs = count(period ?? null);
  const quotaUs = limit(quota ?? null);
  const usage = /^usage_usec (\d+)$/m.exec(cpuStat ?? '');
  return {
    version: 2,
    memoryLimitBytes: limit(memoryMax),
    memoryUsedBytes: count(memoryCurrent),
    cpuQuotaCores: quotaUs !== null && periodUs ? quotaUs / periodUs : null,
    cpuUsageUs: usage ? Number(usage[1]) : null,
  };
}

/** A v1 controller's file for this process: under its own path, else the hierarchy's root. */
async function readV1File(root: string, list: string | null, controller: string, file: string) {
  const own = cgroupLines(list).find((l) => l.controllers.includes(controller))?.path ?? '/';
  return (
    (await readText(path.join(root, controller, own, file))) ??
    (await readText(path.join(root, controller, file)))
  );
}

async function readV1(root: string, list: string | null): Promise<Reading | null> {
  const files: [string, string][] = [
    ['memory', 'memory.limit_in_bytes'],
    ['memory', 'memory.usage_in_bytes'],
    ['cpu', 'cpu.cfs_quota_us'],
    ['cpu', 'cpu.cfs_period_us'],
    ['cpuacct', 'cpuacct.usage'],
  ];
  const [memLimit, memUsage, quota, period, usageNs] = await Promise.all(
    files.map(([controller, file]) => readV1File(root, list, controller, file)),
  );
  if (memLimit === null && quota === null && usageNs === null) return null;
  const memoryLimit = count(memLimit);
  const quotaUs = quota === null || quota === '-1' ? null : count(quota);
  const periodUs = count(period);
  const usage = count(usageNs);
  return {
    version: 1,
    memoryLimitBytes: memoryLimit !== null && memoryLimit >= V1_UNLIMITED_BYTES ? null : memoryLimit,
    memoryUsedBytes: count(memUsage),
    cpuQuotaCores: quotaUs !== null && periodUs ? quotaUs / periodUs : null,
    cpuUsageUs: usage === null ? null : usage / 1_000,
  };
}

/** Creates a sampler over the cgroup of this process (see the module comment). */
export function createCgroupSampler(paths: CgroupPaths = {}): CgroupSampler {
  const root = paths.root ?? '/sys/fs/cgroup';
  const selfCgroup = paths.selfCgroup ?? '/proc/self/cgroup';
  let previous: { atMs: number; usageUs: number } | null = null;

  // Where the process's cgroup is does not change while it runs: found on the first sample, then
  // each heartbeat reads only the counters.
  let located: Promise<() => Promise<Reading | null>> | null = null;
  const locate = async (): Promise<() => Promise<Reading | null>> => {
    const list = await readText(selfCgroup);
    const dir = await v2Directory(root, list);
    return dir === null ? () => readV1(root, list) : () => readV2(dir);
  };
  const read = async (): Promise<Reading | null> => (await (located ??= locate()))();

  return {
    async sample(nowMs) {
      const reading = await read().catch(() => null);
      if (reading === null) return null;
      let cpuUsageCores: number | null = null;
      if (reading.cpuUsageUs !== null) {
        if (previous !== null && nowMs > previous.atMs && reading.cpuUsageUs >= previous.usageUs) {
          cpuUsageCores = (reading.cpuUsageUs - previous.usageUs) / ((nowMs - previous.atMs) * 1_000);
        }
        previous = { atMs: nowMs, usageUs: reading.cpuUsageUs };
      }
      return {
        cgroup_version: reading.version,
        memory_limit_bytes: reading.memoryLimitBytes,
        memory_used_bytes: reading.memoryUsedBytes,
        cpu_quota_cores: reading.cpuQuotaCores,
        cpu_usage_cores: cpuUsageCores,
      };
    },
  };
}
