/**
 * A private Redis Cluster for a test file: six redis-server processes on free loopback ports
 * (three masters, three replicas, made one cluster by `redis-cli --cluster create`), no
 * persistence, every process stopped by its PID. A short cluster-node-timeout makes a failover
 * take seconds, not the default's tens of seconds; full coverage is not required, so a dead
 * master stops only its own slots (as production should run it: see docs/reliability.md).
 *
 * Free of jest, like redis-server.ts.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RedisClientType } from 'redis';
import { connectToServer, launchRedisServer, type LaunchedRedis, type ServerAccess } from './redis-server';
import { waitFor } from './wait';

/** How long a node may go unanswered before the others fail it over (cluster-node-timeout). */
export const CLUSTER_NODE_TIMEOUT_MS = 2_000;
/** Creating the cluster and seeing every replica in sync: seconds on a loaded 2-core machine. */
const FORM_DEADLINE_MS = 30_000;

/** One node of the cluster. */
export interface ClusterNode {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` (`rediss://` with TLS), without the password. */
  readonly url: string;
  readonly pid: number;
  /** Whether this test killed it. */
  readonly killed: boolean;
}

/** The master that serves a slot, as the surviving nodes see it. */
export interface SlotOwner {
  readonly slot: number;
  readonly master: ClusterNode;
  readonly replicas: readonly ClusterNode[];
}

export interface RedisClusterOptions {
  /** Every node wants AUTH with this password (--requirepass, --masterauth for its replicas). */
  readonly password?: string;
  /**
   * Every node speaks TLS only, clients, replication and the cluster bus alike, with these PEM
   * files (no client certificates asked for).
   */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string };
}

export interface TestRedisCluster {
  readonly nodes: readonly ClusterNode[];
  /** REDIS_CLUSTER_NODES: every node's URL (no password in it), comma-separated. */
  readonly nodesEnv: string;
  /** The slot of a key (CLUSTER KEYSLOT). */
  slotOf(key: string): Promise<number>;
  /** Which master serves the key's slot now, and its replicas. */
  ownerOf(key: string): Promise<SlotOwner>;
  /** kill -9 of a node; resolves once the process is gone, with Date.now() of the kill. */
  kill(node: ClusterNode): Promise<number>;
  /**
   * Waits until a replica of `formerMaster` has taken over the key's slot (it says role:master
   * and the surviving nodes route the slot to it); resolves with the new owner and Date.now()
   * when that was first seen.
   */
  waitForPromotion(
    key: string,
    formerMaster: ClusterNode,
    timeoutMs?: number,
  ): Promise<{ owner: SlotOwner; promotedAtMs: number }>;
  /** A node-redis client to one node (no reconnects) for assertions; the caller destroys it. */
  nodeClient(node: ClusterNode): Promise<NodeClient>;
  /** Stops every node (SIGTERM, then SIGKILL) by PID and removes their files. Idempotent. */
  stop(): Promise<void>;
}

type NodeClient = RedisClientType;

type Access = ServerAccess;
const connectNode = connectToServer;

/** One command on a fresh connection to a node; the reply as text. */
async function ask(port: number, access: Access, args: string[]): Promise<string> {
  const client = await connectNode(port, access);
  try {
    const reply = await client.sendCommand(args);
    return typeof reply === 'string' ? reply : JSON.stringify(reply);
  } finally {
    client.destroy();
  }
}

function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/** Runs `redis-cli` and resolves with its output; rejects with it on a non-zero exit. */
function redisCli(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err) =>
      reject(
        new Error(
          `redis-cli could not be started (${err.message}): it comes with redis-server ` +
            '(Debian/Ubuntu: `apt-get install -y redis-tools`; macOS: `brew install redis`)',
        ),
      ),
    );
    child.on('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`redis-cli exited with ${code}:\n${output}`)),
    );
  });
}

/** Waits (wait.ts) until `probe` gives a value other than undefined, every 50 ms. */
function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  return waitFor(probe, {
    what: `redis cluster: ${what}`,
    timeoutMs,
    everyMs: 50,
    until: (value) => value !== undefined,
  }) as Promise<T>;
}

/**
 * Starts six nodes, creates the cluster (three masters with one replica each) and waits until
 * every node says cluster_state:ok and every replica's master_link_status is up.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<TestRedisCluster> {
  const { password, tls } = options;
  const access: Access = {
    ...(password === undefined ? {} : { password }),
    ...(tls ? { ca: readFileSync(tls.ca) } : {}),
  };
  const auth = password === undefined ? [] : ['--masterauth', password];
  const tlsArgs = tls ? ['--tls-cluster', 'yes', '--tls-replication', 'yes'] : [];
  const scheme = tls ? 'rediss' : 'redis';
  const dir = mkdtempSync(path.join(tmpdir(), 'rw-cluster-'));
  const servers: LaunchedRedis[] = [];
  const killed = new Set<number>();
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all(servers.map((s) => s.stop()));
      rmSync(dir, { recursive: true, force: true });
    })());
  try {
    // Each in a directory of its own, for its nodes.conf.
    const launched = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => {
        const nodeDir = path.join(dir, `node-${i}`);
        mkdirSync(nodeDir);
        return launchRedisServer({
          ...(password === undefined ? {} : { password }),
          ...(tls ? { tls } : {}),
          extraArgs: [
            ...auth,
            ...tlsArgs,
            '--cluster-enabled',
            'yes',
            '--dir',
            nodeDir,
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            String(CLUSTER_NODE_TIMEOUT_MS),
            '--cluster-require-full-coverage',
            'no',
            // A replica's first sync at once, not after the diskless sync's default 5 s wait.
            '--repl-diskless-sync-delay',
            '0',
            '--loglevel',
            'warning',
          ],
        });
      }),
    );
    for (const result of launched) if (result.status === 'fulfilled') servers.push(result.value);
    const failed = launched.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    await redisCli([
      ...(password === undefined ? [] : ['-a', password, '--no-auth-warning']),
      ...(tls ? ['--tls', '--cacert', tls.ca] : []),
      '--cluster',
      'create',
      ...servers.map((s) => `127.0.0.1:${s.port}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]);
    await poll('every node in cluster_state:ok, every replica in sync', FORM_DEADLINE_MS, async () => {
      for (const server of servers) {
        const info = await ask(server.port, access, ['CLUSTER', 'INFO']);
        if (field(info, 'cluster_state') !== 'ok' || field(info, 'cluster_known_nodes') !== '6')
          return undefined;
        const replication = await ask(server.port, access, ['INFO', 'replication']);
        if (field(replication, 'role') === 'slave' && field(replication, 'master_link_status') !== 'up')
          return undefined;
      }
      return true;
    });
  } catch (err) {
    await stop();
    throw err;
  }

  const nodeOf = (server: LaunchedRedis): ClusterNode => ({
    port: server.port,
    url: `${scheme}://127.0.0.1:${server.port}`,
    pid: server.pid,
    killed: killed.has(server.port),
  });
  const alive = () => servers.filter((s) => !killed.has(s.port));
  const byPort = (port: number) => {
    const server = servers.find((s) => s.port === port);
    if (!server) throw new Error(`redis cluster: no node on port ${port}`);
    return server;
  };
  const slotOf = async (key: string) =>
    Number(await ask(alive()[0]?.port ?? 0, access, ['CLUSTER', 'KEYSLOT', key]));
  /** The owner of a slot as one surviving node sees it (CLUSTER NODES). */
  const ownerSeenBy = async (port: number, slot: number): Promise<SlotOwner | undefined> => {
    const lines = (await ask(port, access, ['CLUSTER', 'NODES'])).split('\n').filter((l) => l.trim() !== '');
    // <id> <ip:port@cport> <flags> <master id | -> <ping> <pong> <epoch> <link> <slot ranges...>
    const nodes = lines.map((line) => {
      const [id = '', address = '', flags = '', masterId = '', , , , , ...slots] = line.split(' ');
      return {
        id,
        port: Number(address.split('@')[0]?.split(':')[1]),
        flags: flags.split(','),
        masterId,
        slots,
      };
    });
    const covers = (range: string) => {
      const [from, to = from] = range.split('-').map(Number);
      return from !== undefined && to !== undefined && from <= slot && slot <= to;
    };
    const master = nodes.find(
      (n) => n.flags.includes('master') && !n.flags.includes('fail') && n.slots.some(covers),
    );
    if (!master) return undefined;
    return {
      slot,
      master: nodeOf(byPort(master.port)),
      replicas: nodes.filter((n) => n.masterId === master.id).map((n) => nodeOf(byPort(n.port))),
    };
  };
  const ownerOf = async (key: string): Promise<SlotOwner> => {
    const slot = await slotOf(key);
    const owner = await ownerSeenBy(alive()[0]?.port ?? 0, slot);
    if (!owner) throw new Error(`redis cluster: no node serves slot ${slot}`);
    return owner;
  };

  return {
    get nodes() {
      return servers.map(nodeOf);
    },
    nodesEnv: servers.map((s) => `${scheme}://127.0.0.1:${s.port}`).join(','),
    slotOf,
    ownerOf,
    kill: async (node) => {
      killed.add(node.port);
      const atMs = Date.now();
      await byPort(node.port).kill();
      return atMs;
    },
    waitForPromotion: async (key, formerMaster, timeoutMs = 20_000) => {
      const slot = await slotOf(key);
      const owner = await poll(`a replica of ${formerMaster.port} promoted`, timeoutMs, async () => {
        const views = await Promise.all(alive().map((s) => ownerSeenBy(s.port, slot)));
        const first = views[0];
        if (!first || first.master.port === formerMaster.port) return undefined;
        if (views.some((v) => v?.master.port !== first.master.port)) return undefined;
        const replication = await ask(first.master.port, access, ['INFO', 'replication']);
        return field(replication, 'role') === 'master' ? first : undefined;
      });
      return { owner, promotedAtMs: Date.now() };
    },
    nodeClient: (node) => connectNode(node.port, access),
    stop,
  };
}
