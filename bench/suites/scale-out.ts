/**
 * Scale-out on the engines operators run: a fleet of many apps heartbeating into a local Redis
 * Cluster (3 masters, 3 replicas), watched by one aggregator, then by two shards (TOTAL_SHARDS=2);
 * per aggregator process its CPU share and RSS (/proc), the feed lag of every app (/metrics,
 * p99 over the samples) and the reconcile time per app (the histogram: one observation is one
 * app's reconcile). Then the failover window: kill -9 of the master that serves one app's slot,
 * until that app's counts are true again, over repeated trials (a fresh cluster each).
 */
import { fleetApps } from '../loadgen/fleet';
import { fillFleet } from '../support/fill';
import type { RedisEngine } from '../../shared/redis-engine';
import { appKeys } from '../../shared/redis-keys';
import { startRedisCluster, type TestRedisCluster } from '../../test/support/redis-cluster';
import { bucketMedianMs, scrapeMetrics } from '../support/metrics-scrape';
import { getText, pollFor, sampleUsage, spawnNode, type NodeProcess } from '../support/processes';
import { median, quantile, round } from '../support/stats';
import type { BenchContext, Suite, SuiteResult, TargetCheck } from './types';

const INTERVAL_MS = 10_000;

interface Shape {
  readonly apps: number;
  readonly perApp: number;
  readonly windowMs: number;
  readonly trials: number;
}

const FULL: Shape = { apps: 50, perApp: 2_000, windowMs: 60_000, trials: 3 };
const QUICK: Shape = { apps: 10, perApp: 500, windowMs: 10_000, trials: 1 };

function clusterEngine(cluster: TestRedisCluster): RedisEngine {
  return {
    kind: 'cluster',
    nodes: cluster.nodes.map((n) => n.url),
    tls: false,
    username: null,
    password: null,
  };
}

/** Every instance written once, so that the aggregators' first resync reads the whole fleet. */
function fill(engine: RedisEngine, prefix: string, shape: Shape): Promise<void> {
  return fillFleet({
    redis: engine,
    app: prefix,
    apps: shape.apps,
    instances: shape.apps * shape.perApp,
    components: ['backend'],
    deployments: 1,
    oldShare: 0,
    intervalMs: INTERVAL_MS,
    ttlMs: 3 * INTERVAL_MS,
  });
}

/** Load generator processes writing the fleet through the cluster (one keeps up with ~5k/s here). */
function startWriters(cluster: TestRedisCluster, prefix: string, shape: Shape): NodeProcess[] {
  const total = shape.apps * shape.perApp;
  const writers = Math.max(1, Math.ceil((total * 1000) / INTERVAL_MS / 5_000));
  return Array.from({ length: writers }, (_, shard) =>
    spawnNode(
      'bench/loadgen.js',
      { REDIS_CLUSTER_NODES: cluster.nodesEnv },
      {
        args: [
          '--instances',
          String(total),
          '--apps',
          String(shape.apps),
          '--app',
          prefix,
          '--components',
          'backend',
          '--deployments',
          '1',
          '--interval-ms',
          String(INTERVAL_MS),
          '--shard',
          `${shard}/${writers}`,
          '--progress-ms',
          '60000',
        ],
      },
    ),
  );
}

function startAggregators(
  cluster: TestRedisCluster,
  prefix: string,
  shape: Shape,
  shards: number,
): NodeProcess[] {
  return Array.from({ length: shards }, (_, shard) =>
    spawnNode('aggregator/main.js', {
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_CLUSTER_NODES: cluster.nodesEnv,
      AGGREGATOR_APP: fleetApps(prefix, shape.apps).join(','),
      DESIRED_REPLICAS: String(shape.perApp),
      RECONCILE_INTERVAL_MS: '2000',
      TOTAL_SHARDS: String(shards),
      SHARD: String(shard),
      LOG_LEVEL: 'info',
    }),
  );
}

interface AppsBody {
  readonly apps: readonly {
    readonly app: string;
    readonly active_instances: number | null;
    readonly shard: number;
  }[];
}

/** The live instances of the apps this aggregator watches (its own shard's). */
async function liveOf(base: string, shard: number): Promise<number> {
  const body = JSON.parse(await getText(`${base}/api/v1/apps`)) as AppsBody;
  return body.apps.filter((a) => a.shard === shard).reduce((n, a) => n + (a.active_instances ?? 0), 0);
}

/** One layout (one aggregator, or two shards) in steady state: a row per aggregator process. */
async function layout(
  ctx: BenchContext,
  cluster: TestRedisCluster,
  shape: Shape,
  shards: number,
): Promise<SuiteResult['rows']> {
  const prefix = `so${shards}`;
  const total = shape.apps * shape.perApp;
  await fill(clusterEngine(cluster), prefix, shape);
  const aggregators = startAggregators(cluster, prefix, shape, shards);
  const writers = startWriters(cluster, prefix, shape);
  try {
    const bases = await Promise.all(
      aggregators.map(
        async (a) => `http://127.0.0.1:${String((await a.waitFor('aggregator listening')).port)}`,
      ),
    );
    ctx.log(`scale-out: ${shape.apps} apps × ${shape.perApp} on ${shards} aggregator(s), warming up`);
    await pollFor(
      'every instance to be live on its shard',
      async () => {
        const live = (await Promise.all(bases.map((base, shard) => liveOf(base, shard)))).reduce(
          (a, b) => a + b,
          0,
        );
        return live >= total * 0.99 ? true : undefined;
      },
      INTERVAL_MS * 4 + 60_000,
      1_000,
    );
    ctx.log(`scale-out: sampling ${shards} aggregator(s) for ${shape.windowMs / 1000} s`);
    const before = await Promise.all(
      bases.map(async (base) => scrapeMetrics(await getText(`${base}/metrics`))),
    );
    const lags: number[][] = bases.map(() => []);
    let sampling = true;
    const lagLoop = (async () => {
      while (sampling) {
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        for (const [i, base] of bases.entries()) {
          lags[i]?.push(...scrapeMetrics(await getText(`${base}/metrics`)).feedLagsS.map((s) => s * 1000));
        }
      }
    })();
    const usages = await Promise.all(aggregators.map((a) => sampleUsage(a.pid, shape.windowMs, 1_000)));
    sampling = false;
    await lagLoop;
    const after = await Promise.all(
      bases.map(async (base) => scrapeMetrics(await getText(`${base}/metrics`))),
    );
    return aggregators.map((_, i) => {
      const b = before[i];
      const a = after[i];
      const usage = usages[i];
      const lag = lags[i] ?? [];
      if (!a || !b || !usage) throw new Error('a sample is missing');
      const reconciles = a.count - b.count;
      return {
        layout: shards === 1 ? 'one aggregator' : `${shards} shards`,
        aggregator: shards === 1 ? 'all apps' : `shard ${i}`,
        apps: shape.apps,
        instances: total,
        cpu_share_pct: round(usage.cpuShare * 100, 1),
        rss_median_mb: round(median(usage.rssMb), 0),
        rss_max_mb: round(Math.max(...usage.rssMb), 0),
        reconciles,
        reconcile_mean_ms_per_app: reconciles > 0 ? round(((a.sum - b.sum) / reconciles) * 1000, 2) : null,
        reconcile_p50_bucket_ms: bucketMedianMs(b, a),
        feed_lag_p50_ms: lag.length > 0 ? round(median(lag), 0) : null,
        feed_lag_p99_ms: lag.length > 0 ? round(quantile(lag, 0.99), 0) : null,
        kill_to_true_ms: null,
        promotion_to_true_ms: null,
      };
    });
  } finally {
    await Promise.all(writers.map((w) => w.stop('SIGINT')));
    await Promise.all(aggregators.map((a) => a.stop()));
  }
}

interface ReplicasBody {
  readonly degraded: boolean;
  readonly summary: { readonly active_instances: number; readonly verdict: string };
}

/**
 * kill -9 of the master serving one app's slot, the fleet heartbeating: the time until that app's
 * report is true again (every instance live, not degraded), and from the promotion.
 */
async function failoverTrial(
  ctx: BenchContext,
  shape: Shape,
  trial: number,
): Promise<{ totalMs: number; afterPromotionMs: number }> {
  const cluster = await startRedisCluster();
  const prefix = `fo${trial}`;
  const small: Shape = { ...shape, apps: Math.min(shape.apps, 5) };
  await fill(clusterEngine(cluster), prefix, small);
  const [aggregator] = startAggregators(cluster, prefix, small, 1);
  const writers = startWriters(cluster, prefix, small);
  try {
    if (!aggregator) throw new Error('no aggregator');
    const base = `http://127.0.0.1:${String((await aggregator.waitFor('aggregator listening')).port)}`;
    const app = `${prefix}-0`;
    const report = async () =>
      JSON.parse(
        await getText(`${base}/api/v1/monitoring/replicas?app=${app}&instances=false`),
      ) as ReplicasBody;
    const trueNow = async () => {
      const r = await report();
      return !r.degraded && r.summary.active_instances >= small.perApp ? true : undefined;
    };
    await pollFor('the app to be counted in full', trueNow, INTERVAL_MS * 4 + 30_000, 250);
    const owner = await cluster.ownerOf(appKeys(app).seen);
    const killedAtMs = await cluster.kill(owner.master);
    const { promotedAtMs } = await cluster.waitForPromotion(appKeys(app).seen, owner.master);
    await pollFor('the counts to be true again', trueNow, 60_000, 100);
    const trueAtMs = Date.now();
    ctx.log(`scale-out: failover trial ${trial + 1}: true again ${trueAtMs - killedAtMs} ms after the kill`);
    return { totalMs: trueAtMs - killedAtMs, afterPromotionMs: trueAtMs - promotedAtMs };
  } finally {
    await Promise.all(writers.map((w) => w.stop('SIGINT')));
    await aggregator?.stop();
    await cluster.stop();
  }
}

export const scaleOutSuite: Suite = {
  name: 'scale-out',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const shape = ctx.quick ? QUICK : FULL;
    const rows: SuiteResult['rows'] = [];
    const cluster = await startRedisCluster();
    try {
      rows.push(...(await layout(ctx, cluster, shape, 1)));
      rows.push(...(await layout(ctx, cluster, shape, 2)));
    } finally {
      await cluster.stop();
    }
    const trials: { totalMs: number; afterPromotionMs: number }[] = [];
    for (let trial = 0; trial < shape.trials; trial++) trials.push(await failoverTrial(ctx, shape, trial));
    const windowP50 = median(trials.map((t) => t.totalMs));
    const afterPromotionP50 = median(trials.map((t) => t.afterPromotionMs));
    for (const [i, t] of trials.entries()) {
      rows.push({
        layout: 'failover',
        aggregator: `trial ${i + 1}`,
        apps: Math.min(shape.apps, 5),
        instances: Math.min(shape.apps, 5) * shape.perApp,
        cpu_share_pct: null,
        rss_median_mb: null,
        rss_max_mb: null,
        reconciles: null,
        reconcile_mean_ms_per_app: null,
        reconcile_p50_bucket_ms: null,
        feed_lag_p50_ms: null,
        feed_lag_p99_ms: null,
        kill_to_true_ms: t.totalMs,
        promotion_to_true_ms: t.afterPromotionMs,
      });
    }
    const quickNote = ctx.quick ? ` (quick: ${shape.apps} apps × ${shape.perApp})` : '';
    const steadyRows = rows.filter((r) => r.layout !== 'failover');
    const worstLag = Math.max(
      ...steadyRows.map((r) => Number(r.feed_lag_p99_ms ?? Number.POSITIVE_INFINITY)),
    );
    const targets: TargetCheck[] = [
      {
        target: `50 apps × 2,000 at a 10 s interval on a 3-master cluster: feed lag p99 < 1 s on every aggregator${quickNote}`,
        measured: `${round(worstLag, 0)} ms at worst`,
        met: worstLag < 1_000,
      },
      {
        target: 'failover: counts true again within two heartbeat intervals (20 s) of the promotion (p50)',
        measured: `${round(afterPromotionP50, 0)} ms after the promotion, ${round(windowP50, 0)} ms after the kill (${trials.length} trial${trials.length === 1 ? '' : 's'})`,
        met: afterPromotionP50 <= 2 * INTERVAL_MS,
      },
    ];
    return {
      name: 'scale-out',
      title: 'Scale-out: many apps on a Redis Cluster, one aggregator vs two shards, and the failover window',
      method:
        `A local Redis Cluster (3 masters, 3 replicas, cluster-node-timeout 2 s); ${shape.apps} apps of ${shape.perApp} ` +
        `instances each, heartbeating every ${INTERVAL_MS / 1000} s through the load generator (REDIS_CLUSTER_NODES); ` +
        'static mode (AGGREGATOR_APP the app list, DESIRED_REPLICAS the per-app count, RECONCILE_INTERVAL_MS=2000). ' +
        'Each aggregator process: /proc every second over the window (CPU share of one core, RSS), /metrics every 2 s ' +
        "(every app's feed lag; p50 and p99 over all samples), the reconcile histogram between the window's ends " +
        "(one observation is one app's reconcile). Failover rows (5 apps): the time from kill -9 of the master " +
        "serving one app's slot, and from its replica's promotion, to that app's report being true again (every " +
        'instance live, not degraded); one fresh cluster per trial. Everything shares the 2 cores.',
      rows,
      targets,
      details: { shape, trials },
    };
  },
};
