/**
 * Dockerfile.agent's HEALTHCHECK, run as Docker would run it (the exec form's argv, with
 * AGENT_PORT in the environment) against real node:http servers: healthy when /livez answers
 * 200, unhealthy on another status, on a closed port, or when nothing answers in time.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { REPO_ROOT } from '../support/spawn';

/** The HEALTHCHECK's CMD, exec form. */
function healthcheckArgv(): string[] {
  const text = readFileSync(path.join(REPO_ROOT, 'Dockerfile.agent'), 'utf8').replace(/\\\r?\n/g, ' ');
  const line = text.split('\n').find((l) => l.trim().startsWith('HEALTHCHECK'));
  const cmd = /\bCMD\s+(\[.*\])\s*$/.exec(line ?? '');
  if (!cmd?.[1]) throw new Error('Dockerfile.agent has no HEALTHCHECK with an exec-form CMD');
  return JSON.parse(cmd[1]) as string[];
}

function check(port: number): Promise<{ code: number | null; ms: number }> {
  const [command = '', ...args] = healthcheckArgv();
  const started = Date.now();
  const child = spawn(command, args, { env: { AGENT_PORT: String(port) }, stdio: 'ignore' });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, ms: Date.now() - started })));
}

const servers: Server[] = [];

afterAll(async () => {
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** A server whose /livez answers `status` (or never answers, for null); returns its port. */
async function serve(status: number | null): Promise<number> {
  const server = createServer((req, res) => {
    if (status === null) return; // hangs
    res.writeHead(req.url === '/livez' ? status : 404, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

test('the command is bash with /dev/tcp: nothing the bookworm-slim image lacks', () => {
  expect(healthcheckArgv().slice(0, 2)).toEqual(['/bin/bash', '-c']);
});

test('healthy when /livez answers 200', async () => {
  expect((await check(await serve(200))).code).toBe(0);
});

test('unhealthy when /livez answers 503', async () => {
  expect((await check(await serve(503))).code).not.toBe(0);
});

test('unhealthy on a closed port', async () => {
  const port = await serve(200);
  const server = servers.pop() as Server;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  expect((await check(port)).code).not.toBe(0);
});

test('unhealthy, within its own 2 s, when nothing answers', async () => {
  const { code, ms } = await check(await serve(null));
  expect(code).not.toBe(0);
  // Docker's --timeout is 3 s: the check gives up before Docker has to kill it.
  expect(ms).toBeLessThan(3_000);
});
