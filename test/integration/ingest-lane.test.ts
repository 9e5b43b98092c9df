/**
 * The ingest's fast lane (aggregator/http/ingest-lane.ts) in front of express, and the batch
 * form of POST /api/v1/heartbeats. The same deps are served twice, through the lane
 * (createHttpListener) and by express alone (createHttpApp), each with its own registry and rate
 * limiter, and every request goes to both: the lane answers the ordinary POST itself (its
 * observer hears it), every answer is express's byte for byte (status, every header in order
 * and spelling, body), and anything unusual is left to express. Batches: each item is answered
 * on its own and the good ones reach the registry; the caps are named; the rate limit counts
 * items; signed items are verified one by one.
 */
import { InstanceRegistry } from '../../aggregator/collector';
import type { HttpDeps, HttpSecurity } from '../../aggregator/http/app';
import { MAX_BATCH_BYTES, MAX_BATCH_ITEMS } from '../../aggregator/http/heartbeat-batch';
import { ReportStore } from '../../aggregator/report-store';
import type { Heartbeat } from '../../shared/heartbeat';
import { MAX_HEARTBEAT_BYTES, serializeHeartbeat } from '../../shared/heartbeat';
import { signHeartbeat } from '../../shared/signature';
import { makeHeartbeat } from '../support/heartbeats';
import { embeddedIngest, httpDeps } from '../support/http-deps';
import { LanePair, type RawAsk } from '../support/raw-request';

const TOKEN = 'ingest-lane-token-0123456789';
const SECRET = 'ingest-lane-heartbeat-secret';
const PATH = '/api/v1/heartbeats';
const JSON_TYPE = { 'content-type': 'application/json' };
const NDJSON_TYPE = { 'content-type': 'application/x-ndjson' };
const AUTH = { authorization: `Bearer ${TOKEN}` };

const LOCKED: HttpSecurity = {
  apiToken: TOKEN,
  metricsToken: null,
  signedIngest: false,
  ingestRateLimitPerS: 0,
};

type Ask = Partial<RawAsk>;

/** The same security served twice, each server with its own registry (and limiter). */
class Pair extends LanePair {
  readonly laneRegistry = new InstanceRegistry();
  readonly expressRegistry = new InstanceRegistry();
  private closers: (() => Promise<void>)[] = [];

  constructor(private readonly security: HttpSecurity | undefined) {
    super('POST');
  }

  protected deps(side: 'lane' | 'express', overrides: Partial<HttpDeps>): HttpDeps {
    const ingest = embeddedIngest('default', {
      registry: side === 'lane' ? this.laneRegistry : this.expressRegistry,
      heartbeatSecret: this.security?.signedIngest ? SECRET : null,
    });
    this.closers.push(() => ingest.close());
    return httpDeps(new ReportStore(), { security: this.security, ingest, ...overrides });
  }

  /** Posts to both (the ingest path unless said otherwise). */
  post(init: Ask, path = PATH) {
    return this.both(path, init);
  }

  override async stop(): Promise<void> {
    await super.stop();
    await Promise.all(this.closers.splice(0).map((close) => close()));
  }
}

function hb(id: string, overrides: Partial<Heartbeat> = {}): Heartbeat {
  const now = Date.now();
  return makeHeartbeat({
    app: 'default',
    instance_id: id,
    boot_id: `boot-${id}`,
    sent_at: now,
    started_at: now - 60_000,
    ...overrides,
  });
}

function body(heartbeat: Heartbeat): string {
  return serializeHeartbeat(heartbeat);
}

/** A heartbeat missing a field, as JSON. */
function missing(id: string, field: keyof Heartbeat): string {
  const copy: Record<string, unknown> = { ...hb(id) };
  delete copy[field];
  return JSON.stringify(copy);
}

interface BatchAnswer {
  accepted: number;
  rejected: number;
  results: {
    index: number;
    status: number;
    outcome?: string;
    reason?: string;
    error?: string;
    detail?: string;
  }[];
}

describe('the ingest lane in front of express', () => {
  let pair: Pair;

  beforeAll(async () => {
    pair = await new Pair(LOCKED).start();
  });

  afterAll(() => pair.stop());

  test('answers an ordinary POST itself (202), exactly as express does, and applies it', async () => {
    const { lane, express, byLane } = await pair.post({
      headers: { ...AUTH, ...JSON_TYPE },
      body: body(hb('plain-1')),
    });
    expect(byLane).toBe(true);
    expect(pair.laneAnswered.at(-1)).toBe(PATH);
    expect(lane.status).toBe(202);
    expect(JSON.parse(lane.body)).toEqual({ status: 'accepted', outcome: 'new' });
    expect(lane).toEqual(express);
    expect(lane.headers).toContainEqual(
      expect.stringMatching(/^Content-Security-Policy: default-src 'self';/),
    );
    expect(pair.laneRegistry.get('plain-1')?.heartbeat.seq).toBe(1);
  });

  test('answers a repeat (duplicate) and a charset-qualified type itself', async () => {
    const repeat = await pair.post({
      headers: { ...AUTH, 'content-type': 'application/json; charset=utf-8' },
      body: body(hb('plain-1')),
    });
    expect(repeat.byLane).toBe(true);
    expect(repeat.lane).toEqual(repeat.express);
    expect(JSON.parse(repeat.lane.body)).toMatchObject({ status: 'accepted' });
  });

  test('answers a bad heartbeat itself: 400 naming the field, as express does', async () => {
    const { lane, express, byLane } = await pair.post({
      headers: { ...AUTH, ...JSON_TYPE },
      body: missing('bad-1', 'component'),
    });
    expect(byLane).toBe(true);
    expect(lane.status).toBe(400);
    expect(JSON.parse(lane.body)).toEqual({
      error: 'heartbeat rejected',
      reason: 'missing_field',
      detail: expect.stringContaining('component'),
    });
    expect(lane).toEqual(express);
  });

  test('answers a JSON object declared past 8 KiB with 413 after its first byte, as express does', async () => {
    const text = body(hb('padded-1'));
    const padded = text + ' '.repeat(MAX_HEARTBEAT_BYTES + 10 - text.length);
    const { lane, express, byLane } = await pair.post({ headers: { ...AUTH, ...JSON_TYPE }, body: padded });
    expect(byLane).toBe(true);
    expect(lane.status).toBe(413);
    expect(lane.headers).toContainEqual('Connection: close');
    expect(JSON.parse(lane.body)).toMatchObject({ reason: 'too_large' });
    expect(lane).toEqual(express);
  });

  const one = body(hb('unusual-1'));
  test.each<[string, Ask, string]>([
    ['no token', { headers: JSON_TYPE, body: one }, PATH],
    ['a wrong token', { headers: { authorization: `Bearer ${TOKEN}x`, ...JSON_TYPE }, body: one }, PATH],
    ['a query string', { headers: { ...AUTH, ...JSON_TYPE }, body: one }, `${PATH}?x=1`],
    ['a trailing slash', { headers: { ...AUTH, ...JSON_TYPE }, body: one }, `${PATH}/`],
    ['another case', { headers: { ...AUTH, ...JSON_TYPE }, body: one }, '/API/v1/heartbeats'],
    ['no content type', { headers: AUTH, body: one }, PATH],
    ['text/plain', { headers: { ...AUTH, 'content-type': 'text/plain' }, body: one }, PATH],
    [
      'a chunked body',
      { headers: { ...AUTH, ...JSON_TYPE, 'transfer-encoding': 'chunked' }, body: one },
      PATH,
    ],
    ['gzip', { headers: { ...AUTH, ...JSON_TYPE, 'content-encoding': 'gzip' }, body: one }, PATH],
    [
      'a body declared past the batch cap',
      { headers: { ...AUTH, ...JSON_TYPE, 'content-length': String(MAX_BATCH_BYTES + 1) }, body: '' },
      PATH,
    ],
    ['GET', { method: 'GET', headers: AUTH }, PATH],
    ['PUT', { method: 'PUT', headers: { ...AUTH, ...JSON_TYPE }, body: one }, PATH],
  ])('leaves %s to express, which answers as it does alone', async (_what, init, path) => {
    const { lane, express, byLane } = await pair.post(init, path);
    expect(byLane).toBe(false);
    expect(lane).toEqual(express);
  });

  test('a JSON array: each item answered on its own, the good ones applied, as express does', async () => {
    const batch = `[${body(hb('batch-1'))}, ${missing('batch-2', 'instance_id')},${body(hb('batch-3', { app: 'elsewhere' }))} ,${body(hb('batch-4'))},{"v":1,}]`;
    const { lane, express, byLane } = await pair.post({ headers: { ...AUTH, ...JSON_TYPE }, body: batch });
    expect(byLane).toBe(true);
    expect(lane).toEqual(express);
    expect(lane.status).toBe(200);
    const answer = JSON.parse(lane.body) as BatchAnswer;
    expect(answer).toEqual({
      accepted: 2,
      rejected: 3,
      results: [
        { index: 0, status: 202, outcome: 'new' },
        {
          index: 1,
          status: 400,
          error: 'heartbeat rejected',
          reason: 'missing_field',
          detail: expect.stringContaining('instance_id'),
        },
        {
          index: 2,
          status: 400,
          error: 'heartbeat rejected',
          reason: 'wrong_app',
          detail: expect.any(String),
        },
        { index: 3, status: 202, outcome: 'new' },
        {
          index: 4,
          status: 400,
          error: 'heartbeat rejected',
          reason: 'malformed_json',
          detail: expect.any(String),
        },
      ],
    });
    for (const registry of [pair.laneRegistry, pair.expressRegistry]) {
      expect(registry.get('batch-1')).toBeDefined();
      expect(registry.get('batch-4')).toBeDefined();
      expect(registry.get('batch-3')).toBeUndefined();
    }
  });

  test('NDJSON: one heartbeat a line, blank lines ignored, each answered on its own', async () => {
    const lines = `${body(hb('nd-1'))}\n\n  \r\n${missing('nd-2', 'seq')}\r\n${body(hb('nd-3'))}\n`;
    const { lane, express, byLane } = await pair.post({ headers: { ...AUTH, ...NDJSON_TYPE }, body: lines });
    expect(byLane).toBe(true);
    expect(lane).toEqual(express);
    const answer = JSON.parse(lane.body) as BatchAnswer;
    expect(answer.accepted).toBe(2);
    expect(answer.results.map((r) => [r.index, r.status, r.reason ?? r.outcome])).toEqual([
      [0, 202, 'new'],
      [1, 400, 'missing_field'],
      [2, 202, 'new'],
    ]);
    expect(pair.laneRegistry.get('nd-3')).toBeDefined();
  });

  test('a single object keeps its 202 answer; a one-item array is a batch', async () => {
    const single = await pair.post({ headers: { ...AUTH, ...JSON_TYPE }, body: body(hb('form-1')) });
    expect(single.lane.status).toBe(202);
    const array = await pair.post({ headers: { ...AUTH, ...JSON_TYPE }, body: `[${body(hb('form-2'))}]` });
    expect(array.lane.status).toBe(200);
    expect(JSON.parse(array.lane.body)).toEqual({
      accepted: 1,
      rejected: 0,
      results: [{ index: 0, status: 202, outcome: 'new' }],
    });
    expect(array.lane).toEqual(array.express);
  });

  test.each<[string, string, Record<string, string>, number, string, string]>([
    ['an empty array', ' [ ] ', JSON_TYPE, 400, 'empty_batch', 'array holds no heartbeat'],
    ['blank NDJSON', '\n \n', NDJSON_TYPE, 400, 'empty_batch', 'NDJSON body holds no heartbeat'],
    ['an unclosed array', `[${body(hb('x-1'))}`, JSON_TYPE, 400, 'malformed_json', 'not closed'],
    ['more after the array', `[${body(hb('x-2'))}] x`, JSON_TYPE, 400, 'malformed_json', 'closing'],
    [
      'too many items',
      `[${Array.from({ length: MAX_BATCH_ITEMS + 1 }, () => '{}').join(',')}]`,
      JSON_TYPE,
      413,
      'too_many_items',
      'MAX_BATCH_ITEMS',
    ],
    [
      'too many NDJSON lines',
      Array.from({ length: MAX_BATCH_ITEMS + 1 }, () => '{}').join('\n'),
      NDJSON_TYPE,
      413,
      'too_many_items',
      'MAX_BATCH_ITEMS',
    ],
  ])('%s is refused whole, naming why', async (_what, text, type, status, reason, detail) => {
    const { lane, express, byLane } = await pair.post({ headers: { ...AUTH, ...type }, body: text });
    expect(byLane).toBe(true);
    expect(lane).toEqual(express);
    expect(lane.status).toBe(status);
    expect(JSON.parse(lane.body)).toEqual({
      error: 'batch rejected',
      reason,
      detail: expect.stringContaining(detail),
    });
  });

  test('a batch declared past MAX_BATCH_BYTES is refused unread, naming the cap', async () => {
    const { lane, express } = await pair.post({
      headers: { ...AUTH, ...NDJSON_TYPE, 'content-length': String(MAX_BATCH_BYTES + 1) },
      body: '',
    });
    expect(lane).toEqual(express);
    expect(lane.status).toBe(413);
    expect(JSON.parse(lane.body)).toEqual({
      error: 'batch rejected',
      reason: 'too_large',
      detail: expect.stringContaining(`${MAX_BATCH_BYTES} bytes (MAX_BATCH_BYTES`),
    });
  });

  test('an item past one heartbeat’s cap is refused on its own (too_large)', async () => {
    const big = JSON.stringify({ ...hb('big-1'), padding: 'x'.repeat(MAX_HEARTBEAT_BYTES) });
    const { lane, express } = await pair.post({
      headers: { ...AUTH, ...NDJSON_TYPE },
      body: `${big}\n${body(hb('big-2'))}`,
    });
    expect(lane).toEqual(express);
    const answer = JSON.parse(lane.body) as BatchAnswer;
    expect(answer.results.map((r) => [r.status, r.reason ?? r.outcome])).toEqual([
      [400, 'too_large'],
      [202, 'new'],
    ]);
  });
});

describe('the rate limit counts heartbeats', () => {
  test('a batch spends one per item; those past the limit are 429 unjudged, then the request is', async () => {
    const pair = await new Pair({ ...LOCKED, ingestRateLimitPerS: 5 }).start();
    try {
      const headers = { ...AUTH, ...JSON_TYPE };
      const first = await pair.post({ headers, body: body(hb('rate-0')) });
      expect(first.byLane).toBe(true);
      expect(first.lane).toEqual(first.express);
      expect(first.lane.headers).toContainEqual('RateLimit-Policy: 5;w=1');
      expect(first.lane.headers).toContainEqual('RateLimit: limit=5, remaining=4, reset=1');

      const items = Array.from({ length: 6 }, (_, i) => body(hb(`rate-${i + 1}`)));
      const batch = await pair.post({ headers, body: `[${items.join(',')}]` });
      expect(batch.byLane).toBe(true);
      expect(batch.lane).toEqual(batch.express);
      const answer = JSON.parse(batch.lane.body) as BatchAnswer;
      expect(answer.accepted).toBe(4);
      expect(answer.results.map((r) => r.status)).toEqual([202, 202, 202, 202, 429, 429]);
      expect(answer.results[4]).toEqual({
        index: 4,
        status: 429,
        error: 'too many requests',
        detail: expect.stringContaining('INGEST_RATE_LIMIT_PER_S'),
      });
      expect(batch.lane.headers).toContainEqual('RateLimit: limit=5, remaining=0, reset=1');
      expect(pair.laneRegistry.get('rate-5')).toBeUndefined();

      const after = await pair.post({ headers, body: body(hb('rate-7')) });
      expect(after.byLane).toBe(true);
      expect(after.lane).toEqual(after.express);
      expect(after.lane.status).toBe(429);
      expect(after.lane.headers).toContainEqual('Retry-After: 1');
      expect(JSON.parse(after.lane.body)).toEqual({
        error: 'too many requests',
        detail: 'at most 5 heartbeats a second per client address (INGEST_RATE_LIMIT_PER_S)',
      });
    } finally {
      await pair.stop();
    }
  });
});

describe('signed ingest without the token', () => {
  const SIGNED: HttpSecurity = { ...LOCKED, signedIngest: true };

  test('a signed heartbeat is the lane’s (202); a forged one is 401, as express answers', async () => {
    const pair = await new Pair(SIGNED).start();
    try {
      const good = await pair.post({ headers: JSON_TYPE, body: body(signHeartbeat(hb('sig-1'), SECRET)) });
      expect(good.byLane).toBe(true);
      expect(good.lane.status).toBe(202);
      expect(good.lane).toEqual(good.express);
      const forged = await pair.post({
        headers: JSON_TYPE,
        body: body(signHeartbeat(hb('sig-2'), `${SECRET}-not`)),
      });
      expect(forged.byLane).toBe(true);
      expect(forged.lane.status).toBe(401);
      expect(forged.lane.headers).toContainEqual('WWW-Authenticate: Bearer realm="replica-watch"');
      expect(forged.lane).toEqual(forged.express);
    } finally {
      await pair.stop();
    }
  });

  test('each batch item is verified on its own; a batch with none verified is 401', async () => {
    const pair = await new Pair(SIGNED).start();
    try {
      const items = [
        body(signHeartbeat(hb('sb-1'), SECRET)),
        body(signHeartbeat(hb('sb-2'), `${SECRET}-not`)),
        body(hb('sb-3')),
        body(signHeartbeat(hb('sb-4'), SECRET)),
      ];
      const mixed = await pair.post({ headers: NDJSON_TYPE, body: items.join('\n') });
      expect(mixed.byLane).toBe(true);
      expect(mixed.lane).toEqual(mixed.express);
      const answer = JSON.parse(mixed.lane.body) as BatchAnswer;
      expect(answer.results.map((r) => r.status)).toEqual([202, 401, 401, 202]);
      expect(answer.results[1]).toEqual({
        index: 1,
        status: 401,
        error: 'unauthorized',
        detail: expect.stringContaining('HEARTBEAT_SECRET'),
      });
      expect(pair.laneRegistry.get('sb-1')).toBeDefined();
      expect(pair.laneRegistry.get('sb-2')).toBeUndefined();

      const none = await pair.post({ headers: JSON_TYPE, body: `[${items[1]},${items[2]}]` });
      expect(none.lane).toEqual(none.express);
      expect(none.lane.status).toBe(401);
      expect(JSON.parse(none.lane.body)).toMatchObject({ error: 'unauthorized' });

      // With the token the reasons are told.
      const told = await pair.post({ headers: { ...AUTH, ...JSON_TYPE }, body: `[${items[1]}]` });
      expect(told.lane).toEqual(told.express);
      expect((JSON.parse(told.lane.body) as BatchAnswer).results[0]).toMatchObject({
        status: 400,
        reason: 'bad_signature',
      });
    } finally {
      await pair.stop();
    }
  });
});
