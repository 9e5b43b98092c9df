/**
 * How the built aggregator process refuses to run, with real processes: exit 2 on a bad
 * environment, with one message naming every bad variable and its value; exit 1 within 5 s
 * when its PORT is taken, naming the port and the variable to change.
 */
import type { AddressInfo, Server } from 'node:net';
import { createServer } from 'node:net';
import { killAll, spawnBuilt, type SpawnedProcess } from '../support/spawn';

/** A process that cannot run must say so by exiting, promptly, so that its supervisor acts. */
const EXIT_MS = 5_000;

const processes: SpawnedProcess[] = [];

afterAll(async () => {
  await killAll(processes);
});

function aggregator(env: Record<string, string>): SpawnedProcess {
  const spawned = spawnBuilt('aggregator/main.js', {
    HOST: '127.0.0.1',
    AGGREGATOR_APP: 'e2e-agg-exit',
    ...env,
  });
  processes.push(spawned);
  return spawned;
}

test('a bad environment: exit 2, one message on stderr naming every bad variable and its value', async () => {
  const spawned = aggregator({
    PORT: '99999',
    DESIRED_REPLICAS: 'x',
    RECONCILE_INTERVAL_MS: 'abc',
    LEADER_LEASE_MS: '-5',
  });
  const code = await spawned.exitWithin(EXIT_MS);
  expect(code).toBe(2);
  const output = spawned.output();
  expect(output.match(/invalid configuration/g)).toHaveLength(1);
  expect(output).toContain('replica-watch aggregator: invalid configuration (4 problems)');
  for (const named of [
    'PORT="99999"',
    'DESIRED_REPLICAS="x"',
    'RECONCILE_INTERVAL_MS="abc"',
    'LEADER_LEASE_MS="-5"',
  ]) {
    expect(output).toContain(named);
  }
  // Refused before anything started: no log line at all, so nothing listened or connected.
  expect(spawned.lines).toEqual([]);
});

test('PORT already in use: exit 1 within 5 s, naming the port and PORT', async () => {
  const holder: Server = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as AddressInfo).port;
  try {
    const spawned = aggregator({ PORT: String(port), DESIRED_REPLICAS: '1' });
    const code = await spawned.exitWithin(EXIT_MS);
    expect(code).toBe(1);
    const failure = spawned.lines.find((l) => l.message === 'aggregator failed to start') as
      { level?: string; err?: { message?: string } } | undefined;
    expect(failure?.level).toBe('error');
    expect(failure?.err?.message).toContain(String(port));
    expect(failure?.err?.message).toContain('PORT');
    expect(spawned.lines.some((l) => l.message === 'aggregator listening')).toBe(false);
  } finally {
    await new Promise<void>((resolve) => holder.close(() => resolve()));
  }
});
