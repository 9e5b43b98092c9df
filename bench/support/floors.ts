/**
 * What the engines underneath cost at the least, measured in the same run as the figures they
 * bound: the resident memory of an idle Node.js process, and the time Redis takes to hand an
 * app's whole index and heartbeats to a bare client (no parsing, no registry).
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { appKeys } from '../../shared/redis-keys';
import { procUsage } from './processes';
import { connectBenchClient } from './redis-server';

/** RSS (MB) of `node -e 'setInterval(…)'` after `settleMs`: the floor of any Node process here. */
export async function idleNodeRssMb(settleMs = 2_000): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    return procUsage(child.pid as number).rssBytes / 2 ** 20;
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

// The collector's own resync shape (aggregator/collector/redis-collector.ts): MGETs of 1,000
// keys, 8 in flight at once.
const MGET_CHUNK = 1_000;
const MGET_DEPTH = 8;

/**
 * ZRANGE of the app's index WITHSCORES, then MGET of every heartbeat key in the collector's
 * chunks, on a fresh node-redis connection: ms from the first command to the last reply, and
 * the heartbeats found. The floor under a resync: the bytes out of Redis, nothing done with them.
 */
export async function rawIndexReadMs(url: string, app: string): Promise<{ ms: number; heartbeats: number }> {
  const client = await connectBenchClient(url);
  try {
    const keys = appKeys(app);
    const started = performance.now();
    const members = await client.zRangeWithScores(keys.seen, 0, -1);
    let heartbeats = 0;
    for (let wave = 0; wave < members.length; wave += MGET_CHUNK * MGET_DEPTH) {
      const chunks: string[][] = [];
      for (let i = 0; i < MGET_DEPTH; i++) {
        const start = wave + i * MGET_CHUNK;
        if (start >= members.length) break;
        chunks.push(members.slice(start, start + MGET_CHUNK).map((m) => keys.heartbeat(m.value)));
      }
      const replies = await Promise.all(chunks.map((chunk) => client.mGet(chunk)));
      for (const reply of replies) heartbeats += reply.filter((raw) => raw !== null).length;
    }
    return { ms: performance.now() - started, heartbeats };
  } finally {
    await client.close();
  }
}
