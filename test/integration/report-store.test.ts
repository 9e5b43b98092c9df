/**
 * The report as ready bytes: serialized once, served with a strong ETag (304 while unchanged),
 * the instance list built only when read, and large instance lists paged with an opaque cursor
 * in a stable order on both list routes.
 */
import type { Server } from 'node:http';
import { createHttpListener } from '../../aggregator/http/app';
import { closeServer, listen } from '../../aggregator/http/listen';
import { decodeCursor, encodeCursor, MAX_PAGE_LIMIT } from '../../aggregator/http/instance-pages';
import type { InstanceRecord } from '../../aggregator/model';
import fc from 'fast-check';
import { reconcile } from '../../aggregator/reconcile';
import type { ReconcileResult } from '../../aggregator/reconcile';
import { isoTime } from '../../aggregator/reconcile/text';
import type { InstanceReport } from '../../aggregator/reconcile/report';
import { ReportStore } from '../../aggregator/report-store';
import { httpDeps } from '../support/http-deps';
import { fixed, view } from '../support/platform';
import { input, publishedReport } from '../support/reconcile-io';
import { instance, instances, NOW } from '../support/records';

function fleet(): InstanceRecord[] {
  return [
    ...instances('backend', 12),
    ...instances('worker', 9, { component: 'worker' }),
    instance('backend-suspect', { lastSeenMs: NOW - 25_000 }),
    instance('backend-gone', { lastSeenMs: NOW - 60_000 }),
    instance('worker-left', { component: 'worker', leftAtMs: NOW - 1_000 }),
  ];
}

function reportOf(records: InstanceRecord[]): ReconcileResult {
  return reconcile(input({ instances: records, platform: view({ defaultDesired: fixed(10) }) }));
}

describe('ReportStore', () => {
  it('counts and serializes the report without building its instance list', () => {
    let reads = 0;
    const result = reportOf(fleet());
    const published = new ReportStore().publish({
      report: result.report,
      instances: () => {
        reads++;
        return result.instances();
      },
    });
    const body = JSON.parse(published.withoutInstances().body.toString('utf8')) as Record<string, unknown>;
    expect(reads).toBe(0);
    expect(body).not.toHaveProperty('instances');
    expect(body.components).toEqual(result.report.components);
    expect(published.instanceCount).toBe(result.instances().length);
    expect(published.instanceCount).toBe(24);
  });

  it('serializes each form once per report, with a strong ETag that follows the content', () => {
    const store = new ReportStore();
    const first = store.publish(reportOf(fleet()));
    expect(first.full()).toBe(first.full());
    expect(first.full().etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(JSON.parse(first.full().body.toString('utf8'))).toEqual(
      JSON.parse(JSON.stringify(publishedReport(first))),
    );
    const same = store.publish(reportOf(fleet()));
    expect(same.full().etag).toBe(first.full().etag);
    const other = store.publish(reportOf(fleet().slice(1)));
    expect(other.full().etag).not.toBe(first.full().etag);
    expect(other.instances().etag).not.toBe(first.instances().etag);
  });

  it('builds the instance list on first read, sorted by component then instance id', () => {
    const list = reportOf(fleet()).instances();
    const keys = list.map((i) => `${i.component}/${i.instance_id}`);
    expect(keys).toEqual([...keys].sort());
    expect(new Set(list.map((i) => i.state))).toEqual(new Set(['live', 'suspect', 'gone', 'left']));
  });
});

describe("the report's times", () => {
  it('are exactly Date#toISOString, cached by second or not', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), (ms) => {
        expect(isoTime(ms)).toBe(new Date(ms).toISOString());
        expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2_000 },
    );
    for (const ms of [0, -1, 999, 1_000, NOW, NOW + 1, 8.64e15, -8.64e15, 1.5, 253_402_300_800_000]) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });
});

describe('cursors', () => {
  it('round-trip and refuse what this server did not issue', () => {
    const key = { component: 'backend', instanceId: 'backend-76b84c7fb8-6p8kq' };
    expect(decodeCursor(encodeCursor(key))).toEqual(key);
    for (const junk of ['', 'abc', 'not base64!', Buffer.from('[2,"a","b"]').toString('base64url')]) {
      expect(decodeCursor(junk)).toBeNull();
    }
  });
});

describe('the list routes', () => {
  let server: Server;
  let base: string;
  const store = new ReportStore();
  /** The paths of the requests the fast lane answered (express answered the others). */
  const laneAnswered: string[] = [];

  beforeAll(async () => {
    const listener = createHttpListener(httpDeps(store, { onFastLane: (path) => laneAnswered.push(path) }));
    const bound = await listen(listener, '127.0.0.1', 0);
    server = bound.server;
    base = `http://127.0.0.1:${bound.port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await closeServer(server);
  });

  beforeEach(() => {
    store.publish(reportOf(fleet()));
    laneAnswered.length = 0;
  });

  it('answers 304 to a matching If-None-Match, and 200 once the report changed', async () => {
    for (const path of ['/api/v1/monitoring/replicas', '/api/v1/health/instances']) {
      store.publish(reportOf(fleet()));
      const first = await fetch(`${base}${path}`);
      expect(first.status).toBe(200);
      const etag = first.headers.get('etag') as string;
      expect(etag).toMatch(/^"/);
      await first.arrayBuffer();
      const again = await fetch(`${base}${path}`, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe('');
      const weak = await fetch(`${base}${path}`, { headers: { 'if-none-match': `"x", W/${etag}` } });
      expect(weak.status).toBe(304);
      await weak.arrayBuffer();
      store.publish(reportOf(fleet().slice(2)));
      const changed = await fetch(`${base}${path}`, { headers: { 'if-none-match': etag } });
      expect(changed.status).toBe(200);
      expect(changed.headers.get('etag')).not.toBe(etag);
      await changed.arrayBuffer();
    }
  });

  it('answers the fast lane with the same headers as the middleware chain', async () => {
    for (const path of ['/api/v1/monitoring/replicas', '/api/v1/health/instances']) {
      laneAnswered.length = 0;
      const lane = await fetch(`${base}${path}`);
      await lane.arrayBuffer();
      // HEAD is never the lane's: it goes down the chain (helmet and all) to the same route.
      const chain = await fetch(`${base}${path}`, { method: 'HEAD' });
      expect(laneAnswered).toEqual([path]);
      const names = (res: Response) =>
        [...res.headers.keys()].filter((n) => !['date', 'connection', 'keep-alive'].includes(n)).sort();
      expect(names(lane)).toEqual(names(chain));
      for (const name of names(chain))
        expect([name, lane.headers.get(name)]).toEqual([name, chain.headers.get(name)]);
      expect(lane.headers.get('content-security-policy')).toContain("default-src 'self'");
    }
  });

  it('leaves the instance list out with ?instances=false', async () => {
    const body = (await (await fetch(`${base}/api/v1/monitoring/replicas?instances=false`)).json()) as Record<
      string,
      unknown
    >;
    expect(body).not.toHaveProperty('instances');
    expect(body).toHaveProperty('summary');
  });

  async function allPages(path: string, limit: number, between?: () => void): Promise<InstanceReport[][]> {
    const pages: InstanceReport[][] = [];
    let cursor: string | null = null;
    do {
      const query: string = `limit=${limit}${cursor === null ? '' : `&cursor=${cursor}`}`;
      const res = await fetch(`${base}${path}?${query}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { instances: InstanceReport[]; next_cursor: string | null };
      expect(body).toHaveProperty('next_cursor');
      pages.push(body.instances);
      cursor = body.next_cursor;
      between?.();
    } while (cursor !== null && pages.length < 100);
    return pages;
  }

  it.each(['/api/v1/monitoring/replicas', '/api/v1/health/instances'])(
    'pages %s in report order, the last page without a next cursor',
    async (path) => {
      const whole = store.current()?.instanceList() ?? [];
      const pages = await allPages(path, 7);
      expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 3]);
      expect(pages.flat()).toEqual(JSON.parse(JSON.stringify(whole)));
    },
  );

  it('keeps the pages stable while instances come and go between requests', async () => {
    const records = fleet();
    let round = 0;
    const pages = await allPages('/api/v1/health/instances', 5, () => {
      round++;
      // One instance leaves the part already read, one arrives in it, one arrives ahead.
      const next = records.filter((r) => r.instanceId !== 'backend-1');
      next.push(instance(`backend-0${round}`), instance(`worker-9${round}`, { component: 'worker' }));
      store.publish(reportOf(next));
    });
    const ids = pages.flat().map((i) => `${i.component}/${i.instance_id}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort());
    // Every instance present throughout was listed.
    for (const r of records) expect(ids).toContain(`${r.component}/${r.instanceId}`);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=abc', 'limit'],
    [`limit=${MAX_PAGE_LIMIT + 1}`, 'limit'],
    ['limit=5&limit=6', 'limit'],
    ['limit=-1', 'limit'],
    ['cursor=abc', 'cursor'],
    ['limit=5&cursor=%7B%7D', 'cursor'],
  ])('refuses %s with 400 naming %s', async (query, parameter) => {
    for (const path of ['/api/v1/monitoring/replicas', '/api/v1/health/instances']) {
      const res = await fetch(`${base}${path}?${query}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { parameter: string; error: string };
      expect(body.parameter).toBe(parameter);
      expect(body.error).toContain(parameter);
    }
    // A bad parameter is express's to answer.
    expect(laneAnswered).toEqual([]);
  });
});
