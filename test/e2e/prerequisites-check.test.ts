/**
 * npm test's first step on a machine that lacks the programs: it stops at once (exit 1) with the
 * whole list of what is missing and the lines that install it, rather than deep inside a suite.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../support/spawn';

function check(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(REPO_ROOT, 'scripts/check-prerequisites.js')],
      { env, timeout: 20_000 },
      (err, _stdout, stderr) =>
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stderr }),
    );
  });
}

test('nothing on PATH: exit 1, every missing program named, and the install lines', async () => {
  const { code, stderr } = await check({ PATH: '/nonexistent' });
  expect(code).toBe(1);
  for (const program of ['redis-server', 'promtool', 'chromium', 'python3'])
    expect(stderr).toContain(`- ${program}:`);
  expect(stderr).toMatch(
    /Debian\/Ubuntu: sudo apt-get install -y redis-server prometheus .*chromium .*python3/,
  );
  expect(stderr).toMatch(/macOS: +brew install redis prometheus/);
});

test('this machine (CI installs the list first): exit 0, nothing said', async () => {
  expect(await check({ PATH: process.env.PATH ?? '' })).toEqual({ code: 0, stderr: '' });
});
