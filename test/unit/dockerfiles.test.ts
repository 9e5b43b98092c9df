/**
 * No Docker engine runs here, so the images are checked as far as text allows: multi-stage,
 * production dependencies only, a non-root user, a HEALTHCHECK on /livez, and a CMD whose
 * target exists in the build output (npm test builds first).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/spawn';

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

function parseDockerfile(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

describe.each([
  ['Dockerfile.agent', 'dist/agent/main.js', 'AGENT_PORT'],
  ['Dockerfile.aggregator', 'dist/aggregator/main.js', 'PORT'],
])('%s', (file, entry, portVariable) => {
  const instructions = parseDockerfile(readFileSync(path.join(REPO_ROOT, file), 'utf8'));
  const after = (keyword: string) => instructions.filter((i) => i.keyword === keyword);
  const lastStage = instructions.slice(instructions.map((i) => i.keyword).lastIndexOf('FROM'));

  test('is multi-stage on a small Node 20 base', () => {
    const froms = after('FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from.args).toMatch(/^node:20-(alpine|slim|bookworm-slim)/);
  });

  test('ships production dependencies only', () => {
    expect(
      instructions.some(
        (i) => i.keyword === 'RUN' && /npm prune --omit=dev|npm ci .*--omit=dev/.test(i.args),
      ),
    ).toBe(true);
  });

  test('runs as a non-root user in the final stage', () => {
    const users = lastStage.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users[users.length - 1]);
  });

  test(`has a HEALTHCHECK on /livez using ${portVariable}`, () => {
    const healthcheck = lastStage.find((i) => i.keyword === 'HEALTHCHECK');
    expect(healthcheck?.args).toMatch(/\/livez/);
    expect(healthcheck?.args).toContain(`process.env.${portVariable}`);
  });

  test(`CMD runs ${entry}, which the build produces`, () => {
    const cmd = lastStage.find((i) => i.keyword === 'CMD');
    expect(JSON.parse(cmd?.args ?? '[]')).toEqual(['node', entry]);
    expect(existsSync(path.join(REPO_ROOT, entry))).toBe(true);
  });
});
