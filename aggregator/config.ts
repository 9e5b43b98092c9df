/**
 * The aggregator's configuration, parsed once from the environment by a pure function.
 * Variable names are part of the binding contract (../shared/DESIGN.md).
 */
import type { Env } from '../shared/config';
import { EnvReader } from '../shared/config';
import { NAME_PATTERN } from '../shared/names';
import type { LogLevel } from '../shared/logger';
import type { DesiredRange, PlatformKind } from './platform/source';
import { PLATFORM_KINDS } from './platform/source';
import type { ScenarioName } from './platform/simulated';
import { SCENARIO_NAMES } from './platform/simulated';

/** Desired counts from DESIRED_REPLICAS: per component, and a default for the rest. */
export interface StaticDesired {
  readonly byComponent: Readonly<Record<string, DesiredRange>>;
  /** From a bare `DESIRED_REPLICAS=2`: every component that reports, and `backend` while none does. */
  readonly fallback: DesiredRange | null;
}

export interface AggregatorConfig {
  readonly port: number;
  /** Interface to listen on. */
  readonly host: string;
  /** null: the embedded mode, fed by POST /api/v1/heartbeats only. */
  readonly redisUrl: string | null;
  /** The app whose heartbeats it reads (AGGREGATOR_APP; default DO_APP_ID, else "default"). */
  readonly app: string;
  readonly platform: PlatformKind;
  readonly doApiToken: string | null;
  readonly doAppId: string | null;
  readonly doApiBaseUrl: string;
  readonly platformCacheTtlMs: number;
  /** The simulated platform's scenario (PLATFORM=simulated). */
  readonly simulatedScenario: ScenarioName;
  readonly desiredReplicas: StaticDesired | null;
  readonly activeDeploymentId: string | null;
  readonly resyncIntervalMs: number;
  readonly reconcileIntervalMs: number;
  /** null: each heartbeat's own TTL. */
  readonly staleAfterMs: number | null;
  readonly logLevel: LogLevel;
}

export const AGGREGATOR_DEFAULTS = Object.freeze({
  port: 8080,
  host: '0.0.0.0',
  app: 'default',
  doApiBaseUrl: 'https://api.digitalocean.com',
  // App Platform's API allows 5,000 requests an hour; a minute's cache keeps a poller far below.
  platformCacheTtlMs: 60_000,
  simulatedScenario: 'orphans-356' as ScenarioName,
  resyncIntervalMs: 60_000,
  reconcileIntervalMs: 10_000,
});

const COUNT = /^(\d{1,4})(?:-(\d{1,4}))?$/;

/** Parses `2`, `2-4`, `backend=2,worker=1` or `api=2-5`. Returns an error message on bad input. */
export function parseDesiredReplicas(text: string): StaticDesired | string {
  const range = (value: string): DesiredRange | null => {
    const match = COUNT.exec(value.trim());
    if (!match) return null;
    const min = Number(match[1]);
    const max = match[2] === undefined ? min : Number(match[2]);
    if (min < 1 || max < min) return null;
    return { min, max, autoscaling: match[2] !== undefined };
  };
  if (!text.includes('=')) {
    const fallback = range(text);
    return fallback
      ? { byComponent: {}, fallback }
      : 'must be a count ≥ 1 (e.g. 2), a range (2-4) or component=count pairs (backend=2,worker=1)';
  }
  const byComponent: Record<string, DesiredRange> = {};
  for (const pair of text.split(',')) {
    const [component = '', value = ''] = pair.split('=').map((s) => s.trim());
    const parsed = range(value);
    if (!NAME_PATTERN.test(component) || !parsed)
      return `"${pair.trim()}" is not component=count (count ≥ 1, or min-max)`;
    if (component in byComponent) return `component "${component}" is given twice`;
    byComponent[component] = parsed;
  }
  return { byComponent, fallback: null };
}

/** Parses and validates the environment; throws one ConfigError naming every bad variable. */
export function loadAggregatorConfig(env: Env): AggregatorConfig {
  const read = new EnvReader(env);
  const doApiToken = read.secret('DO_API_TOKEN') ?? null;
  const doAppId = read.string('DO_APP_ID') ?? null;
  const platform = read.oneOf('PLATFORM', PLATFORM_KINDS, doApiToken && doAppId ? 'digitalocean' : 'static');

  if (platform === 'digitalocean') {
    if (!doApiToken && read.raw('DO_API_TOKEN') === undefined)
      read.problem('DO_API_TOKEN', 'is required with PLATFORM=digitalocean');
    if (!doAppId) read.problem('DO_APP_ID', 'is required with PLATFORM=digitalocean');
  }
  let desiredReplicas: StaticDesired | null = null;
  const desiredText = read.raw('DESIRED_REPLICAS');
  if (desiredText !== undefined) {
    const parsed = parseDesiredReplicas(desiredText);
    if (typeof parsed === 'string') read.problem('DESIRED_REPLICAS', parsed);
    else desiredReplicas = parsed;
  }
  const config: AggregatorConfig = {
    port: read.int('PORT', AGGREGATOR_DEFAULTS.port, { min: 0, max: 65535 }),
    host: read.string('HOST', AGGREGATOR_DEFAULTS.host),
    redisUrl: read.url('REDIS_URL', ['redis:', 'rediss:']) ?? null,
    app: read.name(
      'AGGREGATOR_APP',
      doAppId && NAME_PATTERN.test(doAppId) ? doAppId : AGGREGATOR_DEFAULTS.app,
    ),
    platform,
    doApiToken,
    doAppId,
    doApiBaseUrl: read.url('DO_API_BASE_URL', ['https:', 'http:']) ?? AGGREGATOR_DEFAULTS.doApiBaseUrl,
    platformCacheTtlMs: read.int('PLATFORM_CACHE_TTL_MS', AGGREGATOR_DEFAULTS.platformCacheTtlMs, {
      min: 1_000,
    }),
    simulatedScenario: read.oneOf(
      'SIMULATED_SCENARIO',
      SCENARIO_NAMES,
      AGGREGATOR_DEFAULTS.simulatedScenario,
    ),
    desiredReplicas,
    activeDeploymentId: read.string('ACTIVE_DEPLOYMENT_ID') ?? null,
    resyncIntervalMs: read.int('RESYNC_INTERVAL_MS', AGGREGATOR_DEFAULTS.resyncIntervalMs, { min: 1_000 }),
    reconcileIntervalMs: read.int('RECONCILE_INTERVAL_MS', AGGREGATOR_DEFAULTS.reconcileIntervalMs, {
      min: 50,
    }),
    staleAfterMs: read.int('STALE_AFTER_MS', undefined, { min: 100 }) ?? null,
    logLevel: read.logLevel(),
  };
  read.finish();
  return Object.freeze(config);
}
