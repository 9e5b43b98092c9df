/**
 * The API under load: req/s and p99 latency of GET /api/v1/monitoring/replicas without the
 * instance list and with 10k instances, autocannon with 50 connections, next to a bare
 * node:http server (another process) sending the very same bytes.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { fillFleet } from '../support/fill';
import { getText, pollFor, spawnNode } from '../support/processes';
import { round } from '../support/stats';
import type { BenchContext, Suite, SuiteResult } from './types';
import { serverEngine } from '../../shared/redis-engine';

const CONNECTIONS = 50;

/** One autocannon run. */
export interface Load {
  readonly rps: number;
  readonly p99Ms: number;
  readonly p50Ms: number;
  readonly errors: number;
  readonly non2xx: number;
}

async function load(url: string, durationS: number): Promise<Load> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: durationS, pipelining: 1 });
  return {
    rps: result.requests.average,
    p99Ms: result.latency.p99,
    p50Ms: result.latency.p50,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** What one run of the API measurement gives: per case, ours and the bare server's. */
export interface ApiMeasurement {
  readonly instances: number;
  readonly durationS: number;
  readonly rows: SuiteResult['rows'];
  readonly cases: Record<string, { readonly ours: Load; readonly bare: Load; readonly bytes: number }>;
  /** The case the targets are about: the report without instances. */
  readonly summaryCase: { readonly ours: Load; readonly bare: Load; readonly bytes: number } | undefined;
  /** How it was measured, in a sentence or two. */
  readonly method: string;
}

/** The name of the case the targets are about. */
export const SUMMARY_CASE = 'report without instances';

/**
 * An aggregator with 10k instances (Redis mode, a reconcile every second), each report case
 * loaded with autocannon for `durationS` (quick: 2 s, full: 15 s), then a bare node:http server
 * sending the same bytes.
 */
export async function measureReportApi(ctx: BenchContext, app = 'bench-api'): Promise<ApiMeasurement> {
  const durationS = ctx.quick ? 2 : 15;
  const instances = 10_000;
  const aggregator = spawnNode('aggregator/main.js', {
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: ctx.redis.url,
    AGGREGATOR_APP: app,
    RECONCILE_INTERVAL_MS: '1000',
    DESIRED_REPLICAS: String(Math.ceil(instances / 3)),
    LOG_LEVEL: 'info',
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'rw-bench-api-'));
  const bare: ReturnType<typeof spawnNode>[] = [];
  try {
    const listening = await aggregator.waitFor('aggregator listening');
    const base = `http://127.0.0.1:${String(listening.port)}`;
    // Every instance heartbeats once (a long TTL keeps them in the report for the whole suite).
    ctx.log(`api: loading ${instances} instances`);
    await fillFleet({
      redis: serverEngine(ctx.redis.url),
      app,
      instances,
      intervalMs: 10_000,
      ttlMs: 600_000,
    });
    await pollFor(
      'the report to list every instance',
      async () => {
        const summary = JSON.parse(await getText(`${base}/api/v1/monitoring/replicas?instances=false`)) as {
          summary: { active_instances: number };
        };
        return summary.summary.active_instances >= instances ? true : undefined;
      },
      60_000,
      200,
    );

    const rows: SuiteResult['rows'] = [];
    const cases = [
      { name: SUMMARY_CASE, query: '?instances=false' },
      { name: `report with ${instances / 1000}k instances`, query: '' },
    ];
    const measured: Record<string, { ours: Load; bare: Load; bytes: number }> = {};
    for (const c of cases) {
      const url = `${base}/api/v1/monitoring/replicas${c.query}`;
      const body = await getText(url);
      const file = path.join(dir, `${c.query === '' ? 'full' : 'summary'}.json`);
      writeFileSync(file, body);
      const server = spawnNode('bench/workers/bare-server.js', { BODY_FILE: file });
      bare.push(server);
      const bareUrl = `http://127.0.0.1:${String((await server.waitFor('bare listening')).port)}/`;
      ctx.log(`api: ${c.name}: aggregator`);
      const ours = await load(url, durationS);
      ctx.log(`api: ${c.name}: bare node:http`);
      const yardstick = await load(bareUrl, durationS);
      await server.stop();
      measured[c.name] = { ours, bare: yardstick, bytes: Buffer.byteLength(body) };
      rows.push({
        case: c.name,
        body_bytes: Buffer.byteLength(body),
        aggregator_rps: round(ours.rps, 0),
        aggregator_p50_ms: ours.p50Ms,
        aggregator_p99_ms: ours.p99Ms,
        bare_rps: round(yardstick.rps, 0),
        bare_p99_ms: yardstick.p99Ms,
        vs_bare: round(ours.rps / yardstick.rps, 2),
        errors: ours.errors + ours.non2xx,
      });
    }
    return {
      instances,
      durationS,
      rows,
      cases: measured,
      summaryCase: measured[SUMMARY_CASE],
      method:
        `autocannon, ${CONNECTIONS} connections, ${durationS} s per case, against an aggregator (Redis mode, a reconcile ` +
        `every second, ${instances} instances) and then against a bare node:http server in its own process sending the ` +
        "same bytes. autocannon runs in the benchmark's process on the same 2 cores.",
    };
  } finally {
    await Promise.all(bare.map((b) => b.stop()));
    await aggregator.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const apiSuite: Suite = {
  name: 'api',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const { rows, summaryCase, method, cases } = await measureReportApi(ctx);
    const share = summaryCase ? summaryCase.ours.rps / summaryCase.bare.rps : 0;
    return {
      name: 'api',
      title: 'The report API under load, next to a bare node:http server',
      method,
      rows,
      targets: [
        {
          target: 'report without instances: ≥ 40% of bare node:http req/s',
          measured: summaryCase
            ? `${Math.round(summaryCase.ours.rps)} vs ${Math.round(summaryCase.bare.rps)} req/s = ${Math.round(share * 100)}%`
            : 'not measured',
          met: share >= 0.4,
        },
        {
          target: 'report without instances: p99 ≤ 30 ms at 50 connections',
          measured: summaryCase ? `${summaryCase.ours.p99Ms} ms` : 'not measured',
          met: summaryCase !== undefined && summaryCase.ours.p99Ms <= 30,
        },
      ],
      details: cases,
    };
  },
};
