#!/usr/bin/env node
/**
 * `replica-watch status` and `replica-watch diagnose`: the aggregator's report in a terminal.
 * Reads from a running aggregator (--url, default REPLICA_WATCH_URL or http://localhost:8080);
 * the bearer token comes from AGGREGATOR_API_TOKEN, never from the command line.
 */
import { parseArgs } from 'node:util';
import type { Report } from '../reconcile/report';
import { formatDiagnosis, formatStatus } from '../report-format';
import { runFix } from './fix';
import { terminalQuestions } from './prompt';

const USAGE = `usage: replica-watch <command> [--url URL] [--json]

commands:
  status     one row per component: desired, dashboard ready, listed, live, serving, verdict
  diagnose   the findings of each component, their instances and what to do
  fix        restart or scale one component through the DigitalOcean API, safely
             (replica-watch fix --help)

options:
  --url URL  the aggregator (default: $REPLICA_WATCH_URL, else http://localhost:8080)
  --json     print the report as JSON instead of text

environment:
  AGGREGATOR_API_TOKEN  sent as the bearer token when set

exit codes: 0 no discrepancy, 1 discrepancy found, 2 usage error, 3 aggregator unreachable`;

export const EXIT = { ok: 0, discrepancy: 1, usage: 2, unreachable: 3 } as const;

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** For commands that ask before changing anything (fix): a person can answer, and how to ask. */
  readonly interactive?: boolean;
  readonly ask?: (question: string) => Promise<string>;
}

async function fetchReport(baseUrl: string, token: string | undefined): Promise<Report> {
  const url = new URL('/api/v1/monitoring/replicas', baseUrl);
  const res = await fetch(url, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status === 401 || res.status === 403) {
    throw new Error(
      `the aggregator at ${baseUrl} refused the request (${res.status}): set AGGREGATOR_API_TOKEN`,
    );
  }
  if (!res.ok) throw new Error(`the aggregator at ${baseUrl} answered ${res.status}`);
  return (await res.json()) as Report;
}

/** Runs the CLI; returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // fix talks to the platform, not to the aggregator: its own options and exit codes.
  if (argv[0] === 'fix') return runFix(argv.slice(1), io);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const [command, ...extra] = parsed.positionals;
  if (parsed.values.help) {
    io.out(`${USAGE}\n`);
    return EXIT.ok;
  }
  if ((command !== 'status' && command !== 'diagnose') || extra.length > 0) {
    io.err(
      `${command === undefined ? 'no command given' : `unknown command "${[command, ...extra].join(' ')}"`}\n\n${USAGE}\n`,
    );
    return EXIT.usage;
  }
  const baseUrl = parsed.values.url ?? io.env.REPLICA_WATCH_URL ?? 'http://localhost:8080';
  try {
    new URL(baseUrl);
  } catch {
    io.err(`--url ${JSON.stringify(baseUrl)} is not a URL (e.g. http://localhost:8080)\n`);
    return EXIT.usage;
  }
  let report: Report;
  try {
    report = await fetchReport(baseUrl, io.env.AGGREGATOR_API_TOKEN);
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (err as Error).message;
    io.err(
      `cannot read the report from ${baseUrl}: ${reason}\nIs the aggregator running there? (npm run aggregator, or --url)\n`,
    );
    return EXIT.unreachable;
  }
  if (parsed.values.json) {
    io.out(
      `${JSON.stringify(command === 'status' ? { ...report, instances: undefined } : report, null, 2)}\n`,
    );
  } else {
    io.out(command === 'status' ? `${formatStatus(report)}\n` : formatDiagnosis(report));
  }
  return report.summary.discrepancy ? EXIT.discrepancy : EXIT.ok;
}

if (require.main === module) {
  runCli(process.argv.slice(2), {
    env: process.env,
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    ...terminalQuestions(),
  }).then((code) => {
    process.exitCode = code;
  });
}
