/** The sinks against a real local HTTP server: bodies, signature, and how failures are classified. */
import { createHmac } from 'node:crypto';
import type { Notification } from '../../aggregator/notify';
import { AlertmanagerSink, SinkRejectedError, SlackSink, WebhookSink } from '../../aggregator/notify';
import { freePort } from '../support/redis-server';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { RetryableError } from '../../shared/retry';

function notification(kind: Notification['kind'] = 'firing'): Notification {
  return {
    kind,
    alert: {
      labels: {
        alertname: 'ReplicaWatchSurplusInstances',
        app: 'shop',
        component: 'backend',
        code: 'SURPLUS_INSTANCES',
        severity: 'warning',
      },
      annotations: {
        summary: 'Surplus instances: backend of app shop (6 live, 2 desired)',
        description: '6 instances of backend are live while the spec asks for 2: 4 surplus <b>',
        instances: 'old-1, old-2, old-3, old-4',
        deployment_ids: 'dep-old',
        counts: 'desired 2, live 6, platform ready 6, platform listed 6',
        recommendation: 'doctl apps create-deployment app-123',
        report_url: 'http://rw.example.com/api/v1/monitoring/replicas',
      },
      startsAt: '2024-01-01T00:00:00.000Z',
      endsAt: '2024-01-01T00:01:00.000Z',
      generatorURL: 'http://rw.example.com/api/v1/monitoring/replicas',
    },
  };
}

describe('alert sinks', () => {
  /** The answers to give, in order, as [status, headers]; 200 when none is left. */
  const plan: [number, Record<string, string>?][] = [];
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver({
      answer: () => {
        const [status, headers] = plan.shift() ?? [200];
        return { status, headers, body: status >= 400 ? '{"message":"nope"}' : 'ok' };
      },
    });
  });
  afterAll(() => receiver.close());
  beforeEach(() => {
    receiver.posts.length = 0;
    plan.length = 0;
  });

  test('webhook: JSON body with the notifications, signed with HMAC-SHA256 when a secret is set', async () => {
    const secret = 'webhook-secret-123';
    await new WebhookSink({ url: `${receiver.baseUrl}/hook`, secret }).send([
      notification(),
      notification('resolved'),
    ]);
    await new WebhookSink({ url: `${receiver.baseUrl}/hook`, secret: null }).send([notification()]);
    const [signed, unsigned] = receiver.posts;
    expect(signed?.method).toBe('POST');
    expect(signed?.path).toBe('/hook');
    expect(signed?.headers['content-type']).toBe('application/json');
    const expected = `sha256=${createHmac('sha256', secret)
      .update(signed?.body ?? '')
      .digest('hex')}`;
    expect(signed?.headers['x-replica-watch-signature']).toBe(expected);
    const body = JSON.parse(signed?.body ?? '{}') as {
      version: string;
      notifications: { kind: string; status: string; labels: { code: string }; starts_at: string }[];
    };
    expect(body.version).toBe('1');
    expect(body.notifications.map((n) => [n.kind, n.status, n.labels.code])).toEqual([
      ['firing', 'firing', 'SURPLUS_INSTANCES'],
      ['resolved', 'resolved', 'SURPLUS_INSTANCES'],
    ]);
    expect(body.notifications[0]?.starts_at).toBe('2024-01-01T00:00:00.000Z');
    expect(unsigned?.headers['x-replica-watch-signature']).toBeUndefined();
  });

  test('alertmanager: the v2 API body at {url}/api/v2/alerts, a path prefix kept', async () => {
    await new AlertmanagerSink(`${receiver.baseUrl}/am/`).send([notification(), notification('refresh')]);
    const [request] = receiver.posts;
    expect(request?.path).toBe('/am/api/v2/alerts');
    const alerts = JSON.parse(request?.body ?? '[]') as Record<string, unknown>[];
    expect(alerts).toHaveLength(2);
    expect(Object.keys(alerts[0] ?? {}).sort()).toEqual([
      'annotations',
      'endsAt',
      'generatorURL',
      'labels',
      'startsAt',
    ]);
    expect(alerts[0]).toMatchObject({ labels: { alertname: 'ReplicaWatchSurplusInstances', app: 'shop' } });
  });

  test('slack: a text fallback and blocks with the finding, counts, instances, what to do and the link', async () => {
    await new SlackSink(`${receiver.baseUrl}/services/T000/B000/XXXX`).send([
      notification(),
      notification('resolved'),
    ]);
    const message = JSON.parse(receiver.posts[0]?.body ?? '{}') as { text: string; blocks: unknown[] };
    expect(message.text).toContain('FIRING Surplus instances: backend of app shop');
    expect(message.text).toContain('RESOLVED Surplus instances');
    const blocks = JSON.stringify(message.blocks);
    expect(blocks).toContain('4 surplus &lt;b&gt;');
    expect(blocks).toContain('desired 2, live 6');
    expect(blocks).toContain('old-1, old-2');
    expect(blocks).toContain('doctl apps create-deployment app-123');
    expect(blocks).toContain('<http://rw.example.com/api/v1/monitoring/replicas|Open the report>');
  });

  test('5xx and 429 are retryable (429 with its Retry-After), other 4xx permanent; no URL in errors', async () => {
    const secretPath = '/services/T000/B000/SECRETTOKEN';
    const sink = new SlackSink(`${receiver.baseUrl}${secretPath}`);
    plan.push([503], [429, { 'retry-after': '2' }], [404]);
    const errors: unknown[] = [];
    for (let i = 0; i < 3; i++) errors.push(await sink.send([notification()]).catch((err: unknown) => err));
    expect(errors[0]).toBeInstanceOf(RetryableError);
    expect(errors[1]).toBeInstanceOf(RetryableError);
    expect((errors[1] as RetryableError).retryAfterMs).toBe(2_000);
    expect(errors[2]).toBeInstanceOf(SinkRejectedError);
    expect((errors[2] as SinkRejectedError).status).toBe(404);
    for (const err of errors) expect(String((err as Error).message)).not.toContain('SECRETTOKEN');
  });

  test('no answer at all (refused, aborted) is retryable', async () => {
    const closedPort = await freePort();
    const refused = await new WebhookSink({ url: `http://127.0.0.1:${closedPort}/x`, secret: null })
      .send([notification()])
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(RetryableError);
    const aborted = await new WebhookSink({ url: `${receiver.baseUrl}/x`, secret: null })
      .send([notification()], AbortSignal.abort())
      .catch((err: unknown) => err);
    expect(aborted).toBeInstanceOf(RetryableError);
  });
});
