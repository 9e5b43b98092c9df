/**
 * Fuzzing the HTTP ingest (the real express app, in-process, over real sockets): whatever the
 * body, it is either accepted and a valid heartbeat, or refused with a reason that the metric
 * counts exactly once; the registry never holds an invalid record and its size matches what was
 * accepted; the process keeps serving. A body that is a JSON array is a batch: refused whole
 * with a batch reason, or answered item by item, each item held to the same properties. Bodies
 * over the cap are refused with 413 before the client has sent them.
 */
import { connect } from 'node:net';
import type { Server } from 'node:http';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { InstanceRegistry } from '../../aggregator/collector/registry';
import { createHttpApp } from '../../aggregator/http/app';
import { BATCH_REFUSAL_REASONS, isBatch, splitBatch } from '../../aggregator/http/heartbeat-batch';
import { closeServer, listen } from '../../aggregator/http/listen';
import { createAggregatorMetrics } from '../../aggregator/metrics';
import { ReportStore } from '../../aggregator/report-store';
import { systemClock } from '../../shared/clock';
import type { Heartbeat } from '../../shared/heartbeat';
import {
  MAX_HEARTBEAT_BYTES,
  REJECT_REASONS,
  serializeHeartbeat,
  validateHeartbeat,
} from '../../shared/heartbeat';
import { silentLogger } from '../../shared/logger';
import { signHeartbeat } from '../../shared/signature';
import { makeHeartbeat } from '../support/heartbeats';
import { embeddedIngest, soloApp } from '../support/http-deps';
import type { FuzzBody } from './arbitraries';
import { heartbeatBodies, recordProblems } from './arbitraries';

const APP = 'fuzz-app';
const SECRET = 'fuzz-heartbeat-secret-42';

interface Target {
  readonly url: string;
  readonly port: number;
  readonly registry: InstanceRegistry;
  readonly metrics: Registry;
  close(): Promise<void>;
}

async function startTarget(secret: string | null): Promise<Target> {
  const metricsRegistry = new Registry();
  const metrics = createAggregatorMetrics(metricsRegistry);
  const registry = new InstanceRegistry();
  const ingest = embeddedIngest(APP, {
    registry,
    heartbeatSecret: secret,
    onApplied: metrics.countApplied,
    onRejected: metrics.countRejected,
  });
  const app = createHttpApp({
    apps: soloApp({ app: APP, store: new ReportStore() }),
    ingest,
    metricsRegistry,
    clock: systemClock,
    log: silentLogger(),
    onRejected: metrics.countRejected,
  });
  const { server, port } = await listen(app, '127.0.0.1', 0);
  return {
    url: `http://127.0.0.1:${port}/api/v1/heartbeats`,
    port,
    registry,
    metrics: metricsRegistry,
    close: async () => {
      server.closeAllConnections();
      await closeServer(server as Server);
      await ingest.close();
    },
  };
}

/** Every counter value of a metric, by its one label. */
async function counters(metrics: Registry, name: string, label: string): Promise<Map<string, number>> {
  const metric = await metrics.getSingleMetric(name)?.get();
  return new Map((metric?.values ?? []).map((v) => [String(v.labels[label]), v.value]));
}

function delta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of after) {
    const d = value - (before.get(key) ?? 0);
    if (d !== 0) out[key] = d;
  }
  return out;
}

async function post(url: string, body: Buffer): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

interface ItemAnswer {
  readonly index: number;
  readonly status: number;
  readonly outcome?: string;
  readonly reason?: string;
}

/** Per label, how many of `values`. */
function tally(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const value of values) out[value] = (out[value] ?? 0) + 1;
  return out;
}

/** A batch's answer: refused whole, or item by item, counted as such (see sendAndCheck). */
function checkBatch(
  input: FuzzBody,
  answer: { status: number; json: Record<string, unknown> },
  counted: { applied: Record<string, number>; rejected: Record<string, number> },
  accepted: Set<string>,
  expectAccepted: boolean | undefined,
): void {
  const context = `${input.kind}: ${input.body.toString('utf8').slice(0, 300)}`;
  const { status, json } = answer;
  if (status !== 200) {
    expect({ context, status, error: json.error }).toEqual({
      context,
      status: json.reason === 'too_many_items' ? 413 : 400,
      error: 'batch rejected',
    });
    expect(BATCH_REFUSAL_REASONS).toContain(json.reason);
    const rejected =
      json.reason === 'empty_batch'
        ? {}
        : { [json.reason === 'too_many_items' ? 'too_large' : String(json.reason)]: 1 };
    expect({ context, ...counted }).toEqual({ context, applied: {}, rejected });
    return;
  }
  const results = json.results as ItemAnswer[];
  const split = splitBatch('json', input.body);
  const items = split.ok ? split.items : [];
  expect({ context, items: items.length, indices: results.map((r) => r.index) }).toEqual({
    context,
    items: results.length,
    indices: results.map((_r, i) => i),
  });
  const good = results.filter((r) => r.status === 202);
  const bad = results.filter((r) => r.status !== 202);
  expect({ context, accepted: json.accepted, rejected: json.rejected }).toEqual({
    context,
    accepted: good.length,
    rejected: bad.length,
  });
  for (const r of bad) {
    expect({ context, status: r.status }).toEqual({ context, status: 400 });
    expect(REJECT_REASONS).toContain(r.reason);
  }
  expect({ context, ...counted }).toEqual({
    context,
    applied: tally(good.map((r) => String(r.outcome))),
    rejected: tally(bad.map((r) => String(r.reason))),
  });
  for (const r of good) {
    const parsed = validateHeartbeat(JSON.parse((items[r.index] as Buffer).toString('utf8')));
    expect({ context, ok: parsed.ok, app: parsed.ok ? parsed.heartbeat.app : null }).toEqual({
      context,
      ok: true,
      app: APP,
    });
    if (parsed.ok) accepted.add(parsed.heartbeat.instance_id);
  }
  if (expectAccepted === false) expect({ context, accepted: good.length }).toEqual({ context, accepted: 0 });
}

/** Sends one body and checks everything the properties promise about it. */
async function sendAndCheck(
  target: Target,
  input: FuzzBody,
  accepted: Set<string>,
  expectAccepted?: boolean,
): Promise<void> {
  const before = {
    applied: await counters(target.metrics, 'replica_watch_heartbeats_applied_total', 'outcome'),
    rejected: await counters(target.metrics, 'replica_watch_heartbeats_rejected_total', 'reason'),
  };
  const { status, json } = await post(target.url, input.body);
  const applied = delta(
    before.applied,
    await counters(target.metrics, 'replica_watch_heartbeats_applied_total', 'outcome'),
  );
  const rejected = delta(
    before.rejected,
    await counters(target.metrics, 'replica_watch_heartbeats_rejected_total', 'reason'),
  );
  const context = `${input.kind}: ${input.body.toString('utf8').slice(0, 300)}`;

  if (isBatch('json', input.body)) {
    checkBatch(input, { status, json }, { applied, rejected }, accepted, expectAccepted);
  } else if (status === 202) {
    const parsed = validateHeartbeat(JSON.parse(input.body.toString('utf8')));
    expect({ context, ok: parsed.ok, app: parsed.ok ? parsed.heartbeat.app : null }).toEqual({
      context,
      ok: true,
      app: APP,
    });
    expect({ context, applied, rejected }).toEqual({
      context,
      applied: { [String(json.outcome)]: 1 },
      rejected: {},
    });
    if (parsed.ok) accepted.add(parsed.heartbeat.instance_id);
  } else {
    expect({ context, status }).toEqual({
      context,
      status: input.body.length > MAX_HEARTBEAT_BYTES ? 413 : 400,
    });
    expect(REJECT_REASONS).toContain(json.reason);
    expect({ context, applied, rejected }).toEqual({
      context,
      applied: {},
      rejected: { [String(json.reason)]: 1 },
    });
  }
  if (expectAccepted !== undefined && !isBatch('json', input.body))
    expect({ context, status }).toEqual({ context, status: expectAccepted ? 202 : 400 });

  // The registry: every record valid, one per instance id ever accepted.
  const records = target.registry.snapshot();
  for (const record of records)
    expect({ id: record.instanceId, problems: recordProblems(record) }).toEqual({
      id: record.instanceId,
      problems: [],
    });
  expect(records.map((r) => r.instanceId).sort()).toEqual([...accepted].sort());
}

describe('fuzzing POST /api/v1/heartbeats', () => {
  let target: Target;

  afterEach(async () => {
    await target.close();
  });

  it('any bytes, text or JSON: accepted and valid, or refused and counted by reason; the registry stays sound', async () => {
    target = await startTarget(null);
    const accepted = new Set<string>();
    await fc.assert(
      fc.asyncProperty(heartbeatBodies(APP), (input) => sendAndCheck(target, input, accepted)),
      { numRuns: 400 },
    );
    // Still serving after all of it.
    const ok = await post(
      target.url,
      Buffer.from(serializeHeartbeat(makeHeartbeat({ app: APP, instance_id: 'after', seq: 1 }))),
    );
    expect(ok.status).toBe(202);
  });

  it('with HEARTBEAT_SECRET nothing but an unaltered signed heartbeat gets in', async () => {
    target = await startTarget(SECRET);
    const accepted = new Set<string>();
    const fresh = (hb: Heartbeat): Heartbeat => {
      const now = Date.now();
      return { ...hb, sent_at: now, started_at: now - 60_000 };
    };
    const signed = fc
      .record({ seq: fc.nat({ max: 50 }), id: fc.constantFrom('s-1', 's-2', 's-3') })
      .map(({ seq, id }) => signHeartbeat(fresh(makeHeartbeat({ app: APP, instance_id: id, seq })), SECRET));
    const cases = fc.oneof(
      signed.map((hb) => ({
        input: { kind: 'signed', body: Buffer.from(serializeHeartbeat(hb)) },
        ok: true,
      })),
      fc
        .tuple(signed, fc.constantFrom('seq', 'component', 'deployment_id', 'sent_at', 'ttl_ms'))
        .map(([hb, field]) => {
          const changed =
            field === 'component' || field === 'deployment_id' ? 'changed' : (hb[field] as number) + 1;
          return {
            input: {
              kind: `signed, then ${field} changed`,
              body: Buffer.from(JSON.stringify({ ...hb, [field]: changed })),
            },
            ok: false,
          };
        }),
      signed.map((hb) => ({
        input: {
          kind: 'signed with another key',
          body: Buffer.from(serializeHeartbeat(signHeartbeat(hb, `${SECRET}-not`))),
        },
        ok: false,
      })),
      heartbeatBodies(APP).map((input) => ({ input, ok: false })),
    );
    await fc.assert(
      fc.asyncProperty(cases, ({ input, ok }) =>
        sendAndCheck(target, input, accepted, input.body.length > MAX_HEARTBEAT_BYTES ? undefined : ok),
      ),
      { numRuns: 300 },
    );
  });
});

describe('the body cap', () => {
  let target: Target;

  beforeAll(async () => {
    target = await startTarget(null);
  });

  afterAll(async () => {
    await target.close();
  });

  /**
   * Opens a raw connection, writes `head`, then `chunk` every `everyMs` until the server answers
   * or closes. Resolves with the answer and how many body bytes had been written by then.
   */
  function trickle(
    head: string,
    chunk: Buffer,
    everyMs: number,
  ): Promise<{ response: string; sentBytes: number; closed: boolean }> {
    return new Promise((resolve, reject) => {
      const socket = connect(target.port, '127.0.0.1');
      let response = '';
      let sentBytes = 0;
      let timer: NodeJS.Timeout | undefined;
      const deadline = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer within 10 s; ${sentBytes} body bytes sent`));
      }, 10_000);
      const finish = (closed: boolean) => {
        clearInterval(timer);
        clearTimeout(deadline);
        resolve({ response, sentBytes, closed });
      };
      socket.on('error', () => undefined);
      socket.on('data', (data: Buffer) => {
        response += data.toString();
        // The first full answer is enough; whether the server then closes is checked by 'end'.
        if (/\r\n\r\n[\s\S]*\}$/.test(response)) clearInterval(timer);
      });
      socket.on('close', () => finish(true));
      socket.write(head, () => {
        timer = setInterval(() => {
          if (socket.destroyed || !socket.writable) return;
          sentBytes += chunk.length;
          socket.write(chunk);
        }, everyMs);
      });
    });
  }

  it('a body declared as 10 MB gets 413 before it is sent, and the connection is closed', async () => {
    const before = await counters(target.metrics, 'replica_watch_heartbeats_rejected_total', 'reason');
    const result = await trickle(
      'POST /api/v1/heartbeats HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n',
      Buffer.alloc(1024, 0x20),
      50,
    );
    expect(result.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(result.response.toLowerCase()).toContain('connection: close');
    expect(result.response).toContain('"reason":"too_large"');
    expect(result.closed).toBe(true);
    // A few KiB at most were on their way when the answer came; never the 10 MB.
    expect(result.sentBytes).toBeLessThan(64 * 1024);
    const after = await counters(target.metrics, 'replica_watch_heartbeats_rejected_total', 'reason');
    expect((after.get('too_large') ?? 0) - (before.get('too_large') ?? 0)).toBe(1);
  });

  it('a chunked body that grows past the cap gets 413 as soon as it does', async () => {
    const chunk = Buffer.from(`400\r\n${' '.repeat(0x400)}\r\n`);
    const result = await trickle(
      'POST /api/v1/heartbeats HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      chunk,
      20,
    );
    expect(result.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(result.closed).toBe(true);
    // 8 KiB of payload is 8 chunks; the answer comes right after the 9th (a few more may be in flight).
    expect(result.sentBytes).toBeLessThan(20 * chunk.length);
  });

  it('a body of exactly the cap is read and judged', async () => {
    const text = serializeHeartbeat(makeHeartbeat({ app: APP, instance_id: 'at-cap', seq: 1 }));
    const body = Buffer.from(text + ' '.repeat(MAX_HEARTBEAT_BYTES - Buffer.byteLength(text)));
    expect(body.length).toBe(MAX_HEARTBEAT_BYTES);
    expect((await post(target.url, body)).status).toBe(202);
  });
});
