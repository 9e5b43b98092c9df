/**
 * Cold full read and steady-state reconcile at 1k/10k/100k instances, next to the naive design
 * on the same Redis in the same run, with and without 200k unrelated keys.
 *
 * - ours, cold: a fresh RedisCollector's start() (connect + resync: ZRANGE of the index, MGET of
 *   the heartbeat keys in pipelined chunks, parse and apply);
 * - ours, steady: one reconcile over the in-memory registry (snapshot + the pure reconciler, as
 *   the reconcile loop runs it); serializing the report is measured apart;
 * - naive: a HASH per instance, SCAN MATCH (COUNT 1000) then one HGETALL per key awaited one by
 *   one, each hash turned back into a validated heartbeat; a naive aggregator does that on every
 *   reconcile, so its steady-state reconcile is that read plus the same reconcile.
 */
import { performance } from 'node:perf_hooks';
import { InstanceRegistry } from '../../aggregator/collector/registry';
import { RedisCollector } from '../../aggregator/collector/redis-collector';
import type { InstanceRecord } from '../../aggregator/model';
import type { PlatformView } from '../../aggregator/model';
import { reconcile } from '../../aggregator/reconcile';
import type { ReconcileMemory } from '../../aggregator/reconcile';
import { ReportStore } from '../../aggregator/report-store';
import { systemClock } from '../../shared/clock';
import type { Heartbeat } from '../../shared/heartbeat';
import { validateHeartbeat } from '../../shared/heartbeat';
import { silentLogger } from '../../shared/logger';
import { serverEngine } from '../../shared/redis-engine';
import { recordHeartbeat } from '../../shared/redis-scripts';
import { deploymentId, SimulatedFleet } from '../loadgen/fleet';
import { connectBenchClient } from '../support/redis-server';

type BenchClient = Awaited<ReturnType<typeof connectBenchClient>>;
import { median, round, summary } from '../support/stats';
import type { BenchContext, Suite, SuiteResult, TargetCheck } from './types';

const APP = 'bench-collection';
const COMPONENTS = ['backend', 'worker', 'api'];
const UNRELATED_KEYS = 200_000;
/** Quick mode's fleets: 20k stands in for 100k. */
export const QUICK_SIZES = [1_000, 10_000, 20_000];

function fleetOf(size: number): SimulatedFleet {
  return new SimulatedFleet({
    instances: size,
    app: APP,
    components: COMPONENTS,
    deployments: 2,
    oldShare: 0.01,
    intervalMs: 10_000,
    // Long enough that nothing expires while the suite runs.
    ttlMs: 3_600_000,
    startedAtMs: Date.now() - 60_000,
  });
}

/** In batches: each batch is pipelined on the connection. */
async function inBatches<T>(
  items: readonly T[],
  size: number,
  each: (item: T) => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(each));
}

const naiveKey = (id: string) => `naive:{${APP}}:hb:${id}`;

/** The naive layout: every heartbeat field a hash field, nested objects as JSON text. */
function toHash(heartbeat: Heartbeat): Record<string, string> {
  const hash: Record<string, string> = {};
  for (const [field, value] of Object.entries(heartbeat)) {
    hash[field] = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
  }
  return hash;
}

const NUMBER_FIELDS = new Set(['v', 'seq', 'sent_at', 'started_at', 'interval_ms', 'ttl_ms']);
const JSON_FIELDS = new Set(['serving', 'stats']);

function fromHash(hash: Record<string, string>): unknown {
  const value: Record<string, unknown> = {};
  for (const [field, text] of Object.entries(hash)) {
    if (NUMBER_FIELDS.has(field)) value[field] = Number(text);
    else if (JSON_FIELDS.has(field)) value[field] = JSON.parse(text);
    else value[field] = text === 'null' ? null : text;
  }
  return value;
}

async function writeFleet(client: BenchClient, fleet: SimulatedFleet): Promise<void> {
  const indexes = fleet.instances.map((_, i) => i);
  const nowMs = Date.now();
  await inBatches(indexes, 2_000, async (i) => {
    const { heartbeat, json } = fleet.heartbeat(i, nowMs);
    await Promise.all([
      recordHeartbeat(client, heartbeat, json),
      client.hSet(naiveKey(heartbeat.instance_id), toHash(heartbeat)),
    ]);
  });
}

async function addUnrelatedKeys(client: BenchClient): Promise<void> {
  const batches = Array.from({ length: UNRELATED_KEYS / 1_000 }, (_, b) => b);
  await inBatches(batches, 20, (b) => {
    const pairs: [string, string][] = [];
    for (let i = 0; i < 1_000; i++) pairs.push([`unrelated:${b}:${i}`, 'x'.repeat(64)]);
    return client.mSet(pairs);
  });
}

/** Ours, cold: a new collector started from nothing; ms until its first resync is done. */
async function coldRead(url: string, expected: number): Promise<{ ms: number; registry: InstanceRegistry }> {
  const registry = new InstanceRegistry({ retentionMs: 7_200_000 });
  const collector = new RedisCollector({
    engine: serverEngine(url),
    app: APP,
    registry,
    log: silentLogger(),
    clock: systemClock,
    resyncIntervalMs: 3_600_000,
  });
  const started = performance.now();
  await collector.start();
  const ms = performance.now() - started;
  await collector.close();
  if (registry.size !== expected)
    throw new Error(`cold read found ${registry.size} of ${expected} instances`);
  return { ms, registry };
}

/** The naive read: SCAN MATCH, then HGETALL per key, one by one. */
async function naiveRead(client: BenchClient, expected: number): Promise<number> {
  const started = performance.now();
  const records: InstanceRecord[] = [];
  for await (const keys of client.scanIterator({ MATCH: naiveKey('*'), COUNT: 1_000 })) {
    for (const key of keys) {
      const hash = await client.hGetAll(key);
      const parsed = validateHeartbeat(fromHash(hash));
      if (!parsed.ok) throw new Error(`naive read: ${parsed.detail}`);
      const hb = parsed.heartbeat;
      records.push({
        instanceId: hb.instance_id,
        component: hb.component,
        heartbeat: hb,
        lastSeenMs: hb.sent_at,
        firstSeenMs: hb.sent_at,
        leftAtMs: null,
        clockOffsetMs: 0,
      });
    }
  }
  const ms = performance.now() - started;
  if (records.length !== expected)
    throw new Error(`naive read found ${records.length} of ${expected} instances`);
  return ms;
}

function viewOf(size: number): PlatformView {
  const perComponent = (name: string) => Math.ceil((size - COMPONENTS.indexOf(name)) / COMPONENTS.length);
  return {
    source: 'static',
    appId: null,
    appName: null,
    status: 'not_configured',
    fetchedAtMs: null,
    error: null,
    components: COMPONENTS.map((name) => ({
      name,
      kind: 'service',
      instanceSize: null,
      desired: { min: perComponent(name), max: perComponent(name), autoscaling: false },
      ready: null,
      listed: null,
    })),
    defaultDesired: null,
    activeDeployment: {
      id: deploymentId(1),
      phase: 'ACTIVE',
      progress: null,
      failedStep: null,
      cause: null,
      createdAtMs: Date.now() - 3_600_000,
      updatedAtMs: null,
    },
    inProgressDeployment: null,
    pendingDeployment: null,
    deployments: [],
  };
}

interface SteadyState {
  readonly wallMs: number[];
  readonly cpuMs: number[];
  readonly serializeMs: number[];
}

/** Reconciles repeatedly over the registry, as the loop does once per interval. */
function steadyState(registry: InstanceRegistry, size: number, iterations: number): SteadyState {
  const view = viewOf(size);
  const store = new ReportStore();
  let memory: ReconcileMemory | null = null;
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  const serializeMs: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const result = reconcile({
      nowMs: Date.now(),
      app: APP,
      platform: view,
      instances: registry.snapshot(),
      collector: { healthy: true, blindSinceMs: null, detail: null },
      policy: { staleAfterMs: null, rolloutGraceMs: 900_000 },
      memory,
    });
    memory = result.memory;
    const published = store.publish(result);
    wallMs.push(performance.now() - started);
    const used = process.cpuUsage(cpu);
    cpuMs.push((used.user + used.system) / 1_000);
    // Apart: the first request's serialization of the full report (instances included).
    if (i % 5 === 0) {
      const serializing = performance.now();
      published.full();
      serializeMs.push(performance.now() - serializing);
    }
  }
  return { wallMs, cpuMs, serializeMs };
}

export const collectionSuite: Suite = {
  name: 'collection',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const sizes = ctx.quick ? QUICK_SIZES : [1_000, 10_000, 100_000];
    const client = await connectBenchClient(ctx.redis.url);
    const rows: SuiteResult['rows'] = [];
    const details: Record<string, unknown> = {};
    const targets: TargetCheck[] = [];
    try {
      for (const size of sizes) {
        const fleet = fleetOf(size);
        const trials = size <= 10_000 ? (ctx.quick ? 3 : 5) : ctx.quick ? 2 : 3;
        const naiveTrials = size < 10_000 ? (ctx.quick ? 2 : 3) : 1;
        let steady: SteadyState | null = null;
        // Quick: the unrelated keys at 10k only (the naive read is the slow part of the suite).
        const variants = ctx.quick && size !== 10_000 ? [0] : [0, UNRELATED_KEYS];
        for (const unrelated of variants) {
          await client.flushAll();
          if (unrelated > 0) await addUnrelatedKeys(client);
          await writeFleet(client, fleet);
          ctx.log(`collection: ${size} instances, ${unrelated} unrelated keys`);
          const cold: number[] = [];
          let registry: InstanceRegistry | null = null;
          for (let t = 0; t < trials; t++) {
            const read = await coldRead(ctx.redis.url, size);
            cold.push(read.ms);
            registry = read.registry;
          }
          const naive: number[] = [];
          for (let t = 0; t < naiveTrials; t++) naive.push(await naiveRead(client, size));
          if (steady === null && registry !== null) {
            steady = steadyState(
              registry,
              size,
              size >= 100_000 ? 15 : size > 10_000 ? 20 : ctx.quick ? 25 : 40,
            );
          }
          const reconcileMs = median(steady?.wallMs ?? []);
          const coldMs = median(cold);
          const naiveMs = median(naive);
          rows.push({
            instances: size,
            unrelated_keys: unrelated,
            cold_read_ms: round(coldMs, 1),
            naive_read_ms: round(naiveMs, 1),
            cold_speedup: round(naiveMs / coldMs, 1),
            reconcile_p50_ms: round(reconcileMs, 2),
            reconcile_cpu_p50_ms: round(median(steady?.cpuMs ?? []), 2),
            naive_reconcile_ms: round(naiveMs + reconcileMs, 1),
            steady_speedup: round((naiveMs + reconcileMs) / reconcileMs, 0),
            serialize_full_p50_ms: round(median(steady?.serializeMs ?? []), 1),
          });
          details[`${size}/${unrelated}`] = {
            cold: summary(cold),
            naive: summary(naive),
            reconcileWall: summary(steady?.wallMs ?? []),
            reconcileCpu: summary(steady?.cpuMs ?? []),
            serialize: summary(steady?.serializeMs ?? []),
          };
          if (size === 10_000 && unrelated === 0) {
            targets.push({
              target: 'reconcile p50 ≤ 10 ms at 10k instances (wall clock)',
              measured: `${round(reconcileMs, 2)} ms (its CPU time: ${round(median(steady?.cpuMs ?? []), 2)} ms)`,
              met: reconcileMs <= 10,
            });
          }
          if (size === sizes[sizes.length - 1] && unrelated === 0) {
            const label = `${size / 1000}k`;
            targets.push({
              target: `reconcile p50 ≤ 150 ms at 100k instances${size < 100_000 ? ` (quick: ${label})` : ''}`,
              measured: `${round(reconcileMs, 1)} ms at ${label} (CPU ${round(median(steady?.cpuMs ?? []), 1)} ms)`,
              met: reconcileMs <= 150,
            });
            targets.push({
              target: `cold resync ≤ 1.5 s at 100k${size < 100_000 ? ` (quick: ${label})` : ''}`,
              measured: `${round(coldMs, 0)} ms at ${label}`,
              met: coldMs <= 1_500,
            });
            targets.push({
              target: `cold resync ≥ 8× faster than the naive read, same run${size < 100_000 ? ` (quick: ${label})` : ''}`,
              measured: `${round(naiveMs / coldMs, 1)}× (${round(naiveMs, 0)} ms vs ${round(coldMs, 0)} ms)`,
              met: naiveMs / coldMs >= 8,
            });
          }
        }
      }
    } finally {
      await client.flushAll().catch(() => undefined);
      await client.close();
    }
    return {
      name: 'collection',
      title: 'Cold full read and steady-state reconcile, next to the naive design',
      method:
        'Same redis-server, same run. Ours cold: a new RedisCollector start() (connect, ZRANGE of the index, pipelined ' +
        'MGET chunks, parse + validate + apply). Naive: a HASH per instance, SCAN MATCH (COUNT 1000) then one HGETALL ' +
        'per key awaited one by one, each validated. Steady state: snapshot + reconcile over the in-memory registry ' +
        '(wall and CPU time); a naive aggregator re-reads the fleet for every reconcile. Serializing the full report ' +
        '(instances included) is measured apart: it happens only when someone asks for it.',
      rows,
      targets,
      details,
    };
  },
};
