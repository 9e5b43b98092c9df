/**
 * The report routes' fast lane (aggregator/http/fast-lane.ts) in front of the express app: it
 * answers the ordinary report requests itself (its observer hears each one), its answers are
 * byte for byte express's own (status, every header in order and spelling, body), it leaves
 * everything else to express, and the server does not start when helmet's headers cannot be
 * computed once.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import type { HttpDeps } from '../../aggregator/http/app';
import { createHttpListener } from '../../aggregator/http/app';
import { captureHeaders } from '../../aggregator/http/fast-lane';
import { closeServer, listen } from '../../aggregator/http/listen';
import { reconcile } from '../../aggregator/reconcile';
import { ReportStore } from '../../aggregator/report-store';
import { httpDeps } from '../support/http-deps';
import { LanePair, rawRequest, type RawAsk } from '../support/raw-request';
import { fixed, view } from '../support/platform';
import { input } from '../support/reconcile-io';
import { instances } from '../support/records';

const TOKEN = 'lane-token-0123456789abcdef';
const REPLICAS = '/api/v1/monitoring/replicas';
const INSTANCES = '/api/v1/health/instances';

/** The API locked with TOKEN. */
function deps(store: ReportStore, overrides: Partial<HttpDeps> = {}): HttpDeps {
  return httpDeps(store, {
    security: { apiToken: TOKEN, metricsToken: null, signedIngest: false, ingestRateLimitPerS: 0 },
    ...overrides,
  });
}

function publishFleet(store: ReportStore, count = 12): void {
  store.publish(
    reconcile(
      input({ instances: instances('backend', count), platform: view({ defaultDesired: fixed(10) }) }),
    ),
  );
}

/** The report routes served twice, from one store. */
class Pair extends LanePair {
  constructor(private readonly store: ReportStore) {
    super('GET');
  }

  protected deps(_side: 'lane' | 'express', overrides: Partial<HttpDeps>): HttpDeps {
    return deps(this.store, overrides);
  }
}

describe('the fast lane in front of express', () => {
  const store = new ReportStore();
  const pair = new Pair(store);
  const auth = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    publishFleet(store);
    await pair.start();
  });

  afterAll(() => pair.stop());

  test.each([
    REPLICAS,
    `${REPLICAS}?instances=false`,
    `${REPLICAS}?limit=5`,
    INSTANCES,
    `${INSTANCES}?limit=5`,
  ])('answers GET %s itself, exactly as express does', async (path) => {
    const { lane, express, byLane } = await pair.both(path, { headers: auth });
    expect(byLane).toBe(true);
    expect(pair.laneAnswered.at(-1)).toBe(path.split('?')[0]);
    expect(lane.status).toBe(200);
    expect(lane).toEqual(express);
    // helmet's headers, spelled as helmet spells them.
    expect(lane.headers).toContainEqual(
      expect.stringMatching(/^Content-Security-Policy: default-src 'self';/),
    );
  });

  test('answers a page after a cursor and a 304 itself, exactly as express does', async () => {
    const first = await pair.both(`${INSTANCES}?limit=5`, { headers: auth });
    const cursor = (JSON.parse(first.lane.body) as { next_cursor: string }).next_cursor;
    const next = await pair.both(`${INSTANCES}?limit=5&cursor=${cursor}`, { headers: auth });
    expect(next.byLane).toBe(true);
    expect(next.lane).toEqual(next.express);
    expect((JSON.parse(next.lane.body) as { instances: unknown[] }).instances).toHaveLength(5);

    const etag = /^etag: (.*)$/.exec(first.lane.headers.find((h) => h.startsWith('etag: ')) ?? '')?.[1];
    expect(etag).toMatch(/^"/);
    const unchanged = await pair.both(`${INSTANCES}?limit=5`, {
      headers: { ...auth, 'if-none-match': `W/${etag ?? ''}` },
    });
    expect(unchanged.byLane).toBe(true);
    expect(unchanged.lane.status).toBe(304);
    expect(unchanged.lane).toEqual(unchanged.express);
  });

  test.each<[string, string, Partial<RawAsk>]>([
    ['HEAD', REPLICAS, { method: 'HEAD', headers: auth }],
    ['no token', REPLICAS, {}],
    ['a wrong token', INSTANCES, { headers: { authorization: `Bearer ${TOKEN}x` } }],
    ['a Basic header', INSTANCES, { headers: { authorization: 'Basic dXNlcjpwYXNz' } }],
    ['a body', REPLICAS, { headers: { ...auth, 'content-length': '5' }, body: 'hello' }],
    ['a chunked body', REPLICAS, { headers: { ...auth, 'transfer-encoding': 'chunked' }, body: 'hello' }],
    ['POST', REPLICAS, { method: 'POST', headers: auth }],
    ['a bad limit', `${REPLICAS}?limit=0`, { headers: auth }],
    ['a bad cursor', `${INSTANCES}?cursor=abc`, { headers: auth }],
    ['a trailing slash', `${INSTANCES}/`, { headers: auth }],
    ['another case', '/API/v1/health/instances', { headers: auth }],
    ['a fragment after the query', `${REPLICAS}?instances=false#x`, { headers: auth }],
    ['an inherited name', '/constructor', { headers: auth }],
    ['another route', '/livez', {}],
  ])('leaves %s to express, which answers as it does alone', async (_what, path, init) => {
    const { lane, express, byLane } = await pair.both(path, init);
    expect(byLane).toBe(false);
    expect(lane).toEqual(express);
  });

  test('a fragment is not read as part of the query (express reads it as a fragment)', async () => {
    const { lane } = await pair.both(`${REPLICAS}?instances=false#x`, { headers: auth });
    expect(lane.status).toBe(200);
    expect(JSON.parse(lane.body)).not.toHaveProperty('instances');
  });
});

describe('the fast lane without a report, and without a token', () => {
  test("before the first report every request is express's (503)", async () => {
    const pair = await new Pair(new ReportStore()).start();
    try {
      const { lane, express, byLane } = await pair.both(REPLICAS, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(byLane).toBe(false);
      expect(lane.status).toBe(503);
      expect(lane).toEqual(express);
    } finally {
      await pair.stop();
    }
  });

  test('with the API open it answers without a token', async () => {
    const store = new ReportStore();
    publishFleet(store, 3);
    const answered: string[] = [];
    const { server, port } = await listen(
      createHttpListener(deps(store, { security: undefined, onFastLane: (path) => answered.push(path) })),
      '127.0.0.1',
      0,
    );
    try {
      const res = await rawRequest(port, INSTANCES, { method: 'GET' });
      expect(res.status).toBe(200);
      expect(answered).toEqual([INSTANCES]);
    } finally {
      await closeServer(server);
    }
  });
});

describe("helmet's headers, captured once", () => {
  test('are what helmet sets, spelled as helmet spells them, and frozen', () => {
    const headers = captureHeaders(helmet(), 'helmet');
    expect(headers).toHaveProperty('X-Content-Type-Options', 'nosniff');
    expect(headers).toHaveProperty('Strict-Transport-Security');
    expect(headers).not.toHaveProperty('X-Powered-By');
    expect(Object.isFrozen(headers)).toBe(true);
  });

  test.each<[string, RequestHandler, RegExp]>([
    [
      'it throws',
      () => {
        throw new Error('boom');
      },
      /cannot compute helmet's headers: it threw \(boom\)/,
    ],
    [
      'it calls next() later',
      (_req, _res, later) => void setImmediate(later),
      /did not call next\(\) at once/,
    ],
    ['it passes an error', (_req, _res, fail) => fail(new Error('no')), /passed an error to next\(\)/],
    [
      'it sets a header node refuses',
      (_req: Request, res: Response, go: NextFunction) => {
        res.setHeader('X-Bad', 'line\nbreak');
        go();
      },
      /sets? a header node refuses \(X-Bad\)/,
    ],
  ])('cannot be computed when %s: an error naming what failed', (_what, middleware, message) => {
    expect(() => captureHeaders(middleware, 'helmet')).toThrow(message);
  });

  test('the server does not start without them', async () => {
    await jest.isolateModulesAsync(async () => {
      jest.doMock('helmet', () => ({
        __esModule: true,
        default: (): RequestHandler => (_req, _res, later) => void setImmediate(later),
      }));
      const isolated = await import('../../aggregator/http/app');
      expect(() => isolated.createHttpListener(deps(new ReportStore()))).toThrow(
        "the fast lane cannot compute helmet's headers: it did not call next() at once",
      );
    });
    jest.dontMock('helmet');
  });
});
