/**
 * `npm run loadgen -- --instances N --interval-ms MS`: heartbeats of N simulated agents, written
 * the way real agents write them (Redis named by the environment as agents read it: REDIS_URL,
 * REDIS_CLUSTER_NODES or REDIS_SENTINELS; or --aggregator-url for HTTP ingest, one heartbeat per
 * POST or --batch N per POST), until SIGINT/SIGTERM or --duration-ms. Prints a progress line
 * every few seconds and a JSON summary at the end. Exit codes: 0 done, 1 failed to start, 2 bad
 * flags. The command line itself is bench/loadgen/cli.ts.
 */
import { maskUrlCredentials } from '../shared/logger';
import { runLoadgenCli } from './loadgen/cli';

const abort = new AbortController();
const stop = () => abort.abort();
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

runLoadgenCli(
  process.argv.slice(2),
  process.env,
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    pid: process.pid,
  },
  abort.signal,
).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `loadgen: ${maskUrlCredentials(err instanceof Error ? err.message : String(err))}\n`,
    );
    process.exitCode = 1;
  },
);
