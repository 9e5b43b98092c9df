#!/usr/bin/env node
/* global __dirname, console, process */
/**
 * npm test's first step: every program the tests start is there, or the run stops at once with
 * the whole list of what is missing and the line that installs it (scripts/prerequisites.tsv),
 * instead of failing deep inside a suite. Exit 0 when all are present, 1 otherwise.
 */
'use strict';
const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');

/** The list: { check, debian, brew, why } per program. */
function readPrerequisites(file = path.join(__dirname, 'prerequisites.tsv')) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const [check = '', debian = '', brew = '', why = ''] = line.split('\t');
      return { check, debian, brew, why };
    });
}

function onPath(command) {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .some((dir) => dir !== '' && existsSync(path.join(dir, command)));
}

/** A command on PATH, or one of several absolute paths. */
function isPresent(check) {
  return check
    .split('|')
    .some((candidate) => (path.isAbsolute(candidate) ? existsSync(candidate) : onPath(candidate)));
}

function main() {
  const missing = readPrerequisites().filter((p) => !isPresent(p.check));
  if (missing.length === 0) return 0;
  const lines = [
    `npm test needs ${missing.length === 1 ? 'a program' : 'programs'} this machine does not have:`,
    ...missing.map((p) => `  - ${p.check.split('|')[0]}: ${p.why}`),
    'Install them:',
    `  Debian/Ubuntu: sudo apt-get install -y ${missing.map((p) => p.debian).join(' ')}`,
    `  macOS:         brew install ${missing.map((p) => p.brew).join(' ')}`,
    '(or run `bash .ci/run`, which installs them on Debian/Ubuntu)',
  ];
  console.error(lines.join('\n'));
  return 1;
}

module.exports = { readPrerequisites, isPresent };
if (require.main === module) process.exitCode = main();
