/**
 * The one fake HTTP receiver of the tests (node:http on port 0): it records every request
 * (webhook and Slack sinks, Alertmanager's API, an agent's HTTP transport) and answers as told.
 * For replica-watch's webhook body it also reads the notifications back.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPost {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly receivedAtMs: number;
  /** When the answer went out; null while it is held (a slow receiver). */
  answeredAtMs: number | null;
}

/** One notification as replica-watch's webhook body carries it. */
export interface WebhookNotification {
  readonly kind: string;
  readonly status: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/** One alert notification as the webhook received it. */
export interface ReceivedAlert {
  readonly atMs: number;
  readonly status: 'firing' | 'resolved';
  readonly kind: string;
  readonly code: string;
  readonly component: string;
}

export interface AlertFilter {
  /** Received at or after (Date.now() ms). */
  readonly sinceMs?: number;
  readonly codes?: readonly string[];
  readonly status?: 'firing' | 'resolved';
}

export interface Answer {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface ReceiverOptions {
  /**
   * The answer to a request, and when: it may wait before resolving (a slow receiver). Default:
   * 200 with `{}`.
   */
  readonly answer?: (post: ReceivedPost) => Answer | void | Promise<Answer | void>;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>`: append a path of your own. */
  readonly baseUrl: string;
  /** `<baseUrl>/hook`: a webhook URL. */
  readonly url: string;
  /** Every request received so far, in order (clear with `posts.length = 0`). */
  readonly posts: ReceivedPost[];
  /** Every notification of a webhook body received so far, in order. */
  notifications(): WebhookNotification[];
  /** The alerts received, optionally since a time, of some codes or of one status. */
  received(filter?: AlertFilter): ReceivedAlert[];
  /** Idempotent. */
  close(): Promise<void>;
}

function notificationsOf(post: ReceivedPost): WebhookNotification[] {
  try {
    const parsed = JSON.parse(post.body) as { notifications?: unknown };
    return Array.isArray(parsed.notifications) ? (parsed.notifications as WebhookNotification[]) : [];
  } catch {
    // Not a webhook body (a Slack message, an agent's heartbeat): no notification in it.
    return [];
  }
}

export async function startWebhookReceiver(options: ReceiverOptions = {}): Promise<WebhookReceiver> {
  const posts: ReceivedPost[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const post: ReceivedPost = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        receivedAtMs: Date.now(),
        answeredAtMs: null,
      };
      posts.push(post);
      void Promise.resolve(options.answer?.(post)).then((answer) => {
        post.answeredAtMs = Date.now();
        res.writeHead(answer?.status ?? 200, answer?.headers).end(answer?.body ?? '{}');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  let closing: Promise<void> | undefined;
  const alerts = (): ReceivedAlert[] =>
    posts.flatMap((post) =>
      notificationsOf(post).map((n) => ({
        atMs: post.receivedAtMs,
        status: n.status === 'resolved' ? 'resolved' : 'firing',
        kind: n.kind,
        code: n.labels.code ?? '',
        component: n.labels.component ?? '',
      })),
    );
  return {
    baseUrl,
    url: `${baseUrl}/hook`,
    posts,
    notifications: () => posts.flatMap(notificationsOf),
    received: (filter = {}) =>
      alerts().filter(
        (a) =>
          a.atMs >= (filter.sinceMs ?? 0) &&
          (filter.codes === undefined || filter.codes.includes(a.code)) &&
          (filter.status === undefined || a.status === filter.status),
      ),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })),
  };
}
