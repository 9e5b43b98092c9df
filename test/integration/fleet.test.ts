/**
 * The fleet of watched apps (aggregator/fleet/fleet.ts), in-process and embedded (no Redis),
 * over a fake platform account whose listing the test sets. Time is a manual clock: the discovery
 * loop's sleep (APP_DISCOVERY_INTERVAL_MS) ends when the test advances the clock past it, so
 * every listing happens when the test says. DO_APP_ID=*: the first listing starts every listed
 * app, a later one adds the new and stops the removed (its metric series gone), a failing one
 * keeps the apps and says so until it works again, a junk id is skipped. A fixed list: one
 * watch per app, each with its own report, and a memoized fleet view.
 */
import { Registry } from 'prom-client';
import type { AggregatorConfig, WatchedApp } from '../../aggregator/config';
import { loadAggregatorConfig } from '../../aggregator/config';
import { Fleet } from '../../aggregator/fleet/fleet';
import { createAggregatorMetrics } from '../../aggregator/metrics';
import type { PlatformView } from '../../aggregator/model';
import type { ListedApp, PlatformAccount } from '../../aggregator/platform/account';
import type { PlatformSource } from '../../aggregator/platform/source';
import type { Clock } from '../../shared/clock';
import { silentLogger } from '../../shared/logger';
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
