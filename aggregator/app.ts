/**
 * Wires the aggregator: the platform account, the fleet of watched apps (each collector →
 * reconcile loop → report store, alerts and journals: fleet/app-watch.ts), the shared ingest and
 * HTTP server, and, sharded, the fleet summaries the shards share (fleet/summary-store.ts).
 * `startAggregator` runs it in-process (main.ts, the demo, tests).
 */
import { Registry } from 'prom-client';
import type { Clock } from '../shared/clock';
import { systemClock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { silentLogger } from '../shared/logger';
import { HeartbeatIngest } from './collector';
import type { AggregatorConfig } from './config';
import type { AppWatch } from './fleet/app-watch';
import { Fleet } from './fleet/fleet';
import type { SummaryTiming } from './fleet/summary-store';
import { openSummaryStore } from './fleet/summary-store';
import { createHttpListener } from './http/app';
import { closeServer, listen } from './http/listen';
import type { Leadership } from './leader';
import { createAggregatorMetrics } from './metrics';
import type { Notifier } from './notify/notifier';
import type { PlatformAccount } from './platform/account';
import { createPlatformAccount } from './platform/account';
import type { PlatformSource } from './platform/source';
import type { FiringSource } from './remediate';
import type { PublishedReport, ReportStore } from './report-store';

export interface AggregatorDeps {
  readonly log?: Logger;
  readonly clock?: Clock;
  readonly metricsRegistry?: Registry;
  /** Replaces the platform source of a one-app aggregator (tests). */
  readonly platform?: PlatformSource;
  /** Replaces the leadership the config implies (tests of one app): alerts, history and remediation follow it. */
  readonly leadership?: Leadership;
  /** The firing alerts remediation acts on (the notifier); none: remediation never acts. */
  readonly firing?: FiringSource;
  /** Shorter intervals and stale limits of the fleet summaries of a sharded aggregator (tests). */
  readonly summaryTiming?: Partial<SummaryTiming>;
}

export interface RunningAggregator {
  readonly port: number;
  readonly url: string;
  /** Every watched app. */
  readonly fleet: Fleet;
  /** The app's report store (of a one-app aggregator; throws, naming the apps, for many). */
  readonly store: ReportStore;
  /** Whether this aggregator leads the app (Redis lease; always in embedded mode): only the leader alerts. */
  readonly leadership: Leadership;
  /** The app's alert state machine and its sinks; `firing()` lists the alerts firing now. */
  readonly notifier: Notifier;
  /** Reconciles the app now and publishes the result (the loop keeps its own pace). */
  reconcileNow(): PublishedReport;
  /** Idempotent. Stops accepting, ends the loop, closes the platform source and the collector. */
  stop(): Promise<void>;
}

/**
 * How long requests in flight at shutdown may run before their connections are cut: well inside
 * main.ts's 5 s deadline, and no request waits on anything slow (reads come from the report).
 */
const DRAIN_MS = 1_500;

/**
 * Stops accepting and resolves once every connection is closed, within `drainMs`. close() ends
 * the idle keep-alive connections only once: one busy at that moment would stay open after its
 * response until the keep-alive timeout (5 s), so they are swept again as they go idle, and
 * whatever is left at the bound is cut.
 */
function closeServerWithin(server: import('node:http').Server, drainMs: number): Promise<void> {
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  const cut = setTimeout(() => server.closeAllConnections(), drainMs);
  return closeServer(server).finally(() => {
    clearInterval(sweep);
    clearTimeout(cut);
  });
}

/** A platform account that hands out one given source (the `platform` dep of tests). */
function givenSource(source: PlatformSource): PlatformAccount {
  return { kind: source.kind, sourceFor: () => source, listApps: null, close: () => Promise.resolve() };
}

export async function startAggregator(
  config: AggregatorConfig,
  deps: AggregatorDeps = {},
): Promise<RunningAggregator> {
  const log = deps.log ?? silentLogger();
  const clock = deps.clock ?? systemClock;
  const metricsRegistry = deps.metricsRegistry ?? new Registry();
  const metrics = createAggregatorMetrics(metricsRegistry);
  if (config.heartbeatSecret === null) {
    log.warn(
      'HEARTBEAT_SECRET is not set: heartbeats are unauthenticated, and anyone who can reach Redis or the ingest endpoint can forge them',
    );
  }
  const account = deps.platform
    ? givenSource(deps.platform)
    : await createPlatformAccount(config, { log, clock, onApiCall: metrics.countPlatformCall });
  let boundPort = config.port;
  // Sharded: this shard's rows out to Redis, the other shards' in (null unsharded).
  const summaries = await openSummaryStore(config, {
    clock,
    log,
    rows: () => fleet.ownRows(),
    timing: deps.summaryTiming,
  });
  const fleet = new Fleet(config, {
    account,
    metrics,
    clock,
    log,
    publicUrl: () => config.publicUrl ?? `http://localhost:${boundPort}`,
    leadership: deps.leadership,
    firing: deps.firing,
    summaries: summaries ?? undefined,
  });
  const ingest = new HeartbeatIngest({
    apps: fleet,
    redis: config.redis,
    heartbeatSecret: config.heartbeatSecret,
    log: log.child({ part: 'ingest' }),
    onApplied: (outcome, heartbeat) => {
      metrics.countApplied(outcome);
      fleet.get(heartbeat.app)?.membershipChanged(outcome);
    },
    onRejected: metrics.countRejected,
  });
  let server: import('node:http').Server | undefined;
  try {
    await fleet.start();
    await summaries?.start();
    const http = createHttpListener({
      apps: fleet,
      ingest,
      metricsRegistry,
      clock,
      log: log.child({ part: 'http' }),
      onRejected: metrics.countRejected,
      security: {
        apiToken: config.apiToken,
        metricsToken: config.metricsToken,
        signedIngest: config.heartbeatSecret !== null,
        ingestRateLimitPerS: config.ingestRateLimitPerS,
      },
    });
    const bound = await listen(http, config.host, config.port);
    server = bound.server;
    boundPort = bound.port;
  } catch (err) {
    await summaries?.close();
    await Promise.allSettled([fleet.stop(), ingest.close()]);
    await account.close();
    throw err;
  }
  const sole = (): AppWatch => {
    const [only, ...rest] = fleet.list();
    if (only === undefined || rest.length > 0 || fleet.multiApp) {
      throw new Error(
        `this aggregator watches ${fleet.list().length} apps (${fleet.describe()}): use fleet.get(app)`,
      );
    }
    return only;
  };
  const running = server;
  let stopping: Promise<void> | undefined;
  return {
    port: boundPort,
    url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${boundPort}`,
    fleet,
    get store() {
      return sole().store;
    },
    get leadership() {
      return sole().leadership;
    },
    get notifier() {
      return sole().notifier;
    },
    reconcileNow: () => sole().reconcileNow(),
    stop: () =>
      (stopping ??= (async () => {
        // Event streams never go idle: each app ends its own before the server waits on them.
        for (const watch of fleet.list()) watch.events.close();
        const closing = closeServerWithin(running, DRAIN_MS);
        // Before the fleet: its apps stopping are not dropped apps whose rows go (they stay, to age).
        await summaries?.close();
        await fleet.stop();
        await Promise.all([closing, ingest.close()]);
        await account.close();
      })()),
  };
}
