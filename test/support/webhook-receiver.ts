/** A local webhook receiver (node:http on port 0) that records every POST it gets. */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPost {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One notification as replica-watch's webhook body carries it. */
export interface WebhookNotification {
  readonly kind: string;
  readonly status: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly posts: ReceivedPost[];
  /** Every notification received so far, in order. */
  notifications(): WebhookNotification[];
  /** Idempotent. */
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const posts: ReceivedPost[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.method === 'POST') posts.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    posts,
    notifications: () =>
      posts.flatMap(
        (post) => (JSON.parse(post.body) as { notifications: WebhookNotification[] }).notifications,
      ),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })),
  };
}
