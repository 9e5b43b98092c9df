/**
 * The load generator's writers against real servers: the Redis path leaves exactly what an
 * agent's recordHeartbeat leaves (a private redis-server; also after SCRIPT FLUSH, and behind
 * a password), and batched HTTP ingest posts JSON arrays and counts each item from the answer
 * (a node:http test server speaking the aggregator's batch form).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimulatedFleet } from '../../bench/loadgen/fleet';
import { createHttpWriter, createRedisWriter, IngestRefused } from '../../bench/loadgen/writers';
import { startBareHttpServer } from '../../bench/support/bare-http';
import type { Heartbeat } from '../../shared/heartbeat';
import { serverEngine } from '../../shared/redis-engine';
import { appKeys } from '../../shared/redis-keys';
import { recordHeartbeat } from '../../shared/redis-scripts';
import { useTestRedis } from '../support/redis-rig';
import { connectTestClient, launchRedisServer, type TestRedisClient } from '../support/redis-server';

const redis = useTestRedis({ flush: true });

function fleet(app: string, instances = 6) {
  return new SimulatedFleet({
    instances,
    app,
    components: ['backend', 'worker'],
    deployments: 1,
    oldShare: 0,
    intervalMs: 1_000,
    ttlMs: 30_000,
    startedAtMs: Date.now(),
  });
}

/** Everything one app's keys hold, without the Redis times (scores, entry ids). */
async function stateOf(client: TestRedisClient, app: string, ids: string[]) {
  const keys = appKeys(app);
  const values = await Promise.all(ids.map((id) => client.get(keys.heartbeat(id))));
  const ttls = await Promise.all(ids.map((id) => client.pTTL(keys.heartbeat(id))));
  const seen = (await client.zRange(keys.seen, 0, -1)).sort();
  // Sorted: over two connections the first round's entries may interleave either way.
  const feed = ((await client.xRange(keys.feed, '-', '+')) ?? [])
    .map((entry) => entry.message.hb ?? '')
    .sort();
  return { values, live: ttls.map((ttl) => ttl > 25_000 && ttl <= 30_000), seen, feed };
}

describe.each([
  ['bare pipelined connections', false],
  ["the agents' own connections", true],
])('the Redis writer through %s', (_via, agentClient) => {
  it('writes what the agents write: the same keys, values, TTLs, index and feed', async () => {
    const f = fleet('lg-same');
    const beats = [
      ...f.instances.map((_, i) => f.heartbeat(i, Date.now())),
      f.goodbye(2, Date.now()),
      f.heartbeat(3, Date.now()),
    ];
    const ids = f.instances.map((i) => i.instanceId);

    // The agents' path: recordHeartbeat, one after the other.
    for (const { heartbeat, json } of beats) await recordHeartbeat(redis.client, heartbeat, json);
    const byAgents = await stateOf(redis.client, 'lg-same', ids);
    await redis.client.flushAll();

    const writer = await createRedisWriter(serverEngine(redis.url), 2, { agentClient });
    try {
      // In order per instance: the goodbye and the later heartbeat come after the first round.
      await Promise.all(beats.slice(0, f.size).map(({ heartbeat, json }) => writer.write(heartbeat, json)));
      for (const { heartbeat, json } of beats.slice(f.size)) await writer.write(heartbeat, json);
      expect(writer.stats?.()).toEqual({ requests: beats.length, accepted: beats.length, rejected: 0 });
    } finally {
      await writer.close();
    }
    const byLoadgen = await stateOf(redis.client, 'lg-same', ids);
    expect(byLoadgen).toEqual(byAgents);
    // And what that is: instance 2 left, the rest are live, the feed has every write.
    expect(byLoadgen.values[2]).toBeNull();
    expect(byLoadgen.values[0]).toBe(beats[0]?.json);
    expect(byLoadgen.seen).toEqual(ids.filter((_, i) => i !== 2).sort());
    expect(byLoadgen.feed).toEqual(beats.map(({ json }) => json).sort());
    expect(byLoadgen.live.filter((live, i) => live && i !== 2)).toHaveLength(ids.length - 1);
  });

  it('falls back to EVAL once the server has forgotten the script (NOSCRIPT)', async () => {
    const f = fleet('lg-noscript', 40);
    const writer = await createRedisWriter(serverEngine(redis.url), 1, { agentClient });
    try {
      await redis.client.scriptFlush();
      await Promise.all(
        f.instances.map((_, i) => f.heartbeat(i, Date.now())).map((b) => writer.write(b.heartbeat, b.json)),
      );
      expect(await redis.client.zCard(appKeys('lg-noscript').seen)).toBe(40);
      const stats = writer.stats?.();
      expect(stats?.accepted).toBe(40);
      // Each heartbeat that met NOSCRIPT was sent once more as EVAL; none twice.
      expect(stats?.requests).toBeGreaterThan(40);
      expect(stats?.requests).toBeLessThanOrEqual(80);
      expect(await redis.client.xLen(appKeys('lg-noscript').feed)).toBe(40);
    } finally {
      await writer.close();
    }
  });

  it('fails a write it cannot make and counts the refusal', async () => {
    const writer = await createRedisWriter(serverEngine(redis.url), 1, { agentClient });
    try {
      const { heartbeat, json } = fleet('lg-wrongtype').heartbeat(0, Date.now());
      // The seen index taken by a value of another type: the script's ZADD fails (WRONGTYPE).
      await redis.client.set(appKeys('lg-wrongtype').seen, 'not a zset');
      await expect(writer.write(heartbeat, json)).rejects.toThrow(/WRONGTYPE/);
      expect(writer.stats?.()).toMatchObject({ accepted: 0, rejected: 1 });
    } finally {
      await writer.close();
    }
  });

  it('authenticates with the password REDIS_URL carries', async () => {
    const secured = await launchRedisServer({ password: 'lg-pass word' });
    const check = await connectTestClient(secured.url);
    try {
      const f = fleet('lg-auth', 3);
      const writer = await createRedisWriter(serverEngine(secured.url), 2, { agentClient });
      try {
        await Promise.all(
          f.instances.map((_, i) => f.heartbeat(i, Date.now())).map((b) => writer.write(b.heartbeat, b.json)),
        );
      } finally {
        await writer.close();
      }
      expect(await check.zCard(appKeys('lg-auth').seen)).toBe(3);
      // Without the password the writer does not start.
      const wrong = secured.url.replace(/:[^:@/]*@/, ':wrong@');
      await expect(createRedisWriter(serverEngine(wrong), 1, { agentClient })).rejects.toThrow(
        /WRONGPASS|invalid/i,
      );
    } finally {
      await check.close();
      await secured.stop();
    }
  });
});

/** A test server speaking the aggregator's batch form; item `rejectIndex` of every batch is refused. */
async function batchServer(rejectIndex: number | null) {
  const bodies: { contentType: string | undefined; items: unknown }[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const items: unknown = JSON.parse(text);
      bodies.push({ contentType: req.headers['content-type'], items });
      if (!Array.isArray(items)) {
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"accepted"}');
        return;
      }
      const results = items.map((_, index) =>
        index === rejectIndex
          ? { index, status: 400, error: 'heartbeat rejected', reason: 'invalid' }
          : { index, status: 202, outcome: 'new' },
      );
      const rejected = results.filter((r) => r.status === 400).length;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ accepted: items.length - rejected, rejected, results }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function beats(n: number): { heartbeat: Heartbeat; json: string }[] {
  const f = fleet('lg-http', n);
  return f.instances.map((_, i) => f.heartbeat(i, Date.now()));
}

describe('the batched HTTP writer', () => {
  it('posts the heartbeats of a turn as JSON arrays of at most --batch items, and counts the answer', async () => {
    const server = await batchServer(1);
    const writer = createHttpWriter({ aggregatorUrl: server.url, connections: 2, token: null, batch: 3 });
    try {
      const sent = beats(7);
      const outcomes = await Promise.allSettled(sent.map((b) => writer.write(b.heartbeat, b.json)));
      expect(server.bodies.map((b) => (b.items as unknown[]).length).sort()).toEqual([1, 3, 3]);
      expect(server.bodies.every((b) => b.contentType === 'application/json')).toBe(true);
      // The items arrive as the heartbeats themselves, in order.
      const arrived = server.bodies.flatMap((b) => b.items as Heartbeat[]).map((h) => h.instance_id);
      expect(arrived.sort()).toEqual(sent.map((b) => b.heartbeat.instance_id).sort());
      // Item 1 of each of the three batches was refused: those writes fail, the others succeed.
      expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(2);
      const refused = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(refused?.reason).toBeInstanceOf(IngestRefused);
      expect((refused?.reason as IngestRefused).status).toBe(400);
      expect(writer.stats?.()).toEqual({ requests: 3, accepted: 5, rejected: 2 });
    } finally {
      await writer.close();
      await server.close();
    }
  });

  it('sends one heartbeat per POST by default', async () => {
    const server = await batchServer(null);
    const writer = createHttpWriter({ aggregatorUrl: server.url, connections: 1, token: 'tok' });
    try {
      const sent = beats(3);
      await Promise.all(sent.map((b) => writer.write(b.heartbeat, b.json)));
      expect(server.bodies.map((b) => Array.isArray(b.items))).toEqual([false, false, false]);
      expect(writer.stats?.()).toEqual({ requests: 3, accepted: 3, rejected: 0 });
    } finally {
      await writer.close();
      await server.close();
    }
  });

  it('fails every item of a batch the server refuses whole', async () => {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () =>
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"no arrays"}'),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const writer = createHttpWriter({
      aggregatorUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      connections: 1,
      token: null,
      batch: 10,
    });
    try {
      const outcomes = await Promise.allSettled(beats(4).map((b) => writer.write(b.heartbeat, b.json)));
      expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
      expect(writer.stats?.()).toEqual({ requests: 1, accepted: 0, rejected: 4 });
    } finally {
      await writer.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  });

  it('is answered by the bare node:http baseline in both forms', async () => {
    const bare = await startBareHttpServer();
    const single = createHttpWriter({ aggregatorUrl: bare.url, connections: 1, token: null });
    const batched = createHttpWriter({ aggregatorUrl: bare.url, connections: 1, token: null, batch: 4 });
    try {
      const sent = beats(6);
      await Promise.all(sent.map((b) => single.write(b.heartbeat, b.json)));
      await Promise.all(sent.map((b) => batched.write(b.heartbeat, b.json)));
      expect(single.stats?.()).toEqual({ requests: 6, accepted: 6, rejected: 0 });
      expect(batched.stats?.()).toEqual({ requests: 2, accepted: 6, rejected: 0 });
      expect(bare.counts()).toEqual({ requests: 8, heartbeats: 12 });
    } finally {
      await single.close();
      await batched.close();
      await bare.close();
    }
  });
});
