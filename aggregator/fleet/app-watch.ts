/**
 * One watched app, whole: its registry and collector, its platform source, the reconcile loop
 * and report store, its leader lease, alert state, history and audit trail. Nothing is shared
 * with another app but the process's metrics, HTTP server and platform token: one app's failure
 * (a 404, a rate limit, junk) shows on that app alone.
 */
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { ApplyOutcome, Collector } from '../collector';
import { EmbeddedCollector, InstanceRegistry, RedisCollector } from '../collector';
import { createAlerting } from '../alerting';
import type { AppConfig } from '../config';
import { ReportEventStream } from '../http/events';
import type { Leadership } from '../leader';
import { createLeadership } from '../leader';
import type { AggregatorMetrics } from '../metrics';
import type { Notifier } from '../notify/notifier';
import type { PlatformSource } from '../platform/source';
import type { AggregatorJournals } from '../journals';
import { startJournals } from '../journals';
import type { FiringSource } from '../remediate';
import { ReconcileLoop } from '../reconcile-loop';
import type { PublishedReport } from '../report-store';
import { ReportStore } from '../report-store';
import type { HistoryStore } from '../history';
import type { AuditTrail } from '../remediate';

export interface AppWatchDeps {
  readonly log: Logger;
  readonly clock: Clock;
  readonly metrics: AggregatorMetrics;
  /** This app's platform source; the watch starts and closes it. */
  readonly platform: PlatformSource;
  /** Where alerts link to (read at every notification: the port is bound later). */
  readonly publicUrl: () => string;
  /** Replaces the leadership the config implies (tests). */
  readonly leadership?: Leadership;
  /** The firing alerts remediation acts on; default this app's notifier. */
  readonly firing?: FiringSource;
}

/** What the HTTP API and the fleet view read of one app. */
export interface AppWatch {
  readonly app: string;
  /** Its App Platform id when configured or listed; null for a static app without one. */
  readonly appId: string | null;
  readonly registry: InstanceRegistry;
  readonly store: ReportStore;
  readonly events: ReportEventStream;
  readonly history: HistoryStore;
  readonly audit: AuditTrail;
  readonly leadership: Leadership;
  readonly notifier: Notifier;
  readonly platform: PlatformSource;
  /** Reconciles now and publishes the result (the loop keeps its own pace). */
  reconcileNow(): PublishedReport;
  /** Tells the loop an instance appeared or said goodbye: it reconciles early. */
  membershipChanged(outcome: ApplyOutcome): void;
  /** Idempotent: ends the loop, the journals, alerting, the lease, the source and the collector. */
  stop(): Promise<void>;
}

/** Starts watching one app; on failure, whatever was started is stopped again. */
export async function startAppWatch(config: AppConfig, deps: AppWatchDeps): Promise<AppWatch> {
  const { clock, metrics, platform } = deps;
  const log = deps.log.child({ app: config.app });
  const registry = new InstanceRegistry();
  let loop: ReconcileLoop | null = null;
  const membershipChanged = (outcome: ApplyOutcome): void => {
    if (outcome === 'new' || outcome === 'left') loop?.nudge();
  };
  const collector: Collector = config.redis
    ? new RedisCollector({
        engine: config.redis,
        app: config.app,
        registry,
        log: log.child({ part: 'collector' }),
        clock,
        resyncIntervalMs: config.resyncIntervalMs,
        heartbeatSecret: config.heartbeatSecret,
        onApplied: (outcome: ApplyOutcome) => {
          metrics.countApplied(outcome);
          membershipChanged(outcome);
        },
        onRejected: metrics.countRejected,
      })
    : new EmbeddedCollector({ registry, clock });
  metrics.watchCollector({
    app: config.app,
    feedLagMs: () => collector.feedLagMs(),
    registrySize: () => registry.size,
  });
  const store = new ReportStore();
  loop = new ReconcileLoop({
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
  const leadership =
    deps.leadership ?? createLeadership(config, { clock, log: log.child({ part: 'leader' }) });
  const alerting = createAlerting(config, {
    reports: store,
    leadership,
    metrics,
    publicUrl: deps.publicUrl,
    clock,
    log,
  });
  // Open event streams never go idle: they are ended first, or closing the server would wait on them.
  const events = new ReportEventStream({ store, log: log.child({ part: 'events' }) });
  let journals: AggregatorJournals | undefined;
  const running = loop;
  const stopAll = () =>
    Promise.allSettled([
      running.stop(),
      journals?.close(),
      alerting.close(),
      leadership.close(),
      platform.close(),
      collector.close(),
    ]);
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
  } catch (err) {
    await stopAll();
    throw err;
  }
  running.runOnce();
  running.start();
  const started = journals;
  let stopping: Promise<void> | undefined;
  return {
    app: config.app,
    appId: config.appId,
    registry,
    store,
    events,
    history: started.history,
    audit: started.audit,
    leadership,
    notifier: alerting.notifier,
    platform,
    reconcileNow: () => running.runOnce(),
    membershipChanged,
    stop: () =>
      (stopping ??= (async () => {
        events.close();
        await running.stop();
        await started.close();
        await alerting.close();
        await leadership.close();
        await Promise.all([platform.close(), collector.close()]);
        metrics.forgetApp(config.app);
      })()),
  };
}
