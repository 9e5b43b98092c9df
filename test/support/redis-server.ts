/**
 * A private redis-server per test file: a free loopback port, no persistence, stopped by PID.
 * The machine's own Redis on 6379 is never touched. REDIS_URL, when someone sets it, is used
 * instead (and then nothing is started or stopped).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createClient } from 'redis';

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM, then SIGKILL); resolves when it has exited. Idempotent. */
  stop(): Promise<void>;
  /** Kills the server hard (for outage tests); `restart()` brings it back on the same port. */
  kill(): Promise<void>;
  restart(): Promise<void>;
}

const INSTALL_HINT =
  'redis-server was not found on PATH. The Redis test suites need a real server: ' +
  'install it (Debian/Ubuntu: `apt-get install -y redis-server`; macOS: `brew install redis`).';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function assertInstalled(): void {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error(INSTALL_HINT);
}

async function waitForPing(url: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  let lastError: unknown;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const client = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 500 } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      await client.close();
      return;
    } catch (err) {
      lastError = err;
      client.destroy();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not answer PING within ${deadlineMs} ms: ${String(lastError)}`);
}

function spawnServer(port: number): { child: ChildProcess; output: () => string } {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'yes',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function launch(port: number): Promise<ChildProcess> {
  const { child, output } = spawnServer(port);
  try {
    await waitForPing(`redis://127.0.0.1:${port}`, child, 10_000);
    return child;
  } catch (err) {
    child.kill('SIGKILL');
    await exited(child);
    const text = output();
    if (text.includes('Address already in use'))
      throw Object.assign(new Error('port in use'), { portInUse: true });
    throw new Error(`${(err as Error).message}\n${text}`);
  }
}

/** Starts a private redis-server (or uses REDIS_URL when set). */
export async function startRedis(): Promise<TestRedis> {
  const external = process.env.REDIS_URL;
  if (external) {
    return {
      url: external,
      port: Number(new URL(external).port || 6379),
      stop: async () => undefined,
      kill: async () => {
        throw new Error('cannot kill an external REDIS_URL server');
      },
      restart: async () => undefined,
    };
  }
  assertInstalled();
  let port = await freePort();
  let child: ChildProcess;
  try {
    child = await launch(port);
  } catch (err) {
    // Another process took the port between our probe and redis-server's bind: once more.
    if (!(err as { portInUse?: boolean }).portInUse) throw err;
    port = await freePort();
    child = await launch(port);
  }
  let stopping: Promise<void> | undefined;
  const stopChild = async (signal: NodeJS.Signals) => {
    const current = child;
    if (current.exitCode !== null || current.signalCode !== null) return;
    const done = exited(current);
    current.kill(signal);
    const timer = setTimeout(() => current.kill('SIGKILL'), 5_000);
    await done;
    clearTimeout(timer);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => (stopping ??= stopChild('SIGTERM')),
    kill: () => stopChild('SIGKILL'),
    restart: async () => {
      await stopChild('SIGKILL');
      child = await launch(port);
    },
  };
}

/** A connected client for assertions in tests; the caller closes it. */
export async function connectTestClient(url: string) {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
