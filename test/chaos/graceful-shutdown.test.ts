/**
 * Graceful shutdown of the aggregator process: SIGTERM while it leads, serves keep-alive
 * clients and is delivering an alert to a slow webhook. It must exit 0 within 5 s, after the
 * notification in flight is delivered, having released the leader lease (the key is gone, so a
 * successor need not wait out the lease) and closed its Redis connections.
 */
import { connect } from 'node:net';
import { serializeHeartbeat } from '../../shared/heartbeat';
import { appKeys } from '../../shared/redis-keys';
import { useTestRedis } from '../support/redis-rig';
import { makeHeartbeat } from '../support/heartbeats';
import { waitFor } from '../support/wait';
import { startWebhookReceiver } from '../support/webhook-receiver';
import { AgentFleet, startAggregatorProcess } from './harness';

const APP = 'chaos-shutdown';
const DEADLINE_MS = 5_000;
const WEBHOOK_DELAY_MS = 1_200;

const redis = useTestRedis();
const fleet = new AgentFleet({});

beforeAll(async () => {
  // Two agents where one is wanted: SURPLUS_INSTANCES fires soon after the aggregator starts.
  await fleet.startMany(['backend-s-1', 'backend-s-2'], {
    REDIS_URL: redis.url,
    AGENT_APP: APP,
    AGENT_INTERVAL_MS: '500',
    AGENT_TTL_MS: '3000',
  });
  await waitFor(() => redis.client.zCard(appKeys(APP).seen), { until: (n) => n === 2, timeoutMs: 30_000 });
}, 60_000);

afterAll(async () => {
  await fleet.killAll();
});

test('SIGTERM: the alert in flight is delivered, the lease released, exit 0 within 5 s', async () => {
  // A webhook that takes its time: the firing notification is still in flight at SIGTERM.
  let sigterm: (() => void) | null = null;
  const webhook = await startWebhookReceiver({
    answer: async () => {
      sigterm?.();
      sigterm = null;
      await new Promise((resolve) => setTimeout(resolve, WEBHOOK_DELAY_MS));
    },
  });
  const deliveries = webhook.posts;
  const webhookUrl = webhook.url;

  const aggregator = await startAggregatorProcess({
    REDIS_URL: redis.url,
    AGGREGATOR_APP: APP,
    DESIRED_REPLICAS: 'backend=1',
    RECONCILE_INTERVAL_MS: '300',
    ALERT_CONFIRMATIONS: '2',
    ALERT_FOR_MS: '0',
    ALERT_WEBHOOK_URL: webhookUrl,
    LEADER_LEASE_MS: '10000',
  });
  try {
    // A request in flight at SIGTERM, on a kept-alive connection that the client never closes:
    // it must be answered, and its connection must not hold the exit up once it is idle.
    const heartbeat = serializeHeartbeat(
      makeHeartbeat({ app: APP, instance_id: 'backend-s-http', sent_at: Date.now() }),
    );
    const socket = connect(Number(new URL(aggregator.url).port), '127.0.0.1');
    socket.on('error', () => undefined);
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    const socketClosed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(
      `POST /api/v1/heartbeats HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(heartbeat)}\r\n\r\n${heartbeat.slice(0, 100)}`,
    );

    // SIGTERM the moment the webhook has the firing notification in hand.
    const signalledAt = new Promise<number>((resolve) => {
      sigterm = () => {
        const at = Date.now();
        aggregator.process.child.kill('SIGTERM');
        resolve(at);
      };
      // Already delivering (it is held for a while): now is the moment.
      if (deliveries.length > 0) sigterm();
    });
    const signalledAtMs = await signalledAt;
    // The rest of the request once the shutdown is under way, not after a guessed pause.
    await aggregator.process.waitForLine((l) => l.message === 'shutting down');
    socket.write(heartbeat.slice(100));
    const code = await aggregator.process.exited();
    const exitedAtMs = Date.now();
    await socketClosed;
    expect(answer).toMatch(/^HTTP\/1\.1 202 /);

    expect(code).toBe(0);
    expect(exitedAtMs - signalledAtMs).toBeLessThan(DEADLINE_MS);
    // The notification in flight was waited for, not cut off.
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]?.body).toContain('SURPLUS_INSTANCES');
    expect(deliveries[0]?.answeredAtMs).not.toBeNull();
    expect(exitedAtMs).toBeGreaterThanOrEqual(deliveries[0]?.answeredAtMs ?? Infinity);
    // The lease was given up, not left to run out.
    expect(await redis.client.get(appKeys(APP).leader)).toBeNull();
    const lines = aggregator.process.lines;
    expect(lines.some((l) => l.message === 'leadership lost' && l.reason === 'closing')).toBe(true);
    expect(lines.some((l) => l.message === 'stopped')).toBe(true);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    // Its Redis connections are closed: only the agents' and this test's remain.
    const clients = await redis.client.clientList();
    expect(
      clients.filter(
        (c) =>
          c.name.startsWith('replica-watch-aggregator') ||
          ['replica-watch-leader', 'replica-watch-alerts'].includes(c.name),
      ),
    ).toEqual([]);
  } finally {
    await aggregator.process.signal('SIGKILL');
    await webhook.close();
  }
}, 60_000);
