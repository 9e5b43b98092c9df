/**
 * What the HTTP API (aggregator/http/app.ts) needs, for tests that serve a ReportStore: an
 * embedded ingest, a fresh metrics Registry, the system clock, no logs; override any part.
 */
import { Registry } from 'prom-client';
import { HeartbeatIngest, InstanceRegistry, type HeartbeatIngestOptions } from '../../aggregator/collector';
import type { HttpDeps } from '../../aggregator/http/app';
import type { ReportStore } from '../../aggregator/report-store';
import { systemClock } from '../../shared/clock';
import { silentLogger } from '../../shared/logger';

/**
 * An embedded ingest (no Redis, no signature unless `overrides` has one) of `app` into a fresh
 * registry, with no logs; the caller closes it.
 */
export function embeddedIngest(
  app = 'default',
  overrides: Partial<HeartbeatIngestOptions> = {},
): HeartbeatIngest {
  return new HeartbeatIngest({
    app,
    registry: new InstanceRegistry(),
    redisUrl: null,
    log: silentLogger(),
    ...overrides,
  });
}

export function httpDeps(store: ReportStore, overrides: Partial<HttpDeps> = {}): HttpDeps {
  return {
    store,
    ingest: embeddedIngest(),
    metricsRegistry: new Registry(),
    clock: systemClock,
    log: silentLogger(),
    onRejected: () => undefined,
    ...overrides,
  };
}
