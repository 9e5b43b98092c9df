/**
 * The apps one aggregator watches: a fixed list (DO_APP_ID=a,b; AGGREGATOR_APP=a,b in static
 * mode), or every app the token lists (DO_APP_ID=*), re-listed every APP_DISCOVERY_INTERVAL_MS so
 * that created apps are picked up and deleted ones dropped. Each app is an AppWatch of its own;
 * the fleet is what the HTTP API, the ingest and the fleet view look apps up in.
 *
 * Sharded (TOTAL_SHARDS > 1), it watches only the apps of its SHARD, `fnv1a32(app id) mod
 * TOTAL_SHARDS` (the app name for a static app without an id); the others, from the config or the
 * listing, are known to it but not watched: the fleet view shows them from the other shards'
 * summaries (summary-store.ts), and a request for one is told which shard owns it (ownerOf).
 */
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import { NAME_PATTERN } from '../../shared/names';
import type { ShardAssignment } from '../../shared/shard';
import { shardOf } from '../../shared/shard';
import type { InstanceRegistry } from '../collector';
import type { AggregatorConfig, WatchedApp } from '../config';
import type { AggregatorMetrics } from '../metrics';
import type { Leadership } from '../leader';
import type { PlatformAccount } from '../platform/account';
import type { FiringSource } from '../remediate';
import type { PublishedReport } from '../report-store';
import { publishedOf } from '../report-store';
import type { AppWatch } from './app-watch';
import { startAppWatch } from './app-watch';
import type { DiscoveryState, FleetApp, FleetView } from './fleet-view';
import { fleetApp, fleetView, SUMMARY_STALE_AFTER_MS, unknownApp } from './fleet-view';
import { mergeReports } from './merged-report';
import type { ShardSummaries, SummarySnapshot } from './summary-store';

export interface FleetDeps {
  readonly account: PlatformAccount;
  readonly metrics: AggregatorMetrics;
  readonly clock: Clock;
  readonly log: Logger;
  readonly publicUrl: () => string;
  /** Replaces each app's leadership (tests of a one-app aggregator). */
  readonly leadership?: Leadership;
  readonly firing?: FiringSource;
  /** The other shards' rows (summary-store.ts); absent unsharded: the fleet is the own apps. */
  readonly summaries?: ShardSummaries;
}

/** An app of another shard, known from the config or the listing. */
interface OtherApp {
  readonly app: string;
  readonly appId: string | null;
  readonly name: string | null;
  readonly shard: number;
}

/** The key an app's shard is computed from: its App Platform id, else (a static app) its name. */
export function shardKeyOf(app: WatchedApp): string {
  return app.appId ?? app.app;
}

/** After a failed listing, the next try comes this soon (or at the interval, if sooner). */
const DISCOVERY_RETRY_MS = 30_000;
/** The most app names a refusal lists. */
const NAMES_SHOWN = 20;

export class Fleet {
  /** Many apps: each request names one (`?app=`), and the report routes also answer for all. */
  readonly multiApp: boolean;
  /** SHARD of TOTAL_SHARDS: the apps it watches are the ones this shard owns. */
  readonly shard: ShardAssignment;
  private readonly watches = new Map<string, AppWatch>();
  private readonly log: Logger;
  private discovery: { -readonly [K in keyof DiscoveryState]: DiscoveryState[K] } | null;
  private readonly abort = new AbortController();
  private discovering: Promise<void> | null = null;
  /** Apps being started or stopped now, so that a listing in between neither doubles nor loses one. */
  private changing: Promise<void> = Promise.resolve();
  private skippedIds = new Set<string>();
  private combinedMemo: { parts: readonly PublishedReport[]; combined: PublishedReport } | null = null;
  /** The other shards' apps this one knows of (config, listing), by app; replaced by each listing. */
  private others: ReadonlyMap<string, OtherApp> = new Map();
  private viewMemo: {
    parts: readonly (PublishedReport | null)[];
    discovery: string;
    others: ReadonlyMap<string, OtherApp>;
    snapshot: SummarySnapshot | null;
    view: FleetView;
  } | null = null;
  private stopping: Promise<void> | null = null;

  constructor(
    private readonly config: AggregatorConfig,
    private readonly deps: FleetDeps,
  ) {
    this.log = deps.log.child({ part: 'fleet' });
    this.shard = config.shard;
    const { apps } = config;
    this.multiApp = apps.kind === 'discovered' || apps.apps.length > 1;
    this.discovery = apps.kind === 'discovered' ? { status: 'pending', listed_at: null, error: null } : null;
  }

  /** Starts the configured apps, or the first listing and the discovery loop. */
  async start(): Promise<void> {
    const { apps } = this.config;
    if (apps.kind === 'fixed') {
      const others = new Map<string, OtherApp>();
      for (const app of apps.apps) {
        const shard = this.ownerShard(app);
        if (shard === this.shard.index) await this.add(app);
        else others.set(app.app, { app: app.app, appId: app.appId, name: null, shard });
      }
      this.others = others;
      if (others.size > 0) this.log.info('watching the apps of this shard', this.shardCounts());
      return;
    }
    await this.discoverOnce();
    this.discovering = this.discoverEvery(apps.intervalMs);
  }

  get(app: string): AppWatch | undefined {
    return this.watches.get(app);
  }

  /** Every app, by name. */
  list(): AppWatch[] {
    return [...this.watches.values()].sort((a, b) => a.app.localeCompare(b.app));
  }

  /** The shard that owns an app (fnv1a32 of its id, else of its name, mod TOTAL_SHARDS). */
  ownerShard(app: WatchedApp): number {
    return shardOf(shardKeyOf(app), this.shard.total);
  }

  /**
   * The shard that owns an app: this one for a watched app; for another, the shard its config or
   * listing gives, else the one whose summary names it; null for an app no shard is known to own.
   */
  ownerOf(app: string): number | null {
    if (this.watches.has(app)) return this.shard.index;
    return this.others.get(app)?.shard ?? this.deps.summaries?.snapshot().rows.get(app)?.shard ?? null;
  }

  /** The rows of this shard's own apps (what it writes to the fleet summaries), live. */
  ownRows(): FleetApp[] {
    return this.list().map((w) =>
      fleetApp({ app: w.app, appId: w.appId, report: w.store.current()?.report ?? null }, this.shard.index),
    );
  }

  /** For the ingest: a heartbeat's app is admitted when watched. */
  has(app: string): boolean {
    return this.watches.has(app);
  }

  registryOf(app: string): InstanceRegistry | undefined {
    return this.watches.get(app)?.registry;
  }

  /** The apps, for a refusal's text: `"a"`, or `one of "a", "b" (and 3 more)`. */
  describe(): string {
    const names = this.list().map((w) => JSON.stringify(w.app));
    if (names.length === 0) return 'no app yet';
    if (names.length === 1) return names[0] ?? '';
    const more = names.length > NAMES_SHOWN ? ` (and ${names.length - NAMES_SHOWN} more)` : '';
    return `one of ${names.slice(0, NAMES_SHOWN).join(', ')}${more}`;
  }

  /** The names of the apps, at most NAMES_SHOWN, for an error body. */
  names(): string[] {
    return this.list()
      .slice(0, NAMES_SHOWN)
      .map((w) => w.app);
  }

  /** Every app's report in one (merged-report.ts); null while no app has one. Made once per set of reports. */
  combined(): PublishedReport | null {
    const parts = this.list().flatMap((w) => w.store.current() ?? []);
    if (parts.length === 0) return null;
    const memo = this.combinedMemo;
    if (memo && memo.parts.length === parts.length && memo.parts.every((p, i) => p === parts[i])) {
      return memo.combined;
    }
    const combined = publishedOf(mergeReports(parts, this.deps.clock.now()));
    this.combinedMemo = { parts, combined };
    return combined;
  }

  /**
   * The fleet body of GET /api/v1/apps: the own apps live, the other shards' from their summaries
   * (an app known of without one is unknown: `degraded`); made once per set of reports and read.
   */
  view(): FleetView {
    const watches = this.list();
    const parts = watches.map((w) => w.store.current());
    const discovery = JSON.stringify(this.discovery);
    const snapshot = this.deps.summaries?.snapshot() ?? null;
    const memo = this.viewMemo;
    if (
      memo &&
      memo.discovery === discovery &&
      memo.others === this.others &&
      memo.snapshot === snapshot &&
      memo.parts.length === parts.length &&
      memo.parts.every((p, i) => p === parts[i])
    ) {
      return memo.view;
    }
    const newest = parts.flatMap((p) => (p ? [Date.parse(p.report.generated_at)] : []));
    const view = fleetView(
      watches.map((w, i) => ({ app: w.app, appId: w.appId, report: parts[i]?.report ?? null })),
      {
        // The newest report's time, not now: the body (and its ETag) stays the same until a report changes.
        nowMs: newest.length > 0 ? Math.max(...newest) : this.deps.clock.now(),
        shard: this.shard.index,
        discovery: this.discovery === null ? null : { ...this.discovery },
        others: this.otherRows(snapshot),
        shards: {
          total: this.shard.total,
          staleAfterMs: this.deps.summaries?.staleAfterMs ?? SUMMARY_STALE_AFTER_MS,
          readStatus: snapshot?.readStatus ?? null,
          writtenAt: snapshot?.writtenAt ?? new Map(),
        },
      },
    );
    this.viewMemo = { parts, discovery, others: this.others, snapshot, view };
    return view;
  }

  /** The rows of the apps this aggregator does not watch: as summarized, or unknown when never. */
  private otherRows(snapshot: SummarySnapshot | null): FleetApp[] {
    const rows: FleetApp[] = [];
    for (const other of this.others.values()) {
      if (this.watches.has(other.app)) continue;
      rows.push(
        snapshot?.rows.get(other.app) ??
          unknownApp({
            app: other.app,
            app_id: other.appId,
            name: other.name,
            shard: other.shard,
            generated_at: null,
            summary_written_at: null,
          }),
      );
    }
    for (const [app, row] of snapshot?.rows ?? []) {
      if (!this.watches.has(app) && !this.others.has(app)) rows.push(row);
    }
    return rows;
  }

  /** How many apps each shard owns of those this one knows (for a log line). */
  private shardCounts(): { shard: number; total: number; watched: number; others: number } {
    return {
      shard: this.shard.index,
      total: this.shard.total,
      watched: this.watches.size,
      others: this.others.size,
    };
  }

  /** Reconciles every app now (the demo's `--once`, tests). */
  reconcileAll(): PublishedReport[] {
    return this.list().map((w) => w.reconcileNow());
  }

  /** Idempotent: ends discovery, then every app. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort();
      await this.discovering;
      await this.changing;
      await Promise.allSettled(this.list().map((w) => w.stop()));
      this.watches.clear();
    })();
    return this.stopping;
  }

  private async add(watched: WatchedApp): Promise<void> {
    if (this.watches.has(watched.app)) return;
    const platform = this.deps.account.sourceFor(watched);
    const watch = await startAppWatch(
      { ...this.config, ...watched },
      {
        log: this.deps.log,
        clock: this.deps.clock,
        metrics: this.deps.metrics,
        platform,
        publicUrl: this.deps.publicUrl,
        leadership: this.deps.leadership,
        firing: this.deps.firing,
      },
    );
    this.watches.set(watched.app, watch);
  }

  private async remove(app: string): Promise<void> {
    const watch = this.watches.get(app);
    if (!watch) return;
    this.watches.delete(app);
    await watch.stop();
  }

  private async discoverEvery(intervalMs: number): Promise<void> {
    const { signal } = this.abort;
    while (!signal.aborted) {
      const failing = this.discovery?.status === 'failing';
      await this.deps.clock.sleep(failing ? Math.min(intervalMs, DISCOVERY_RETRY_MS) : intervalMs, signal);
      if (signal.aborted) return;
      await this.discoverOnce();
    }
  }

  /** One listing: new apps started, gone ones stopped; a failure keeps the apps as they are. */
  private async discoverOnce(): Promise<void> {
    const listApps = this.deps.account.listApps;
    if (listApps === null || this.discovery === null) return;
    let listed;
    try {
      listed = await listApps(this.abort.signal);
    } catch (err) {
      if (this.abort.signal.aborted) return;
      const error = err instanceof Error ? err.message : String(err);
      if (this.discovery.status !== 'failing') {
        this.log.warn('listing the apps failed; watching the apps listed before', {
          err: error,
          apps: this.watches.size,
        });
      }
      this.discovery.status = 'failing';
      this.discovery.error = error;
      return;
    }
    const wanted = new Map<string, WatchedApp>();
    const others = new Map<string, OtherApp>();
    for (const app of listed) {
      // An id that cannot name keys is skipped (App Platform's ids are UUIDs: this is junk).
      if (!NAME_PATTERN.test(app.id)) {
        if (!this.skippedIds.has(app.id))
          this.log.warn('skipping a listed app whose id is not a name', { id: app.id });
        this.skippedIds.add(app.id);
        continue;
      }
      const watched = { app: app.id, appId: app.id };
      const shard = this.ownerShard(watched);
      // Another shard's app: known (its row, the owner named in a 404), not watched.
      if (shard === this.shard.index) wanted.set(app.id, watched);
      else others.set(app.id, { app: app.id, appId: app.id, name: app.name, shard });
    }
    const change = this.changing.then(async () => {
      const added = [...wanted.values()].filter((w) => !this.watches.has(w.app));
      const gone = [...this.watches.keys()].filter((app) => !wanted.has(app));
      for (const app of gone) {
        this.log.info('app no longer listed; dropping it', { app });
        await this.remove(app);
      }
      for (const app of added) {
        if (this.abort.signal.aborted) return;
        try {
          await this.add(app);
          if (this.discovery?.listed_at !== null)
            this.log.info('new app listed; watching it', { app: app.app });
        } catch (err) {
          // Tried again at the next listing.
          this.log.error('could not start watching a listed app', { app: app.app, err });
        }
      }
    });
    this.changing = change;
    await change;
    const firstListing = this.discovery.listed_at === null;
    this.others = others;
    if (firstListing && others.size > 0) this.log.info('watching the apps of this shard', this.shardCounts());
    if (this.discovery.status === 'failing')
      this.log.info('listing the apps works again', { apps: wanted.size });
    this.discovery.status = 'ok';
    this.discovery.error = null;
    this.discovery.listed_at = new Date(this.deps.clock.now()).toISOString();
  }
}
