/**
 * The agent's own small HTTP server: /livez, /health/detailed and /metrics. Plain node:http, not
 * express: the agent runs beside every instance and must stay light.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** Where to listen and what to answer with. */
export interface AgentServerOptions {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  readonly registry: Registry;
  /** The body of /health/detailed; must hold no secret. */
  readonly health: () => unknown;
}

/** A listening agent server. */
export interface AgentServer {
  /** The port actually bound. */
  readonly port: number;
  /** Idempotent. Drops idle and in-flight connections rather than waiting on them. */
  close(): Promise<void>;
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

const ROUTES = new Set(['/livez', '/health/detailed', '/metrics']);

/** Starts listening; resolves once bound, rejects when the port cannot be bound. */
export function startAgentServer(options: AgentServerOptions): Promise<AgentServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (!ROUTES.has(path)) return sendJson(res, 404, { error: 'not found', path });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendJson(res, 405, { error: 'method not allowed' }, { allow: 'GET, HEAD' });
    }
    if (path === '/livez') return sendJson(res, 200, { status: 'ok' });
    if (path === '/health/detailed') return sendJson(res, 200, options.health());
    const text = await options.registry.metrics();
    res.writeHead(200, {
      'content-type': options.registry.contentType,
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // No error text in the answer: it could quote configuration.
      if (res.headersSent) return res.destroy();
      sendJson(res, 500, { error: 'internal error' });
    });
  });
  // Scrapers and probes open a connection per request; idle ones need not linger.
  server.keepAliveTimeout = 5_000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      let closing: Promise<void> | undefined;
      resolve({
        port: (server.address() as AddressInfo).port,
        close() {
          closing ??= new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          });
          return closing;
        },
      });
    });
  });
}
