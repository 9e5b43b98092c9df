/**
 * The agent's configuration, parsed once from the environment by a pure function.
 * Variable names are part of the contract (docs/contract.md).
 */
import type { Env } from '../shared/config';
import { EnvReader } from '../shared/config';
import { LABEL_MAX_LENGTH } from '../shared/heartbeat-limits';
import { NAME_PATTERN } from '../shared/names';
import type { LogLevel } from '../shared/logger';
import type { RedisEngine } from '../shared/redis-engine';
import { readRedisEngine, REDIS_ENGINE_VARIABLES, redisEngineSecrets } from '../shared/redis-engine';

/** The agent's typed, frozen configuration (see loadAgentConfig for the variables). */
export interface AgentConfig {
  /** AGENT_ENABLED: when false the agent only answers /livez and /health/detailed. */
  readonly enabled: boolean;
  readonly instanceId: string;
  readonly app: string;
  readonly component: string;
  readonly deploymentId: string | null;
  readonly version: string | null;
  readonly region: string | null;
  readonly podName: string | null;
  readonly nodeName: string | null;
  readonly intervalMs: number;
  readonly ttlMs: number;
  /** The backend's own health URL; null: serving is unknown (heartbeats carry `serving: null`). */
  readonly probeUrl: string | null;
  readonly probeTimeoutMs: number;
  /** 0: any free port (tests, several agents on one host). */
  readonly port: number;
  readonly host: string;
  /**
   * Where heartbeats are written: REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS with
   * REDIS_SENTINEL_MASTER (credentials in the URLs or REDIS_USERNAME / REDIS_PASSWORD); null: HTTP only.
   */
  readonly redis: RedisEngine | null;
  /** Base URL of the aggregator, used for heartbeats over HTTP when Redis is absent or failing. */
  readonly aggregatorUrl: string | null;
  /** AGGREGATOR_API_TOKEN: sent as a bearer token, since the aggregator guards `/api/*` with it. */
  readonly aggregatorToken: string | null;
  /**
   * HEARTBEAT_SECRET: every heartbeat is signed with it (shared/signature.ts). Undefined when
   * unset: heartbeats are then unauthenticated, and the agent warns so at start.
   */
  readonly heartbeatSecret?: string;
  /**
   * NODE_EXTRA_CA_CERTS, the file Node trusts a private CA from (e.g. for `rediss://`). Node reads
   * it itself; the agent only checks it can be used before it opens a TLS connection. Undefined
   * when unset.
   */
  readonly extraCaCertsFile?: string;
  readonly logLevel: LogLevel;
}

/** Every default of the agent's configuration and timing, in one place. */
export const AGENT_DEFAULTS = Object.freeze({
  enabled: false,
  app: 'default',
  component: 'backend',
  intervalMs: 10_000,
  // Below 100 ms the heartbeat traffic of a fleet costs more than it tells.
  minIntervalMs: 100,
  // Three intervals: one lost heartbeat is not yet an outage.
  ttlMs: 30_000,
  probeTimeoutMs: 2_000,
  port: 9102,
  host: '0.0.0.0',
  // A send that hangs longer is treated as failed; capped by the interval so ticks do not pile up.
  sendTimeoutMs: 5_000,
  // SIGTERM must lead to an exit within 2 s (DESIGN.md); this leaves room for the process to wind down.
  stopBudgetMs: 1_500,
});

function label(read: EnvReader, name: string): string | null {
  const value = read.string(name);
  if (value === undefined) return null;
  if (value.length > LABEL_MAX_LENGTH) {
    read.problem(name, `must be at most ${LABEL_MAX_LENGTH} characters`);
    return null;
  }
  return value;
}

/**
 * Parses and validates the environment; throws one ConfigError naming every bad variable.
 * `defaults.hostname` (os.hostname() in main) is the instance id when neither AGENT_INSTANCE_ID
 * nor HOSTNAME is set.
 */
export function loadAgentConfig(env: Env, defaults: { hostname: string }): AgentConfig {
  const read = new EnvReader(env);
  const enabled = read.bool('AGENT_ENABLED', AGENT_DEFAULTS.enabled);

  const hostname = read.string('HOSTNAME') ?? defaults.hostname;
  if (read.raw('AGENT_INSTANCE_ID') === undefined && !NAME_PATTERN.test(hostname)) {
    read.problem(
      'AGENT_INSTANCE_ID',
      `is not set and the host name ${JSON.stringify(hostname)} is not a valid name (A-Z a-z 0-9 . _ -); set it`,
    );
  }
  // Same fallback as the aggregator's AGGREGATOR_APP, so both sides agree on the app without configuration.
  const doAppId = read.string('DO_APP_ID');
  const appFallback = doAppId !== undefined && NAME_PATTERN.test(doAppId) ? doAppId : AGENT_DEFAULTS.app;

  const intervalMs = read.int('AGENT_INTERVAL_MS', AGENT_DEFAULTS.intervalMs, {
    min: AGENT_DEFAULTS.minIntervalMs,
  });
  const ttlMs = read.int('AGENT_TTL_MS', AGENT_DEFAULTS.ttlMs, { min: 1 });
  if (ttlMs <= intervalMs) {
    read.problem(
      'AGENT_TTL_MS',
      `must be greater than AGENT_INTERVAL_MS (${intervalMs}), or every heartbeat expires before the next`,
    );
  }
  // The probe runs before each send, so it must end within the interval. Left unset with a short
  // interval, the default shrinks to half the interval rather than refusing to start.
  const probeTimeoutMs = read.int(
    'AGENT_PROBE_TIMEOUT_MS',
    Math.min(AGENT_DEFAULTS.probeTimeoutMs, Math.floor(intervalMs / 2)),
    { min: 1 },
  );
  if (probeTimeoutMs >= intervalMs) {
    read.problem('AGENT_PROBE_TIMEOUT_MS', `must be less than AGENT_INTERVAL_MS (${intervalMs})`);
  }

  const redis = readRedisEngine(read);
  const aggregatorUrl = read.url('AGGREGATOR_URL', ['http:', 'https:']) ?? null;
  const redisNamed = REDIS_ENGINE_VARIABLES.some((name) => read.raw(name) !== undefined);
  if (enabled && !redisNamed && read.raw('AGGREGATOR_URL') === undefined) {
    read.problem(
      'AGENT_ENABLED',
      'is true but no Redis (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS) nor AGGREGATOR_URL is set: heartbeats have nowhere to go',
    );
  }

  const config: AgentConfig = {
    enabled,
    instanceId: read.name('AGENT_INSTANCE_ID', hostname),
    app: read.name('AGENT_APP', appFallback),
    component: read.name('AGENT_COMPONENT', AGENT_DEFAULTS.component),
    deploymentId: label(read, 'DEPLOYMENT_ID'),
    version: label(read, 'APP_VERSION'),
    region: label(read, 'DO_REGION'),
    podName: label(read, 'POD_NAME'),
    nodeName: label(read, 'NODE_NAME'),
    intervalMs,
    ttlMs,
    probeUrl: read.url('AGENT_PROBE_URL', ['http:', 'https:']) ?? null,
    probeTimeoutMs,
    port: read.int('AGENT_PORT', AGENT_DEFAULTS.port, { min: 0, max: 65535 }),
    host: read.string('AGENT_HOST', AGENT_DEFAULTS.host),
    redis,
    aggregatorUrl,
    aggregatorToken: read.secret('AGGREGATOR_API_TOKEN') ?? null,
    heartbeatSecret: read.secret('HEARTBEAT_SECRET'),
    extraCaCertsFile: read.string('NODE_EXTRA_CA_CERTS'),
    logLevel: read.logLevel(),
  };
  read.finish();
  return Object.freeze(config);
}

/**
 * The values of a config that must never be written anywhere: Redis passwords (REDIS_PASSWORD and
 * those inside the URLs, raw and decoded), the API token and the heartbeat secret. For the
 * logger's redaction and for error texts.
 */
export function agentSecrets(config: AgentConfig): string[] {
  const secrets: string[] = redisEngineSecrets(config.redis);
  const password = config.aggregatorUrl === null ? '' : new URL(config.aggregatorUrl).password;
  if (password !== '') {
    secrets.push(password);
    try {
      secrets.push(decodeURIComponent(password));
    } catch {
      // A malformed escape: the raw form above is what appears in text anyway.
    }
  }
  if (config.aggregatorToken !== null) secrets.push(config.aggregatorToken);
  if (config.heartbeatSecret !== undefined) secrets.push(config.heartbeatSecret);
  return [...new Set(secrets)];
}
