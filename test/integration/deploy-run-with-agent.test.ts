/**
 * deploy/digitalocean/run-with-agent.sh: runs a backend and the agent in one container. Stand-in
 * processes record which signals they got: a stop reaches both (the agent says goodbye), a
 * crash of the backend kills the agent without one, and the backend's exit status is kept.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../support/spawn';
import { waitFor } from '../support/wait';

const SCRIPT = path.join(REPO_ROOT, 'deploy/digitalocean/run-with-agent.sh');

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'run-with-agent-'));
  // Each stand-in appends "<role> start" and "<role> TERM" to the log; the backend exits with 7
  // after SIGTERM, or with 3 on its own when CRASH is set.
  const stub = (role: string, onTerm: string, extra = '') => `
    const fs = require('node:fs');
    const log = (line) => fs.appendFileSync(process.env.LOG, '${role} ' + line + '\\n');
    log('start');
    process.on('SIGTERM', () => { log('TERM'); setTimeout(() => process.exit(${onTerm}), 50); });
    ${extra}
    setInterval(() => {}, 1000);
  `;
  writeFileSync(path.join(dir, 'agent.js'), stub('agent', '0'));
  writeFileSync(
    path.join(dir, 'backend.js'),
    // The crash comes once the agent runs, so that the agent is there to be killed.
    stub(
      'backend',
      '7',
      `if (process.env.CRASH) setInterval(() => {
        if (fs.readFileSync(process.env.LOG, 'utf8').includes('agent start')) process.exit(3);
      }, 20);`,
    ),
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function run(log: string, extraEnv: Record<string, string> = {}) {
  const child = spawn(SCRIPT, [process.execPath, path.join(dir, 'backend.js')], {
    env: {
      PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      LOG: log,
      REPLICA_WATCH_AGENT_MAIN: path.join(dir, 'agent.js'),
      ...extraEnv,
    },
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited };
}

function lines(log: string): string[] {
  return existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
}

test('SIGTERM reaches the backend and the agent; the exit status is the backend’s', async () => {
  const log = path.join(dir, 'stop.log');
  const { child, exited } = run(log);
  await waitFor(() => lines(log).filter((l) => l.endsWith(' start')).length === 2, { what: 'both started' });
  child.kill('SIGTERM');
  expect(await exited).toBe(7);
  expect(lines(log).sort()).toEqual(['agent TERM', 'agent start', 'backend TERM', 'backend start']);
});

test('a backend that dies on its own takes the agent down without a goodbye', async () => {
  const log = path.join(dir, 'crash.log');
  const { exited } = run(log, { CRASH: '1' });
  expect(await exited).toBe(3);
  expect(lines(log).sort()).toEqual(['agent start', 'backend start']);
});

test('without a backend command it refuses to start', async () => {
  const child = spawn(SCRIPT, [], { stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code).toBe(64);
});
