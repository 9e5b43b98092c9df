#!/usr/bin/env node
/**
 * `replica-watch status` and `replica-watch diagnose`: the aggregator's report in a terminal.
 * Reads from a running aggregator (--url, default REPLICA_WATCH_URL or http://localhost:8080);
 * the bearer token comes from AGGREGATOR_API_TOKEN, never from the command line. An aggregator
 * of many apps is shown as its fleet (GET /api/v1/apps), worst first; `--app` picks one.
 */
import { parseArgs } from 'node:util';
import type { FleetView } from '../fleet/fleet-view';
import { blindApps, formatFleet } from '../fleet/fleet-format';
import type { Report } from '../reconcile/report';
import { blindReasons, formatDiagnosis, formatStatus, isBlind } from '../report-format';
import { networkCode, networkProblem } from './failure-text';
import { runFix } from './fix';
import { terminalQuestions } from './prompt';
import type { CliIo } from './io';

const USAGE = `usage: replica-watch <command> [--url URL] [--app APP] [--json]

commands:
  status     one row per component: desired, dashboard ready, listed, live, serving, verdict;
             on an aggregator of many apps, one row per app (worst first) with the waste
  diagnose   the findings of each component, their instances and what to do; on an
             aggregator of many apps, the fleet and then every app that is not ok
  fix        restart or scale one component through the DigitalOcean API, safely
             (replica-watch fix --help)

options:
  --url URL  the aggregator (default: $REPLICA_WATCH_URL, else http://localhost:8080)
  --app APP  one app of an aggregator of many (its name in GET /api/v1/apps)
  --json     print the report (or the fleet) as JSON instead of text

environment:
  AGGREGATOR_API_TOKEN  sent as the bearer token when set (the aggregator's own AGGREGATOR_API_TOKEN)

exit codes: 0 no discrepancy, 1 discrepancy found, 2 usage error, 3 no report (the aggregator
is unreachable, refused the token, answered no report or knows no such --app), 4 blind: the
report's verdict is degraded (the aggregator cannot read the platform or the heartbeats; the
cause is printed); for a fleet, the worst over its apps, 4 also when listing the apps fails`;

/**
 * Exit codes of `status` and `diagnose`. `degraded` outranks `discrepancy`: a blind aggregator's
 * counts explain nothing, so a script must not read them as "the counts disagree" or as green.
 */
export const EXIT = { ok: 0, discrepancy: 1, usage: 2, unreachable: 3, degraded: 4 } as const;

/** The report could not be had: why, in words, and what to do. */
class ReportUnavailable extends Error {
  constructor(
    readonly reason: string,
    readonly hint: string,
  ) {
    super(reason);
    this.name = 'ReportUnavailable';
  }
}

const FETCH_TIMEOUT_MS = 10_000;
const TOKEN_HINT =
  "Set AGGREGATOR_API_TOKEN to the aggregator's own AGGREGATOR_API_TOKEN (it is never taken from the command line).";
const URL_HINT = 'Is --url (or REPLICA_WATCH_URL) the replica-watch aggregator?';

/**
 * GET `path` (relative to the base's path, so an aggregator served under a prefix such as
 * https://app/replica-watch is reached there, not at the host's root) as JSON. A 404 is null
 * when `missingOk` (an older aggregator without the route); every other failure is thrown in words.
 */
async function fetchJson(
  baseUrl: string,
  path: string,
  token: string | undefined,
  missingOk = false,
): Promise<unknown> {
  const url = new URL(path, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  let res: Response;
  try {
    res = await fetch(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch (err) {
    throw unreachable(err);
  }
  if (!res.ok) {
    const refusal = (await res.json().catch(() => null)) as { error?: unknown; apps?: unknown } | null;
    if (res.status === 401 || res.status === 403) {
      throw new ReportUnavailable(
        token
          ? `the aggregator refused the token (HTTP ${res.status}): AGGREGATOR_API_TOKEN is not the token it was started with.`
          : `the aggregator refused the request (HTTP ${res.status}): it wants a token, and AGGREGATOR_API_TOKEN is not set.`,
        TOKEN_HINT,
      );
    }
    if (refusal?.error !== undefined && typeof refusal.error === 'string' && url.searchParams.has('app')) {
      const apps = Array.isArray(refusal.apps) ? refusal.apps.filter((a) => typeof a === 'string') : [];
      throw new ReportUnavailable(
        `${refusal.error} (HTTP ${res.status}).`,
        apps.length > 0 ? `Its apps include: ${apps.join(', ')}.` : 'replica-watch status lists its apps.',
      );
    }
    if (res.status === 404) {
      if (missingOk) return null;
      throw new ReportUnavailable(`there is no ${url.pathname} (HTTP 404).`, URL_HINT);
    }
    throw new ReportUnavailable(
      `the aggregator answered HTTP ${res.status}.`,
      "The aggregator's logs say why; try again in a moment.",
    );
  }
  try {
    return await res.json();
  } catch (err) {
    // A cut-off body is a network failure; a page that is not JSON is not a report (the caller says so).
    if (networkCode(err) !== null) throw unreachable(err);
    return null;
  }
}

async function fetchReport(baseUrl: string, token: string | undefined, app: string | null): Promise<Report> {
  const path = `api/v1/monitoring/replicas${app === null ? '' : `?app=${encodeURIComponent(app)}`}`;
  const report = (await fetchJson(baseUrl, path, token)) as Partial<Report> | null;
  if (typeof report?.summary !== 'object' || report.summary === null || !Array.isArray(report.components)) {
    throw new ReportUnavailable('the answer is not a replica-watch report.', URL_HINT);
  }
  return report as Report;
}

/**
 * The fleet; null from an aggregator older than GET /api/v1/apps (or from something that is no
 * aggregator at all: the report route, asked next, says which).
 */
async function fetchFleet(baseUrl: string, token: string | undefined): Promise<FleetView | null> {
  const fleet = (await fetchJson(baseUrl, 'api/v1/apps', token, true)) as Partial<FleetView> | null;
  const isFleet = Array.isArray(fleet?.apps) && typeof fleet?.totals === 'object' && fleet.totals !== null;
  return isFleet ? (fleet as FleetView) : null;
}

/** A fleet's exit code: blind outranks a discrepancy, as for one report. */
function fleetExit(view: FleetView): number {
  if (view.discovery?.status === 'failing' || view.discovery?.status === 'pending') return EXIT.degraded;
  if (blindApps(view).length > 0) return EXIT.degraded;
  return view.apps.some((a) => a.verdict !== 'ok') ? EXIT.discrepancy : EXIT.ok;
}

/** No answer: the reason in words (the raw code in parentheses), and the hint that fits it. */
function unreachable(err: unknown): ReportUnavailable {
  const code = networkCode(err);
  const hint =
    code === 'ECONNREFUSED'
      ? 'Is the aggregator running there? (npm run aggregator, or --url)'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'Check the host name in --url (or REPLICA_WATCH_URL).'
        : (err as { name?: unknown } | null)?.name === 'TimeoutError'
          ? `It did not answer within ${FETCH_TIMEOUT_MS / 1000} s: is it overloaded, or is --url right?`
          : 'Check --url (or REPLICA_WATCH_URL) and that the aggregator is up there.';
  return new ReportUnavailable(`${networkProblem(err)}.`, hint);
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
        app: { type: 'string' },
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
  const app = parsed.values.app ?? null;
  if (app !== null && app.trim() === '') {
    io.err('--app wants an app name (replica-watch status lists them)\n');
    return EXIT.usage;
  }
  const token = io.env.AGGREGATOR_API_TOKEN?.trim() || undefined;
  let report: Report;
  try {
    const fleet = app === null ? await fetchFleet(baseUrl, token) : null;
    // One app (or an aggregator older than the fleet): its report, as always.
    if (fleet !== null && (fleet.apps.length !== 1 || fleet.discovery !== null)) {
      return await showFleet(command, fleet, { baseUrl, token, json: parsed.values.json, io });
    }
    report = await fetchReport(baseUrl, token, app);
  } catch (err) {
    const why = err instanceof ReportUnavailable ? err : unreachable(err);
    io.err(`cannot read the report from ${baseUrl}: ${why.reason}\n${why.hint}\n`);
    return EXIT.unreachable;
  }
  if (parsed.values.json) {
    io.out(
      `${JSON.stringify(command === 'status' ? { ...report, instances: undefined } : report, null, 2)}\n`,
    );
  } else {
    io.out(command === 'status' ? `${formatStatus(report)}\n` : formatDiagnosis(report));
  }
  if (isBlind(report)) {
    // The text already shows the cause; under --json it goes to stderr, beside the JSON.
    if (parsed.values.json) {
      io.err(
        `verdict degraded: the aggregator is blind:\n${blindReasons(report)
          .map((r) => `  ${r}\n`)
          .join('')}`,
      );
    }
    return EXIT.degraded;
  }
  return report.summary.discrepancy ? EXIT.discrepancy : EXIT.ok;
}

/**
 * `status`: the fleet table. `diagnose`: the fleet table, then the diagnosis of every app that
 * is not ok, worst first.
 */
async function showFleet(
  command: 'status' | 'diagnose',
  fleet: FleetView,
  options: { baseUrl: string; token: string | undefined; json: boolean; io: CliIo },
): Promise<number> {
  const { io } = options;
  const troubled = command === 'diagnose' ? fleet.apps.filter((a) => a.verdict !== 'ok') : [];
  const reports: Report[] = [];
  for (const app of troubled) reports.push(await fetchReport(options.baseUrl, options.token, app.app));
  if (options.json) {
    io.out(`${JSON.stringify(command === 'status' ? fleet : { ...fleet, reports }, null, 2)}\n`);
  } else {
    io.out(`${formatFleet(fleet)}\n`);
    for (const report of reports)
      io.out(`\n== ${report.app_name ?? report.app} (${report.app}) ==\n${formatDiagnosis(report)}`);
  }
  return fleetExit(fleet);
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
