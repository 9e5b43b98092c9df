/**
 * The performance frontier: every figure of the frontier issue beside its target, the naive
 * baseline and the limit of the engine underneath, measured in the same run where one exists.
 *
 * - Steady state at 100k and 10k instances heartbeating every 10 s (the aggregator suite's
 *   steady state, bench/support/steady-state.ts): reconcile p50/p99 from the histogram's
 *   buckets (an upper bound), the feed lag p99 over frequent scrapes, CPU from /proc ticks, RSS
 *   median and exact maximum (VmHWM reset at the window's start).
 * - Cold resync at 100k: spawn → the first report counting every instance, black box, next to
 *   the same start against an empty app and to a bare client's read of the same keys.
 * - The API (the api suite's measurement) and the agent (the agent suite's), reused.
 * - Ingest: the ingest suite's measurements, reused, last (they flush the server).
 * - Baselines: for the reconcile, the full recomputation of the same records in this process,
 *   beside the incremental one (bench/support/reconcile-inprocess.ts); for the rest, the
 *   committed full run before the incremental reconcile (bench/results/full/), named with its file.
 */
import { performance } from 'node:perf_hooks';
import { committedRow, type CommittedRow } from '../support/committed';
import { idleNodeRssMb, rawIndexReadMs } from '../support/floors';
import { measureReconcileInProcess, type InProcessReconcile } from '../support/reconcile-inprocess';
import { bucketQuantileMs } from '../support/metrics-scrape';
import { spawnNode } from '../support/processes';
import { median, quantile, round } from '../support/stats';
import { runSteadyState, steadyAggregatorEnv, type SteadyReadings } from '../support/steady-state';
import { describeAgentRss, measureAgent } from './agent';
import { measureReportApi } from './api';
import {
  measureBareHttpIngest,
  measureHttpIngest,
  measureRedisIngestFrontier,
  type HttpIngestFigures,
  type LoadgenFigure,
} from './ingest';
import type { BenchContext, Suite, SuiteResult, TargetCheck } from './types';

const INTERVAL_MS = 10_000;
/** USER_HZ: /proc counts CPU time in ticks of 10 ms. */
const TICK_MS = 10;

interface Shape {
  /** The fleet the 100k targets are stated for. */
  readonly large: number;
  readonly small: number;
  readonly windowMs: number;
  readonly settleMs: number;
  /** Reconciles of the in-process baseline (bench/support/reconcile-inprocess.ts). */
  readonly inProcessReconciles: number;
}

const FULL: Shape = {
  large: 100_000,
  small: 10_000,
  windowMs: 60_000,
  settleMs: 5_000,
  inProcessReconciles: 60,
};
// Same fleets, shorter windows: the figures keep their definitions, with fewer samples behind them.
const QUICK: Shape = {
  large: 100_000,
  small: 10_000,
  windowMs: 15_000,
  settleMs: 2_000,
  inProcessReconciles: 20,
};
// Feed lag scraped twice a second (the aggregator suite: every 2 s), so that a p99 has samples
// behind it; RSS read every half second (the maximum is the kernel's peak anyway).
const LAG_EVERY_MS = 500;
const USAGE_EVERY_MS = 500;

/** One figure: a row of the table and a target of the Targets table. */
interface Figure {
  readonly figure: string;
  /** The fleet and load it was measured under. */
  readonly load: string;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
  readonly baseline: string;
  readonly engineLimit: string;
}

/** What a steady-state window comes to, in the figures' units. */
interface Steady {
  readonly instances: number;
  readonly heartbeatsPerS: number;
  readonly reconciles: number;
  readonly meanMs: number;
  readonly p50BoundMs: number;
  readonly p99BoundMs: number;
  readonly cpuShare: number;
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly rssMedianMb: number;
  readonly rssMaxMb: number;
  readonly rssMaxExact: boolean;
  readonly lagP99Ms: number;
  readonly lagSamples: number;
}

function summarize(instances: number, r: SteadyReadings): Steady {
  const reconciles = r.after.count - r.before.count;
  const sampledMax = Math.max(...r.usage.rssMb);
  return {
    instances,
    heartbeatsPerS: r.heartbeatsPerS,
    reconciles,
    meanMs: reconciles > 0 ? ((r.after.sum - r.before.sum) / reconciles) * 1000 : Number.NaN,
    p50BoundMs: bucketQuantileMs(r.before, r.after, 0.5),
    p99BoundMs: bucketQuantileMs(r.before, r.after, 0.99),
    cpuShare: r.usage.cpuShare,
    cpuMs: r.usage.cpuMs,
    wallMs: r.usage.wallMs,
    rssMedianMb: median(r.usage.rssMb),
    rssMaxMb: Math.max(sampledMax, r.rssPeakMb ?? 0),
    rssMaxExact: r.rssPeakMb !== null,
    lagP99Ms: quantile(r.lagsMs, 0.99),
    lagSamples: r.lagsMs.length,
  };
}

const k = (n: number) => `${n / 1000}k`;
const ms = (v: number) => `${round(v, v < 10 ? 2 : 0)} ms`;

function loadOf(s: Steady): string {
  return `${k(s.instances)} instances, ${Math.round(s.heartbeatsPerS)} heartbeats/s applied`;
}

function reconcileText(s: Steady, q: 'p50' | 'p99'): string {
  const bound = q === 'p50' ? s.p50BoundMs : s.p99BoundMs;
  return `≤ ${bound} ms (histogram bucket bound; mean ${ms(s.meanMs)} over ${s.reconciles} reconciles)`;
}

function cpuText(s: Steady): string {
  const resolutionPct = (TICK_MS / s.wallMs) * 100;
  return (
    `${round(s.cpuShare * 100, 2)}% of one core (${Math.round(s.cpuMs / TICK_MS)} ticks of ${TICK_MS} ms ` +
    `over ${round(s.wallMs / 1000, 1)} s: resolution ${round(resolutionPct, 3)}%)`
  );
}

/** A baseline cell from a committed row, or nothing. */
function baselineCell(
  committed: CommittedRow | null,
  committedText: (row: CommittedRow['row']) => string,
): string {
  if (committed) return `${committedText(committed.row)} — previous result, ${committed.source}`;
  return 'none measured';
}

/** The reconcile's naive baseline: the full recomputation of the same records, in this process, this run. */
function inProcessCell(inProcess: InProcessReconcile, q: 'p50Ms' | 'p99Ms'): string {
  const label = q === 'p50Ms' ? 'p50' : 'p99';
  return (
    `full recomputation ${label} ${ms(inProcess.full[q])} vs incremental ${ms(inProcess.incremental[q])}: the same ` +
    `${k(inProcess.instances)} records reconciled both ways in one process, ${inProcess.full.samples} times, this run`
  );
}

function steadyFigures(
  s: Steady,
  inProcess: InProcessReconcile,
  committed: CommittedRow | null,
  targets: {
    readonly p50Ms: number;
    readonly p99Ms?: number;
    readonly cpuShare: number;
    readonly lagP99Ms?: number;
    readonly rssMedianMb?: number;
    readonly rssMaxMb?: number;
  },
  idleRssMb: number,
): Figure[] {
  const load = loadOf(s);
  const size = k(s.instances);
  const prev = (key: string) => (row: CommittedRow['row']) => String(row[key] ?? '—');
  const figures: Figure[] = [
    {
      figure: `reconcile p50 at ${size}`,
      load,
      target: `≤ ${targets.p50Ms} ms`,
      measured: reconcileText(s, 'p50'),
      met: s.p50BoundMs <= targets.p50Ms,
      baseline:
        `${inProcessCell(inProcess, 'p50Ms')}; ` +
        baselineCell(
          committed,
          (row) =>
            `≤ ${prev('reconcile_p50_bucket_ms')(row)} ms bucket, mean ${prev('reconcile_mean_ms')(row)} ms`,
        ),
      engineLimit: '— (pure computation, no engine under it)',
    },
  ];
  if (targets.p99Ms !== undefined) {
    figures.push({
      figure: `reconcile p99 at ${size}`,
      load,
      target: `≤ ${targets.p99Ms} ms`,
      measured: reconcileText(s, 'p99'),
      met: s.p99BoundMs <= targets.p99Ms,
      baseline: inProcessCell(inProcess, 'p99Ms'),
      engineLimit: '—',
    });
  }
  if (targets.lagP99Ms !== undefined) {
    figures.push({
      figure: `feed lag p99 at ${size}`,
      load,
      target: `≤ ${targets.lagP99Ms} ms`,
      measured: `${ms(s.lagP99Ms)} (p99 of ${s.lagSamples} scrapes every ${LAG_EVERY_MS} ms${s.lagSamples < 100 ? ': the maximum' : ''})`,
      met: s.lagP99Ms <= targets.lagP99Ms,
      baseline: baselineCell(
        committed,
        (row) =>
          `max ${prev('feed_lag_max_ms')(row)} ms, median ${prev('feed_lag_median_ms')(row)} ms (scrapes every 2 s)`,
      ),
      engineLimit: '—',
    });
  }
  figures.push({
    figure: `aggregator CPU at ${size}`,
    load,
    target: `≤ ${round(targets.cpuShare * 100, 0)}% of one core`,
    measured: cpuText(s),
    met: s.cpuShare <= targets.cpuShare,
    baseline: baselineCell(committed, (row) => `${prev('cpu_share_pct')(row)}%`),
    engineLimit: '—',
  });
  if (targets.rssMedianMb !== undefined && targets.rssMaxMb !== undefined) {
    figures.push(
      {
        figure: `aggregator RSS at ${size}, steady (median)`,
        load,
        target: `≤ ${targets.rssMedianMb} MB`,
        measured: `${round(s.rssMedianMb, 0)} MB (VmRSS every ${USAGE_EVERY_MS} ms)`,
        met: s.rssMedianMb <= targets.rssMedianMb,
        baseline: baselineCell(committed, (row) => `${prev('rss_median_mb')(row)} MB`),
        engineLimit: `${round(idleRssMb, 0)} MB: an idle node process`,
      },
      {
        figure: `aggregator RSS at ${size}, maximum over the window`,
        load,
        target: `never above ${targets.rssMaxMb} MB`,
        measured: `${round(s.rssMaxMb, 0)} MB (${s.rssMaxExact ? 'VmHWM reset at the window start' : 'VmRSS samples'})`,
        met: s.rssMaxMb <= targets.rssMaxMb,
        baseline: baselineCell(committed, (row) => `${prev('rss_max_mb')(row)} MB (samples every 1 s)`),
        engineLimit: `${round(idleRssMb, 0)} MB: an idle node process`,
      },
    );
  }
  return figures;
}

/** Spawn → "aggregator listening" for an app with no heartbeats: the start-up without a resync. */
async function emptyStartMs(ctx: BenchContext): Promise<number> {
  const started = performance.now();
  const aggregator = spawnNode('aggregator/main.js', steadyAggregatorEnv(ctx.redis.url, 'frontier-empty', 3));
  try {
    await aggregator.waitFor('aggregator listening', 60_000);
    return performance.now() - started;
  } finally {
    await aggregator.stop();
  }
}

/**
 * Ingest, last: the ingest suite's own measurements (bench/suites/ingest.ts).
 * measureRedisIngestFrontier FLUSHes the server between its trials, so nothing that needs the
 * fleets may run after it.
 */
async function ingestFigures(
  ctx: BenchContext,
): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  ctx.log('frontier: HTTP ingest');
  const aggregator = spawnNode('aggregator/main.js', {
    PORT: '0',
    HOST: '127.0.0.1',
    // The app measureHttpIngest's load generator writes (the ingest suite's): another is refused.
    AGGREGATOR_APP: 'bench-ingest',
    RECONCILE_INTERVAL_MS: '1000',
    INGEST_RATE_LIMIT_PER_S: '0',
    LOG_LEVEL: 'info',
  });
  let http: HttpIngestFigures;
  try {
    const listening = await aggregator.waitFor('aggregator listening');
    http = await measureHttpIngest(`http://127.0.0.1:${String(listening.port)}`, {
      quick: ctx.quick,
      log: (m) => ctx.log(m),
    });
  } finally {
    await aggregator.stop();
  }
  ctx.log('frontier: bare node:http ingest');
  const bare = await measureBareHttpIngest({ quick: ctx.quick, log: (m) => ctx.log(m) });
  const redis = await measureRedisIngestFrontier(ctx.redis, { quick: ctx.quick, log: (m) => ctx.log(m) });

  const committed = (path: string) => committedRow('ingest', (row) => row.path === path);
  const committedHttp = committed('heartbeat via HTTP ingest');
  const committedRedis = committed('heartbeat via Redis (Lua: SET+ZADD+XADD)');
  const committedScript = committed('redis-benchmark EVALSHA of the heartbeat script -P 1 -c 50');
  const perS = (v: number) => `${Math.round(v)}/s`;
  const httpLoad = (f: LoadgenFigure, what: string) =>
    `${what}, closed loop: ${f.concurrency} in flight over ${f.connections} sockets, ${f.durationMs / 1000} s`;
  // Unknown, not 0, when the aggregator took no batch at all (one without the batch form).
  const batched = http.batched.accepted > 0 ? http.batched.perSecond : null;
  const share = (ours: number | null, floor: number) => (ours === null || floor <= 0 ? null : ours / floor);
  const singleShare = share(http.single.perSecond, bare.single.perSecond);
  const batchedShare = share(batched, bare.batched.perSecond);
  const pct = (v: number | null) => (v === null ? 'not measured' : `${Math.round(v * 100)}%`);
  const errorsOf = (f: LoadgenFigure) => (f.errors > 0 ? `, ${f.errors} errors` : '');
  const bareSingle = `${perS(bare.single.perSecond)}: bare node:http, same bodies, same client, this run`;
  const bareBatched = `${perS(bare.batched.perSecond)}: bare node:http, same bodies, same client, this run`;
  const figures: Figure[] = [
    {
      figure: 'HTTP ingest, one heartbeat per POST',
      load: httpLoad(http.single, '1 per POST'),
      target: '≥ 15,000 heartbeats/s',
      measured: `${perS(http.single.perSecond)}${errorsOf(http.single)}`,
      met: http.single.perSecond >= 15_000,
      baseline: committedHttp
        ? `${perS(Number(committedHttp.row.per_second))} — previous result, ${committedHttp.source}`
        : 'none measured',
      engineLimit: bareSingle,
    },
    {
      figure: `HTTP ingest, ${http.batch} heartbeats per POST`,
      load: httpLoad(http.batched, `${http.batch} per POST`),
      target: '≥ 50,000 heartbeats/s',
      measured:
        batched === null
          ? `not measured: the aggregator took no batch${errorsOf(http.batched)}`
          : `${perS(batched)}${errorsOf(http.batched)}`,
      met: batched !== null && batched >= 50_000,
      baseline: `${perS(http.single.perSecond)}: one per POST, this run`,
      engineLimit: bareBatched,
    },
    {
      figure: 'HTTP ingest vs bare node:http, one per POST',
      load: httpLoad(http.single, '1 per POST'),
      target: '≥ 50% of bare node:http on the same bodies',
      measured: `${perS(http.single.perSecond)} vs ${perS(bare.single.perSecond)} = ${pct(singleShare)}`,
      met: singleShare !== null && singleShare >= 0.5,
      baseline: 'none measured (the bare server is new)',
      engineLimit: bareSingle,
    },
    {
      figure: `HTTP ingest vs bare node:http, ${http.batch} per POST`,
      load: httpLoad(http.batched, `${http.batch} per POST`),
      target: '≥ 50% of bare node:http on the same bodies',
      measured: `${batched === null ? 'not measured' : perS(batched)} vs ${perS(bare.batched.perSecond)} = ${pct(batchedShare)}`,
      met: batchedShare !== null && batchedShare >= 0.5,
      baseline: 'none measured (the bare server is new)',
      engineLimit: bareBatched,
    },
    {
      figure: 'Redis-path ingest',
      load:
        `load generator, ${redis.loadgen.processes} process × ${redis.loadgen.connections} pipelined connections, ` +
        `${redis.loadgen.concurrency} in flight; median of ${redis.trials} alternating trials`,
      target: '≥ 80% of redis-benchmark running the same script via EVALSHA',
      measured:
        `${perS(redis.loadgen.perSecond)} = ${pct(redis.shareOfEvalsha)} of EVALSHA; ` +
        `${pct(redis.shareOfSet)} of redis-benchmark -t set (${perS(redis.set.perSecond)})`,
      met: redis.shareOfEvalsha >= 0.8,
      baseline:
        committedRedis && committedScript
          ? `${perS(Number(committedRedis.row.per_second))} vs EVALSHA ${perS(Number(committedScript.row.per_second))} ` +
            `(-P 1) — previous result, ${committedRedis.source}`
          : 'none measured',
      engineLimit:
        `${perS(redis.evalsha.perSecond)}: redis-benchmark EVALSHA of the agents' script, ` +
        `-c ${redis.evalsha.clients} -P ${redis.evalsha.pipeline}; -t set alike ${perS(redis.set.perSecond)}`,
    },
  ];
  return { figures, details: { http, bareHttp: bare, redis } };
}

export const frontierSuite: Suite = {
  name: 'frontier',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const shape = ctx.quick ? QUICK : FULL;
    const figures: Figure[] = [];
    const idleRssMb = await idleNodeRssMb();
    const emptyMs = await emptyStartMs(ctx);

    // 10k.
    const small = summarize(
      shape.small,
      await runSteadyState(ctx, {
        suite: 'frontier',
        app: 'frontier-10k',
        instances: shape.small,
        intervalMs: INTERVAL_MS,
        windowMs: shape.windowMs,
        settleMs: shape.settleMs,
        lagEveryMs: LAG_EVERY_MS,
        usageEveryMs: USAGE_EVERY_MS,
      }),
    );
    const committedSmall = committedRow('aggregator', (row) => row.instances === shape.small);
    ctx.log(`frontier: the reconcile in-process at ${k(shape.small)}, incremental and full`);
    const inProcessSmall = measureReconcileInProcess(shape.small, shape.inProcessReconciles);
    figures.push(
      ...steadyFigures(small, inProcessSmall, committedSmall, { p50Ms: 2, cpuShare: 0.03 }, idleRssMb),
    );

    // 100k, with the cold start timed before the writers begin and a bare read of the same keys.
    let raw = { ms: Number.NaN, heartbeats: 0 };
    const largeApp = 'frontier-100k';
    const largeReadings = await runSteadyState(ctx, {
      suite: 'frontier',
      app: largeApp,
      instances: shape.large,
      intervalMs: INTERVAL_MS,
      windowMs: shape.windowMs,
      settleMs: shape.settleMs,
      lagEveryMs: LAG_EVERY_MS,
      usageEveryMs: USAGE_EVERY_MS,
      timeColdStart: true,
      beforeStart: async () => {
        raw = await rawIndexReadMs(ctx.redis.url, largeApp);
      },
    });
    const large = summarize(shape.large, largeReadings);
    ctx.log(`frontier: the reconcile in-process at ${k(shape.large)}, incremental and full`);
    const inProcessLarge = measureReconcileInProcess(shape.large, shape.inProcessReconciles);
    const committedLarge = committedRow('aggregator', (row) => row.instances === shape.large);
    figures.push(
      ...steadyFigures(
        large,
        inProcessLarge,
        committedLarge,
        { p50Ms: 20, p99Ms: 60, cpuShare: 0.15, lagP99Ms: 500, rssMedianMb: 250, rssMaxMb: 300 },
        idleRssMb,
      ),
    );
    const cold = largeReadings.coldStart;
    const committedCold = committedRow(
      'collection',
      (row) => row.instances === shape.large && row.unrelated_keys === 0,
    );
    figures.push({
      figure: `cold resync at ${k(shape.large)}`,
      load: `${k(shape.large)} heartbeats in Redis, no writers`,
      target: '≤ 1 s from spawn to the first report counting every instance',
      measured: cold
        ? `${ms(cold.fullReportMs)} (report polled every 20 ms); spawn → "aggregator listening" (logged after the ` +
          `first resync) ${ms(cold.listeningMs)}; the same start on an empty app ${ms(emptyMs)}, so the resync and ` +
          `first reconcile ≈ ${ms(cold.fullReportMs - emptyMs)}; the resync as the aggregator logs it ` +
          `("resync done"): ` +
          (cold.ownResyncMs === null ? 'not logged' : ms(cold.ownResyncMs))
        : 'not measured',
      met: cold !== null && cold.fullReportMs <= 1_000,
      baseline: committedCold
        ? `${String(committedCold.row.cold_read_ms)} ms in-process collector start, naive SCAN+HGETALL ` +
          `${String(committedCold.row.naive_read_ms)} ms — previous result, ${committedCold.source}`
        : 'none measured',
      engineLimit: `${ms(raw.ms)}: a bare client's ZRANGE + MGET of the same ${raw.heartbeats} keys (1,000 per MGET, 8 in flight)`,
    });

    // The API, as the api suite measures it.
    const api = await measureReportApi(ctx, 'frontier-api');
    const summaryCase = api.summaryCase;
    const committedApi = committedRow('api', (row) => row.case === 'report without instances');
    const share = summaryCase ? summaryCase.ours.rps / summaryCase.bare.rps : 0;
    const apiLoad = `${k(api.instances)} instances, report without instances, autocannon 50 connections × ${api.durationS} s`;
    figures.push(
      {
        figure: 'API throughput vs bare node:http',
        load: apiLoad,
        target: '≥ 60% of bare node:http req/s',
        measured: summaryCase
          ? `${Math.round(summaryCase.ours.rps)} vs ${Math.round(summaryCase.bare.rps)} req/s = ${Math.round(share * 100)}%`
          : 'not measured',
        met: share >= 0.6,
        baseline: committedApi
          ? `${String(committedApi.row.aggregator_rps)} vs ${String(committedApi.row.bare_rps)} req/s = ` +
            `${Math.round(Number(committedApi.row.vs_bare) * 100)}% — previous result, ${committedApi.source}`
          : 'none measured',
        engineLimit: summaryCase
          ? `${Math.round(summaryCase.bare.rps)} req/s: bare node:http, same bytes, this run`
          : '—',
      },
      {
        figure: 'API p99 latency',
        load: apiLoad,
        target: '≤ 30 ms',
        measured: summaryCase
          ? `${summaryCase.ours.p99Ms} ms (p50 ${summaryCase.ours.p50Ms} ms)`
          : 'not measured',
        met: summaryCase !== undefined && summaryCase.ours.p99Ms <= 30,
        baseline: committedApi
          ? `${String(committedApi.row.aggregator_p99_ms)} ms — previous result, ${committedApi.source}`
          : 'none measured',
        engineLimit: summaryCase ? `${summaryCase.bare.p99Ms} ms: bare node:http, same bytes, this run` : '—',
      },
    );

    // The agent, as the agent suite measures it.
    const agent = await measureAgent(ctx);
    const committedAgent = committedRow('agent', () => true);
    figures.push({
      figure: 'agent RSS, maximum over the window',
      load: `one agent, a heartbeat every ${agent.intervalMs} ms, ${round(agent.windowMs / 1000, 0)} s after ${agent.warmupMs / 1000} s of warm-up`,
      target: '≤ 60 MB',
      measured: describeAgentRss(agent),
      met: agent.rssMaxMb <= 60,
      baseline: committedAgent
        ? `${String(committedAgent.row.rss_max_mb)} MB max (samples every 1 s) — previous result, ${committedAgent.source}`
        : 'none measured',
      engineLimit: `${round(idleRssMb, 0)} MB: an idle node process`,
    });

    // Ingest last: it flushes the server (see ingestFigures).
    const ingest = await ingestFigures(ctx);
    figures.push(...ingest.figures);

    const targets: TargetCheck[] = figures.map((f) => ({
      target: `${f.figure}: ${f.target}`,
      measured: f.measured,
      met: f.met,
    }));
    return {
      name: 'frontier',
      title: 'The performance frontier: every target beside the naive baseline and the engine limit',
      method:
        `Steady state (bench/support/steady-state.ts, as the aggregator suite): the fleet written once, the aggregator ` +
        `started (Redis mode, RECONCILE_INTERVAL_MS=1000), load generators heartbeating every instance every ` +
        `${INTERVAL_MS / 1000} s, then a ${shape.windowMs / 1000} s window: reconcile p50/p99 are the upper bounds of the ` +
        'histogram buckets holding them (replica_watch_reconcile_duration_seconds, between scrapes at the window ends), ' +
        `feed lag the p99 of replica_watch_feed_lag_seconds scraped every ${LAG_EVERY_MS} ms, CPU utime+stime from ` +
        `/proc in ${TICK_MS} ms ticks over the window, RSS VmRSS every ${USAGE_EVERY_MS} ms (median) and VmHWM reset ` +
        'through clear_refs at the window start (maximum). Cold resync: spawn → the first report counting every ' +
        "instance, before any writer starts. API, agent and ingest: the api, agent and ingest suites' measurements " +
        '(ingest last: it flushes the server). Baselines: for the reconcile, the full recomputation of the same ' +
        'records in this process beside the incremental one (bench/support/reconcile-inprocess.ts); otherwise the ' +
        'committed full run before this work (bench/results/full/), named. Everything shares the 2 cores.',
      rows: figures.map((f) => ({
        figure: f.figure,
        load: f.load,
        target: f.target,
        measured: f.measured,
        met: f.met ? 'yes' : 'no',
        baseline: f.baseline,
        engine_limit: f.engineLimit,
      })),
      targets,
      details: {
        shape,
        idleRssMb,
        emptyStartMs: emptyMs,
        rawRead: raw,
        coldStart: cold,
        small,
        large,
        inProcess: { small: inProcessSmall, large: inProcessLarge },
        ingest: ingest.details,
      },
    };
  },
};
