/**
 * The fleet as text for a terminal (aggregator/fleet/fleet-format.ts): one row per app, dollars
 * a month or "unknown" (never $0 for unknown), "no agents" for an agentless app, the totals
 * line, and a BLIND line when the listing fails or apps cannot be trusted.
 */
import { blindApps, formatFleet, formatWaste } from '../../aggregator/fleet/fleet-format';
import type { DiscoveryState, FleetApp, FleetView } from '../../aggregator/fleet/fleet-view';
import { fleetRow, orphanedFleetRow, unshardedState } from '../support/fleet';

const app = fleetRow;

const SHOP = orphanedFleetRow({ app: 'id-shop', name: 'shop' });
const LEDGER = app({
  app: 'ledger',
  name: 'ledger',
  verdict: 'degraded',
  configured_replicas: null,
  active_instances: null,
  platform_ready: 3,
  platform_instances: 3,
  surplus_instances: null,
  estimated_monthly_waste_usd: null,
  agentless: true,
  degraded: true,
});
const BLOG = app({ app: 'blog', verdict: 'ok' });

function view(apps: FleetApp[], discovery: DiscoveryState | null = null): FleetView {
  return {
    generated_at: '2026-01-02T03:04:06.000Z',
    apps,
    totals: {
      apps: apps.length,
      by_verdict: {
        ok: apps.filter((a) => a.verdict === 'ok').length,
        discrepancy: apps.filter((a) => a.verdict === 'discrepancy').length,
        rolling: apps.filter((a) => a.verdict === 'rolling').length,
        degraded: apps.filter((a) => a.verdict === 'degraded').length,
      },
      surplus_instances: 4,
      estimated_monthly_waste_usd: 48,
      unknown_waste_apps: apps.filter((a) => a.estimated_monthly_waste_usd === null).length,
    },
    discovery,
    shards: unshardedState(apps.length),
  };
}

/** The table's line of an app (the line that starts with its label). */
function lineOf(text: string, label: string): string {
  const line = text.split('\n').find((l) => l.startsWith(`${label} `));
  if (line === undefined) throw new Error(`no line for ${label} in:\n${text}`);
  return line;
}

describe('formatWaste', () => {
  test.each<[number | null, string]>([
    [48, '$48.00/mo'],
    [0, '$0.00/mo'],
    [37.32, '$37.32/mo'],
    [0.1, '$0.10/mo'],
    [null, 'unknown'],
  ])('%p → %s', (usd, text) => {
    expect(formatWaste(usd)).toBe(text);
  });
});

describe('formatFleet', () => {
  const text = formatFleet(view([SHOP, LEDGER, BLOG]));

  test('one row per app, worst first as given, under a header', () => {
    const lines = text.split('\n');
    const header = lines.findIndex((l) => l.startsWith('APP '));
    expect(header).toBeGreaterThan(0);
    expect(lines[header]).toMatch(
      /^APP\s+VERDICT\s+CONFIGURED\s+ACTIVE\s+DASHBOARD READY\s+LISTED\s+SURPLUS\s+WASTE\s+FINDINGS$/,
    );
    expect(lines.slice(header + 1).map((l) => l.split(/\s+/)[0])).toEqual(['shop', 'ledger', 'blog']);
  });

  test('a costly app: its counts, "$48.00/mo" and its finding codes; its name with its id', () => {
    const line = lineOf(text, 'shop (id-shop)');
    expect(line.split(/\s{2,}/)).toEqual([
      'shop (id-shop)',
      'discrepancy',
      '2',
      '6',
      '6',
      '6',
      '4',
      '$48.00/mo',
      'ORPHANED_INSTANCES,SURPLUS_INSTANCES',
    ]);
  });

  test('an agentless app: "no agents", unknown counts as "?", waste "unknown" (never $0)', () => {
    const line = lineOf(text, 'ledger');
    expect(line.split(/\s{2,}/)).toEqual([
      'ledger',
      'degraded',
      '?',
      'no agents',
      '3',
      '3',
      '?',
      'unknown',
      '-',
    ]);
    expect(line).not.toContain('$0');
  });

  test('an app without a name is shown by its app, without parentheses', () => {
    expect(lineOf(text, 'blog').split(/\s{2,}/)).toEqual([
      'blog',
      'ok',
      '2',
      '2',
      '2',
      '2',
      '0',
      '$0.00/mo',
      '-',
    ]);
  });

  test('an app that has agents but none counted yet shows "?" for active, not "no agents"', () => {
    const line = lineOf(
      formatFleet(view([app({ app: 'fresh', verdict: 'ok', active_instances: null })])),
      'fresh',
    );
    expect(line.split(/\s{2,}/)[3]).toBe('?');
  });

  test('the totals line: apps, the verdicts seen, the surplus, the waste and how many are unknown', () => {
    expect(text.split('\n')[0]).toBe(
      '3 apps: 1 ok, 1 discrepancy, 1 degraded · surplus 4 · estimated waste $48.00/mo (1 of them unknown)',
    );
  });

  test('the totals line of one app, all known', () => {
    const one = view([BLOG]);
    const first = formatFleet({
      ...one,
      totals: { ...one.totals, surplus_instances: 0, estimated_monthly_waste_usd: 0 },
    }).split('\n')[0];
    expect(first).toBe('1 app: 1 ok · surplus 0 · estimated waste $0.00/mo');
  });

  test('unknown totals are said to be unknown', () => {
    const unknown = view([LEDGER]);
    const first = formatFleet({
      ...unknown,
      totals: { ...unknown.totals, surplus_instances: null, estimated_monthly_waste_usd: null },
    }).split('\n')[0];
    expect(first).toBe('1 app: 1 degraded · surplus unknown · estimated waste unknown (1 of them unknown)');
  });

  test('a BLIND line names the apps that cannot be trusted (degraded)', () => {
    const blind = text.split('\n').filter((l) => l.startsWith('BLIND'));
    expect(blind).toEqual(['BLIND: ledger: their counts cannot be trusted (diagnose --app says why)']);
  });

  test('a degraded report with another verdict is blind too; calm apps are not', () => {
    const odd = app({ app: 'odd', verdict: 'discrepancy', degraded: true });
    expect(blindApps(view([odd, BLOG])).map((a) => a.app)).toEqual(['odd']);
    expect(formatFleet(view([odd, BLOG]))).toContain('BLIND: odd: their counts cannot be trusted');
  });

  test('no BLIND line when every app can be trusted and the listing works', () => {
    const calm = formatFleet(
      view([BLOG], { status: 'ok', listed_at: '2026-01-02T03:00:00.000Z', error: null }),
    );
    expect(calm).not.toContain('BLIND');
    expect(calm).not.toContain('not been listed');
  });

  test('a failing listing: a BLIND line with its error, saying the apps are the ones listed before', () => {
    const failing = formatFleet(
      view([BLOG], {
        status: 'failing',
        listed_at: '2026-01-02T03:00:00.000Z',
        error: 'HTTP 503 from GET /v2/apps',
      }),
    );
    expect(failing.split('\n')[1]).toBe(
      'BLIND: listing the apps fails (HTTP 503 from GET /v2/apps); these are the apps listed before',
    );
  });

  test('a failing listing and blind apps: both BLIND lines', () => {
    const both = formatFleet(view([LEDGER], { status: 'failing', listed_at: null, error: 'timeout' }));
    expect(both.split('\n').filter((l) => l.startsWith('BLIND'))).toHaveLength(2);
  });

  test('sharded: a line with this shard, the apps per shard and the shards never heard from', () => {
    const stale = app({ app: 'far', verdict: 'degraded', degraded: true, shard: 2, summary_stale: true });
    const sharded: FleetView = {
      ...view([BLOG, stale]),
      shards: {
        shard: 0,
        total: 3,
        stale_after_ms: 300_000,
        read_status: 'ok',
        by_shard: [
          { shard: 0, apps: 1, written_at: '2026-01-02T03:04:00.000Z' },
          { shard: 1, apps: 0, written_at: null },
          { shard: 2, apps: 1, written_at: '2026-01-02T02:00:00.000Z' },
        ],
      },
    };
    const lines = formatFleet(sharded).split('\n');
    expect(lines[1]).toBe('shard 0 of 3 · apps per shard 0: 1, 1: 0, 2: 1 · never heard from shard 1');
    expect(lines).toContain('BLIND: far: their counts cannot be trusted (diagnose --app says why)');
    const failing = formatFleet({ ...sharded, shards: { ...sharded.shards, read_status: 'failing' } });
    expect(failing).toContain("reading the other shards' rows fails");
  });

  test('unsharded: no shard line', () => {
    expect(formatFleet(view([BLOG]))).not.toContain('shard');
  });

  test('a listing not made yet says so', () => {
    const pending = formatFleet(view([], { status: 'pending', listed_at: null, error: null }));
    expect(pending).toContain('the apps have not been listed yet');
    expect(pending.split('\n')[0]).toMatch(/^0 apps · /);
  });
});
