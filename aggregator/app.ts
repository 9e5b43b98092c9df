/**
 * Wires the aggregator: collector → reconcile loop → report store → HTTP, with the platform
 * source beside the collector. `startAggregator` runs it in-process (main.ts, the demo, tests).
 */
import { Registry } from 'prom-client';
import type { Clock } from '../shared/clock';
import { systemClock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { silentLogger } from '../shared/logger';
import type { Collector } from './collector';
import { EmbeddedCollector, HeartbeatIngest, InstanceRegistry, RedisCollector } from './collector';
import type { AggregatorConfig } from './config';
import { createHttpApp } from './http/app';
import { closeServer, listen } from './http/listen';
import { createAggregatorMetrics } from './metrics';
import { createPlatformSource } from './platform/create-source';
import type { PlatformSource } from './platform/source';
import { ReconcileLoop } from './reconcile-loop';
import type { PublishedReport } from './report-store';
import { ReportStore } from './report-store';

/** How long gone and left instances stay in the registry (and the report) before they are forgotten. */
export const FORGET_AFTER_MS = 10 * 60_000;

/** How long a rollout may make no progress before ROLLOUT_STUCK. */
export const ROLLOUT_GRACE_MS = 15 * 60_000;

export interface AggregatorDeps {
  readonly log?: Logger;
  readonly clock?: Clock;
  readonly metricsRegistry?: Registry;
  /** Replaces the platform source the config names (tests, the demo). */
  readonly platform?: PlatformSource;
}

export interface RunningAggregator {
  readonly port: number;
  readonly url: string;
  readonly store: ReportStore;
  /** Reconciles now and publishes the result (the loop keeps its own pace). */
  reconcileNow(): PublishedReport;
  /** Idempotent. Stops accepting, ends the loop, closes the platform source and the collector. */
  stop(): Promise<void>;
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
  const hooks = {
    onApplied: metrics.countApplied,
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
        retentionMs: FORGET_AFTER_MS,
        ...hooks,
      })
    : new EmbeddedCollector({ registry, clock, retentionMs: FORGET_AFTER_MS });
  const ingest = new HeartbeatIngest({
    app: config.app,
    registry,
    redisUrl: config.redisUrl,
    log: log.child({ part: 'ingest' }),
    ...hooks,
  });
  const platform = deps.platform ?? (await createPlatformSource(config, { log, clock }));
  const store = new ReportStore();
  const loop = new ReconcileLoop({
    app: config.app,
    collector,
    platform,
    store,
    clock,
    intervalMs: config.reconcileIntervalMs,
    policy: { staleAfterMs: config.staleAfterMs, rolloutGraceMs: ROLLOUT_GRACE_MS },
    log: log.child({ part: 'reconcile' }),
    onReconciled: (published, seconds) => {
      metrics.reconcileDuration.observe(seconds);
      metrics.observeReport(published.report);
    },
  });

  let server: import('node:http').Server | undefined;
  try {
    await collector.start();
    await platform.start();
    loop.runOnce();
    const http = createHttpApp({
      store,
      ingest,
      metricsRegistry,
      clock,
      log: log.child({ part: 'http' }),
      onRejected: metrics.countRejected,
    });
    const bound = await listen(http, config.host, config.port);
    server = bound.server;
    loop.start();
    const port = bound.port;
    let stopping: Promise<void> | undefined;
    return {
      port,
      url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`,
      store,
      reconcileNow: () => loop.runOnce(),
      stop: () =>
        (stopping ??= (async () => {
          const closing = server ? closeServer(server) : Promise.resolve();
          await loop.stop();
          await Promise.all([closing, platform.close(), collector.close(), ingest.close()]);
        })()),
    };
  } catch (err) {
    await Promise.allSettled([loop.stop(), platform.close(), collector.close(), ingest.close()]);
    throw err;
  }
}
