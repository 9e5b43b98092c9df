/**
 * What the HTTP API (aggregator/http/app.ts) needs, for tests that serve a ReportStore: one app
 * served from it, an embedded ingest, a fresh metrics Registry, the system clock, no logs;
 * override any part.
 */
import { Registry } from 'prom-client';
import type { HeartbeatIngestOptions, IngestApps } from '../../aggregator/collector';
import { HeartbeatIngest, InstanceRegistry } from '../../aggregator/collector';
import { fleetView } from '../../aggregator/fleet/fleet-view';
import type { HttpDeps } from '../../aggregator/http/app';
import type { AppDirectory, AppEndpoints } from '../../aggregator/http/app-directory';
import type { PublishedReport } from '../../aggregator/report-store';
import { systemClock } from '../../shared/clock';
import { silentLogger } from '../../shared/logger';
import { UNSHARDED } from '../../shared/shard';

/** The ingest's view of one app and its registry. */
export function ingestInto(app: string, registry: InstanceRegistry): IngestApps {
  const text = JSON.stringify(app);
  return {
    has: (candidate) => candidate === app,
    describe: () => text,
    registryOf: (candidate) => (candidate === app ? registry : undefined),
  };
}

/**
 * An embedded ingest (no Redis, no signature unless `overrides` has one) of `app` into
 * `overrides.registry` (default a fresh one), with no logs; the caller closes it.
 */
export function embeddedIngest(
  app = 'default',
  overrides: Partial<Omit<HeartbeatIngestOptions, 'apps'>> & { readonly registry?: InstanceRegistry } = {},
): HeartbeatIngest {
  const { registry = new InstanceRegistry(), ...rest } = overrides;
  return new HeartbeatIngest({
    apps: ingestInto(app, registry),
    redis: null,
    log: silentLogger(),
    ...rest,
  });
}

/** A directory of one app (what a one-app aggregator serves). */
export function soloApp(endpoints: AppEndpoints): AppDirectory {
  const current = (): PublishedReport | null => endpoints.store.current();
  return {
    multiApp: false,
    get: (app) => (app === endpoints.app ? endpoints : undefined),
    list: () => [endpoints],
    names: () => [endpoints.app],
    combined: current,
    view: () =>
      fleetView([{ app: endpoints.app, appId: null, report: current()?.report ?? null }], {
        nowMs: systemClock.now(),
        shard: 0,
        discovery: null,
      }),
    shard: UNSHARDED,
    ownerOf: (app) => (app === endpoints.app ? 0 : null),
  };
}

/** The parts of the one app besides its store: events, history, audit, leadership. */
type AppParts = Partial<Omit<AppEndpoints, 'app' | 'store'>>;

export function httpDeps(
  store: AppEndpoints['store'],
  overrides: Partial<HttpDeps> & AppParts = {},
): HttpDeps {
  const { events, history, audit, leadership, ...rest } = overrides;
  return {
    apps: soloApp({ app: 'default', store, events, history, audit, leadership }),
    ingest: embeddedIngest(),
    metricsRegistry: new Registry(),
    clock: systemClock,
    log: silentLogger(),
    onRejected: () => undefined,
    ...rest,
  };
}
