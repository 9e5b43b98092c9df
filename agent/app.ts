/**
 * The running agent: a loop that probes, samples and sends a heartbeat every interval, a goodbye
 * on stop, and the small HTTP server. Started in-process (tests, Node backends) or by main.ts.
 */
import { Registry } from 'prom-client';
import type { Clock } from '../shared/clock';
import { systemClock } from '../shared/clock';
import type { ServingStatus, SystemStats } from '../shared/heartbeat';
import type { Logger } from '../shared/logger';
import { redact, silentLogger } from '../shared/logger';
import type { RedisEngine } from '../shared/redis-engine';
import { redisEngineHosts, redisEngineTls } from '../shared/redis-engine';
import type { AgentConfig } from './config';
import { AGENT_DEFAULTS, agentSecrets } from './config';
import type { HeartbeatBuilder } from './heartbeat-builder';
import { createHeartbeatBuilder } from './heartbeat-builder';
import type { AgentIdentity } from './identity';
import { identityFromConfig } from './identity';
import type { AgentMetrics } from './metrics';
import { createAgentMetrics } from './metrics';
import type { ServingProbe } from './probe';
import { checkExtraCaCertsFile } from './ca-file';
import type { AgentServer } from './server';
import { startAgentServer } from './server';
import { listenFailure } from './start-error';
import { createStatsSampler } from './stats';
import { withTimeout } from './timeout';
import type { HeartbeatTransport, TransportName } from './transport/transport';
import { createTransport } from './transport/from-config';

/** What startAgent may be given instead of its defaults (tests, in-process use). */
export interface AgentDeps {
  /** Default: a silent logger. */
  readonly log?: Logger;
  readonly clock?: Clock;
  /** Default: a fresh registry (never prom-client's global one). */
  readonly registry?: Registry;
}

/** A started agent. */
export interface RunningAgent {
  /** The port the HTTP server bound (useful with AGENT_PORT=0). */
  readonly port: number;
  /** Stops the loop, sends a goodbye, closes everything; within ~1.5 s. Idempotent. */
  stop(): Promise<void>;
}

/** What /health/detailed answers: identity, state, last results; never a secret. */
export interface AgentHealth {
  readonly status: 'ok';
  readonly enabled: boolean;
  readonly identity: AgentIdentity;
  readonly boot_id: string | null;
  readonly started_at: number;
  readonly interval_ms: number;
  readonly ttl_ms: number;
  readonly transport: {
    /** The transport heartbeats go through now; null while disabled. */
    readonly active: TransportName | null;
    readonly redis: TransportInfo;
    readonly http: TransportInfo;
  };
  readonly probe: { readonly configured: boolean; readonly timeout_ms: number };
  readonly heartbeats_sent: number;
  readonly last_sent_at: number | null;
  readonly consecutive_failures: number;
  readonly last_error: { readonly message: string; readonly at: number } | null;
  readonly last_stats: SystemStats | null;
  readonly last_serving: ServingStatus | null;
}

/** Where a transport points, without its credentials: host and port only. */
export interface TransportInfo {
  readonly configured: boolean;
  readonly host: string | null;
  readonly tls: boolean;
}

/** The Redis transport: its hosts (a cluster's seeds, the sentinels), never its credentials. */
function redisInfo(engine: RedisEngine | null): TransportInfo {
  if (engine === null) return { configured: false, host: null, tls: false };
  return { configured: true, host: redisEngineHosts(engine), tls: redisEngineTls(engine) };
}

function transportInfo(url: string | null): TransportInfo {
  if (url === null) return { configured: false, host: null, tls: false };
  const parsed = new URL(url);
  return {
    configured: true,
    host: parsed.host,
    tls: parsed.protocol === 'rediss:' || parsed.protocol === 'https:',
  };
}

interface MutableState {
  heartbeatsSent: number;
  lastSentAt: number | null;
  consecutiveFailures: number;
  lastError: { message: string; at: number } | null;
  lastStats: SystemStats | null;
  lastServing: ServingStatus | null;
}

/**
 * Starts the agent: binds the server, then (when enabled) sends a heartbeat at once and every
 * interval after. Rejects with an AgentStartError naming the variable when the server cannot
 * bind (AGENT_PORT, AGENT_HOST) or NODE_EXTRA_CA_CERTS cannot be used for a TLS transport;
 * nothing is left open then.
 */
export async function startAgent(config: AgentConfig, deps: AgentDeps = {}): Promise<RunningAgent> {
  const log = deps.log ?? silentLogger();
  const clock = deps.clock ?? systemClock;
  const registry = deps.registry ?? new Registry();
  const identity = identityFromConfig(config);
  const secrets = agentSecrets(config);
  const startedAt = clock.now();
  const state: MutableState = {
    heartbeatsSent: 0,
    lastSentAt: null,
    consecutiveFailures: 0,
    lastError: null,
    lastStats: null,
    lastServing: null,
  };
  const metrics = createAgentMetrics(registry, { probe: config.enabled && config.probeUrl !== null });

  if (!config.enabled) {
    const server = await listen(config, registry, () =>
      health(config, identity, null, null, startedAt, state),
    );
    log.info('agent disabled (AGENT_ENABLED is not true): idle, sending no heartbeats');
    return { port: server.port, stop: () => server.close() };
  }

  if (config.extraCaCertsFile !== undefined && usesTls(config)) {
    await checkExtraCaCertsFile(config.extraCaCertsFile);
  }
  const builder = createHeartbeatBuilder({
    identity,
    intervalMs: config.intervalMs,
    ttlMs: config.ttlMs,
    clock,
    secret: config.heartbeatSecret,
  });
  // The port first: when it cannot be had, the agent fails at once, with no connection opened
  // to Redis or the aggregator that would have to be wound down (or could keep the process up).
  let opened: HeartbeatTransport | null = null;
  const server = await listen(config, registry, () =>
    health(config, identity, builder, opened, startedAt, state),
  );
  let transport: HeartbeatTransport;
  let probe: ServingProbe | null;
  try {
    const sendTimeoutMs = Math.min(AGENT_DEFAULTS.sendTimeoutMs, config.intervalMs);
    transport = opened = await createTransport(config, { log, metrics, timeoutMs: sendTimeoutMs });
    // Loaded only when configured, like the transports: undici is not free in resident memory.
    probe =
      config.probeUrl === null
        ? null
        : (await import('./probe')).createServingProbe({
            url: config.probeUrl,
            timeoutMs: config.probeTimeoutMs,
            clock,
          });
  } catch (err) {
    await Promise.all([opened?.close(), server.close()]);
    throw err;
  }
  if (config.heartbeatSecret === undefined) {
    log.warn(
      'HEARTBEAT_SECRET is not set: heartbeats are unauthenticated, and anyone who can reach Redis or the aggregator can forge them',
    );
  }

  const loop = new HeartbeatLoop({ config, log, clock, transport, probe, builder, metrics, state, secrets });
  const running = loop.run();
  log.info('agent started', {
    app: identity.app,
    component: identity.component,
    instance_id: identity.instance_id,
    transport: transport.name,
    interval_ms: config.intervalMs,
  });

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    const started = performance.now();
    const remaining = (floorMs: number) =>
      Math.max(floorMs, AGENT_DEFAULTS.stopBudgetMs - (performance.now() - started));
    loop.abort();
    // The goodbye must follow the last heartbeat, or that heartbeat would re-register the instance.
    // A send still hanging after this wait is timed out by its transport anyway.
    await withTimeout(running, AGENT_DEFAULTS.stopBudgetMs / 3, 'last heartbeat').catch(() => undefined);
    const goodbye = builder.goodbye();
    try {
      await withTimeout(transport.send(goodbye), remaining(50), 'goodbye');
      log.info('goodbye sent', { transport: transport.name, seq: goodbye.seq });
    } catch (err) {
      log.warn('goodbye not sent: the aggregator will see this instance expire instead', {
        err: errorText(err, secrets),
      });
    }
    const closing = Promise.all([transport.close(), probe?.close(), server.close()]);
    await withTimeout(closing, remaining(100), 'closing').catch((err) =>
      log.warn('close incomplete', { err }),
    );
  };
  return {
    port: server.port,
    stop: () => (stopping ??= stop()),
  };
}

/** Binds the agent's server; a failure names the variable to fix (AGENT_PORT or AGENT_HOST). */
async function listen(
  config: AgentConfig,
  registry: Registry,
  body: () => AgentHealth,
): Promise<AgentServer> {
  try {
    return await startAgentServer({ host: config.host, port: config.port, registry, health: body });
  } catch (err) {
    throw listenFailure(err, config.host, config.port);
  }
}

/** Whether any connection the agent opens is TLS, so that NODE_EXTRA_CA_CERTS matters. */
function usesTls(config: AgentConfig): boolean {
  return (
    (config.redis !== null && redisEngineTls(config.redis)) ||
    [config.aggregatorUrl, config.probeUrl].some((url) => url !== null && new URL(url).protocol === 'https:')
  );
}

function errorText(err: unknown, secrets: readonly string[]): string {
  const text = err instanceof Error ? err.message : String(err);
  return (redact(text, secrets) as string).slice(0, 512);
}

function health(
  config: AgentConfig,
  identity: AgentIdentity,
  builder: HeartbeatBuilder | null,
  transport: HeartbeatTransport | null,
  startedAt: number,
  state: MutableState,
): AgentHealth {
  return {
    status: 'ok',
    enabled: config.enabled,
    identity,
    boot_id: builder?.bootId ?? null,
    started_at: builder?.startedAt ?? startedAt,
    interval_ms: config.intervalMs,
    ttl_ms: config.ttlMs,
    transport: {
      active: transport?.name ?? null,
      redis: redisInfo(config.redis),
      http: transportInfo(config.aggregatorUrl),
    },
    probe: { configured: config.probeUrl !== null, timeout_ms: config.probeTimeoutMs },
    heartbeats_sent: state.heartbeatsSent,
    last_sent_at: state.lastSentAt,
    consecutive_failures: state.consecutiveFailures,
    last_error: state.lastError,
    last_stats: state.lastStats,
    last_serving: state.lastServing,
  };
}

interface LoopDeps {
  readonly config: AgentConfig;
  readonly log: Logger;
  readonly clock: Clock;
  readonly transport: HeartbeatTransport;
  readonly probe: ServingProbe | null;
  readonly builder: HeartbeatBuilder;
  readonly metrics: AgentMetrics;
  readonly state: MutableState;
  readonly secrets: readonly string[];
}

/** Probe, sample, send; every interval on a fixed schedule; never throws out. */
class HeartbeatLoop {
  private readonly controller = new AbortController();
  private readonly sampler = createStatsSampler();

  constructor(private readonly deps: LoopDeps) {}

  abort(): void {
    this.controller.abort();
  }

  async run(): Promise<void> {
    const { clock, config, state, transport } = this.deps;
    const signal = this.controller.signal;
    let next = clock.now();
    while (!signal.aborted) {
      await this.tick(signal);
      // A fixed schedule, not "interval after the last send": a slow send does not stretch the
      // gap past the TTL. After a tick that overran, the next one goes at once.
      next = Math.max(next + config.intervalMs, clock.now());
      // After a failed send, the transport's return (Redis back, a failover's new master found)
      // ends the wait: the instance, silent since, is heard again at once rather than up to an
      // interval later (the aggregator keeps an outage's data degraded until renewals come back).
      const back = new AbortController();
      const unsubscribe = state.consecutiveFailures > 0 ? transport.onReady?.(() => back.abort()) : undefined;
      await clock.sleep(next - clock.now(), AbortSignal.any([signal, back.signal]));
      unsubscribe?.();
      if (back.signal.aborted) next = clock.now();
    }
  }

  private async tick(signal: AbortSignal): Promise<void> {
    const { probe, builder, transport, state, metrics, log, clock } = this.deps;
    try {
      const serving = probe ? await probe.check(signal) : null;
      const stats = await this.sampler.sample();
      if (signal.aborted) return;
      if (serving) {
        metrics.probeUp?.set(serving.ok ? 1 : 0);
        if (serving.latency_ms !== null) metrics.probeLatency?.observe(serving.latency_ms / 1000);
      }
      state.lastServing = serving;
      state.lastStats = stats;
      const heartbeat = builder.heartbeat(stats, serving);
      await transport.send(heartbeat);
      if (state.heartbeatsSent === 0) log.info('first heartbeat sent', { transport: transport.name });
      if (state.consecutiveFailures > 0) {
        log.info('heartbeats delivered again', {
          transport: transport.name,
          failed_sends: state.consecutiveFailures,
        });
      }
      state.heartbeatsSent++;
      state.lastSentAt = clock.now();
      state.consecutiveFailures = 0;
    } catch (err) {
      const message = errorText(err, this.deps.secrets);
      // Once per outage; its end is logged above.
      if (state.consecutiveFailures === 0) log.warn('heartbeat send failed', { err: message });
      state.consecutiveFailures++;
      state.lastError = { message, at: clock.now() };
    }
  }
}
