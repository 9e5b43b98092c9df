/**
 * Container-true stats: the agent reads its cgroup (v2, v1 as a fallback) from fake cgroup trees,
 * and reports the container's memory limit and use and its CPU quota and use, apart from the
 * host's figures.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCgroupSampler } from '../../agent/cgroup';
import { createStatsSampler } from '../../agent/stats';
import { validateHeartbeat } from '../../shared/heartbeat';
import { makeHeartbeat } from '../support/heartbeats';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fake tree: files under a cgroup root, and a /proc/self/cgroup beside it. */
function tree(files: Record<string, string>, selfCgroup: string): { root: string; selfCgroup: string } {
  const base = mkdtempSync(path.join(tmpdir(), 'rw-cgroup-'));
  dirs.push(base);
  const root = path.join(base, 'sys/fs/cgroup');
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  const self = path.join(base, 'self-cgroup');
  writeFileSync(self, selfCgroup);
  return { root, selfCgroup: self };
}

function writeCpuStat(paths: { root: string }, file: string, usage: number): void {
  writeFileSync(path.join(paths.root, file), `usage_usec ${usage}\nuser_usec 1\nsystem_usec 1\n`);
}

describe('cgroup v2', () => {
  test("a container's own directory: its limit, use, quota and the cores it used between samples", async () => {
    const paths = tree(
      {
        'cgroup.controllers': 'cpu memory',
        'app/cgroup.controllers': 'cpu memory',
        'app/memory.max': '536870912\n',
        'app/memory.current': '123456789\n',
        'app/cpu.max': '150000 100000\n',
        'app/cpu.stat': 'usage_usec 1000000\n',
      },
      '0::/app\n',
    );
    const sampler = createCgroupSampler(paths);
    expect(await sampler.sample(1_000)).toEqual({
      cgroup_version: 2,
      memory_limit_bytes: 536_870_912,
      memory_used_bytes: 123_456_789,
      cpu_quota_cores: 1.5,
      cpu_usage_cores: null,
    });
    // 0.5 s of CPU in 1 s of wall time: half a core.
    writeCpuStat(paths, 'app/cpu.stat', 1_500_000);
    expect((await sampler.sample(2_000))?.cpu_usage_cores).toBeCloseTo(0.5, 6);
  });

  test('"max" means no limit and no quota (null, never 0)', async () => {
    const paths = tree(
      {
        'cgroup.controllers': 'cpu memory',
        'memory.max': 'max\n',
        'memory.current': '1000\n',
        'cpu.max': 'max 100000\n',
        'cpu.stat': 'usage_usec 5\n',
      },
      '0::/\n',
    );
    expect(await createCgroupSampler(paths).sample(0)).toEqual({
      cgroup_version: 2,
      memory_limit_bytes: null,
      memory_used_bytes: 1_000,
      cpu_quota_cores: null,
      cpu_usage_cores: null,
    });
  });
});

describe('cgroup v1 (the fallback)', () => {
  test("each controller under this process's path; the kernel's huge 'no limit' is null", async () => {
    const paths = tree(
      {
        'memory/pod/memory.limit_in_bytes': '268435456\n',
        'memory/pod/memory.usage_in_bytes': '1048576\n',
        'cpu/cpu.cfs_quota_us': '50000\n',
        'cpu/cpu.cfs_period_us': '100000\n',
        'cpuacct/cpuacct.usage': '2000000000\n',
      },
      '4:memory:/pod\n2:cpuacct:/\n1:cpu:/\n0::/\n',
    );
    const sampler = createCgroupSampler(paths);
    expect(await sampler.sample(10_000)).toEqual({
      cgroup_version: 1,
      memory_limit_bytes: 268_435_456,
      memory_used_bytes: 1_048_576,
      cpu_quota_cores: 0.5,
      cpu_usage_cores: null,
    });
    writeFileSync(path.join(paths.root, 'cpuacct/cpuacct.usage'), '2250000000\n');
    expect((await sampler.sample(10_500))?.cpu_usage_cores).toBeCloseTo(0.5, 6);

    const unlimited = tree(
      {
        'memory/memory.limit_in_bytes': '9223372036854771712\n',
        'memory/memory.usage_in_bytes': '10\n',
        'cpu/cpu.cfs_quota_us': '-1\n',
        'cpu/cpu.cfs_period_us': '100000\n',
      },
      '4:memory:/\n1:cpu:/\n',
    );
    expect(await createCgroupSampler(unlimited).sample(0)).toMatchObject({
      cgroup_version: 1,
      memory_limit_bytes: null,
      cpu_quota_cores: null,
    });
  });
});

test('no cgroup at all: null, and the stats still validate (host figures stay host figures)', async () => {
  const paths = tree({}, '');
  expect(await createCgroupSampler(paths).sample(0)).toBeNull();
  const stats = await createStatsSampler({ cgroup: paths }).sample();
  expect(stats.container).toBeNull();
  expect(validateHeartbeat(makeHeartbeat({ stats })).ok).toBe(true);
});

test('the stats sampler carries the container beside the host figures, and the heartbeat validates', async () => {
  const paths = tree(
    { 'cgroup.controllers': 'memory', 'memory.max': '1073741824', 'memory.current': '52428800' },
    '0::/\n',
  );
  const stats = await createStatsSampler({ cgroup: paths }).sample();
  expect(stats.container).toMatchObject({ cgroup_version: 2, memory_limit_bytes: 1_073_741_824 });
  // The host's total is the machine's, not the container's limit.
  expect(stats.mem_total_bytes).not.toBe(1_073_741_824);
  expect(validateHeartbeat(makeHeartbeat({ stats })).ok).toBe(true);
});
