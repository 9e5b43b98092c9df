/**
 * A rig for remediation and records tests: a private Redis, the simulated App Platform read
 * through the real DigitalOcean client, agents' heartbeats written the way agents write them
 * (with goodbyes for instances that went away), and in-process aggregators.
 */
import { request } from 'undici';
import type { RunningAggregator } from '../../aggregator/app';
import { startAggregator } from '../../aggregator/app';
import { loadAggregatorConfig } from '../../aggregator/config';
import { DigitalOceanClient, DigitalOceanSource } from '../../aggregator/platform/digitalocean';
import type { SimulatedAgent, SimulatedPlatform } from '../../aggregator/platform/simulated';
import { startSimulatedPlatform } from '../../aggregator/platform/simulated';
import type { Leadership } from '../../aggregator/leader';
import type { AuditEntry, LeaderLease } from '../../aggregator/remediate';
import { recordHeartbeat } from '../../shared/redis-scripts';
import { simulatedAgentHeartbeat } from './heartbeats';
import { useTestRedis, type RedisRig } from './redis-rig';
import type { TestRedisClient } from './redis-server';
import { waitFor } from './wait';

/** The app the rig's agents and aggregators use. */
export const RIG_APP = 'shop';
/** The fake's route name for rolling restarts, for requestCount(). */
export const RESTARTS = 'POST /v2/apps/{app_id}/restart';
const TOKEN = 'simulated-token-for-remediation-tests';

export interface SystemOptions {
  readonly mode: 'on' | 'dry-run' | 'off';
  readonly cooldownMs?: number;
  readonly leadership?: LeaderLease;
}

/**
 * The rig of a test file: its Redis (useTestRedis, emptied before each test), and after each
 * test what it started is stopped, newest first.
 */
export function useRemediationRig(): RemediationRig {
  const rig = new RemediationRig(useTestRedis({ flush: true }));
  afterEach(() => rig.cleanUp());
  return rig;
}

export class RemediationRig {
  private readonly cleanups: (() => Promise<void>)[] = [];

  constructor(private readonly redis: RedisRig) {}

  /** A client for assertions. */
  get client(): TestRedisClient {
    return this.redis.client;
  }

  /** Stops what the last test started (newest first). */
  async cleanUp(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0).reverse()) await cleanup();
  }

  /** The orphans scenario; restarts and deployments complete after `transitionDelayMs`. */
  async startFake(transitionDelayMs = 300): Promise<SimulatedPlatform> {
    const fake = await startSimulatedPlatform({ scenario: 'orphans-356', transitionDelayMs });
    this.cleanups.push(() => fake.close());
    return fake;
  }

  /**
   * The agents of the simulated app: every 200 ms a heartbeat for each instance the fake runs
   * now (and for `survivors`, instances the platform no longer knows but that keep running), and
   * a goodbye for each that went away. `tick()` runs one round now.
   */
  startFleet(fake: SimulatedPlatform, options: { survivors?: readonly SimulatedAgent[] } = {}) {
    const { client } = this;
    let seq = 0;
    let alive = new Map<string, SimulatedAgent>();
    let stopped = false;
    const started = Date.now();
    const beat = (agent: SimulatedAgent, now: number, goodbye: boolean) =>
      recordHeartbeat(
        client,
        simulatedAgentHeartbeat(RIG_APP, agent, now, {
          seq: ++seq,
          started_at: started,
          interval_ms: 200,
          ttl_ms: 2_000,
          ...(goodbye ? { type: 'goodbye' as const, stats: null, serving: null } : {}),
        }),
      );
    const tick = async () => {
      const now = Date.now();
      const current = new Map<string, SimulatedAgent>();
      for (const agent of [...fake.state.agents(), ...(options.survivors ?? [])])
        current.set(agent.instanceId, agent);
      const writes = [...current.values()].map((agent) => beat(agent, now, false));
      for (const [id, agent] of alive) if (!current.has(id)) writes.push(beat(agent, now, true));
      await Promise.all(writes);
      alive = current;
    };
    const loop = (async () => {
      while (!stopped) {
        await tick();
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    this.cleanups.push(async () => {
      stopped = true;
      await loop;
    });
    return { tick };
  }

  /**
   * An aggregator on the rig's Redis reading the fake through the real client, reconciling every
   * 100 ms; its own notifier decides what fires (two reconciles in a row).
   */
  async startSystem(fake: SimulatedPlatform, options: SystemOptions): Promise<RunningAggregator> {
    const config = loadAggregatorConfig({
      REDIS_URL: this.redis.url,
      AGGREGATOR_APP: RIG_APP,
      PORT: '0',
      HOST: '127.0.0.1',
      RECONCILE_INTERVAL_MS: '100',
      REMEDIATION_MODE: options.mode,
      REMEDIATION_COOLDOWN_MS: String(options.cooldownMs ?? 600_000),
      REMEDIATION_MIN_FIRING_MS: '0',
      ALERT_CONFIRMATIONS: '2',
      ALERT_FOR_MS: '0',
    });
    const platform = new DigitalOceanSource({
      client: new DigitalOceanClient({
        baseUrl: fake.url,
        token: TOKEN,
        timeoutMs: 2_000,
        retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 50 },
      }),
      appId: fake.appId,
      kind: 'simulated',
      cacheTtlMs: 250,
    });
    await platform.refresh();
    const lease = options.leadership;
    // A scripted lease: who leads is the test's to say, and it never changes on its own.
    const leadership: Leadership | undefined = lease && {
      isLeader: () => lease.isLeader(),
      fencingToken: () => lease.fencingToken(),
      onChange: () => () => undefined,
      start: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const aggregator = await startAggregator(config, { platform, leadership });
    this.cleanups.push(() => aggregator.stop());
    return aggregator;
  }
}

/** GET a JSON body, failing on anything but 200. */
export async function getJson<T>(url: string): Promise<T> {
  const res = await request(url);
  if (res.statusCode !== 200) throw new Error(`${url}: HTTP ${res.statusCode}: ${await res.body.text()}`);
  return (await res.body.json()) as T;
}

/** The aggregator's audit trail, newest first. */
export function auditOf(aggregator: RunningAggregator): Promise<AuditEntry[]> {
  return getJson<{ entries: AuditEntry[] }>(`${aggregator.url}/api/v1/audit?limit=1000`).then(
    (b) => b.entries,
  );
}

/** The backend component of the latest report. */
export function backendOf(aggregator: RunningAggregator) {
  return aggregator.store.current()?.report.components.find((c) => c.name === 'backend');
}

/** Waits until the aggregator has published `n` more reports: time passing, measured in reconciles. */
export async function reconciles(aggregator: RunningAggregator, n: number): Promise<void> {
  let seen = 0;
  const unsubscribe = aggregator.store.subscribe(() => seen++);
  try {
    await waitFor(async () => seen, { until: (count) => count >= n, timeoutMs: 20_000 });
  } finally {
    unsubscribe();
  }
}
