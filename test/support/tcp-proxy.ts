/**
 * A TCP proxy for fault injection between processes and a server (Redis): it forwards bytes
 * both ways and, on demand, delays them (latency), holds them (a stall: connections stay open
 * and silent, as behind a wedged network path), closes every connection (drop), or refuses new
 * ones. Order is kept in each direction whatever the faults do.
 */
import type { AddressInfo, Server, Socket } from 'node:net';
import { connect, createServer } from 'node:net';

export interface TcpProxy {
  /** The port to connect to instead of the target's. */
  readonly port: number;
  /** Adds this much delay to every chunk, each way (0: none). Applies to chunks from now on. */
  setLatency(ms: number): void;
  /** Holds every byte, both ways, until resume(); connections stay open. */
  stall(): void;
  /** Releases what a stall held, in order, and forwards normally again. */
  resume(): void;
  /** Closes every open connection at once (both sides see it die). Returns how many. */
  dropAll(): number;
  /** While true, new connections are accepted and closed at once, as if the target were down. */
  refuse(on: boolean): void;
  /** Connections open now. */
  connections(): number;
  /** Connections accepted since start (refused ones included). */
  accepted(): number;
  /** Idempotent: stops listening and closes every connection. */
  close(): Promise<void>;
}

/** One direction of one connection: chunks wait here for their time (or for a stall to end). */
class Pipe {
  private readonly queue: { chunk: Buffer; dueMs: number }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly to: Socket,
    private readonly faults: { latencyMs: number; stalled: boolean },
  ) {}

  push(chunk: Buffer): void {
    const last = this.queue[this.queue.length - 1];
    // Never earlier than the chunk before it: a latency that drops must not reorder bytes.
    const dueMs = Math.max(Date.now() + this.faults.latencyMs, last?.dueMs ?? 0);
    this.queue.push({ chunk, dueMs });
    this.pump();
  }

  pump(): void {
    if (this.timer || this.faults.stalled) return;
    while (this.queue.length > 0) {
      const head = this.queue[0] as { chunk: Buffer; dueMs: number };
      const waitMs = head.dueMs - Date.now();
      if (waitMs > 0) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.pump();
        }, waitMs);
        return;
      }
      this.queue.shift();
      if (!this.to.destroyed) this.to.write(head.chunk);
    }
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
  }
}

/** Starts a proxy on a free loopback port forwarding to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const faults = { latencyMs: 0, stalled: false };
  let refusing = false;
  let accepted = 0;
  const links = new Set<{ client: Socket; upstream: Socket; pipes: Pipe[] }>();

  const server: Server = createServer((client) => {
    accepted++;
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    const toUpstream = new Pipe(upstream, faults);
    const toClient = new Pipe(client, faults);
    const link = { client, upstream, pipes: [toUpstream, toClient] };
    links.add(link);
    const end = () => {
      if (!links.delete(link)) return;
      toUpstream.clear();
      toClient.clear();
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => toUpstream.push(chunk));
    upstream.on('data', (chunk: Buffer) => toClient.push(chunk));
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      socket.on('error', end);
      socket.on('close', end);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });

  let closing: Promise<void> | null = null;
  const closeAll = (): number => {
    const count = links.size;
    for (const link of [...links]) {
      // Closed, not reset: socket.resetAndDestroy() (an RST) leaves Node 20.20 spinning at exit
      // in its handle cleanup now and then. To the processes under test either is a connection
      // that died under them.
      link.client.destroy();
      link.upstream.destroy();
    }
    return count;
  };
  return {
    port: (server.address() as AddressInfo).port,
    setLatency: (ms) => {
      faults.latencyMs = Math.max(0, ms);
    },
    stall: () => {
      faults.stalled = true;
    },
    resume: () => {
      faults.stalled = false;
      for (const link of links) for (const pipe of link.pipes) pipe.pump();
    },
    dropAll: closeAll,
    refuse: (on) => {
      refusing = on;
    },
    connections: () => links.size,
    accepted: () => accepted,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        closeAll();
      })),
  };
}
