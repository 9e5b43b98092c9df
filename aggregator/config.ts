/**
 * The aggregator's configuration, parsed once from the environment by a pure function.
 * Variable names are part of the contract (docs/contract.md).
 */
import type { Env } from '../shared/config';
import { EnvReader } from '../shared/config';
import { NAME_PATTERN } from '../shared/names';
import type { LogLevel } from '../shared/logger';
import type { RedisEngine } from '../shared/redis-engine';
import { readRedisEngine, REDIS_ENGINE_VARIABLES, redisEngineSecrets } from '../shared/redis-engine';
import type { DesiredRange, PlatformKind } from './model';
import { PLATFORM_KINDS } from './model';
import type { RemediationMode } from './remediate/types';
import { REMEDIATION_MODES } from './remediate/types';
import type { ScenarioName } from './platform/simulated';
import type { ShardAssignment } from '../shared/shard';
import { ordinalOfHostname, UNSHARDED } from '../shared/shard';
import { SCENARIO_NAMES } from './platform/simulated';

/** Desired counts from DESIRED_REPLICAS: per component, and a default for the rest. */
export interface StaticDesired {
  readonly byComponent: Readonly<Record<string, DesiredRange>>;
  /** From a bare `DESIRED_REPLICAS=2`: every component that reports, and `backend` while none does. */
  readonly fallback: DesiredRange | null;
}

/** One app the aggregator watches. */
export interface WatchedApp {
  /** The app's name in Redis keys (`rw:{<app>}:…`), heartbeats and labels: AGGREGATOR_APP, or the app id. */
  readonly app: string;
  /**
   * Its App Platform id (DO_APP_ID); null for a static app without one, and for the simulated
   * platform's single app, whose id the simulator picks at start.
   */
  readonly appId: string | null;
}

/** Which apps an aggregator watches (DO_APP_ID, AGGREGATOR_APP, SIMULATED_SCENARIO). */
export type AppSelection =
  | { readonly kind: 'fixed'; readonly apps: readonly WatchedApp[] }
  /** `DO_APP_ID=*`: every app GET /v2/apps lists, re-listed every APP_DISCOVERY_INTERVAL_MS. */
  | { readonly kind: 'discovered'; readonly intervalMs: number };

export interface AggregatorConfig {
  readonly port: number;
  /** Interface to listen on. */
  readonly host: string;
  /**
   * REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS with REDIS_SENTINEL_MASTER (credentials in
   * the URLs or REDIS_USERNAME / REDIS_PASSWORD); null: the embedded mode, fed by POST
   * /api/v1/heartbeats only.
   */
  readonly redis: RedisEngine | null;
  /** The apps it watches, each with its own registry, report, alerts and leader lease. */
  readonly apps: AppSelection;
  /**
   * SHARD of TOTAL_SHARDS (SHARD_FROM_HOSTNAME: the StatefulSet ordinal): it watches only the apps
   * whose `fnv1a32(app id) mod TOTAL_SHARDS` is its SHARD.
   */
  readonly shard: ShardAssignment;
  readonly platform: PlatformKind;
  readonly doApiToken: string | null;
  readonly doApiBaseUrl: string;
  readonly platformCacheTtlMs: number;
  /**
   * The simulated platform's scenarios (PLATFORM=simulated), one app each: one scenario is one
   * app watched under AGGREGATOR_APP; several are an account whose apps are discovered.
   */
  readonly simulatedScenarios: readonly ScenarioName[];
  readonly desiredReplicas: StaticDesired | null;
  readonly activeDeploymentId: string | null;
  readonly resyncIntervalMs: number;
  readonly reconcileIntervalMs: number;
  /** null: each heartbeat's own TTL. */
  readonly staleAfterMs: number | null;
  /** REMEDIATION_MODE: off, dry-run (record the call it would make) or on. */
  readonly remediationMode: RemediationMode;
  /** REMEDIATION_COOLDOWN_MS: at most one action per component within this time. */
  readonly remediationCooldownMs: number;
  /** REMEDIATION_MIN_FIRING_MS: how long a trigger alert must have fired before an action. */
  readonly remediationMinFiringMs: number;
  /** ALERT_CONFIRMATIONS: consecutive reconciles a finding must hold (or be gone) before it fires (resolves). */
  readonly alertConfirmations: number;
  /** ALERT_FOR_MS: and at least this long. */
  readonly alertForMs: number;
  /** ALERT_REPEAT_MS: how often a firing alert is notified again. */
  readonly alertRepeatMs: number;
  /** ROLLOUT_GRACE_MS: how long a rollout may make no progress before ROLLOUT_STUCK. */
  readonly rolloutGraceMs: number;
  /** CLOCK_SKEW_MAX_MS: an instance whose clock is off the recording clock by more raises CLOCK_SKEW. */
  readonly clockSkewMaxMs: number;
  /** DRAIN_GRACE_MS: how long a `left` instance the platform still lists counts as draining (then a zombie). */
  readonly drainGraceMs: number;
  readonly alertWebhookUrl: string | null;
  /** Signs the webhook body (HMAC-SHA256) when set; a secret. */
  readonly alertWebhookSecret: string | null;
  /** A secret: the URL's path is the token. */
  readonly slackWebhookUrl: string | null;
  readonly alertmanagerUrl: string | null;
  /** Where alerts link to; null: http://localhost:<the port bound>. */
  readonly publicUrl: string | null;
  /** LEADER_LEASE_MS: the leader lease (Redis mode); a dead leader is replaced within it. */
  readonly leaderLeaseMs: number;
  /** SELF_PRESERVATION_THRESHOLD: share of live instances silent at once that means "we are blind". */
  readonly selfPreservationThreshold: number;
  /** AGGREGATOR_API_TOKEN: every `/api/*` route wants it as a Bearer token; null: the API is open. A secret. */
  readonly apiToken: string | null;
  /** HEARTBEAT_SECRET: only heartbeats signed with it are admitted; null: heartbeats are unauthenticated. A secret. */
  readonly heartbeatSecret: string | null;
  /** METRICS_TOKEN: /metrics wants it as a Bearer token; null: /metrics is open. A secret. */
  readonly metricsToken: string | null;
  /** INGEST_RATE_LIMIT_PER_S: ingest requests per second per client IP; 0: unlimited. */
  readonly ingestRateLimitPerS: number;
  readonly logLevel: LogLevel;
}

export const AGGREGATOR_DEFAULTS = Object.freeze({
  port: 8080,
  host: '0.0.0.0',
  app: 'default',
  // Apps are created and deleted rarely; a listing every five minutes costs 12 requests an hour.
  appDiscoveryIntervalMs: 300_000,
  doApiBaseUrl: 'https://api.digitalocean.com',
  // App Platform's API allows 5,000 requests an hour; a minute's cache keeps a poller far below.
  platformCacheTtlMs: 60_000,
  simulatedScenario: 'orphans-356' as ScenarioName,
  resyncIntervalMs: 60_000,
  reconcileIntervalMs: 10_000,
  alertConfirmations: 2,
  alertForMs: 60_000,
  // A reminder every few hours keeps a forgotten alert visible without becoming noise.
  alertRepeatMs: 4 * 60 * 60_000,
  rolloutGraceMs: 15 * 60_000,
  // Well above NTP-synchronised drift and the transport delay the offset includes, well below
  // the heartbeat TTL that a skewed clock would distort.
  clockSkewMaxMs: 5_000,
  // Room for a graceful shutdown and for the platform's listing to catch up with it; a listed
  // instance that said goodbye longer ago is a zombie.
  drainGraceMs: 120_000,
  // Short enough that alerting moves within seconds of a leader's death, long enough that a
  // GC pause or a slow Redis round trip does not hand it over.
  leaderLeaseMs: 15_000,
  selfPreservationThreshold: 0.5,
  // A hundred heartbeats a second from one address is ten times a 1,000-agent fleet behind one
  // NAT at the default interval: generous for agents, still a brake on a flood.
  ingestRateLimitPerS: 100,
  remediationMode: 'off' as RemediationMode,
  // One restart replaces every instance; if the orphans survive it, a second one half an hour
  // later will not do better, and a person should look.
  remediationCooldownMs: 1_800_000,
  // A firing alert reaches people first: they get five minutes to act before the remediator does.
  remediationMinFiringMs: 300_000,
});

/**
 * App Platform takes far larger counts than any real fleet; the bound only keeps a typo (an extra
 * digit or three) from becoming a desired count. "No upper bound below 1,000,000" is the contract.
 */
export const MAX_DESIRED_COUNT = 999_999;

const COUNT = /^\d+$/;
const RANGE = /^(\d+)\s*-\s*(\d+)$/;
const LIMIT_TEXT = String(MAX_DESIRED_COUNT).replace(/\B(?=(\d{3})+$)/g, ',');
const NOT_A_COUNT = `not a count from 1 to ${LIMIT_TEXT} or a range min-max`;

/** A count or a `min-max` range, or why it is neither (the caller names the value). */
function parseRange(value: string): DesiredRange | string {
  const range = RANGE.exec(value);
  if (!COUNT.test(value) && !range) return NOT_A_COUNT;
  const min = Number(range ? range[1] : value);
  const max = range ? Number(range[2]) : min;
  if (Math.min(min, max) < 1) return "a count must be at least 1 (App Platform's minimum instance_count)";
  if (Math.max(min, max) > MAX_DESIRED_COUNT) {
    return `a count must be below 1,000,000 (at most ${LIMIT_TEXT})`;
  }
  if (min > max) return `the minimum ${min} is above the maximum ${max}`;
  return { min, max, autoscaling: range !== null };
}

/**
 * Parses `2`, `2-4`, `backend=2,worker=1` or `api=2-5`. Returns an error message on bad input
 * that starts with the bad value or pair (e.g. `backend=5-2: the minimum 5 is above the maximum
 * 2`); the caller names the variable.
 */
export function parseDesiredReplicas(text: string): StaticDesired | string {
  const trimmed = text.trim();
  if (!trimmed.includes('=')) {
    const fallback = parseRange(trimmed);
    if (typeof fallback !== 'string') return { byComponent: {}, fallback };
    const forms = 'expected a count (e.g. 2), a range (2-4) or component=count pairs (backend=2,worker=1)';
    return fallback === NOT_A_COUNT ? `${trimmed}: ${fallback}; ${forms}` : `${trimmed}: ${fallback}`;
  }
  const byComponent: Record<string, DesiredRange> = {};
  for (const raw of trimmed.split(',')) {
    const pair = raw.trim();
    const equals = pair.indexOf('=');
    const component = pair.slice(0, Math.max(0, equals)).trim();
    const value = pair.slice(equals + 1).trim();
    if (equals < 0 || value === '')
      return `${pair || '(empty)'}: not component=count (e.g. backend=2 or api=2-5)`;
    if (!NAME_PATTERN.test(component)) {
      return `${pair}: "${component}" is not a component name (letters, digits, . _ - starting with a letter or digit)`;
    }
    const parsed = parseRange(value);
    if (typeof parsed === 'string') return `${component}=${value}: ${parsed}`;
    if (component in byComponent) return `${pair}: component "${component}" is given twice`;
    byComponent[component] = parsed;
  }
  return { byComponent, fallback: null };
}

/** The configuration as one app's parts (collector, alerting, journals, lease) see it. */
export type AppConfig = AggregatorConfig & WatchedApp;

/** The one app of a configuration that watches one fixed app; null for any other. */
export function soleApp(config: Pick<AggregatorConfig, 'apps'>): WatchedApp | null {
  return config.apps.kind === 'fixed' && config.apps.apps.length === 1 ? (config.apps.apps[0] ?? null) : null;
}

/** `a, b ,c` → ['a', 'b', 'c'], or why not: an empty item, or one given twice. */
function parseList(text: string): string[] | string {
  const items = text.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) return 'has an empty item (two commas, or one at an end)';
  const twice = items.find((item, i) => items.indexOf(item) !== i);
  return twice === undefined ? items : `names ${JSON.stringify(twice)} twice`;
}

const NAME_RULE = '1-253 characters of A-Z a-z 0-9 . _ - starting with a letter or digit';

/** A list variable's names, each usable in Redis keys (NAME_PATTERN); null with its problem noted. */
function readNames(read: EnvReader, name: string): string[] | null {
  const text = read.raw(name);
  if (text === undefined) return null;
  const list = parseList(text);
  if (typeof list === 'string') {
    read.problem(name, list);
    return null;
  }
  const bad = list.find((item) => !NAME_PATTERN.test(item));
  if (bad !== undefined) {
    read.problem(name, `${JSON.stringify(bad)} is not a name (${NAME_RULE})`);
    return null;
  }
  return list;
}

/**
 * Which apps to watch, from DO_APP_ID (one id, a list, or `*`), AGGREGATOR_APP (one name, or a
 * list in static mode) and the simulated scenarios. One fixed DO_APP_ID keeps the one-app
 * behaviour: AGGREGATOR_APP names its keys (default the id). With a list or `*`, every app's
 * keys use its id: a single AGGREGATOR_APP cannot name them all, so setting it is an error.
 */
function readApps(read: EnvReader, platform: PlatformKind, scenarios: readonly ScenarioName[]): AppSelection {
  const idText = read.raw('DO_APP_ID');
  const discover = idText === '*';
  const ids = discover ? null : readNames(read, 'DO_APP_ID');
  const names = readNames(read, 'AGGREGATOR_APP');
  const intervalMs = read.int('APP_DISCOVERY_INTERVAL_MS', AGGREGATOR_DEFAULTS.appDiscoveryIntervalMs, {
    min: 10_000,
  });
  const manyIds =
    discover || (ids !== null && ids.length > 1) || (platform === 'simulated' && scenarios.length > 1);
  if (platform === 'static') {
    if (discover) {
      read.problem(
        'DO_APP_ID',
        'lists the apps through the App Platform API: set PLATFORM=digitalocean (and DO_API_TOKEN)',
      );
    }
    if (names !== null && ids !== null && ids.length > 1) {
      read.problem(
        'AGGREGATOR_APP',
        'and a DO_APP_ID list: give one of them (with a DO_APP_ID list, each app is named by its id)',
      );
    }
    const apps = (names ?? ids ?? [AGGREGATOR_DEFAULTS.app]).map((app) => ({
      app,
      appId: ids !== null && ids.length === 1 ? (ids[0] ?? null) : ids?.includes(app) ? app : null,
    }));
    return { kind: 'fixed', apps };
  }
  if (manyIds && names !== null) {
    read.problem(
      'AGGREGATOR_APP',
      'names the keys of one app: with DO_APP_ID=* or a list (or several SIMULATED_SCENARIO apps) each app is named by its id; unset it',
    );
  }
  if (names !== null && names.length > 1) {
    read.problem(
      'AGGREGATOR_APP',
      'is a list only in static mode (PLATFORM=static); with the API, name the apps in DO_APP_ID',
    );
  }
  if (discover || (platform === 'simulated' && scenarios.length > 1 && ids === null)) {
    return { kind: 'discovered', intervalMs };
  }
  if (platform === 'simulated' && ids === null) {
    return { kind: 'fixed', apps: [{ app: names?.[0] ?? AGGREGATOR_DEFAULTS.app, appId: null }] };
  }
  if (ids === null) return { kind: 'fixed', apps: [] };
  if (ids.length === 1 && ids[0] !== undefined) {
    return { kind: 'fixed', apps: [{ app: names?.[0] ?? ids[0], appId: ids[0] }] };
  }
  return { kind: 'fixed', apps: ids.map((id) => ({ app: id, appId: id })) };
}

/** SIMULATED_SCENARIO: one scenario name or a comma-separated list of them. */
function readScenarios(read: EnvReader): ScenarioName[] {
  const text = read.raw('SIMULATED_SCENARIO');
  if (text === undefined) return [AGGREGATOR_DEFAULTS.simulatedScenario];
  const list = parseList(text);
  if (typeof list === 'string') {
    read.problem('SIMULATED_SCENARIO', list);
    return [AGGREGATOR_DEFAULTS.simulatedScenario];
  }
  const known: readonly string[] = SCENARIO_NAMES;
  const unknown = list.find((name) => !known.includes(name));
  if (unknown !== undefined) {
    read.problem(
      'SIMULATED_SCENARIO',
      `${JSON.stringify(unknown)} is not a scenario; one of ${SCENARIO_NAMES.join(', ')}`,
    );
    return [AGGREGATOR_DEFAULTS.simulatedScenario];
  }
  return list as ScenarioName[];
}

/**
 * Every value of a config that must never be written anywhere (for the logger's redaction):
 * the tokens and secrets, Slack's webhook URL (the URL is the credential) and the Redis
 * passwords (REDIS_PASSWORD and those inside the Redis URLs, raw and decoded).
 */
export function aggregatorSecrets(config: AggregatorConfig): string[] {
  const secrets = [
    config.doApiToken,
    config.apiToken,
    config.heartbeatSecret,
    config.metricsToken,
    config.alertWebhookSecret,
    config.slackWebhookUrl,
  ].filter((value): value is string => value !== null);
  secrets.push(...redisEngineSecrets(config.redis));
  return [...new Set(secrets)];
}

/** The most shards: far more aggregators than any account's apps need, a typo's guard. */
export const MAX_TOTAL_SHARDS = 1_024;

/**
 * SHARD, TOTAL_SHARDS, SHARD_FROM_HOSTNAME (the trailing `-<ordinal>` of HOSTNAME, else of
 * `hostname`). A shard outside 0..TOTAL_SHARDS-1, or sharding without a shared Redis (the shards
 * share heartbeats and the fleet's summaries through it), is refused naming the variables, each
 * problem once. From the host name, `hostPrefix` keeps what precedes the ordinal (the peers' names).
 */
function readShard(read: EnvReader, hostname: string | undefined, hasRedis: boolean): ShardAssignment {
  const totalRead = read.int('TOTAL_SHARDS', undefined, { min: 1, max: MAX_TOTAL_SHARDS });
  const total = totalRead ?? UNSHARDED.total;
  // A bad value is named once: the range check below would only repeat it under another name.
  let valid = totalRead !== undefined || read.raw('TOTAL_SHARDS') === undefined;
  const fromHostname = read.bool('SHARD_FROM_HOSTNAME', false);
  let index = read.int('SHARD', UNSHARDED.index, { min: 0, max: MAX_TOTAL_SHARDS - 1 });
  let hostPrefix: string | undefined;
  let host = '';
  if (fromHostname) {
    host = (read.string('HOSTNAME') ?? hostname ?? '').trim();
    const ordinal = ordinalOfHostname(host);
    if (read.raw('SHARD') !== undefined) {
      read.problem('SHARD', 'and SHARD_FROM_HOSTNAME=true are both set: the shard comes from one of them');
      valid = false;
    } else if (ordinal === null) {
      read.problem(
        'SHARD_FROM_HOSTNAME',
        `is true but the host name ${JSON.stringify(host)} ends in no -<ordinal> (a StatefulSet pod's does: replica-watch-2)`,
      );
      valid = false;
    } else {
      index = ordinal;
      hostPrefix = host.replace(/\d+$/, '');
    }
  }
  if (valid && index >= total) {
    read.problem(
      fromHostname ? 'SHARD_FROM_HOSTNAME' : 'SHARD',
      `gives shard ${index}${fromHostname ? ` (the host name ${JSON.stringify(host)})` : ''}, but TOTAL_SHARDS is ${total}: shards are numbered 0 to ${total - 1}`,
    );
    return UNSHARDED;
  }
  if (!valid) return UNSHARDED;
  if (total > 1 && !hasRedis) {
    read.problem(
      'TOTAL_SHARDS',
      'is above 1 without Redis (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS): shards share heartbeats and the fleet through it',
    );
  }
  return hostPrefix === undefined ? { index, total } : { index, total, hostPrefix };
}

/**
 * Parses and validates the environment; throws one ConfigError naming every bad variable.
 * `defaults.hostname` (os.hostname() in main) stands in for HOSTNAME with SHARD_FROM_HOSTNAME.
 */
export function loadAggregatorConfig(
  env: Env,
  defaults: { readonly hostname?: string } = {},
): AggregatorConfig {
  const read = new EnvReader(env);
  const doApiToken = read.secret('DO_API_TOKEN') ?? null;
  const doAppIdSet = read.raw('DO_APP_ID') !== undefined;
  const platform = read.oneOf(
    'PLATFORM',
    PLATFORM_KINDS,
    doApiToken && doAppIdSet ? 'digitalocean' : 'static',
  );

  if (platform === 'digitalocean') {
    if (!doApiToken && read.raw('DO_API_TOKEN') === undefined)
      read.problem('DO_API_TOKEN', 'is required with PLATFORM=digitalocean');
    if (!doAppIdSet) {
      read.problem(
        'DO_APP_ID',
        'is required with PLATFORM=digitalocean: an app id, a comma-separated list, or * for every app',
      );
    }
  }
  const simulatedScenarios = readScenarios(read);
  const apps = readApps(read, platform, simulatedScenarios);
  const shard = readShard(
    read,
    defaults.hostname,
    REDIS_ENGINE_VARIABLES.some((name) => read.raw(name) !== undefined),
  );
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
    redis: readRedisEngine(read),
    apps,
    shard,
    platform,
    doApiToken,
    doApiBaseUrl: read.url('DO_API_BASE_URL', ['https:', 'http:']) ?? AGGREGATOR_DEFAULTS.doApiBaseUrl,
    platformCacheTtlMs: read.int('PLATFORM_CACHE_TTL_MS', AGGREGATOR_DEFAULTS.platformCacheTtlMs, {
      min: 1_000,
    }),
    simulatedScenarios,
    desiredReplicas,
    activeDeploymentId: read.string('ACTIVE_DEPLOYMENT_ID') ?? null,
    resyncIntervalMs: read.int('RESYNC_INTERVAL_MS', AGGREGATOR_DEFAULTS.resyncIntervalMs, { min: 1_000 }),
    reconcileIntervalMs: read.int('RECONCILE_INTERVAL_MS', AGGREGATOR_DEFAULTS.reconcileIntervalMs, {
      min: 50,
    }),
    staleAfterMs: read.int('STALE_AFTER_MS', undefined, { min: 100 }) ?? null,
    remediationMode: read.oneOf('REMEDIATION_MODE', REMEDIATION_MODES, AGGREGATOR_DEFAULTS.remediationMode),
    remediationCooldownMs: read.int('REMEDIATION_COOLDOWN_MS', AGGREGATOR_DEFAULTS.remediationCooldownMs, {
      min: 1_000,
    }),
    remediationMinFiringMs: read.int(
      'REMEDIATION_MIN_FIRING_MS',
      AGGREGATOR_DEFAULTS.remediationMinFiringMs,
      { min: 0 },
    ),
    alertConfirmations: read.int('ALERT_CONFIRMATIONS', AGGREGATOR_DEFAULTS.alertConfirmations, {
      min: 1,
      max: 100,
    }),
    alertForMs: read.int('ALERT_FOR_MS', AGGREGATOR_DEFAULTS.alertForMs, { min: 0 }),
    alertRepeatMs: read.int('ALERT_REPEAT_MS', AGGREGATOR_DEFAULTS.alertRepeatMs, { min: 1_000 }),
    rolloutGraceMs: read.int('ROLLOUT_GRACE_MS', AGGREGATOR_DEFAULTS.rolloutGraceMs, { min: 1_000 }),
    // Below 100 ms the transport delay alone (part of the measured offset) would raise CLOCK_SKEW.
    clockSkewMaxMs: read.int('CLOCK_SKEW_MAX_MS', AGGREGATOR_DEFAULTS.clockSkewMaxMs, { min: 100 }),
    // 0: no grace, a listed instance that said goodbye is a zombie at once.
    drainGraceMs: read.int('DRAIN_GRACE_MS', AGGREGATOR_DEFAULTS.drainGraceMs, { min: 0 }),
    alertWebhookUrl: read.url('ALERT_WEBHOOK_URL', ['https:', 'http:']) ?? null,
    alertWebhookSecret: read.secret('ALERT_WEBHOOK_SECRET') ?? null,
    slackWebhookUrl: read.url('SLACK_WEBHOOK_URL', ['https:', 'http:'], { secret: true }) ?? null,
    alertmanagerUrl: read.url('ALERTMANAGER_URL', ['https:', 'http:']) ?? null,
    publicUrl: read.url('PUBLIC_URL', ['https:', 'http:']) ?? null,
    leaderLeaseMs: read.int('LEADER_LEASE_MS', AGGREGATOR_DEFAULTS.leaderLeaseMs, { min: 300, max: 600_000 }),
    selfPreservationThreshold: read.fraction(
      'SELF_PRESERVATION_THRESHOLD',
      AGGREGATOR_DEFAULTS.selfPreservationThreshold,
    ),
    apiToken: read.secret('AGGREGATOR_API_TOKEN') ?? null,
    heartbeatSecret: read.secret('HEARTBEAT_SECRET') ?? null,
    metricsToken: read.secret('METRICS_TOKEN') ?? null,
    ingestRateLimitPerS: read.int('INGEST_RATE_LIMIT_PER_S', AGGREGATOR_DEFAULTS.ingestRateLimitPerS, {
      min: 0,
      max: 1_000_000,
    }),
    logLevel: read.logLevel(),
  };
  read.finish();
  return Object.freeze(config);
}
