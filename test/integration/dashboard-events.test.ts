/**
 * GET /api/v1/events over a real socket (node:http) against the express app: the current report
 * on connect, a new event per publish, keep-alive comments, the client cap, large fleets without
 * the instance list (and with every other field the page names: the platform failure, the
 * deployments), and every subscription freed when a client goes away or the stream closes.
 */
import http, { type IncomingMessage } from 'node:http';
import type { Server } from 'node:http';
import { silentLogger } from '../../shared/logger';
import type { HeartbeatIngest } from '../../aggregator/collector';
import { createHttpApp } from '../../aggregator/http/app';
import { ReportEventStream, type ReportEventStreamOptions } from '../../aggregator/http/events';
import { closeServer, listen } from '../../aggregator/http/listen';
import type { ComponentReport, InstanceReport, Report } from '../../aggregator/reconcile/report';
import { ReportStore } from '../../aggregator/report-store';
import { embeddedIngest, httpDeps } from '../support/http-deps';
import { componentReport, sampleReport } from '../support/published-reports';
import { asReconciled } from '../support/reconcile-io';
import { waitFor } from '../support/wait';

/** A store that counts live subscriptions, so a test can see them freed. */
class CountingStore extends ReportStore {
  active = 0;
  override subscribe(listener: Parameters<ReportStore['subscribe']>[0]): () => void {
    this.active += 1;
    const unsubscribe = super.subscribe(listener);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.active -= 1;
      unsubscribe();
    };
  }
}

function instance(n: number): InstanceReport {
  return {
    instance_id: `backend-abc-${n}`,
    component: 'backend',
    deployment_id: 'dep-1',
    version: '1.0.0',
    state: 'live',
    last_seen: '2024-01-01T00:00:00.000Z',
    age_ms: 100,
    started_at: '2024-01-01T00:00:00.000Z',
    serving: true,
    orphaned: false,
    region: null,
    node_name: null,
    cpu_usage: 0.1,
    rss_bytes: 1,
    mem_used_bytes: 1,
    mem_total_bytes: 2,
    clock_offset_ms: 0,
    draining: false,
    container: null,
  };
}

/** The one component the instances belong to: its counts are what the stream sizes a report by. */
function backend(live: number): ComponentReport {
  return componentReport({
    platform_ready: null,
    platform_instances: null,
    live,
    serving: live,
    deployments: [{ deployment_id: 'dep-1', live, active: true }],
    verdict: live === 2 ? 'ok' : 'discrepancy',
  });
}

function report(generatedAt: string, instances = 1): Report {
  return sampleReport(
    {
      generated_at: generatedAt,
      app: 'test-app',
      active_deployment_id: 'dep-1',
      components: [backend(instances)],
      instances: Array.from({ length: instances }, (_, i) => instance(i)),
    },
    {
      active_instances: instances,
      serving_instances: instances,
      discrepancy: instances !== 2,
      verdict: instances === 2 ? 'ok' : 'discrepancy',
    },
  );
}

interface Frame {
  readonly event: string | null;
  readonly data: string | null;
  readonly comment: string | null;
}

/** One SSE connection read frame by frame. */
interface Stream {
  readonly res: IncomingMessage;
  readonly frames: Frame[];
  readonly ended: Promise<void>;
  /** Resolves with the first frame (already received or future) at index ≥ `from` that matches. */
  next(match: (frame: Frame) => boolean, from?: number): Promise<Frame>;
  close(): void;
}

function parseFrame(text: string): Frame {
  let event: string | null = null;
  let data: string | null = null;
  let comment: string | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) comment = line.slice(1).trim();
    else if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data = line.slice(6);
  }
  return { event, data, comment };
}

function openStream(url: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { Accept: 'text/event-stream' } }, (res) => {
      const frames: Frame[] = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          frames.push(parseFrame(buffer.slice(0, end)));
          buffer = buffer.slice(end + 2);
        }
      });
      const ended = new Promise<void>((done) => {
        res.once('end', done);
        res.once('close', done);
        res.once('error', () => done());
      });
      resolve({
        res,
        frames,
        ended,
        next: (match, from = 0) =>
          waitFor(async () => frames.slice(from).find(match), {
            until: (frame) => frame !== undefined,
            timeoutMs: 10_000,
            everyMs: 10,
          }) as Promise<Frame>,
        close: () => req.destroy(),
      });
    });
    req.once('error', reject);
  });
}

function get(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .once('error', reject);
  });
}

describe('GET /api/v1/events', () => {
  let server: Server | undefined;
  let events: ReportEventStream | undefined;
  let ingest: HeartbeatIngest | undefined;
  const streams: Stream[] = [];

  async function start(options: Partial<ReportEventStreamOptions> = {}, store = new CountingStore()) {
    events = new ReportEventStream({ store, log: silentLogger(), ...options });
    ingest = embeddedIngest('test-app');
    const app = createHttpApp(httpDeps(store, { ingest, events }));
    const bound = await listen(app, '127.0.0.1', 0);
    server = bound.server;
    const url = `http://127.0.0.1:${bound.port}/api/v1/events`;
    return {
      store,
      events,
      url,
      open: async () => {
        const stream = await openStream(url);
        streams.push(stream);
        return stream;
      },
    };
  }

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    events?.close();
    if (server) await closeServer(server);
    await ingest?.close();
    server = undefined;
    events = undefined;
  });

  test('streams the current report at once and a new report event on every publish', async () => {
    const { store, open } = await start();
    store.publish(asReconciled(report('2024-01-01T00:00:00.000Z')));
    const stream = await open();

    expect(stream.res.statusCode).toBe(200);
    expect(stream.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.res.headers['cache-control']).toContain('no-cache');
    expect(stream.res.headers['x-accel-buffering']).toBe('no');

    const first = await stream.next((f) => f.event === 'report');
    expect(JSON.parse(first.data ?? '')).toMatchObject({
      generated_at: '2024-01-01T00:00:00.000Z',
      summary: { active_instances: 1 },
      instances: [{ instance_id: 'backend-abc-0' }],
    });

    const seen = stream.frames.length;
    store.publish(asReconciled(report('2024-01-01T00:00:10.000Z', 2)));
    const second = await stream.next((f) => f.event === 'report', seen);
    expect(JSON.parse(second.data ?? '')).toMatchObject({
      generated_at: '2024-01-01T00:00:10.000Z',
      summary: { active_instances: 2, verdict: 'ok' },
    });
  });

  test('a client that closes frees its subscription; keep-alive comments flow meanwhile', async () => {
    const { store, events, open } = await start({ heartbeatMs: 50 });
    store.publish(asReconciled(report('2024-01-01T00:00:00.000Z')));
    const a = await open();
    const b = await open();
    await a.next((f) => f.event === 'report');
    await b.next((f) => f.event === 'report');
    expect(store.active).toBe(2);
    expect(events.clientCount).toBe(2);

    // Keep-alive comments arrive while nothing is published.
    await a.next((f) => f.comment === 'keep-alive');

    a.close();
    await waitFor(async () => store.active, { until: (n) => n === 1, timeoutMs: 5_000, everyMs: 10 });
    expect(events.clientCount).toBe(1);

    // The remaining client still gets reports.
    const seen = b.frames.length;
    store.publish(asReconciled(report('2024-01-01T00:00:20.000Z')));
    const frame = await b.next((f) => f.event === 'report', seen);
    expect(JSON.parse(frame.data ?? '').generated_at).toBe('2024-01-01T00:00:20.000Z');

    b.close();
    await waitFor(async () => store.active, { until: (n) => n === 0, timeoutMs: 5_000, everyMs: 10 });
    expect(events.clientCount).toBe(0);
  });

  test('refuses clients beyond the cap with 503 and Retry-After, and accepts again once one leaves', async () => {
    const { store, events, url, open } = await start({ maxClients: 2 });
    store.publish(asReconciled(report('2024-01-01T00:00:00.000Z')));
    const a = await open();
    await open();
    const refused = await get(url);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('30');
    expect(JSON.parse(refused.body).error).toMatch(/too many event streams/);
    expect(store.active).toBe(2);

    a.close();
    await waitFor(async () => events.clientCount, { until: (n) => n === 1, timeoutMs: 5_000, everyMs: 10 });
    const again = await open();
    expect(again.res.statusCode).toBe(200);
    await again.next((f) => f.event === 'report');
  });

  test('a large fleet is streamed without the instance list', async () => {
    const { store, open } = await start({ maxInlineInstances: 3 });
    store.publish(asReconciled(report('2024-01-01T00:00:00.000Z', 4)));
    const stream = await open();
    const frame = await stream.next((f) => f.event === 'report');
    const body = JSON.parse(frame.data ?? '') as Partial<Report>;
    expect(body.summary?.active_instances).toBe(4);
    expect(body.instances).toBeUndefined();

    const seen = stream.frames.length;
    store.publish(asReconciled(report('2024-01-01T00:00:10.000Z', 3)));
    const small = await stream.next((f) => f.event === 'report', seen);
    expect((JSON.parse(small.data ?? '') as Report).instances).toHaveLength(3);
  });

  test('what the page names reaches it: the platform failure, the deployments, clock offsets, draining', async () => {
    const { store, open } = await start({ maxInlineInstances: 1 });
    const failure = {
      kind: 'not_found',
      message: 'GET /v2/apps/6c1f-bad: HTTP 404',
      http_status: 404,
      request_id: '4d9f2c1e-aa10-4b7e-9d2a-5e3b7c8f1a22',
      since: '2023-12-31T23:57:00.000Z',
      fix_variable: 'DO_APP_ID',
    };
    const blind = (generatedAt: string, instances: number): Report => {
      const base = report(generatedAt, instances);
      return {
        ...base,
        platform: 'digitalocean',
        app_id: '6c1f-bad',
        in_progress_deployment: { id: 'dep-3', phase: 'DEPLOYING', created_at: '2023-12-31T23:58:00.000Z' },
        pending_deployment: { id: 'dep-4', phase: 'PENDING_BUILD', created_at: null },
        summary: {
          ...base.summary,
          verdict: 'degraded',
          do_api_status: 'unavailable',
          do_api_error: failure,
        },
        degraded: true,
        instances: base.instances.map((i, n) =>
          n === 0 ? { ...i, clock_offset_ms: -62_000 } : { ...i, state: 'left', draining: true },
        ),
      };
    };
    store.publish(asReconciled(blind('2024-01-01T00:00:00.000Z', 1)));
    const stream = await open();
    const inline = JSON.parse((await stream.next((f) => f.event === 'report')).data ?? '') as Report;
    expect(inline).toMatchObject({
      summary: { verdict: 'degraded', do_api_error: failure },
      in_progress_deployment: { id: 'dep-3', phase: 'DEPLOYING' },
      pending_deployment: { id: 'dep-4', phase: 'PENDING_BUILD', created_at: null },
      instances: [{ clock_offset_ms: -62_000, draining: false }],
    });

    // Over the inline limit the instances stay out, and nothing else does.
    const seen = stream.frames.length;
    store.publish(asReconciled(blind('2024-01-01T00:00:10.000Z', 2)));
    const large = JSON.parse((await stream.next((f) => f.event === 'report', seen)).data ?? '') as Report;
    expect(large.instances).toBeUndefined();
    expect(large).toMatchObject({
      summary: { do_api_error: failure },
      in_progress_deployment: { id: 'dep-3' },
      pending_deployment: { id: 'dep-4' },
      degraded: true,
    });
  });

  test('a watcher that cannot keep up gets the newest report, not a growing backlog', async () => {
    const { store, events, open } = await start({ maxInlineInstances: 100_000 });
    store.publish(asReconciled(report('2024-01-01T00:00:00.000Z')));
    const stream = await open();
    await stream.next((f) => f.event === 'report');
    // Frames of ~1 MB, published back to back: the socket cannot take the second before the
    // first has gone out, so the third replaces the second instead of queueing behind it.
    for (const at of ['01', '02', '03'])
      store.publish(asReconciled(report(`2024-01-01T00:00:${at}.000Z`, 3_000)));
    expect(events.skippedReports).toBe(1);
    const last = await stream.next((f) => f.event === 'report' && f.data?.includes('00:00:03.000Z') === true);
    expect((JSON.parse(last.data ?? '') as Report).instances).toHaveLength(3_000);
    const times = stream.frames
      .filter((f) => f.event === 'report')
      .map((f) => (JSON.parse(f.data ?? '') as Report).generated_at);
    expect(times).toEqual([
      '2024-01-01T00:00:00.000Z',
      '2024-01-01T00:00:01.000Z',
      '2024-01-01T00:00:03.000Z',
    ]);
  });

  test('before the first report the stream waits; close() ends every stream and refuses new ones', async () => {
    const { store, events, url, open } = await start();
    const stream = await open();
    await stream.next((f) => f.comment === 'waiting for the first reconciliation');
    expect(stream.frames.some((f) => f.event === 'report')).toBe(false);

    events.close();
    await stream.ended;
    expect(store.active).toBe(0);
    expect(events.clientCount).toBe(0);
    expect((await get(url)).status).toBe(503);
    events.close();
    expect(events.clientCount).toBe(0);
  });

  test('shutdown does not wait on open streams: close() then closing the server is prompt', async () => {
    const { store, events, open } = await start();
    store.publish(asReconciled(report('2024-01-01T00:00:00.000Z')));
    const stream = await open();
    await stream.next((f) => f.event === 'report');
    const started = Date.now();
    events.close();
    if (server) await closeServer(server);
    server = undefined;
    await stream.ended;
    // Well under the 5 s keep-alive timeout a lingering connection would hold the close for.
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
