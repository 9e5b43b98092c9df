/**
 * The apps the HTTP API serves, and which one a request means. Every per-app route takes
 * `?app=<app>`; an aggregator that watches one app also answers without it, as it always has.
 * Without `app`, on an aggregator of many, the report routes answer for the whole fleet at once
 * (merged-report.ts) and the others ask which app is meant. Sharded, an app of another shard is
 * a 404 that names the shard that owns it (and its pod, when the shard came from the host name).
 */
import type { FleetView } from '../fleet/fleet-view';
import type { HistoryStore } from '../history';
import type { Leadership } from '../leader';
import type { AuditTrail } from '../remediate';
import type { PublishedReport } from '../report-store';
import type { ShardAssignment } from '../../shared/shard';
import { peerHost } from '../../shared/shard';
import type { ReportEventStream } from './events';

/** One app's parts that routes read. */
export interface AppEndpoints {
  readonly app: string;
  readonly store: { current(): PublishedReport | null };
  readonly events?: ReportEventStream;
  readonly history?: HistoryStore;
  readonly audit?: AuditTrail;
  readonly leadership?: Pick<Leadership, 'isLeader'>;
}

export interface AppDirectory {
  /** Serves many apps (DO_APP_ID list or `*`, AGGREGATOR_APP list). */
  readonly multiApp: boolean;
  get(app: string): AppEndpoints | undefined;
  /** Every app, by name. */
  list(): readonly AppEndpoints[];
  /** Some app names, for an error body. */
  names(): readonly string[];
  /** Every app's report as one; null while none has one. */
  combined(): PublishedReport | null;
  /** The body of GET /api/v1/apps. */
  view(): FleetView;
  /** This aggregator's SHARD of TOTAL_SHARDS (0 of 1 unsharded). */
  readonly shard: ShardAssignment;
  /** The shard that owns an app, when known (config, listing, the shards' summaries); null otherwise. */
  ownerOf(app: string): number | null;
}

/** Why no app answers a request: the status and body to send. */
export interface AppRefusal {
  readonly status: 400 | 404 | 503;
  readonly body: AppRefusalBody;
}

/** The JSON of a refusal (OpenAPI `AppRefusal`). */
export interface AppRefusalBody {
  readonly error: string;
  readonly parameter?: string;
  /** Some of the apps this aggregator watches. */
  readonly apps?: readonly string[];
  /** The app belongs to another shard: its SHARD. */
  readonly shard?: number;
  /** That shard's pod (`<name>-<shard>`), when this aggregator took its shard from its host name. */
  readonly host?: string;
}

/** The app a request means, `all` (the report routes of an aggregator of many), or why none. */
export type AppChoice =
  | { readonly kind: 'app'; readonly endpoints: AppEndpoints }
  | { readonly kind: 'all' }
  | { readonly kind: 'refused'; readonly refusal: AppRefusal };

/**
 * Reads `?app=` (a parsed query): `mayBeAll` says whether the route can answer for every app at
 * once. One app watched and no `app` given: that app.
 */
export function chooseApp(
  directory: AppDirectory,
  query: Readonly<Record<string, unknown>>,
  mayBeAll: boolean,
): AppChoice {
  const named = query.app;
  const refuse = (status: AppRefusal['status'], error: string): AppChoice => ({
    kind: 'refused',
    refusal: { status, body: { error, parameter: 'app', apps: directory.names() } },
  });
  if (named !== undefined) {
    if (typeof named !== 'string' || named === '')
      return refuse(400, 'app must be given once, as ?app=<app>');
    const endpoints = directory.get(named);
    if (endpoints) return { kind: 'app', endpoints };
    const owner = directory.ownerOf(named);
    const { shard } = directory;
    if (owner !== null && owner !== shard.index) {
      const host = peerHost(shard, owner);
      return {
        kind: 'refused',
        refusal: {
          status: 404,
          body: {
            error:
              `app ${JSON.stringify(named)} belongs to shard ${owner} of ${shard.total}, and this aggregator is ` +
              `shard ${shard.index}: ask ${host ?? `the aggregator with SHARD=${owner}`} (GET /api/v1/apps lists every app with its shard)`,
            parameter: 'app',
            apps: directory.names(),
            shard: owner,
            ...(host === null ? {} : { host }),
          },
        },
      };
    }
    return refuse(
      404,
      `app ${JSON.stringify(named)} is not watched by this aggregator (GET /api/v1/apps lists them)`,
    );
  }
  if (directory.multiApp) {
    return mayBeAll
      ? { kind: 'all' }
      : refuse(
          400,
          'this aggregator watches several apps: name one with ?app=<app> (GET /api/v1/apps lists them)',
        );
  }
  const [sole] = directory.list();
  return sole
    ? { kind: 'app', endpoints: sole }
    : { kind: 'refused', refusal: { status: 503, body: { error: 'no app is watched yet' } } };
}

/** The report a report route answers from: one app's, the fleet's, or why none (null: not reconciled yet). */
export function reportFor(
  directory: AppDirectory,
  query: Readonly<Record<string, unknown>>,
): PublishedReport | AppRefusal | null {
  const choice = chooseApp(directory, query, true);
  switch (choice.kind) {
    case 'app':
      return choice.endpoints.store.current();
    case 'all':
      return (
        directory.combined() ??
        (directory.list().length === 0
          ? {
              status: 503,
              body: { error: 'no app is watched yet: GET /api/v1/apps shows how the apps are listed' },
            }
          : null)
      );
    case 'refused':
      return choice.refusal;
  }
}

export function isRefusal(value: PublishedReport | AppRefusal | null): value is AppRefusal {
  return value !== null && 'status' in value;
}
