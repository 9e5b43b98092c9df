/**
 * How the built agent process ends, with real processes: it exits 1 within 5 s when it cannot
 * start (AGENT_PORT taken, an unusable NODE_EXTRA_CA_CERTS), naming the variable and its value,
 * instead of hanging where no supervisor restarts it; it exits 2 on a bad environment with one
 * message naming every bad variable; and it is gone within 2 s of SIGTERM, exit 0, even when the
 * aggregator never answers its goodbye.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RedisTransport } from '../../agent/transport/redis';
import { silentLogger } from '../../shared/logger';
import { useTestRedis } from '../support/redis-rig';
import { killAll, spawnBuilt, type LogLine, type SpawnedProcess } from '../support/spawn';
import { waitFor } from '../support/wait';
import { serverEngine } from '../../shared/redis-engine';

/** The bound: a supervisor must see a failed start as an exit within 5 s. */
const START_EXIT_MS = 5_000;
/**
 * DESIGN.md promises the agent is gone 2 s after SIGTERM. The test measures from just before
 * kill() to the parent seeing the child's 'exit' event, so it also counts the signal's delivery,
 * the process teardown and the parent's event loop noticing: a few ms on an idle machine, up to a
 * few hundred on a loaded CI box with two shared cores. 500 ms covers that without letting a
 * stop that really overran 2 s pass (the agent's own stop budget is 1.5 s, its hard exit 2 s).
 */
const SIGTERM_EXIT_MS = 2_000 + 500;

const processes: SpawnedProcess[] = [];
const redis = useTestRedis();
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rw-agent-exit-'));
});

afterAll(async () => {
  await killAll(processes);
  rmSync(tmp, { recursive: true, force: true });
});

function agent(env: Record<string, string>): SpawnedProcess {
  const spawned = spawnBuilt('agent/main.js', {
    AGENT_INSTANCE_ID: 'backend-exit-1',
    AGENT_APP: 'e2e-agent-exit',
    AGENT_HOST: '127.0.0.1',
    ...env,
  });
  processes.push(spawned);
  return spawned;
}

function startFailure(lines: readonly LogLine[]): LogLine | undefined {
  return lines.find((l) => l.message === 'agent could not start');
}

/** A TCP port held by this test, so the agent cannot bind it. */
async function occupyPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server: NetServer = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('an agent that cannot start exits 1 within 5 s, naming what failed', () => {
  // With Redis reachable the agent used to log "could not start" and then hang forever: the
  // Redis connection opened during the start held the process up.
  const transports: [string, () => Record<string, string>][] = [
    ['Redis (reachable)', () => ({ AGENT_ENABLED: 'true', REDIS_URL: redis.url })],
    ['HTTP', () => ({ AGENT_ENABLED: 'true', AGGREGATOR_URL: 'http://127.0.0.1:9' })],
    ['none (disabled)', () => ({})],
  ];

  test.each(transports)('AGENT_PORT already in use, transport %s', async (_name, transport) => {
    const taken = await occupyPort();
    try {
      const spawned = agent({ ...transport(), AGENT_PORT: String(taken.port) });
      const code = await spawned.exitWithin(START_EXIT_MS);
      expect(code).toBe(1);
      expect(startFailure(spawned.lines)).toMatchObject({
        level: 'error',
        variable: 'AGENT_PORT',
        value: String(taken.port),
        reason: 'port_in_use',
        exit_code: 1,
      });
      const failure = startFailure(spawned.lines) as { err?: { message?: string } };
      expect(failure.err?.message).toContain(`127.0.0.1:${taken.port}`);
      expect(failure.err?.message).toContain('already in use');
      expect(spawned.lines.some((l) => l.message === 'agent listening')).toBe(false);
    } finally {
      await taken.close();
    }
  });

  test.each([
    ['missing', () => path.join(tmp, 'no-such-ca.pem'), 'ca_file_unreadable'],
    [
      'not a certificate',
      () => {
        const file = path.join(tmp, 'junk-ca.pem');
        writeFileSync(file, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n');
        return file;
      },
      'ca_file_invalid',
    ],
  ])('NODE_EXTRA_CA_CERTS %s, with a rediss:// REDIS_URL', async (_name, caFile, reason) => {
    const file = caFile();
    const spawned = agent({
      AGENT_ENABLED: 'true',
      // TLS to the test's Redis (which speaks plain TCP): the CA file is what this start needs.
      REDIS_URL: `rediss://127.0.0.1:${redis.port}`,
      NODE_EXTRA_CA_CERTS: file,
      AGENT_PORT: '0',
    });
    const code = await spawned.exitWithin(START_EXIT_MS);
    expect(code).toBe(1);
    expect(startFailure(spawned.lines)).toMatchObject({
      level: 'error',
      variable: 'NODE_EXTRA_CA_CERTS',
      value: file,
      reason,
      exit_code: 1,
    });
    expect(spawned.lines.some((l) => l.message === 'agent listening')).toBe(false);
  });
});

test('a Redis transport closed while it connects leaves no connection behind (it held the agent up)', async () => {
  const checker = redis.client;
  const stat = async (field: string) =>
    Number(new RegExp(`${field}:(\\d+)`).exec(await checker.info('all'))?.[1] ?? NaN);
  const acceptedBefore = await stat('total_connections_received');
  const connectedBefore = await stat('connected_clients');
  const transport = new RedisTransport({
    engine: serverEngine(redis.url),
    log: silentLogger(),
    timeoutMs: 1_000,
  });
  // At once, while the TCP connection is still being opened: node-redis 6 alone keeps that one.
  await transport.close();
  // The connection attempt reached Redis, and then it is gone again.
  const after = await waitFor(
    async () => ({
      accepted: await stat('total_connections_received'),
      connected: await stat('connected_clients'),
    }),
    { until: (s) => s.accepted > acceptedBefore && s.connected === connectedBefore, timeoutMs: 10_000 },
  );
  expect(after.connected).toBe(connectedBefore);
});

test('a bad environment: exit 2, one message on stderr naming every bad variable and its value', async () => {
  const spawned = agent({
    AGENT_ENABLED: 'maybe',
    AGENT_INTERVAL_MS: 'abc',
    AGENT_PORT: '99999',
    AGGREGATOR_URL: 'ftp://aggregator',
  });
  const code = await spawned.exitWithin(START_EXIT_MS);
  expect(code).toBe(2);
  const output = spawned.output();
  expect(output.match(/invalid configuration/g)).toHaveLength(1);
  expect(output).toContain('replica-watch agent: invalid configuration (4 problems)');
  expect(output).toContain('AGENT_ENABLED="maybe"');
  expect(output).toContain('AGENT_INTERVAL_MS="abc"');
  expect(output).toContain('AGENT_PORT="99999"');
  expect(output).toContain('AGGREGATOR_URL="ftp://aggregator"');
  // Refused before anything started: no log line at all, so nothing listened or sent.
  expect(spawned.lines).toEqual([]);
});

/** An "aggregator" whose answers hang: to every request, or only to the goodbye. */
async function hangingAggregator(
  hangOn: 'everything' | 'goodbye',
): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      bodies.push(body);
      const goodbye = (JSON.parse(body) as { type?: string }).type === 'goodbye';
      if (hangOn === 'everything' || goodbye) return; // accepted, read, never answered
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"accepted"}');
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('SIGTERM while the aggregator never answers: gone within 2 s, exit 0', () => {
  test.each(['everything', 'goodbye'] as const)('the aggregator hangs on %s', async (hangOn) => {
    const aggregator = await hangingAggregator(hangOn);
    try {
      const spawned = agent({
        AGENT_ENABLED: 'true',
        AGGREGATOR_URL: aggregator.url,
        AGENT_PORT: '0',
        // The default interval, so each send's own timeout is 5 s: only the agent's stop budget
        // and its hard exit can keep it within 2 s.
        AGENT_INTERVAL_MS: '10000',
      });
      await spawned.waitForLine((l) => l.message === 'agent listening');
      if (hangOn === 'goodbye') {
        // The first heartbeat was answered: the connection is free, the goodbye will go out on it.
        await spawned.waitForLine((l) => l.message === 'first heartbeat sent');
      } else {
        // The first heartbeat is in flight and hangs: the goodbye queues behind it.
        await waitFor(async () => aggregator.bodies.length, { until: (n) => n >= 1, timeoutMs: 20_000 });
      }

      const signalledAt = Date.now();
      const code = await spawned.signal('SIGTERM');
      const took = (spawned.exitedAtMs() ?? Infinity) - signalledAt;

      expect(code).toBe(0);
      expect(took).toBeLessThanOrEqual(SIGTERM_EXIT_MS);
      if (hangOn === 'goodbye') {
        // The goodbye did reach the aggregator, which then held it unanswered.
        expect(aggregator.bodies.map((b) => (JSON.parse(b) as { type: string }).type)).toEqual([
          'heartbeat',
          'goodbye',
        ]);
      }
    } finally {
      await aggregator.close();
    }
  });
});
