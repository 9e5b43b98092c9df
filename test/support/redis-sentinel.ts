/**
 * A private Sentinel setup for a test file: a master, one replica and three sentinels (quorum 2)
 * on free loopback ports, no persistence, every process stopped by its PID. Short
 * down-after-milliseconds and failover-timeout make a failover take seconds.
 *
 * Free of jest, like redis-server.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RedisClientType } from 'redis';
import {
  freePort,
  launchRedisServer,
  type LaunchedRedis,
  connectToServer,
  type ServerAccess,
} from './redis-server';
import { waitFor } from './wait';

/** The name the sentinels monitor the master under (REDIS_SENTINEL_MASTER). */
export const SENTINEL_MASTER_NAME = 'rw-primary';
/** How long the master may go unanswered before a sentinel thinks it down. */
export const SENTINEL_DOWN_AFTER_MS = 1_000;
/** Sentinels finding each other and the replica (hello messages every 2 s). */
const FORM_DEADLINE_MS = 30_000;
const STOP_GRACE_MS = 5_000;

export interface SentinelServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
}

export interface RedisSentinelOptions {
  /** The master and the replica want AUTH with this password (the sentinels are told it). */
  readonly password?: string;
  /** The sentinels want AUTH of their own with this password (it goes into REDIS_SENTINELS). */
  readonly sentinelPassword?: string;
  /**
   * Every process speaks TLS only (clients, replication, the sentinels' own connections) with
   * these PEM files; REDIS_SENTINELS then says rediss://.
   */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string };
}

export interface TestRedisSentinel {
  readonly masterName: string;
  /**
   * REDIS_SENTINELS: the three sentinels comma-separated, `127.0.0.1:<port>`, or
   * `redis://:<password>@127.0.0.1:<port>` when they want AUTH (`rediss://` with TLS).
   */
  readonly sentinelsEnv: string;
  readonly sentinels: readonly SentinelServer[];
  /** The master and the replica as started (roles change with a failover). */
  readonly servers: readonly SentinelServer[];
  /** The master the sentinels name now (SENTINEL GET-MASTER-ADDR-BY-NAME). */
  master(): Promise<SentinelServer>;
  /**
   * kill -9 of the current master. Resolves once it is gone, with Date.now() of the kill and a
   * promise of the `+switch-master` a sentinel publishes (the new master and Date.now() then).
   */
  killMaster(timeoutMs?: number): Promise<{
    readonly killed: SentinelServer;
    readonly killedAtMs: number;
    readonly switched: Promise<{ readonly master: SentinelServer; readonly switchedAtMs: number }>;
  }>;
  /** A node-redis client to one server (no reconnects) for assertions; the caller destroys it. */
  serverClient(server: SentinelServer): Promise<RedisClientType>;
  /** Stops every process (SIGTERM, then SIGKILL) by PID and removes their files. Idempotent. */
  stop(): Promise<void>;
}

type Access = ServerAccess;
const connect = connectToServer;

async function ask(port: number, access: Access, args: string[]): Promise<unknown> {
  const client = await connect(port, access);
  try {
    return await client.sendCommand(args);
  } finally {
    client.destroy();
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SENTINEL MASTER's reply (a flat list, or a map under RESP3) as a record. */
function asRecord(reply: unknown): Record<string, string> {
  if (Array.isArray(reply)) {
    const record: Record<string, string> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) record[String(reply[i])] = String(reply[i + 1]);
    return record;
  }
  return Object.fromEntries(Object.entries(reply as object).map(([k, v]) => [k, String(v)]));
}

/** Waits (wait.ts) until `probe` gives a value other than undefined, every 50 ms. */
function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  return waitFor(probe, {
    what: `redis sentinel: ${what}`,
    timeoutMs,
    everyMs: 50,
    until: (value) => value !== undefined,
  }) as Promise<T>;
}

interface SentinelProcess extends SentinelServer {
  stop(): Promise<void>;
}

/** One sentinel on a free port; retries once when the port was taken in between. */
async function launchSentinel(
  dir: string,
  index: number,
  masterPort: number,
  options: RedisSentinelOptions,
): Promise<SentinelProcess> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const file = path.join(dir, `sentinel-${index}.conf`);
    // The file must be writable: a sentinel records what it learns in it.
    writeFileSync(
      file,
      [
        ...(options.tls
          ? [
              'port 0',
              `tls-port ${port}`,
              `tls-cert-file ${options.tls.cert}`,
              `tls-key-file ${options.tls.key}`,
              `tls-ca-cert-file ${options.tls.ca}`,
              'tls-auth-clients no',
              // The sentinels' own connections (to the servers and to each other) over TLS too.
              'tls-replication yes',
            ]
          : [`port ${port}`]),
        'bind 127.0.0.1',
        `dir ${dir}`,
        'loglevel warning',
        `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} ${SENTINEL_DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 5000`,
        `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
        ...(options.password === undefined
          ? []
          : [`sentinel auth-pass ${SENTINEL_MASTER_NAME} ${options.password}`]),
        // AUTH on the sentinels themselves, which then need it to talk to each other too.
        ...(options.sentinelPassword === undefined
          ? []
          : [
              `requirepass ${options.sentinelPassword}`,
              `sentinel sentinel-pass ${options.sentinelPassword}`,
            ]),
        '',
      ].join('\n'),
    );
    const child = spawn('redis-server', [file, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = exited(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await done;
      clearTimeout(timer);
    };
    try {
      await poll(`sentinel on ${port} answering PING`, 10_000, async () => {
        if (child.exitCode !== null) throw new Error(`sentinel exited with code ${child.exitCode}`);
        const access = {
          password: options.sentinelPassword,
          ca: options.tls && readFileSync(options.tls.ca),
        };
        return (await ask(port, access, ['PING'])) === 'PONG' ? true : undefined;
      });
      const scheme = options.tls ? 'rediss' : 'redis';
      return { port, url: `${scheme}://127.0.0.1:${port}`, pid: child.pid as number, stop };
    } catch (err) {
      await stop();
      if (attempt === 0 && output.includes('Address already in use')) continue;
      throw new Error(`${(err as Error).message}\n${output}`);
    }
  }
}

/**
 * Starts the master, its replica (in sync) and three sentinels, and waits until every sentinel
 * knows the replica and the two other sentinels, so that a failover can be voted.
 */
export async function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<TestRedisSentinel> {
  const { password, sentinelPassword, tls } = options;
  const ca = tls && readFileSync(tls.ca);
  const serverAccess: Access = { password, ca };
  const sentinelAccess: Access = { password: sentinelPassword, ca };
  const dir = mkdtempSync(path.join(tmpdir(), 'rw-sentinel-'));
  const servers: LaunchedRedis[] = [];
  const sentinels: SentinelProcess[] = [];
  const killed = new Set<number>();
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all([...sentinels.map((s) => s.stop()), ...servers.map((s) => s.stop())]);
      rmSync(dir, { recursive: true, force: true });
    })());
  // A replica's first sync at once, not after the diskless sync's default 5 s wait.
  const serverArgs = [
    '--repl-diskless-sync-delay',
    '0',
    '--loglevel',
    'warning',
    ...(password === undefined ? [] : ['--masterauth', password]),
    ...(tls ? ['--tls-replication', 'yes'] : []),
  ];
  const auth = { ...(password === undefined ? {} : { password }), ...(tls ? { tls } : {}) };
  try {
    // Each in a directory of its own: a replica keeps the RDB of its sync in its working directory.
    const dirOf = (name: string) => {
      const serverDir = path.join(dir, name);
      mkdirSync(serverDir);
      return ['--dir', serverDir];
    };
    const master = await launchRedisServer({ ...auth, extraArgs: [...serverArgs, ...dirOf('master')] });
    servers.push(master);
    servers.push(
      await launchRedisServer({
        ...auth,
        extraArgs: [...serverArgs, ...dirOf('replica'), '--replicaof', '127.0.0.1', String(master.port)],
      }),
    );
    await poll('the replica in sync', FORM_DEADLINE_MS, async () => {
      const info = String(await ask(servers[1]?.port ?? 0, serverAccess, ['INFO', 'replication']));
      return /master_link_status:up/.test(info) ? true : undefined;
    });
    for (let i = 0; i < 3; i++) sentinels.push(await launchSentinel(dir, i, master.port, options));
    await poll('every sentinel knowing the replica and the other sentinels', FORM_DEADLINE_MS, async () => {
      for (const sentinel of sentinels) {
        const state = asRecord(
          await ask(sentinel.port, sentinelAccess, ['SENTINEL', 'MASTER', SENTINEL_MASTER_NAME]),
        );
        if (state['num-other-sentinels'] !== '2' || state['num-slaves'] !== '1' || state.flags !== 'master')
          return undefined;
      }
      return true;
    });
  } catch (err) {
    await stop();
    throw err;
  }

  const serverOf = (server: LaunchedRedis): SentinelServer => ({
    port: server.port,
    url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${server.port}`,
    pid: server.pid,
  });
  const byPort = (port: number) => {
    const server = servers.find((s) => s.port === port);
    if (!server) throw new Error(`redis sentinel: no server on port ${port}`);
    return server;
  };
  const master = async () => {
    for (const sentinel of sentinels) {
      try {
        const reply = (await ask(sentinel.port, sentinelAccess, [
          'SENTINEL',
          'GET-MASTER-ADDR-BY-NAME',
          SENTINEL_MASTER_NAME,
        ])) as [string, string];
        return serverOf(byPort(Number(reply[1])));
      } catch {
        // The next sentinel.
      }
    }
    throw new Error('redis sentinel: no sentinel names a master');
  };

  return {
    masterName: SENTINEL_MASTER_NAME,
    sentinelsEnv: sentinels
      .map((s) =>
        sentinelPassword === undefined && !tls
          ? `127.0.0.1:${s.port}`
          : `${tls ? 'rediss' : 'redis'}://${sentinelPassword === undefined ? '' : `:${encodeURIComponent(sentinelPassword)}@`}127.0.0.1:${s.port}`,
      )
      .join(','),
    sentinels: sentinels.map(({ port, url, pid }) => ({ port, url, pid })),
    servers: servers.map(serverOf),
    master,
    killMaster: async (timeoutMs = 20_000) => {
      const current = await master();
      // Subscribed before the kill, so the switch cannot be missed.
      const subscriber = await connect(sentinels[0]?.port ?? 0, sentinelAccess);
      let timer: NodeJS.Timeout | undefined;
      let seen: (value: { master: SentinelServer; switchedAtMs: number }) => void = () => undefined;
      const switched = new Promise<{ master: SentinelServer; switchedAtMs: number }>((resolve, reject) => {
        seen = resolve;
        timer = setTimeout(
          () => reject(new Error(`redis sentinel: no +switch-master within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }).finally(() => {
        clearTimeout(timer);
        subscriber.destroy();
      });
      // <name> <old ip> <old port> <new ip> <new port>
      await subscriber.subscribe('+switch-master', (message) => {
        const [name, , , , port] = message.split(' ');
        if (name === SENTINEL_MASTER_NAME)
          seen({ master: serverOf(byPort(Number(port))), switchedAtMs: Date.now() });
      });
      switched.catch(() => undefined);
      killed.add(current.port);
      const killedAtMs = Date.now();
      await byPort(current.port).kill();
      return { killed: current, killedAtMs, switched };
    },
    serverClient: (server) => connect(server.port, serverAccess),
    stop,
  };
}
