/**
 * The fleet page's words: what a row of the apps table and the totals line say about
 * GET api/v1/apps (its shape is the server's, aggregator/fleet/fleet-view.ts). Pure functions, no DOM: the fleet page imports them (`dashboard/fleet-text.js`)
 * and the tests import this source (test/integration/dashboard-fleet.test.ts).
 *
 * What cannot be known is said so: a waste or a surplus the aggregator cannot estimate is
 * "unknown", never $0; an app without agents has "no agents", never 0 active.
 */
import type { DiscoveryState, FleetApp, FleetView } from '../../fleet/fleet-view';
import type { FindingCode, Verdict } from '../../reconcile/report';
import type { Badge } from './vocabulary';

export type { FleetApp, FleetView };

// No value imported from a sibling: the tests load this source as it is, where `./text.js`
// names no file. These two are text.ts's `num` and `plural`.
const DASH = '\u2014';

/** A count, or a dash when it is unknown. */
function num(value: number | null | undefined): string {
  return value === null || value === undefined ? DASH : String(value);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A row of the apps table: every text it shows, and its link. */
export interface FleetRowView {
  readonly app: string;
  /** The app's page, relative to the fleet page. */
  readonly href: string;
  /** The platform's name for the app, else its key. */
  readonly name: string;
  /** The platform's app id, shown small under the name; null when unknown. */
  readonly appId: string | null;
  readonly verdict: Verdict;
  /** Why the verdict may mean less than it says ("not reconciled yet"); null when nothing to add. */
  readonly note: string | null;
  readonly configured: string;
  readonly active: string;
  /** The app has no agents: `active` says so rather than count. */
  readonly noAgents: boolean;
  readonly ready: string;
  readonly listed: string;
  readonly findings: readonly { readonly code: string; readonly label: string }[];
  readonly surplus: string;
  readonly surplusKnown: boolean;
  readonly waste: string;
  /** Whether the waste is an estimate (false: "unknown"). */
  readonly wasteKnown: boolean;
}

const UNKNOWN = 'unknown';

// en-US whatever the browser's locale: the unit is USD and the page's words are English.
const USD = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

/** "$48.00/mo", "$1,234.50/mo"; "unknown" when the estimate is null (never $0). */
export function monthlyUsd(usd: number | null | undefined): string {
  if (typeof usd !== 'number' || !Number.isFinite(usd)) return UNKNOWN;
  return `${USD.format(usd)}/mo`;
}

/** A count that may be unknown, in words: "unknown" rather than a dash or 0. */
function known(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : UNKNOWN;
}

/**
 * What a row of the apps table shows of `app`; `href` is the address of its page, relative to
 * the fleet page's (appPageHref in api.ts).
 */
export function fleetRow(
  app: FleetApp,
  href: string,
  findingLabel: (code: FindingCode) => string,
): FleetRowView {
  const noAgents = app.agentless || app.active_instances === null;
  const note =
    app.generated_at === null
      ? 'not reconciled yet'
      : app.platform_data_age_ms === null
        ? 'no platform data'
        : null;
  const surplus = known(app.surplus_instances);
  const waste = monthlyUsd(app.estimated_monthly_waste_usd);
  return {
    app: app.app,
    href,
    name: app.name ?? app.app,
    appId: app.app_id,
    verdict: app.verdict,
    note,
    configured: num(app.configured_replicas),
    active: noAgents ? 'no agents' : num(app.active_instances),
    noAgents,
    ready: num(app.platform_ready),
    listed: num(app.platform_instances),
    findings: app.finding_codes.map((code) => ({ code, label: findingLabel(code as FindingCode) })),
    surplus,
    surplusKnown: surplus !== UNKNOWN,
    waste,
    wasteKnown: waste !== UNKNOWN,
  };
}

/**
 * The totals line: "3 apps (1 Discrepancy, 1 Degraded, 1 OK) · surplus 2 instances · waste
 * $48.00/mo". A total over apps of which some are unknown is a floor, and says so.
 */
export function totalsText(answer: FleetView, verdicts: Readonly<Record<Verdict, Badge>>): string {
  const { totals, apps } = answer;
  const counts = new Map<Verdict, number>();
  for (const app of apps) counts.set(app.verdict, (counts.get(app.verdict) ?? 0) + 1);
  const byVerdict = (Object.keys(verdicts) as Verdict[])
    .filter((v) => counts.get(v))
    .reverse()
    .map((v) => `${counts.get(v)} ${verdicts[v].label}`)
    .join(', ');
  const unknownApps = (pick: (app: FleetApp) => number | null): number =>
    apps.filter((app) => pick(app) === null).length;
  // A sum that leaves unknown apps out is a floor.
  const total = (value: number | null, unknown: number, words: (n: number) => string): string =>
    value === null
      ? UNKNOWN
      : unknown > 0
        ? `at least ${words(value)} (${plural(unknown, 'app')} unknown)`
        : words(value);
  const surplus = total(
    totals.surplus_instances,
    unknownApps((app) => app.surplus_instances),
    (n) => plural(n, 'instance'),
  );
  const waste = total(
    totals.estimated_monthly_waste_usd,
    unknownApps((app) => app.estimated_monthly_waste_usd),
    monthlyUsd,
  );
  return (
    `${plural(totals.apps, 'app')}${byVerdict ? ` (${byVerdict})` : ''}` +
    ` \u00b7 surplus ${surplus} \u00b7 waste ${waste}`
  );
}

/** Whether `body` has the shape of GET api/v1/apps' answer (enough of it to draw the table). */
export function isFleetView(body: unknown): body is FleetView {
  if (typeof body !== 'object' || body === null) return false;
  const { apps, totals } = body as { apps?: unknown; totals?: unknown };
  return (
    Array.isArray(apps) &&
    apps.every(
      (app: unknown) =>
        typeof app === 'object' &&
        app !== null &&
        typeof (app as { app?: unknown }).app === 'string' &&
        Array.isArray((app as { finding_codes?: unknown }).finding_codes),
    ) &&
    typeof totals === 'object' &&
    totals !== null
  );
}

/** A banner about how the list of apps was read (DO_APP_ID=*); null when it is fine or configured. */
export interface DiscoveryBanner {
  readonly level: 'warn' | 'info';
  readonly text: string;
}

/**
 * "App discovery failing: …": the apps listed may be out of date. `when` words a time (the
 * page's own clock words, so that this stays pure).
 */
export function discoveryBanner(
  discovery: DiscoveryState | null | undefined,
  when: (iso: string) => string,
): DiscoveryBanner | null {
  if (!discovery || discovery.status === 'ok') return null;
  if (discovery.status === 'pending') {
    return { level: 'info', text: 'Discovering the apps of the account (DO_APP_ID=*); none is listed yet.' };
  }
  const listed = discovery.listed_at
    ? `the list is the one read at ${when(discovery.listed_at)}`
    : 'no list has been read yet';
  return {
    level: 'warn',
    text: `App discovery failing${discovery.error ? `: ${discovery.error}` : ''}; ${listed}.`,
  };
}
