/**
 * The fleet summaries across shards (aggregator/fleet/summary-store.ts) over a fake HASH: each
 * shard writes its rows into `rw:{fleet}:summaries` (a changed row at once, an unchanged one as a
 * heartbeat, a dropped app's row deleted), reads everyone's, and shows a row older than the stale
 * limit as unknown (`degraded`, counts null), forgets one older than the forget limit; junk is
 * skipped; a failing Redis is logged once and the last good rows still age into stale.
 */
import type { FleetApp } from '../../aggregator/fleet/fleet-view';
import type { FleetSummary, SummaryHash, SummaryTiming } from '../../aggregator/fleet/summary-store';
import {
  contentOf,
  decodeSummary,
  encodeSummary,
  FleetSummaryStore,
  judgeSummaries,
  planWrite,
  SUMMARY_DEFAULTS,
  summaryTiming,
  writeArguments,
} from '../../aggregator/fleet/summary-store';
import { silentLogger } from '../../shared/logger';
import { FLEET_SUMMARIES_KEY } from '../../shared/redis-keys';
import { fleetRow, orphanedFleetRow } from '../support/fleet';
import { captureLogs } from '../support/logs';
import { manualClock } from '../support/manual-clock';

const START_MS = Date.parse('2026-01-02T03:00:00.000Z');
const TIMING: SummaryTiming = { ...SUMMARY_DEFAULTS, writeIntervalMs: 10_000 };

/** A HASH in memory, as Redis keeps it; `failing` makes every call reject. */
class FakeHash implements SummaryHash {
  readonly hashes = new Map<string, Map<string, string>>();
  readonly calls: string[] = [];
  failing: Error | null = null;

  private of(key: string): Map<string, string> {
    let hash = this.hashes.get(key);
    if (!hash) this.hashes.set(key, (hash = new Map()));
    return hash;
  }

  private check(call: string): void {
    this.calls.push(call);
    if (this.failing) throw this.failing;
  }

  /** Recorded as `WRITE <key> SET <fields> DEL <fields>`: the one round trip. */
  async write(key: string, set: Readonly<Record<string, string>>, drop: readonly string[]): Promise<void> {
    const halves = [
      ...(Object.keys(set).length > 0 ? [`SET ${Object.keys(set).sort().join(' ')}`] : []),
      ...(drop.length > 0 ? [`DEL ${[...drop].sort().join(' ')}`] : []),
    ];
    this.check(`WRITE ${key} ${halves.join(' ')}`);
    for (const [field, value] of Object.entries(set)) this.of(key).set(field, value);
    for (const field of drop) this.of(key).delete(field);
  }

  /** Puts a raw value in place, as another process (or a person) might. */
  put(field: string, value: string): void {
    this.of(FLEET_SUMMARIES_KEY).set(field, value);
  }

  async hGetAll(key: string): Promise<Record<string, string>> {
    this.check(`HGETALL ${key}`);
    return Object.fromEntries(this.of(key));
  }

  /** The decoded summaries now in the fleet's hash. */
  summaries(): Record<string, FleetSummary | null> {
    return Object.fromEntries(
      [...this.of(FLEET_SUMMARIES_KEY)].map(([app, value]) => [app, decodeSummary(app, value)]),
    );
  }
}

const row = (app: string, overrides: Partial<FleetApp> = {}): FleetApp =>
  fleetRow({ app, app_id: `id-${app}`, name: `name-${app}`, verdict: 'ok', ...overrides });

describe('the summary format', () => {
  test('encode → decode: the row, its shard and TOTAL_SHARDS, and when it was written', () => {
    const shop = orphanedFleetRow({ app: 'shop', shard: 1 });
    const value = encodeSummary(shop, { index: 1, total: 3 }, START_MS);
    expect(JSON.parse(value)).toEqual({
      v: 1,
      shard: 1,
      total_shards: 3,
      written_at: '2026-01-02T03:00:00.000Z',
      row: shop,
    });
    expect(decodeSummary('shop', value)).toEqual({
      v: 1,
      shard: 1,
      total_shards: 3,
      written_at: '2026-01-02T03:00:00.000Z',
      row: shop,
    });
  });

  test.each<[string, string]>([
    ['not JSON', '{'],
    ['another version', JSON.stringify({ v: 2, shard: 0, total_shards: 1, written_at: 'x', row: {} })],
    ['no time', JSON.stringify({ v: 1, shard: 0, total_shards: 2, row: row('shop') })],
    [
      'a negative shard',
      JSON.stringify({
        v: 1,
        shard: -1,
        total_shards: 2,
        written_at: '2026-01-02T03:00:00Z',
        row: row('shop'),
      }),
    ],
    ['a row of another app', encodeSummary(row('other'), { index: 0, total: 2 }, START_MS)],
    ['no row', JSON.stringify({ v: 1, shard: 0, total_shards: 2, written_at: '2026-01-02T03:00:00Z' })],
  ])('%s: not a summary (null)', (_what, value) => {
    expect(decodeSummary('shop', value)).toBeNull();
  });

  test('a row with fields of the wrong type reads them as unknown, never as better than it is', () => {
    const value = JSON.stringify({
      v: 1,
      shard: 1,
      total_shards: 2,
      written_at: '2026-01-02T03:00:00.000Z',
      row: {
        app: 'shop',
        verdict: 'splendid',
        active_instances: -3,
        configured_replicas: '2',
        finding_codes: ['SURPLUS_INSTANCES', 'MADE_UP'],
        estimated_monthly_waste_usd: 'lots',
        degraded: 'no',
        extra: 'ignored',
      },
    });
    const decoded = decodeSummary('shop', value);
    expect(decoded?.row).toEqual({
      app: 'shop',
      app_id: null,
      name: null,
      verdict: 'degraded',
      configured_replicas: null,
      active_instances: null,
      platform_ready: null,
      platform_instances: null,
      finding_codes: ['SURPLUS_INSTANCES'],
      worst_severity: null,
      surplus_instances: null,
      estimated_monthly_waste_usd: null,
      agentless: false,
      degraded: true,
      platform_data_age_ms: null,
      shard: 1,
      generated_at: null,
      summary_written_at: null,
      summary_stale: false,
    });
  });
});

describe('writeArguments', () => {
  test("WRITE_SUMMARIES's ARGV: the count of pairs, the pairs, then the fields to delete", () => {
    expect(writeArguments({ a: '1', b: '2' }, ['c'])).toEqual(['2', 'a', '1', 'b', '2', 'c']);
    expect(writeArguments({}, ['c', 'd'])).toEqual(['0', 'c', 'd']);
    expect(writeArguments({ a: '1' }, [])).toEqual(['1', 'a', '1']);
  });
});

describe('planWrite', () => {
  const written = new Map([['shop', { content: contentOf(row('shop')), atMs: START_MS }]]);

  test('a new app is written; an unchanged one is not, until its heartbeat is due', () => {
    expect(
      planWrite([row('shop'), row('blog')], written, START_MS + 10_000, 60_000).set.map((r) => r.app),
    ).toEqual(['blog']);
    expect(planWrite([row('shop')], written, START_MS + 60_000, 60_000).set.map((r) => r.app)).toEqual([
      'shop',
    ]);
  });

  test('the times that move with every reconcile are no change; a count is', () => {
    const later = row('shop', { generated_at: '2026-01-02T03:00:10.000Z', platform_data_age_ms: 9_000 });
    expect(planWrite([later], written, START_MS + 10_000, 60_000).set).toEqual([]);
    const worse = row('shop', { active_instances: 6 });
    expect(planWrite([worse], written, START_MS + 10_000, 60_000).set).toEqual([worse]);
  });

  test('an app written before and no longer watched: its row is deleted', () => {
    expect(planWrite([], written, START_MS, 60_000)).toEqual({ set: [], drop: ['shop'] });
  });
});

describe('judgeSummaries', () => {
  const summary = (app: string, shard: number, writtenMs: number): FleetSummary => ({
    v: 1,
    shard,
    total_shards: 2,
    written_at: new Date(writtenMs).toISOString(),
    row: orphanedFleetRow({ app, name: `name-${app}`, app_id: `id-${app}`, shard }),
  });

  test('fresh rows as written, with summary_written_at; each shard its newest write', () => {
    const judged = judgeSummaries(
      [summary('a', 1, START_MS - 1_000), summary('b', 1, START_MS - 2_000), summary('c', 0, START_MS)],
      START_MS,
      TIMING,
    );
    expect(judged.rows.get('a')).toEqual({
      ...orphanedFleetRow({ app: 'a', name: 'name-a', app_id: 'id-a', shard: 1 }),
      summary_written_at: '2026-01-02T02:59:59.000Z',
      summary_stale: false,
    });
    expect(Object.fromEntries(judged.writtenAt)).toEqual({
      0: '2026-01-02T03:00:00.000Z',
      1: '2026-01-02T02:59:59.000Z',
    });
    expect(judged.forget).toEqual([]);
  });

  test('older than staleAfterMs: unknown, never green (verdict degraded, counts null), identity kept', () => {
    const old = START_MS - TIMING.staleAfterMs - 1;
    const judged = judgeSummaries([summary('a', 1, old)], START_MS, TIMING);
    expect(judged.rows.get('a')).toEqual({
      app: 'a',
      app_id: 'id-a',
      name: 'name-a',
      verdict: 'degraded',
      configured_replicas: null,
      active_instances: null,
      platform_ready: null,
      platform_instances: null,
      finding_codes: [],
      worst_severity: null,
      surplus_instances: null,
      estimated_monthly_waste_usd: null,
      agentless: false,
      degraded: true,
      platform_data_age_ms: null,
      shard: 1,
      generated_at: '2026-01-02T03:04:05.000Z',
      summary_written_at: new Date(old).toISOString(),
      summary_stale: true,
    });
    // Exactly at the limit it is still fresh.
    const atLimit = judgeSummaries([summary('a', 1, START_MS - TIMING.staleAfterMs)], START_MS, TIMING);
    expect(atLimit.rows.get('a')?.summary_stale).toBe(false);
  });

  test('older than forgetAfterMs: left out, and listed for deletion', () => {
    const judged = judgeSummaries(
      [summary('gone', 1, START_MS - TIMING.forgetAfterMs - 1), summary('a', 1, START_MS)],
      START_MS,
      TIMING,
    );
    expect([...judged.rows.keys()]).toEqual(['a']);
    expect(judged.forget).toEqual(['gone']);
  });

  test("a writer's clock ahead of the reader's reads as just written", () => {
    const judged = judgeSummaries([summary('a', 1, START_MS + 30_000)], START_MS, TIMING);
    expect(judged.rows.get('a')?.summary_stale).toBe(false);
  });
});

describe('summaryTiming', () => {
  test('rows looked at once per reconcile interval, at least once a second; the limits documented', () => {
    expect(summaryTiming({ reconcileIntervalMs: 10_000 })).toEqual({
      writeIntervalMs: 10_000,
      heartbeatMs: 60_000,
      readIntervalMs: 5_000,
      staleAfterMs: 300_000,
      forgetAfterMs: 3_600_000,
    });
    expect(summaryTiming({ reconcileIntervalMs: 50 }).writeIntervalMs).toBe(1_000);
    expect(summaryTiming({ reconcileIntervalMs: 50 }, { writeIntervalMs: 100 }).writeIntervalMs).toBe(100);
  });
});

describe('FleetSummaryStore', () => {
  function store(
    hash: FakeHash,
    rows: () => readonly FleetApp[],
    options: {
      index?: number;
      clock?: ReturnType<typeof manualClock>;
      log?: ReturnType<typeof captureLogs>;
    } = {},
  ) {
    const clock = options.clock ?? manualClock(START_MS);
    return {
      clock,
      store: new FleetSummaryStore({
        hash,
        shard: { index: options.index ?? 0, total: 2 },
        clock,
        log: options.log?.log ?? silentLogger(),
        rows,
        timing: TIMING,
      }),
    };
  }

  test('writes its rows in one round trip, again only when changed or due, and deletes a dropped app', async () => {
    const hash = new FakeHash();
    let rows = [row('shop'), row('blog')];
    const { store: s, clock } = store(hash, () => rows);
    await s.writeNow();
    expect(hash.calls).toEqual([`WRITE ${FLEET_SUMMARIES_KEY} SET blog shop`]);
    expect(hash.summaries().shop).toMatchObject({ shard: 0, total_shards: 2, row: row('shop') });

    clock.advance(10_000);
    await s.writeNow();
    expect(hash.calls).toHaveLength(1);

    rows = [row('shop', { active_instances: 6 })];
    clock.advance(10_000);
    await s.writeNow();
    expect(hash.calls.slice(1)).toEqual([`WRITE ${FLEET_SUMMARIES_KEY} SET shop DEL blog`]);
    expect(Object.keys(hash.summaries())).toEqual(['shop']);

    clock.advance(TIMING.heartbeatMs);
    await s.writeNow();
    expect(hash.calls.slice(2)).toEqual([`WRITE ${FLEET_SUMMARIES_KEY} SET shop`]);
    expect(hash.summaries().shop?.written_at).toBe(new Date(clock.now()).toISOString());
  });

  test("reads every shard's rows; its own write counts as its shard's newest", async () => {
    const hash = new FakeHash();
    const zero = store(hash, () => [row('shop', { shard: 0 })], { index: 0 });
    const one = store(hash, () => [row('blog', { shard: 1 })], { index: 1, clock: zero.clock });
    await zero.store.writeNow();
    await one.store.writeNow();
    await zero.store.readNow();
    const snapshot = zero.store.snapshot();
    expect([...snapshot.rows.keys()].sort()).toEqual(['blog', 'shop']);
    expect(snapshot.rows.get('blog')).toMatchObject({
      app: 'blog',
      shard: 1,
      summary_stale: false,
      summary_written_at: '2026-01-02T03:00:00.000Z',
    });
    expect(snapshot.readStatus).toBe('ok');
    expect(zero.store.lastReadAtMs()).toBe(START_MS);
    expect(Object.fromEntries(snapshot.writtenAt)).toEqual({
      0: '2026-01-02T03:00:00.000Z',
      1: '2026-01-02T03:00:00.000Z',
    });
  });

  test('the snapshot stays the same object while nothing in it changes (a stable fleet ETag)', async () => {
    const hash = new FakeHash();
    const { store: s, clock } = store(hash, () => [row('shop')]);
    await s.writeNow();
    await s.readNow();
    const first = s.snapshot();
    clock.advance(TIMING.readIntervalMs);
    await s.readNow();
    expect(s.lastReadAtMs()).toBe(START_MS + TIMING.readIntervalMs);
    expect(s.snapshot()).toBe(first);
    // A look at unchanged rows writes nothing, and is no new write of its shard either.
    clock.advance(TIMING.writeIntervalMs);
    await s.writeNow();
    await s.readNow();
    expect(hash.calls.filter((c) => c.startsWith('WRITE'))).toHaveLength(1);
    expect(s.snapshot()).toBe(first);
    // A new row is a new snapshot.
    await new FleetSummaryStore({
      hash,
      shard: { index: 1, total: 2 },
      clock,
      log: silentLogger(),
      rows: () => [row('blog', { shard: 1 })],
      timing: TIMING,
    }).writeNow();
    await s.readNow();
    expect(s.snapshot()).not.toBe(first);
    expect([...s.snapshot().rows.keys()].sort()).toEqual(['blog', 'shop']);
  });

  test('a shard that stops writing: its rows go stale after staleAfterMs, then are forgotten and deleted', async () => {
    const hash = new FakeHash();
    const writer = store(hash, () => [row('blog', { shard: 1 })], { index: 1 });
    const reader = store(hash, () => [], { index: 0, clock: writer.clock });
    await writer.store.writeNow();
    await reader.store.readNow();
    expect(reader.store.snapshot().rows.get('blog')?.summary_stale).toBe(false);

    writer.clock.advance(TIMING.staleAfterMs + 1);
    await reader.store.readNow();
    expect(reader.store.snapshot().rows.get('blog')).toMatchObject({
      verdict: 'degraded',
      degraded: true,
      active_instances: null,
      summary_stale: true,
    });

    writer.clock.advance(TIMING.forgetAfterMs);
    await reader.store.readNow();
    expect(reader.store.snapshot().rows.has('blog')).toBe(false);
    expect(hash.calls).toContain(`WRITE ${FLEET_SUMMARIES_KEY} DEL blog`);
    expect(hash.summaries()).toEqual({});
  });

  test('junk in the hash is skipped and logged once', async () => {
    const hash = new FakeHash();
    const logs = captureLogs();
    hash.put('junk', 'not json');
    hash.put('shop', encodeSummary(row('shop'), { index: 1, total: 2 }, START_MS));
    const { store: s } = store(hash, () => [], { log: logs });
    await s.readNow();
    await s.readNow();
    expect([...s.snapshot().rows.keys()]).toEqual(['shop']);
    expect(logs.messages().filter((m) => m.includes('cannot read'))).toHaveLength(1);
  });

  test('a failing Redis: logged once when it starts and once when it ends; the last rows still age', async () => {
    const hash = new FakeHash();
    const logs = captureLogs();
    const writer = store(hash, () => [row('blog', { shard: 1 })], { index: 1 });
    await writer.store.writeNow();
    const reader = store(hash, () => [row('shop')], { index: 0, clock: writer.clock, log: logs });
    await reader.store.readNow();

    hash.failing = new Error('connection refused');
    for (let i = 0; i < 3; i++) {
      writer.clock.advance(TIMING.heartbeatMs);
      await reader.store.writeNow();
      await reader.store.readNow();
    }
    expect(reader.store.snapshot().rows.get('blog')?.summary_stale).toBe(false);
    writer.clock.advance(TIMING.staleAfterMs);
    await reader.store.readNow();
    expect(reader.store.snapshot().rows.get('blog')?.summary_stale).toBe(true);
    expect(reader.store.snapshot().readStatus).toBe('failing');
    expect(reader.store.lastReadAtMs()).toBe(START_MS);

    hash.failing = null;
    await reader.store.writeNow();
    await reader.store.readNow();
    const messages = logs.messages();
    expect(messages.filter((m) => m.startsWith('writing the fleet summaries failed'))).toHaveLength(1);
    expect(messages.filter((m) => m.startsWith('reading the fleet summaries failed'))).toHaveLength(1);
    expect(messages.filter((m) => m === 'writing the fleet summaries works again')).toHaveLength(1);
    expect(messages.filter((m) => m === 'reading the fleet summaries works again')).toHaveLength(1);
    // The rows that failed to go out went out once it worked again.
    expect(hash.summaries().shop?.row.app).toBe('shop');
  });

  test('start writes and reads once, the loops follow the intervals; close is idempotent and leaves the rows', async () => {
    const hash = new FakeHash();
    const { store: s, clock } = store(hash, () => [row('shop', { active_instances: hash.calls.length })]);
    await s.start();
    expect(hash.calls).toEqual([`WRITE ${FLEET_SUMMARIES_KEY} SET shop`, `HGETALL ${FLEET_SUMMARIES_KEY}`]);
    clock.advance(TIMING.readIntervalMs);
    await new Promise((resolve) => setImmediate(resolve));
    expect(hash.calls.filter((c) => c.startsWith('HGETALL'))).toHaveLength(2);
    clock.advance(TIMING.writeIntervalMs - TIMING.readIntervalMs);
    await new Promise((resolve) => setImmediate(resolve));
    expect(hash.calls.filter((c) => c.startsWith('WRITE'))).toHaveLength(2);
    const closing = s.close();
    expect(s.close()).toBe(closing);
    await closing;
    expect(clock.pending()).toBe(0);
    expect(Object.keys(hash.summaries())).toEqual(['shop']);
  });
});
