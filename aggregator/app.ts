/**
 * Wires the aggregator: collector → reconcile loop → report store → HTTP, with the platform
 * source beside the collector. `startAggregator` runs it in-process (main.ts, the demo, tests).
 */
import { Registry } from 'prom-client';
import type { Clock } from '../shared/clock';
import { systemClock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { silentLogger } from '../shared/logger';
import type { ApplyOutcome, Collector } from './collector';
import { EmbeddedCollector, HeartbeatIngest, InstanceRegistry, RedisCollector } from './collector';
import { createAlerting } from './alerting';
import type { AggregatorConfig } from './config';
import { createHttpListener } from './http/app';
import { ReportEventStream } from './http/events';
import { closeServer, listen } from './http/listen';
import type { Leadership } from './leader';
import { createLeadership } from './leader';
import { createAggregatorMetrics } from './metrics';
import type { Notifier } from './notify/notifier';
import { createPlatformSource } from './platform/create-source';
import type { PlatformSource } from './platform/source';
import type { AggregatorJournals } from './journals';
import { startJournals } from './journals';
import type { FiringSource } from './remediate';
import { ReconcileLoop } from './reconcile-loop';
import type { PublishedReport } from './report-store';
import { ReportStore } from './report-store';

export interface AggregatorDeps {
  readonly log?: Logger;
  readonly clock?: Clock;
  readonly metricsRegistry?: Registry;
  /** Replaces the platform source the config names (tests, the demo). */
  readonly platform?: PlatformSource;
  /** Replaces the leadership the config implies (tests): alerts, history and remediation follow it. */
  readonly leadership?: Leadership;
  /** The firing alerts remediation acts on (the notifier); none: remediation never acts. */
  readonly firing?: FiringSource;
}

export interface RunningAggregator {
  readonly port: number;
  readonly url: string;
  readonly store: ReportStore;
  /** Whether this aggregator leads (Redis lease; always in embedded mode): only the leader alerts. */
  readonly leadership: Leadership;
  /** The alert state machine and its sinks; `firing()` lists the alerts firing now. */
  readonly notifier: Notifier;
  /** Reconciles now and publishes the result (the loop keeps its own pace). */
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

export async function startAggregator(
  config: AggregatorConfig,
  deps: AggregatorDeps = {},
): Promise<RunningAggregator> {
  const log = deps.log ?? silentLogger();
  const clock = deps.clock ?? systemClock;
  const metricsRegistry = deps.metricsRegistry ?? new Registry();
  const metrics = createAggregatorMetrics(metricsRegistry);
  const registry = new InstanceRegistry();
  // Set once the loop exists: an instance that appears or says goodbye is reconciled early.
  let membershipChanged = (): void => undefined;
  const hooks = {
    onApplied: (outcome: ApplyOutcome) => {
      metrics.countApplied(outcome);
      if (outcome === 'new' || outcome === 'left') membershipChanged();
    },
    onRejected: metrics.countRejected,
  };

  const collector: Collector = config.redisUrl
    ? new RedisCollector({
        url: config.redisUrl,
        app: config.app,
        registry,
        log: log.child({ part: 'collector' }),
        clock,
        resyncIntervalMs: config.resyncIntervalMs,
        heartbeatSecret: config.heartbeatSecret,
        ...hooks,
      })
    : new EmbeddedCollector({ registry, clock });
  metrics.watchCollector({
    app: config.app,
    feedLagMs: () => collector.feedLagMs(),
    registrySize: () => registry.size,
  });
  const ingest = new HeartbeatIngest({
    app: config.app,
    registry,
    redisUrl: config.redisUrl,
    heartbeatSecret: config.heartbeatSecret,
    log: log.child({ part: 'ingest' }),
    ...hooks,
  });
  if (config.heartbeatSecret === null) {
    log.warn(
      'HEARTBEAT_SECRET is not set: heartbeats are unauthenticated, and anyone who can reach Redis or the ingest endpoint can forge them',
    );
  }
  const platform =
    deps.platform ??
    (await createPlatformSource(config, { log, clock, onApiCall: metrics.countPlatformCall }));
  const store = new ReportStore();
  const loop = new ReconcileLoop({
    app: config.app,
    collector,
    platform,
    store,
    clock,
    intervalMs: config.reconcileIntervalMs,
    policy: {
      staleAfterMs: config.staleAfterMs,
      rolloutGraceMs: config.rolloutGraceMs,
      selfPreservationThreshold: config.selfPreservationThreshold,
      clockSkewMaxMs: config.clockSkewMaxMs,
      drainGraceMs: config.drainGraceMs,
      alertForMs: config.alertForMs,
    },
    log: log.child({ part: 'reconcile' }),
    onReconciled: (published, seconds) => {
      metrics.reconcileDuration.observe(seconds);
      metrics.observeReport(published.report);
    },
  });
  membershipChanged = () => loop.nudge();

  let server: import('node:http').Server | undefined;
  let boundPort = config.port;
  const leadership =
    deps.leadership ?? createLeadership(config, { clock, log: log.child({ part: 'leader' }) });
  const alerting = createAlerting(config, {
    reports: store,
    leadership,
    metrics,
    publicUrl: () => config.publicUrl ?? `http://localhost:${boundPort}`,
    clock,
    log,
  });
  let journals: AggregatorJournals | undefined;
  // Open event streams never go idle: they are ended first, or closing the server would wait on them.
  const events = new ReportEventStream({ store, log: log.child({ part: 'events' }) });
  try {
    await collector.start();
    await platform.start();
    // Settled before alerting starts, so the first report is judged knowing who leads.
    await leadership.start();
    // Before the first reconcile: its report is the first the state machine sees.
    await alerting.start();
    // Subscribed before the first reconcile, so that one is written down too.
    journals = await startJournals(config, {
      reports: store,
      actions: platform.actions,
      firing: deps.firing ?? alerting.notifier,
      leadership,
      clock,
      log,
    });
    loop.runOnce();
    const http = createHttpListener({
      store,
      ingest,
      metricsRegistry,
      clock,
      log: log.child({ part: 'http' }),
      onRejected: metrics.countRejected,
      events,
      history: journals.history,
      audit: journals.audit,
      leadership,
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
    loop.start();
    const port = bound.port;
    let stopping: Promise<void> | undefined;
    return {
      port,
      url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`,
      store,
      leadership,
      notifier: alerting.notifier,
      reconcileNow: () => loop.runOnce(),
      stop: () =>
        (stopping ??= (async () => {
          events.close();
          const closing = server ? closeServerWithin(server, DRAIN_MS) : Promise.resolve();
          await loop.stop();
          await journals?.close();
          await alerting.close();
          await leadership.close();
          await Promise.all([closing, platform.close(), collector.close(), ingest.close()]);
        })()),
    };
  } catch (err) {
    await Promise.allSettled([
      loop.stop(),
      journals?.close(),
      alerting.close(),
      leadership.close(),
      platform.close(),
      collector.close(),
      ingest.close(),
    ]);
    throw err;
  }
}
