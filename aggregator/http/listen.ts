/** Binding an HTTP server, with the one error operators hit most said plainly. */
import type { RequestListener, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export class PortInUseError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    hint: string,
  ) {
    super(`port ${port} on ${host} is already in use: ${hint}`);
    this.name = 'PortInUseError';
  }
}

/** Listens; resolves with the server and the bound port (useful with port 0). */
export function listen(
  handler: RequestListener,
  host: string,
  port: number,
  portHint = 'stop the other process or set PORT to a free port',
): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(host, port, portHint) : err);
    });
    server.listen(port, host, () => {
      resolve({ server, port: (server.address() as AddressInfo).port });
    });
  });
}

/** Stops accepting, ends idle keep-alive connections, and resolves when all are closed. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
