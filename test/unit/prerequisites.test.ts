/**
 * One list of the programs the tests start (scripts/prerequisites.tsv) for npm test's first check,
 * .ci/run and the README: the README's install lines name every package of it, and the check
 * finds what is there and names what is not.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/spawn';

interface Prerequisite {
  readonly check: string;
  readonly debian: string;
  readonly brew: string;
  readonly why: string;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { readPrerequisites, isPresent } = require(path.join(REPO_ROOT, 'scripts/check-prerequisites.js')) as {
  readPrerequisites(): Prerequisite[];
  isPresent(check: string): boolean;
};

const README = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

function installLine(prefix: RegExp): string[] {
  const line = README.split('\n').find((l) => prefix.test(l));
  if (line === undefined) throw new Error(`README has no line matching ${prefix}`);
  return line.replace(prefix, '').replace(/#.*$/, '').trim().split(/\s+/);
}

test('the list names every program the tests start, each with its packages and purpose', () => {
  const list = readPrerequisites();
  expect(list.map((p) => p.debian)).toEqual([
    'redis-server',
    'prometheus',
    'prometheus-alertmanager',
    'chromium',
    'faketime',
    'python3',
  ]);
  for (const p of list) {
    expect(p.brew).not.toBe('');
    expect(p.why).not.toBe('');
  }
});

test("the README's install lines are the list's packages, for Debian/Ubuntu and macOS", () => {
  const list = readPrerequisites();
  expect(installLine(/^sudo apt-get install -y /)).toEqual(list.map((p) => p.debian));
  expect(installLine(/^brew install /)).toEqual(list.map((p) => p.brew));
});

test('a command on PATH or one of several absolute paths is present; neither is not', () => {
  expect(isPresent('node')).toBe(true);
  expect(isPresent(`/nonexistent/a|${process.execPath}`)).toBe(true);
  expect(isPresent('no-such-program-replica-watch|/nonexistent/b')).toBe(false);
});

test('.ci/run installs from the same list', () => {
  const ci = readFileSync(path.join(REPO_ROOT, '.ci/run'), 'utf8');
  expect(ci).toContain('done <scripts/prerequisites.tsv');
});
