/**
 * The floor under HTTP ingest: a bare `node:http` server taking the same POST bodies the
 * aggregator's `POST /api/v1/heartbeats` takes, doing nothing with them but what any answer
 * needs. A single heartbeat is read whole and answered 202; a JSON array (the batch form) is
 * read and parsed (its answer counts the items) and answered 200 with a result per item, the
 * aggregator's batch answer. Measured with the same client as the aggregator, the ratio of the
 * two is what the aggregator's own work costs.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BareHttpServer {
  /** `http://127.0.0.1:<port>`: post to `<url>/api/v1/heartbeats`. */
  readonly url: string;
  /** Requests answered so far, and the heartbeats in them. */
  counts(): { readonly requests: number; readonly heartbeats: number };
  /** Idempotent. */
  close(): Promise<void>;
}

const SINGLE_ANSWER = JSON.stringify({ status: 'accepted', outcome: 'new' });

/** Starts the server on a free loopback port. */
export function startBareHttpServer(): Promise<BareHttpServer> {
  let requests = 0;
  let heartbeats = 0;
  const answer = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== '/api/v1/heartbeats') {
      answer(res, 404, '{"error":"no route"}');
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests++;
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      // '[' opens the batch form; anything else is one heartbeat.
      if (body[0] !== 0x5b) {
        heartbeats++;
        answer(res, 202, SINGLE_ANSWER);
        return;
      }
      let items: unknown;
      try {
        items = JSON.parse(body.toString('utf8'));
      } catch {
        answer(res, 400, '{"error":"not JSON"}');
        return;
      }
      const count = Array.isArray(items) ? items.length : 0;
      heartbeats += count;
      const results = Array.from({ length: count }, (_, index) => ({ index, status: 202, outcome: 'new' }));
      answer(res, 200, JSON.stringify({ accepted: count, rejected: 0, results }));
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      let closing: Promise<void> | undefined;
      resolve({
        url: `http://127.0.0.1:${port}`,
        counts: () => ({ requests, heartbeats }),
        close: () =>
          (closing ??= new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          })),
      });
    });
  });
}

/**
 * Run as a process of its own (`node dist/bench/support/bare-http.js`), as the aggregator runs,
 * so that the two are measured alike: logs `{"msg":"bare http listening","port":P}`, stops on
 * SIGTERM/SIGINT.
 */
if (require.main === module) {
  void startBareHttpServer().then((server) => {
    process.stdout.write(
      `${JSON.stringify({ msg: 'bare http listening', port: Number(new URL(server.url).port) })}\n`,
    );
    // Closing the server leaves nothing to hold the process: it ends by itself.
    const stop = () => void server.close();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
