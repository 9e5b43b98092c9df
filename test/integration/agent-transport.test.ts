import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { Registry } from 'prom-client';
import { loadAgentConfig } from '../../agent/config';
import { createHeartbeatBuilder } from '../../agent/heartbeat-builder';
import { identityFromConfig } from '../../agent/identity';
import { createAgentMetrics } from '../../agent/metrics';
import { FailoverTransport } from '../../agent/transport/failover';
import { HttpSendError, HttpTransport } from '../../agent/transport/http';
import { InstrumentedTransport } from '../../agent/transport/instrumented';
import type { HeartbeatTransport, TransportName } from '../../agent/transport/transport';
import { systemClock } from '../../shared/clock';
import type { Heartbeat } from '../../shared/heartbeat';
import { parseHeartbeat } from '../../shared/heartbeat';
import { createLogger } from '../../shared/logger';

const config = loadAgentConfig(
  { AGENT_ENABLED: 'true', AGENT_INSTANCE_ID: 'i-1', AGGREGATOR_URL: 'http://127.0.0.1:1' },
  { hostname: 'h' },
);
const builder = createHeartbeatBuilder({
  identity: identityFromConfig(config),
  intervalMs: 1000,
  ttlMs: 3000,
  clock: systemClock,
});
const goodbye = (): Heartbeat => builder.goodbye();

function capturingLogger() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
  });
  const log = createLogger({ service: 'agent', level: 'debug', pretty: false, stream });
  return { log, lines };
}

/** Lets the logger's stream deliver what was written. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('HttpTransport', () => {
  let server: Server;
  let port: number;
  let status = 202;
  const received: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const transports: HeartbeatTransport[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        if (req.url?.includes('slow')) {
          const timer = setTimeout(() => res.end(), 3000);
          res.on('close', () => clearTimeout(timer));
          return;
        }
        received.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.statusCode = status;
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await Promise.all(transports.map((t) => t.close()));
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    received.length = 0;
    status = 202;
  });

  function http(url: string, token: string | null = null, timeoutMs = 1000): HttpTransport {
    const transport = new HttpTransport({ aggregatorUrl: url, token, timeoutMs });
    transports.push(transport);
    return transport;
  }

  it('POSTs the heartbeat JSON to /api/v1/heartbeats', async () => {
    const hb = goodbye();
    await http(`http://127.0.0.1:${port}`).send(hb);
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request).toMatchObject({ method: 'POST', url: '/api/v1/heartbeats' });
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers.authorization).toBeUndefined();
    expect(parseHeartbeat(request?.body ?? '')).toEqual({ ok: true, heartbeat: hb });
  });

  it('keeps a path prefix and sends credentials as a header, never in the URL', async () => {
    await http(`http://agent:pa%24%24word@127.0.0.1:${port}/rw/`).send(goodbye());
    await http(`http://127.0.0.1:${port}`, 'token-abcdefgh').send(goodbye());
    expect(received.map((r) => r.url)).toEqual(['/rw/api/v1/heartbeats', '/api/v1/heartbeats']);
    expect(received[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('agent:pa$$word').toString('base64')}`,
    );
    expect(received[1]?.headers.authorization).toBe('Bearer token-abcdefgh');
  });

  it('fails with the status on a non-2xx answer', async () => {
    status = 503;
    const error = await http(`http://127.0.0.1:${port}`)
      .send(goodbye())
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(HttpSendError);
    expect((error as HttpSendError).status).toBe(503);
  });

  it('fails within its timeout when the aggregator does not answer', async () => {
    const started = Date.now();
    await expect(http(`http://127.0.0.1:${port}/slow`, null, 150).send(goodbye())).rejects.toThrow(
      /within 150 ms/,
    );
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

/** A transport whose next sends succeed or fail on command. */
class FakeTransport implements HeartbeatTransport {
  failing = false;
  readonly sent: Heartbeat[] = [];
  closed = 0;
  constructor(readonly name: TransportName) {}
  async send(hb: Heartbeat): Promise<void> {
    if (this.failing) throw new Error(`${this.name} is down`);
    this.sent.push(hb);
  }
  async close(): Promise<void> {
    this.closed++;
  }
}

describe('FailoverTransport', () => {
  it('uses HTTP while Redis fails and logs the switch once each way', async () => {
    const redis = new FakeTransport('redis');
    const http = new FakeTransport('http');
    const { log, lines } = capturingLogger();
    const failover = new FailoverTransport(redis, http, log);

    await failover.send(goodbye());
    expect(failover.name).toBe('redis');
    redis.failing = true;
    for (let i = 0; i < 3; i++) await failover.send(goodbye());
    expect(failover.name).toBe('http');
    expect(http.sent).toHaveLength(3);
    redis.failing = false;
    for (let i = 0; i < 2; i++) await failover.send(goodbye());
    expect(failover.name).toBe('redis');
    expect(redis.sent).toHaveLength(3);
    expect(http.sent).toHaveLength(3);

    await flush();
    const messages = lines.map((l) => l.message);
    expect(messages).toEqual(['heartbeat transport failing over', 'heartbeat transport restored']);
    expect(lines[0]).toMatchObject({ level: 'warn', from: 'redis', to: 'http', err: 'redis is down' });
  });

  it('fails naming both transports when both fail, and closes both once', async () => {
    const redis = new FakeTransport('redis');
    const http = new FakeTransport('http');
    redis.failing = true;
    http.failing = true;
    const failover = new FailoverTransport(redis, http, capturingLogger().log);
    await expect(failover.send(goodbye())).rejects.toThrow('redis: redis is down; http: http is down');
    await Promise.all([failover.close(), failover.close()]);
    expect([redis.closed, http.closed]).toEqual([1, 1]);
  });

  it('counts sends per transport actually tried', async () => {
    const registry = new Registry();
    const metrics = createAgentMetrics(registry);
    const redis = new FakeTransport('redis');
    const http = new FakeTransport('http');
    const failover = new FailoverTransport(
      new InstrumentedTransport(redis, metrics),
      new InstrumentedTransport(http, metrics),
      capturingLogger().log,
    );
    await failover.send(goodbye());
    redis.failing = true;
    await failover.send(goodbye());
    await failover.send(goodbye());
    const text = await registry.metrics();
    expect(text).toContain('replica_watch_agent_heartbeats_sent_total{transport="redis"} 1');
    expect(text).toContain('replica_watch_agent_heartbeats_sent_total{transport="http"} 2');
    expect(text).toContain('replica_watch_agent_heartbeats_failed_total{transport="redis"} 2');
    expect(text).toContain('process_resident_memory_bytes');
  });
});
