/**
 * The fleet of watched apps (aggregator/fleet/fleet.ts), in-process and embedded (no Redis),
 * over a fake platform account whose listing the test sets. Time is a manual clock: the discovery
 * loop's sleep (APP_DISCOVERY_INTERVAL_MS) ends when the test advances the clock past it, so
 * every listing happens when the test says. DO_APP_ID=*: the first listing starts every listed
 * app, a later one adds the new and stops the removed (its metric series gone), a failing one
 * keeps the apps and says so until it works again, a junk id is skipped. A fixed list: one
 * watch per app, each with its own report, and a memoized fleet view. Sharded (TOTAL_SHARDS=2):
 * only the shard's own apps are watched, the others known and listed from their summaries (or
 * unknown without one).
 */
import { Registry } from 'prom-client';
import type { AggregatorConfig, WatchedApp } from '../../aggregator/config';
import { loadAggregatorConfig } from '../../aggregator/config';
import { Fleet } from '../../aggregator/fleet/fleet';
import type { FleetApp } from '../../aggregator/fleet/fleet-view';
import type { ShardSummaries, SummarySnapshot } from '../../aggregator/fleet/summary-store';
import { createAggregatorMetrics } from '../../aggregator/metrics';
import type { PlatformView } from '../../aggregator/model';
import type { ListedApp, PlatformAccount } from '../../aggregator/platform/account';
import type { PlatformSource } from '../../aggregator/platform/source';
import type { Clock } from '../../shared/clock';
import { silentLogger } from '../../shared/logger';
import { shardOf } from '../../shared/shard';
import { fleetRow } from '../support/fleet';
import { captureLogs } from '../support/logs';
import { component, fixed, view } from '../support/platform';
import { waitFor } from '../support/wait';
import type { ManualClock } from '../support/manual-clock';
import { manualClock } from '../support/manual-clock';

const START_MS = Date.parse('2026-01-02T03:00:00.000Z');
const DISCOVERY_MS = 10_000;
// Not DISCOVERY_MS, so that the discovery loop's sleep can be told from the reconcile loops'.
const RECONCILE_MS = '60000';

/** A platform source of one app that records its start and close; its view names the app. */
class StubSource implements PlatformSource {
  readonly kind = 'digitalocean' as const;
  readonly actions = null;
  started = false;
  closed = false;
  private readonly platformView: PlatformView;

  constructor(
    readonly app: WatchedApp,
    clock: Clock,
  ) {
    this.platformView = view({
      appId: app.appId,
      appName: `name-of-${app.app}`,
      fetchedAtMs: clock.now(),
      components: [component('backend', { desired: fixed(2), ready: 2 })],
    });
  }

  current(): PlatformView {
    return this.platformView;
  }

  start(): Promise<void> {
    this.started = true;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** A fake account: the listing is whatever `listing` says now (or throws what it holds). */
class FakeAccount implements PlatformAccount {
  readonly kind = 'digitalocean' as const;
  readonly sources: StubSource[] = [];
  listing: readonly ListedApp[] | Error = [];
  listings = 0;

  constructor(private readonly clock: Clock) {}

  sourceFor(app: WatchedApp): PlatformSource {
    const source = new StubSource(app, this.clock);
    this.sources.push(source);
    return source;
  }

  readonly listApps = (): Promise<readonly ListedApp[]> => {
    this.listings++;
    const listing = this.listing;
    return listing instanceof Error ? Promise.reject(listing) : Promise.resolve(listing);
  };

  sourcesOf(app: string): StubSource[] {
    return this.sources.filter((s) => s.app.app === app);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function listed(...ids: string[]): ListedApp[] {
  return ids.map((id) => ({ id, name: `name-of-${id}` }));
}

function discoveredConfig(): AggregatorConfig {
  return loadAggregatorConfig({
    PLATFORM: 'digitalocean',
    DO_API_TOKEN: 'x'.repeat(12),
    DO_APP_ID: '*',
    APP_DISCOVERY_INTERVAL_MS: String(DISCOVERY_MS),
    RECONCILE_INTERVAL_MS: RECONCILE_MS,
  });
}

function watchedApps(fleet: Fleet): string[] {
  return fleet.list().map((w) => w.app);
}

describe('a fleet that discovers its apps (DO_APP_ID=*)', () => {
  let clock: ManualClock;
  let account: FakeAccount;
  let registry: Registry;
  let fleet: Fleet;

  function makeFleet(log = silentLogger()): Fleet {
    fleet = new Fleet(discoveredConfig(), {
      account,
      metrics: createAggregatorMetrics(registry),
      clock,
      log,
      publicUrl: () => 'http://localhost:8080',
    });
    return fleet;
  }

  /** Lets the discovery loop's sleep end, and waits until that listing has been applied. */
  async function nextListing(): Promise<void> {
    await waitFor(() => clock.pending(DISCOVERY_MS), { what: 'the discovery loop to sleep' });
    const before = account.listings;
    clock.advance(DISCOVERY_MS);
    await waitFor(() => account.listings > before, { what: 'the next listing' });
    await waitFor(() => clock.pending(DISCOVERY_MS), { what: 'the listing to be applied' });
  }

  beforeEach(() => {
    clock = manualClock(START_MS);
    account = new FakeAccount(clock);
    registry = new Registry();
  });

  afterEach(() => fleet.stop());

  test('is many apps, and before the first listing it says the listing is pending', () => {
    makeFleet();
    expect(fleet.multiApp).toBe(true);
    expect(fleet.view().discovery).toEqual({ status: 'pending', listed_at: null, error: null });
    expect(fleet.list()).toEqual([]);
  });

  test('the first listing starts every listed app, each with its own source and report', async () => {
    account.listing = listed('app-a', 'app-b', 'app-c');
    await makeFleet().start();
    expect(watchedApps(fleet)).toEqual(['app-a', 'app-b', 'app-c']);
    for (const id of ['app-a', 'app-b', 'app-c']) {
      const watch = fleet.get(id);
      expect(watch?.appId).toBe(id);
      expect(watch?.store.current()?.report.app).toBe(id);
      expect(watch?.store.current()?.report.app_name).toBe(`name-of-${id}`);
      expect(account.sourcesOf(id).map((s) => s.started)).toEqual([true]);
      expect(fleet.has(id)).toBe(true);
      expect(fleet.registryOf(id)).toBe(watch?.registry);
    }
    expect(fleet.view().discovery).toEqual({
      status: 'ok',
      listed_at: new Date(START_MS).toISOString(),
      error: null,
    });
    expect(fleet.describe()).toBe('one of "app-a", "app-b", "app-c"');
    expect(fleet.names()).toEqual(['app-a', 'app-b', 'app-c']);
  });

  test('a later listing adds a new app and stops a removed one, whose metric series are gone', async () => {
    account.listing = listed('app-a', 'app-b');
    await makeFleet().start();
    expect(await registry.metrics()).toContain('app="app-b"');

    account.listing = listed('app-a', 'app-c');
    await nextListing();

    expect(watchedApps(fleet)).toEqual(['app-a', 'app-c']);
    expect(fleet.get('app-b')).toBeUndefined();
    expect(fleet.has('app-b')).toBe(false);
    expect(fleet.registryOf('app-b')).toBeUndefined();
    expect(account.sourcesOf('app-b').map((s) => s.closed)).toEqual([true]);
    expect(account.sourcesOf('app-c').map((s) => s.started)).toEqual([true]);
    // The app that stayed keeps its one watch: it was neither restarted nor doubled.
    expect(account.sourcesOf('app-a').map((s) => s.closed)).toEqual([false]);
    expect(fleet.get('app-c')?.store.current()?.report.app).toBe('app-c');

    const metrics = await registry.metrics();
    expect(metrics).not.toContain('app="app-b"');
    expect(metrics).toContain('app="app-a"');
    expect(metrics).toContain('app="app-c"');
    expect(
      fleet
        .view()
        .apps.map((a) => a.app)
        .sort(),
    ).toEqual(['app-a', 'app-c']);
    expect(fleet.view().discovery?.listed_at).toBe(new Date(START_MS + DISCOVERY_MS).toISOString());
  });

  test('a failing listing keeps the apps and says so with its error; it recovers to ok', async () => {
    const logs = captureLogs();
    account.listing = listed('app-a', 'app-b');
    await makeFleet(logs.log).start();

    account.listing = new Error('GET /v2/apps: HTTP 503');
    await nextListing();
    expect(watchedApps(fleet)).toEqual(['app-a', 'app-b']);
    expect(fleet.view().discovery).toEqual({
      status: 'failing',
      listed_at: new Date(START_MS).toISOString(),
      error: 'GET /v2/apps: HTTP 503',
    });
    expect(account.sources.every((s) => !s.closed)).toBe(true);

    // Still failing: the same state, logged once when it started, not on every listing.
    await nextListing();
    expect(fleet.view().discovery?.status).toBe('failing');
    const failures = () => logs.messages().filter((m) => m.startsWith('listing the apps failed'));
    await waitFor(failures, { until: (m) => m.length >= 1 });
    expect(failures()).toHaveLength(1);

    account.listing = listed('app-a', 'app-b');
    await nextListing();
    expect(fleet.view().discovery).toEqual({
      status: 'ok',
      listed_at: new Date(START_MS + 3 * DISCOVERY_MS).toISOString(),
      error: null,
    });
    expect(watchedApps(fleet)).toEqual(['app-a', 'app-b']);
    await waitFor(() => logs.messages().includes('listing the apps works again'));
    expect(failures()).toHaveLength(1);
  });

  test('a first listing that fails starts no app and says failing; the next one starts them', async () => {
    account.listing = new Error('GET /v2/apps: HTTP 401');
    await makeFleet().start();
    expect(fleet.list()).toEqual([]);
    expect(fleet.view().discovery).toEqual({
      status: 'failing',
      listed_at: null,
      error: 'GET /v2/apps: HTTP 401',
    });

    account.listing = listed('app-a');
    await nextListing();
    expect(watchedApps(fleet)).toEqual(['app-a']);
    expect(fleet.view().discovery?.status).toBe('ok');
  });

  test('before any app is listed there is no combined report (null), as AppDirectory.combined says', async () => {
    account.listing = new Error('GET /v2/apps: HTTP 401');
    await makeFleet().start();
    expect(fleet.combined()).toBeNull();
  });

  test('an id that is not a name is skipped; the others are watched', async () => {
    account.listing = listed('-bad', 'app-a', 'has space', 'app{x}');
    await makeFleet().start();
    expect(watchedApps(fleet)).toEqual(['app-a']);
    expect(account.sources.map((s) => s.app.app)).toEqual(['app-a']);
    expect(fleet.view().discovery?.status).toBe('ok');
  });

  test('the combined report covers every listed app and is made once per set of reports', async () => {
    account.listing = listed('app-a', 'app-b');
    await makeFleet().start();
    const combined = fleet.combined();
    expect(combined?.report.app).toBe('*');
    expect(combined?.report.components.map((c) => c.app)).toEqual(['app-a', 'app-b']);
    expect(fleet.combined()).toBe(combined);
    fleet.get('app-a')?.reconcileNow();
    const next = fleet.combined();
    expect(next).not.toBe(combined);
    expect(fleet.combined()).toBe(next);
  });

  test('stop() is idempotent, stops every app and ends the discovery loop', async () => {
    account.listing = listed('app-a', 'app-b');
    await makeFleet().start();
    const stopping = fleet.stop();
    expect(fleet.stop()).toBe(stopping);
    await stopping;
    expect(account.sources.map((s) => s.closed)).toEqual([true, true]);
    expect(clock.pending(DISCOVERY_MS)).toBe(0);
    const listings = account.listings;
    clock.advance(DISCOVERY_MS);
    expect(account.listings).toBe(listings);
  });
});

describe('a fleet of a fixed list of apps (DO_APP_ID=a,b)', () => {
  let clock: ManualClock;
  let account: FakeAccount;
  let registry: Registry;
  let fleet: Fleet;

  beforeEach(async () => {
    clock = manualClock(START_MS);
    account = new FakeAccount(clock);
    registry = new Registry();
    const config = loadAggregatorConfig({
      PLATFORM: 'digitalocean',
      DO_API_TOKEN: 'x'.repeat(12),
      DO_APP_ID: 'app-a,app-b',
      RECONCILE_INTERVAL_MS: RECONCILE_MS,
    });
    expect(config.apps).toEqual({
      kind: 'fixed',
      apps: [
        { app: 'app-a', appId: 'app-a' },
        { app: 'app-b', appId: 'app-b' },
      ],
    });
    fleet = new Fleet(config, {
      account,
      metrics: createAggregatorMetrics(registry),
      clock,
      log: silentLogger(),
      publicUrl: () => 'http://localhost:8080',
    });
    await fleet.start();
  });

  afterEach(() => fleet.stop());

  test('two watches, each with its own source, registry and report', () => {
    expect(fleet.multiApp).toBe(true);
    expect(watchedApps(fleet)).toEqual(['app-a', 'app-b']);
    const [a, b] = fleet.list();
    expect(a?.registry).not.toBe(b?.registry);
    expect(a?.store).not.toBe(b?.store);
    expect(a?.store.current()?.report.app).toBe('app-a');
    expect(b?.store.current()?.report.app).toBe('app-b');
    expect(a?.store.current()?.report.app_name).toBe('name-of-app-a');
    expect(account.sources.map((s) => [s.app.app, s.started])).toEqual([
      ['app-a', true],
      ['app-b', true],
    ]);
    expect(account.listings).toBe(0);
  });

  test('the fleet view lists both, with no discovery', () => {
    const body = fleet.view();
    expect(body.apps.map((a) => a.app).sort()).toEqual(['app-a', 'app-b']);
    expect(body.apps.map((a) => a.name).sort()).toEqual(['name-of-app-a', 'name-of-app-b']);
    expect(body.totals.apps).toBe(2);
    expect(body.discovery).toBeNull();
  });

  test('the fleet view is the same object while the reports are unchanged, a new one after a reconcile', () => {
    const first = fleet.view();
    expect(fleet.view()).toBe(first);
    clock.advance(1_000);
    fleet.get('app-b')?.reconcileNow();
    const second = fleet.view();
    expect(second).not.toBe(first);
    expect(second.generated_at).toBe(new Date(START_MS + 1_000).toISOString());
    expect(fleet.view()).toBe(second);
  });

  test('its generated_at is the newest report’s, not now', () => {
    const first = fleet.view();
    clock.advance(5_000);
    expect(fleet.view().generated_at).toBe(first.generated_at);
    expect(first.generated_at).toBe(new Date(START_MS).toISOString());
  });

  test('stop() stops both apps and drops their series', async () => {
    expect(await registry.metrics()).toContain('app="app-a"');
    await fleet.stop();
    expect(account.sources.map((s) => s.closed)).toEqual([true, true]);
    const metrics = await registry.metrics();
    expect(metrics).not.toContain('app="app-a"');
    expect(metrics).not.toContain('app="app-b"');
  });
});

describe('a sharded fleet (TOTAL_SHARDS=2): it watches the apps of its shard alone', () => {
  const IDS = Array.from({ length: 8 }, (_, i) => `app-${i}`);
  const ownerOf = (id: string) => shardOf(id, 2);
  const ofShard = (shard: number) => IDS.filter((id) => ownerOf(id) === shard);
  let clock: ManualClock;
  let account: FakeAccount;
  let fleet: Fleet;
  /** Every fleet a test made, stopped after it. */
  let made: Fleet[] = [];
  let snapshot: SummarySnapshot;

  function shardedFleet(base: AggregatorConfig, index: number, summaries?: ShardSummaries): Fleet {
    fleet = new Fleet(
      { ...base, shard: { index, total: 2 } },
      {
        account,
        metrics: createAggregatorMetrics(new Registry()),
        clock,
        log: silentLogger(),
        publicUrl: () => 'http://localhost:8080',
        summaries,
      },
    );
    made.push(fleet);
    return fleet;
  }

  /** Summaries that hold `rows` (written now), as the other shard's store would read them. */
  function summariesOf(rows: FleetApp[]): ShardSummaries {
    snapshot = {
      rows: new Map(
        rows.map((r) => [r.app, { ...r, summary_written_at: new Date(clock.now()).toISOString() }]),
      ),
      writtenAt: new Map([[1, new Date(clock.now()).toISOString()]]),
      readStatus: 'ok',
    };
    return { snapshot: () => snapshot, staleAfterMs: 300_000 };
  }

  beforeEach(() => {
    clock = manualClock(START_MS);
    account = new FakeAccount(clock);
  });

  afterEach(async () => {
    await Promise.all(made.map((f) => f.stop()));
    made = [];
  });

  test('the ids spread over both shards (the test means something)', () => {
    expect(ofShard(0).length).toBeGreaterThan(0);
    expect(ofShard(1).length).toBeGreaterThan(0);
  });

  test('discovery: only its own apps are watched (a source each); the others are known, not watched', async () => {
    account.listing = listed(...IDS);
    await shardedFleet(discoveredConfig(), 0).start();
    expect(watchedApps(fleet)).toEqual(ofShard(0));
    expect(account.sources.map((s) => s.app.app).sort()).toEqual(ofShard(0));
    for (const id of IDS) expect({ id, owner: fleet.ownerOf(id) }).toEqual({ id, owner: ownerOf(id) });
    expect(fleet.ownerOf('never-listed')).toBeNull();
    expect(fleet.ownRows().map((r) => [r.app, r.shard])).toEqual(ofShard(0).map((id) => [id, 0]));
  });

  test("without the other shard's summaries its apps are listed unknown: degraded, never green", async () => {
    account.listing = listed(...IDS);
    await shardedFleet(discoveredConfig(), 0).start();
    const body = fleet.view();
    expect(body.apps.map((a) => a.app).sort()).toEqual([...IDS].sort());
    expect(body.totals.apps).toBe(IDS.length);
    for (const id of ofShard(1)) {
      expect(body.apps.find((a) => a.app === id)).toMatchObject({
        app: id,
        name: `name-of-${id}`,
        shard: 1,
        verdict: 'degraded',
        degraded: true,
        active_instances: null,
        summary_stale: true,
        summary_written_at: null,
      });
    }
    for (const id of ofShard(0)) {
      expect(body.apps.find((a) => a.app === id)).toMatchObject({
        shard: 0,
        summary_stale: false,
        verdict: 'ok',
      });
    }
    expect(body.totals.by_verdict.degraded).toBe(ofShard(1).length);
    expect(body.shards).toEqual({
      shard: 0,
      total: 2,
      stale_after_ms: 300_000,
      read_status: null,
      by_shard: [
        { shard: 0, apps: ofShard(0).length, written_at: null },
        { shard: 1, apps: ofShard(1).length, written_at: null },
      ],
    });
  });

  test("with them, the other shard's rows as it wrote them, the totals over the whole fleet", async () => {
    account.listing = listed(...IDS);
    const others = ofShard(1).map((id) =>
      fleetRow({
        app: id,
        app_id: id,
        name: `name-of-${id}`,
        verdict: 'discrepancy',
        shard: 1,
        surplus_instances: 2,
      }),
    );
    await shardedFleet(discoveredConfig(), 0, summariesOf(others)).start();
    const body = fleet.view();
    expect(body.apps.map((a) => a.app).sort()).toEqual([...IDS].sort());
    expect(body.apps.filter((a) => a.shard === 1).every((a) => a.verdict === 'discrepancy')).toBe(true);
    expect(body.apps.filter((a) => a.shard === 1).every((a) => a.summary_written_at !== null)).toBe(true);
    expect(body.totals.surplus_instances).toBe(2 * ofShard(1).length);
    expect(body.totals.by_verdict).toMatchObject({ ok: ofShard(0).length, discrepancy: ofShard(1).length });
    expect(body.shards.read_status).toBe('ok');
    expect(body.shards.by_shard[1]).toEqual({
      shard: 1,
      apps: ofShard(1).length,
      written_at: new Date(START_MS).toISOString(),
    });
    // The same object until a report or the summaries change.
    expect(fleet.view()).toBe(body);
    snapshot = { ...snapshot };
    expect(fleet.view()).not.toBe(body);
  });

  test('a summary of its own app is ignored: its own rows are live', async () => {
    account.listing = listed(...IDS);
    const [mine] = ofShard(0);
    const stale = fleetRow({ app: mine as string, verdict: 'degraded', shard: 0, summary_stale: true });
    await shardedFleet(discoveredConfig(), 0, summariesOf([stale])).start();
    expect(fleet.view().apps.find((a) => a.app === mine)).toMatchObject({
      verdict: 'ok',
      summary_stale: false,
    });
  });

  test('the other shard watches the rest: together they watch every app exactly once', async () => {
    account.listing = listed(...IDS);
    const one = await (async () => {
      await shardedFleet(discoveredConfig(), 1).start();
      return watchedApps(fleet);
    })();
    await fleet.stop();
    await shardedFleet(discoveredConfig(), 0).start();
    const zero = watchedApps(fleet);
    expect([...zero, ...one].sort()).toEqual([...IDS].sort());
    expect(zero.filter((id) => one.includes(id))).toEqual([]);
  });

  test('a fixed list likewise; a static app without an id is sharded by its name', async () => {
    const fixed = loadAggregatorConfig({
      AGGREGATOR_APP: IDS.join(','),
      RECONCILE_INTERVAL_MS: RECONCILE_MS,
    });
    expect(fixed.apps.kind === 'fixed' && fixed.apps.apps.every((a) => a.appId === null)).toBe(true);
    await shardedFleet(fixed, 1).start();
    expect(watchedApps(fleet)).toEqual(ofShard(1));
    expect(fleet.multiApp).toBe(true);
    expect(fleet.ownerOf(ofShard(0)[0] as string)).toBe(0);
    expect(
      fleet
        .view()
        .apps.filter((a) => a.summary_stale)
        .map((a) => a.app),
    ).toEqual(expect.arrayContaining(ofShard(0)));
  });
});
