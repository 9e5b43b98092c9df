/**
 * `npm run bench [-- --quick] [-- --only a,b]`: runs the benchmark suites against a private
 * redis-server, writes bench/results/<suite>.json and the results section of
 * docs/benchmarks.md. Never part of `npm test`. Exit codes: 0 done, 1 a suite failed, 2 bad flags.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { machineInfo, type MachineInfo } from './support/machine';
import { startBenchRedis } from './support/redis-server';
import { renderResults, replaceSection } from './support/report';
import { agentSuite } from './suites/agent';
import { aggregatorSuite } from './suites/aggregator';
import { apiSuite } from './suites/api';
import { collectionSuite } from './suites/collection';
import { detectionSuite } from './suites/detection';
import { frontierSuite } from './suites/frontier';
import { ingestSuite } from './suites/ingest';
import { scaleOutSuite } from './suites/scale-out';
import type { Suite, SuiteResult } from './suites/types';

const SUITES: readonly Suite[] = [
  collectionSuite,
  ingestSuite,
  apiSuite,
  agentSuite,
  aggregatorSuite,
  detectionSuite,
  scaleOutSuite,
  frontierSuite,
];

/** The repository root: dist/bench/main.js lives two levels below it. */
const ROOT = path.resolve(__dirname, '..', '..');

export interface BenchRun {
  readonly quick: boolean;
  readonly startedAt: string;
  readonly machine: MachineInfo;
  readonly results: SuiteResult[];
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      strict: true,
      options: {
        quick: { type: 'boolean' },
        only: { type: 'string' },
        'no-doc': { type: 'boolean' },
        'results-dir': { type: 'string' },
      },
    }));
  } catch (err) {
    process.stderr.write(
      `bench: ${(err as Error).message}\nusage: npm run bench -- [--quick] [--only ${SUITES.map((s) => s.name).join(',')}] ` +
        '[--no-doc] [--results-dir DIR]\n',
    );
    return 2;
  }
  const only = values.only?.split(',').map((s) => s.trim());
  const unknown = only?.filter((name) => !SUITES.some((s) => s.name === name)) ?? [];
  if (unknown.length > 0) {
    process.stderr.write(
      `bench: unknown suite ${unknown.join(', ')}; suites: ${SUITES.map((s) => s.name).join(', ')}\n`,
    );
    return 2;
  }
  const quick = values.quick ?? false;
  const selected = SUITES.filter((s) => !only || only.includes(s.name));
  const redis = await startBenchRedis();
  const log = (message: string) => process.stderr.write(`bench: ${message}\n`);
  const run: BenchRun = {
    quick,
    startedAt: new Date().toISOString(),
    machine: machineInfo(redis.version),
    results: [],
  };
  // Elsewhere (with --no-doc) for a trial run that must not replace the committed results.
  const resultsDir = values['results-dir']
    ? path.resolve(values['results-dir'])
    : path.join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  let failed = false;
  const startedMs = Date.now();
  try {
    for (const suite of selected) {
      const suiteStartedMs = Date.now();
      log(`${suite.name}: starting`);
      try {
        const result = await suite.run({ quick, redis, log });
        run.results.push(result);
        const file = path.join(resultsDir, `${suite.name}.json`);
        const seconds = Math.round((Date.now() - suiteStartedMs) / 100) / 10;
        writeFileSync(
          file,
          `${JSON.stringify({ quick, startedAt: run.startedAt, machine: run.machine, seconds, ...result }, null, 2)}\n`,
        );
        log(`${suite.name}: done in ${seconds} s`);
        for (const t of result.targets) log(`  ${t.met ? 'met    ' : 'MISSED '} ${t.target}: ${t.measured}`);
      } catch (err) {
        failed = true;
        log(`${suite.name}: FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
    }
  } finally {
    await redis.stop();
  }
  log(`all done in ${Math.round((Date.now() - startedMs) / 1000)} s`);
  if (!values['no-doc'] && run.results.length > 0) {
    const doc = path.join(ROOT, 'docs', 'benchmarks.md');
    const all = SUITES.map((s) => readResult(resultsDir, s.name)).filter(
      (r): r is SuiteResult & SavedMeta => r !== null,
    );
    writeFileSync(doc, replaceSection(readFileSync(doc, 'utf8'), renderResults(all)));
    log(`wrote ${path.relative(ROOT, doc)}`);
  }
  return failed ? 1 : 0;
}

/** What each results file adds to the suite's own result. */
export interface SavedMeta {
  readonly quick: boolean;
  readonly startedAt: string;
  readonly machine: MachineInfo;
  readonly seconds: number;
}

function readResult(dir: string, name: string): (SuiteResult & SavedMeta) | null {
  try {
    return JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')) as SuiteResult & SavedMeta;
  } catch {
    return null;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
