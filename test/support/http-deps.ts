/**
 * What the HTTP API (aggregator/http/app.ts) needs, for tests that serve a ReportStore: an
 * embedded ingest, a fresh metrics Registry, the system clock, no logs; override any part.
 */
import { Registry } from 'prom-client';
import { HeartbeatIngest, InstanceRegistry } from '../../aggregator/collector';
import type { HttpDeps } from '../../aggregator/http/app';
import type { ReportStore } from '../../aggregator/report-store';
import { systemClock } from '../../shared/clock';
import { silentLogger } from '../../shared/logger';

export function httpDeps(store: ReportStore, overrides: Partial<HttpDeps> = {}): HttpDeps {
  return {
    store,
    ingest: new HeartbeatIngest({
      app: 'default',
      registry: new InstanceRegistry(),
      redisUrl: null,
      log: silentLogger(),
    }),
    metricsRegistry: new Registry(),
    clock: systemClock,
    log: silentLogger(),
    onRejected: () => undefined,
    ...overrides,
  };
}
