/**
 * The one redis-server launcher of the tests and the benchmarks: a private server on a free
 * loopback port, no persistence, stopped by PID. The machine's own Redis on 6379 is never touched.
 * `startRedis()` honours REDIS_URL (then nothing is started or stopped); `launchRedisServer()`
 * always starts one (password, TLS and benchmark runs need their own).
 *
 * Free of jest: the benchmarks (bench/, built by tsconfig.build.json) import it too.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createClient, type RedisClientOptions, type RedisClientType } from 'redis';

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM, then SIGKILL); resolves when it has exited. Idempotent. */
  stop(): Promise<void>;
  /** Kills the server hard (for outage tests); `restart()` brings it back on the same port. */
  kill(): Promise<void>;
  restart(): Promise<void>;
}

/** A server this process started: its PID and version too. */
export interface LaunchedRedis extends TestRedis {
  readonly pid: number;
  /** redis-server's version ("7.0.15"), or "unknown". */
  readonly version: string;
}

export interface RedisServerOptions {
  /** Wants AUTH with this password (--requirepass); `url` carries it. */
  readonly password?: string;
  /** Listens on TLS only (no plain port), with these PEM files; `url` is rediss://. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string };
  /** Passed on to redis-server after the rest (e.g. ['--loglevel', 'warning']). */
  readonly extraArgs?: readonly string[];
}

const INSTALL_HINT =
  'redis-server was not found on PATH. The Redis test suites and the benchmarks need a real server: ' +
  'install it (Debian/Ubuntu: `apt-get install -y redis-server`; macOS: `brew install redis`).';

/** How long a fresh server may take to answer PING: seconds on a loaded 2-core machine. */
const READY_DEADLINE_MS = 10_000;
/** Grace between SIGTERM and SIGKILL on stop. */
const STOP_GRACE_MS = 5_000;

/** A port nobody listens on right now (listen on 0, read it, close). */
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

/** redis-server's version; throws the install hint when it is not on PATH. */
function installedVersion(): string {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error(INSTALL_HINT);
  return /v=([\d.]+)/.exec(probe.stdout)?.[1] ?? 'unknown';
}

function urlOf(port: number, options: RedisServerOptions): string {
  const auth = options.password === undefined ? '' : `default:${encodeURIComponent(options.password)}@`;
  return `${options.tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}`;
}

function argsOf(port: number, options: RedisServerOptions): string[] {
  // Never `--port 0` for a plain server: Redis then opens no TCP port at all. With TLS that is
  // the point: the TLS port is the only one.
  const listen = options.tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', options.tls.cert]
    : ['--port', String(port)];
  const tls = options.tls
    ? ['--tls-key-file', options.tls.key, '--tls-ca-cert-file', options.tls.ca, '--tls-auth-clients', 'no']
    : [];
  const auth = options.password === undefined ? [] : ['--requirepass', options.password];
  return [
    ...listen,
    ...tls,
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--protected-mode',
    'yes',
    ...auth,
    ...(options.extraArgs ?? []),
  ];
}

function probeClientOptions(url: string, options: RedisServerOptions): RedisClientOptions {
  const socket = { reconnectStrategy: false as const, connectTimeout: 500 };
  if (!options.tls) return { url, socket };
  return { url, socket: { ...socket, tls: true, ca: readFileSync(options.tls.ca) } };
}

async function waitForPing(url: string, options: RedisServerOptions, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_DEADLINE_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const client = createClient(probeClientOptions(url, options));
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
  throw new Error(`redis-server did not answer PING within ${READY_DEADLINE_MS} ms: ${String(lastError)}`);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function launch(port: number, options: RedisServerOptions): Promise<ChildProcess> {
  const child = spawn('redis-server', argsOf(port, options), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  try {
    await waitForPing(urlOf(port, options), options, child);
    return child;
  } catch (err) {
    child.kill('SIGKILL');
    await exited(child);
    if (output.includes('Address already in use'))
      throw Object.assign(new Error('port in use'), { portInUse: true });
    throw new Error(`${(err as Error).message}\n${output}`);
  }
}

/**
 * Starts a private redis-server on a free loopback port and waits for its PING; retries once on
 * another port if someone took this one between the probe and redis-server's bind.
 */
export async function launchRedisServer(options: RedisServerOptions = {}): Promise<LaunchedRedis> {
  const version = installedVersion();
  let port = await freePort();
  let child: ChildProcess;
  try {
    child = await launch(port, options);
  } catch (err) {
    if (!(err as { portInUse?: boolean }).portInUse) throw err;
    port = await freePort();
    child = await launch(port, options);
  }
  let stopping: Promise<void> | undefined;
  const stopChild = async (signal: NodeJS.Signals) => {
    const current = child;
    if (current.exitCode !== null || current.signalCode !== null) return;
    const done = exited(current);
    current.kill(signal);
    const timer = setTimeout(() => current.kill('SIGKILL'), STOP_GRACE_MS);
    await done;
    clearTimeout(timer);
  };
  return {
    url: urlOf(port, options),
    port,
    get pid() {
      return child.pid as number;
    },
    version,
    stop: () => (stopping ??= stopChild('SIGTERM')),
    kill: () => stopChild('SIGKILL'),
    restart: async () => {
      await stopChild('SIGKILL');
      child = await launch(port, options);
    },
  };
}

/** A private redis-server for a test file, or the server REDIS_URL names when it is set. */
export async function startRedis(): Promise<TestRedis> {
  const external = process.env.REDIS_URL;
  if (!external) return launchRedisServer();
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

/** A connected client for assertions in tests; the caller closes it. */
export async function connectTestClient(url: string) {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** The client `connectTestClient` hands back. */
export type TestRedisClient = Awaited<ReturnType<typeof connectTestClient>>;

/** How a test helper itself gets into a server: its password, the CA to trust for TLS. */
export interface ServerAccess {
  readonly password?: string | undefined;
  readonly ca?: Buffer | undefined;
}

/** A node-redis client to one local server, without reconnects (assertions, probes); the caller destroys it. */
export async function connectToServer(port: number, access: ServerAccess): Promise<RedisClientType> {
  const socket = { reconnectStrategy: false as const, connectTimeout: 1_000 };
  const client: RedisClientType = createClient({
    url: `${access.ca ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    ...(access.password === undefined ? {} : { password: access.password }),
    socket: access.ca ? { ...socket, tls: true, ca: access.ca } : socket,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
