/**
 * The fleet at a glance (aggregator/fleet/fleet-view.ts): one row per app from its report, what
 * cannot be known shown as null (no agents, a blind platform, no report yet), the rows worst
 * first, and the totals over the known values only, the dollars exact to the cent.
 */
import type { FleetApp, FleetEntry } from '../../aggregator/fleet/fleet-view';
import { fleetApp, fleetView, unknownApp, worstFirst } from '../../aggregator/fleet/fleet-view';
import type { Report, ReportSummary } from '../../aggregator/reconcile/report';
import { componentReport, findingReport, sampleReport } from '../support/published-reports';

const NOW_MS = Date.parse('2026-01-02T03:04:10.000Z');

function entry(report: Report | null, app = report?.app ?? 'shop', appId: string | null = null): FleetEntry {
  return { app, appId, report };
}

/** A report of `app` whose summary says `summary`. */
function reportOf(
  app: string,
  summary: Partial<ReportSummary> = {},
  overrides: Partial<Report> = {},
): Report {
  return sampleReport({ app, components: [componentReport({ app })], ...overrides }, summary);
}

/** A row built by fleetApp, with only the fields a test orders by changed. */
function row(overrides: Partial<FleetApp> & Pick<FleetApp, 'app'>): FleetApp {
  return { ...fleetApp(entry(reportOf(overrides.app)), 0), ...overrides };
}

describe('fleetApp', () => {
  test('a calm app: its counts, names and times come from its report', () => {
    const report = reportOf(
      'shop',
      { do_api_status: 'ok', platform_data_age_ms: 4_000 },
      { app_id: 'app-123', app_name: 'storefront' },
    );
    expect(fleetApp(entry(report), 3)).toEqual({
      app: 'shop',
      app_id: 'app-123',
      name: 'storefront',
      verdict: 'ok',
      configured_replicas: 2,
      active_instances: 2,
      platform_ready: 2,
      platform_instances: 2,
      finding_codes: [],
      worst_severity: null,
      surplus_instances: 0,
      estimated_monthly_waste_usd: 0,
      agentless: false,
      degraded: false,
      platform_data_age_ms: 4_000,
      shard: 3,
      generated_at: '2026-01-02T03:04:05.000Z',
      summary_written_at: null,
      summary_stale: false,
    });
  });

  test("the entry's app id stands in when the report has none", () => {
    expect(fleetApp(entry(reportOf('shop'), 'shop', 'id-from-listing'), 0).app_id).toBe('id-from-listing');
  });

  test('an app without agents has no active count (null, not 0)', () => {
    const report = reportOf('ledger', { agentless: true, active_instances: 0 });
    const app = fleetApp(entry(report), 0);
    expect(app.active_instances).toBeNull();
    expect(app.agentless).toBe(true);
  });

  test('an app whose agents all stopped is not agentless: its 0 is a count', () => {
    expect(fleetApp(entry(reportOf('shop', { active_instances: 0 })), 0).active_instances).toBe(0);
  });

  test('a blind platform (do_api_status unavailable) leaves the configured count unknown', () => {
    const report = reportOf('shop', {
      do_api_status: 'unavailable',
      configured_replicas: 0,
      verdict: 'degraded',
    });
    expect(fleetApp(entry(report), 0).configured_replicas).toBeNull();
  });

  test.each(['ok', 'stale', 'not_configured'])(
    'with do_api_status %s the configured count is shown',
    (status) => {
      expect(fleetApp(entry(reportOf('shop', { do_api_status: status })), 0).configured_replicas).toBe(2);
    },
  );

  test('finding codes are unique and sorted; worst_severity is the worst finding', () => {
    const report = reportOf(
      'shop',
      {},
      {
        components: [
          componentReport({
            findings: [
              findingReport('SURPLUS_INSTANCES', 'warning', 'too many'),
              findingReport('ORPHANED_INSTANCES', 'critical', 'orphans'),
            ],
          }),
          componentReport({
            name: 'worker',
            findings: [
              findingReport('SURPLUS_INSTANCES', 'warning', 'too many workers'),
              findingReport('CLOCK_SKEW', 'info', 'a clock is off'),
            ],
          }),
        ],
      },
    );
    const app = fleetApp(entry(report), 0);
    expect(app.finding_codes).toEqual(['CLOCK_SKEW', 'ORPHANED_INSTANCES', 'SURPLUS_INSTANCES']);
    expect(app.worst_severity).toBe('critical');
  });

  test.each<[string, ('info' | 'warning')[], 'info' | 'warning' | null]>([
    ['no findings', [], null],
    ['info only', ['info', 'info'], 'info'],
    ['info and warning', ['info', 'warning', 'info'], 'warning'],
  ])('worst_severity with %s', (_what, severities, expected) => {
    const findings = severities.map((s) => findingReport('CLOCK_SKEW', s, 'x'));
    const report = reportOf('shop', {}, { components: [componentReport({ findings })] });
    expect(fleetApp(entry(report), 0).worst_severity).toBe(expected);
  });

  test('platform_ready and platform_instances are summed over the components that know them', () => {
    const report = reportOf(
      'shop',
      {},
      {
        components: [
          componentReport({ platform_ready: 2, platform_instances: 3 }),
          componentReport({ name: 'worker', platform_ready: null, platform_instances: null }),
          componentReport({ name: 'api', platform_ready: 5, platform_instances: 6 }),
        ],
      },
    );
    const app = fleetApp(entry(report), 0);
    expect(app.platform_ready).toBe(7);
    expect(app.platform_instances).toBe(9);
  });

  test('platform_ready and platform_instances are null when no component knows them', () => {
    const report = reportOf(
      'shop',
      {},
      {
        components: [
          componentReport({ platform_ready: null, platform_instances: null }),
          componentReport({ name: 'worker', platform_ready: null, platform_instances: null }),
        ],
      },
    );
    const app = fleetApp(entry(report), 0);
    expect(app.platform_ready).toBeNull();
    expect(app.platform_instances).toBeNull();
  });

  test('platform_ready of 0 is a count, not unknown', () => {
    const report = reportOf('shop', {}, { components: [componentReport({ platform_ready: 0 })] });
    expect(fleetApp(entry(report), 0).platform_ready).toBe(0);
  });

  test('no report yet: a degraded row where everything is unknown', () => {
    expect(fleetApp(entry(null, 'billing', 'id-9'), 1)).toEqual({
      app: 'billing',
      app_id: 'id-9',
      name: null,
      verdict: 'degraded',
      configured_replicas: null,
      active_instances: null,
      platform_ready: null,
      platform_instances: null,
      finding_codes: [],
      worst_severity: null,
      surplus_instances: null,
      estimated_monthly_waste_usd: null,
      agentless: false,
      degraded: true,
      platform_data_age_ms: null,
      shard: 1,
      generated_at: null,
      summary_written_at: null,
      summary_stale: false,
    });
  });

  test('surplus and waste are passed on as the summary has them, null included', () => {
    const unknown = fleetApp(
      entry(reportOf('shop', { surplus_instances: null, estimated_monthly_waste_usd: null })),
      0,
    );
    expect(unknown.surplus_instances).toBeNull();
    expect(unknown.estimated_monthly_waste_usd).toBeNull();
    const known = fleetApp(
      entry(reportOf('shop', { surplus_instances: 4, estimated_monthly_waste_usd: 48 })),
      0,
    );
    expect(known.surplus_instances).toBe(4);
    expect(known.estimated_monthly_waste_usd).toBe(48);
  });
});

describe('worstFirst', () => {
  const sorted = (apps: FleetApp[]) => [...apps].sort(worstFirst).map((a) => a.app);

  test('the worst severity first, whatever the verdicts', () => {
    expect(
      sorted([
        row({ app: 'a', worst_severity: null, verdict: 'discrepancy' }),
        row({ app: 'b', worst_severity: 'warning', verdict: 'ok' }),
        row({ app: 'c', worst_severity: 'critical', verdict: 'ok' }),
        row({ app: 'd', worst_severity: 'info', verdict: 'discrepancy' }),
      ]),
    ).toEqual(['c', 'b', 'd', 'a']);
  });

  test('then the verdict: discrepancy, degraded, rolling, ok', () => {
    expect(
      sorted([
        row({ app: 'ok', verdict: 'ok' }),
        row({ app: 'rolling', verdict: 'rolling' }),
        row({ app: 'discrepancy', verdict: 'discrepancy' }),
        row({ app: 'degraded', verdict: 'degraded' }),
      ]),
    ).toEqual(['discrepancy', 'degraded', 'rolling', 'ok']);
  });

  test('then the larger waste; unknown waste after known waste', () => {
    expect(
      sorted([
        row({ app: 'a', estimated_monthly_waste_usd: 12 }),
        row({ app: 'b', estimated_monthly_waste_usd: null }),
        row({ app: 'c', estimated_monthly_waste_usd: 48 }),
        row({ app: 'd', estimated_monthly_waste_usd: 0.5 }),
      ]),
    ).toEqual(['c', 'a', 'd', 'b']);
  });

  test('then the name (the spec name where known, else the app)', () => {
    expect(
      sorted([
        row({ app: 'x1', name: 'zebra' }),
        row({ app: 'x2', name: null }),
        row({ app: 'x3', name: 'alpha' }),
      ]),
    ).toEqual(['x3', 'x2', 'x1']);
  });

  test('is a total order: the same rows in any order sort the same', () => {
    const rows = [
      row({ app: 'b', verdict: 'ok' }),
      row({ app: 'a', verdict: 'ok' }),
      row({ app: 'c', verdict: 'rolling', worst_severity: 'info' }),
      row({ app: 'd', verdict: 'degraded', estimated_monthly_waste_usd: null }),
    ];
    const expected = ['c', 'd', 'a', 'b'];
    expect(sorted(rows)).toEqual(expected);
    expect(sorted([...rows].reverse())).toEqual(expected);
  });
});

describe('fleetView', () => {
  const options = { nowMs: NOW_MS, shard: 0, discovery: null };

  test('rows worst first, stamped with nowMs, the discovery passed on', () => {
    const discovery = { status: 'ok' as const, listed_at: '2026-01-02T03:04:00.000Z', error: null };
    const view = fleetView(
      [
        entry(reportOf('calm')),
        entry(reportOf('bad', { verdict: 'discrepancy' })),
        entry(reportOf('rolling', { verdict: 'rolling' })),
      ],
      { ...options, discovery },
    );
    expect(view.apps.map((a) => a.app)).toEqual(['bad', 'rolling', 'calm']);
    expect(view.generated_at).toBe('2026-01-02T03:04:10.000Z');
    expect(view.discovery).toEqual(discovery);
  });

  test('totals: dollars summed exactly to the cent over the apps whose waste is known', () => {
    const view = fleetView(
      [
        entry(reportOf('a', { surplus_instances: 1, estimated_monthly_waste_usd: 0.1 })),
        entry(reportOf('b', { surplus_instances: 1, estimated_monthly_waste_usd: 0.2 })),
        entry(reportOf('c', { surplus_instances: 3, estimated_monthly_waste_usd: 37.02 })),
        entry(reportOf('d', { surplus_instances: null, estimated_monthly_waste_usd: null })),
      ],
      options,
    );
    expect(view.totals.estimated_monthly_waste_usd).toBe(37.32);
    expect(view.totals.surplus_instances).toBe(5);
    expect(view.totals.unknown_waste_apps).toBe(1);
    expect(view.totals.apps).toBe(4);
  });

  test('an app without a report counts as unknown waste and as degraded', () => {
    const view = fleetView([entry(reportOf('a')), entry(null, 'pending-app')], options);
    expect(view.totals.unknown_waste_apps).toBe(1);
    expect(view.totals.by_verdict).toEqual({ ok: 1, discrepancy: 0, rolling: 0, degraded: 1 });
    expect(view.apps[0]?.app).toBe('pending-app');
  });

  test('totals are null (not 0) when no app knows its surplus or waste', () => {
    const view = fleetView(
      [
        entry(reportOf('a', { surplus_instances: null, estimated_monthly_waste_usd: null })),
        entry(null, 'b'),
      ],
      options,
    );
    expect(view.totals.surplus_instances).toBeNull();
    expect(view.totals.estimated_monthly_waste_usd).toBeNull();
    expect(view.totals.unknown_waste_apps).toBe(2);
  });

  test('known zeros add up to 0, not null', () => {
    const view = fleetView([entry(reportOf('a')), entry(reportOf('b'))], options);
    expect(view.totals.surplus_instances).toBe(0);
    expect(view.totals.estimated_monthly_waste_usd).toBe(0);
    expect(view.totals.unknown_waste_apps).toBe(0);
  });

  test('by_verdict counts every verdict, zeros included', () => {
    const view = fleetView(
      [
        entry(reportOf('a', { verdict: 'discrepancy' })),
        entry(reportOf('b', { verdict: 'discrepancy' })),
        entry(reportOf('c', { verdict: 'rolling' })),
        entry(reportOf('d')),
      ],
      options,
    );
    expect(view.totals.by_verdict).toEqual({ ok: 1, discrepancy: 2, rolling: 1, degraded: 0 });
  });

  test('an empty fleet: no rows, every count 0, the unknown totals null', () => {
    const view = fleetView([], options);
    expect(view.apps).toEqual([]);
    expect(view.totals).toEqual({
      apps: 0,
      by_verdict: { ok: 0, discrepancy: 0, rolling: 0, degraded: 0 },
      surplus_instances: null,
      estimated_monthly_waste_usd: null,
      unknown_waste_apps: 0,
    });
  });

  test('every row carries the shard', () => {
    const view = fleetView([entry(reportOf('a')), entry(null, 'b')], { ...options, shard: 2 });
    expect(view.apps.map((a) => a.shard)).toEqual([2, 2]);
  });
});

describe('the fleet across shards', () => {
  const options = { nowMs: NOW_MS, shard: 0, discovery: null };
  const far = (app: string, overrides: Partial<FleetApp> = {}): FleetApp => ({
    ...fleetApp(entry(reportOf(app)), 1),
    summary_written_at: '2026-01-02T03:04:00.000Z',
    ...overrides,
  });

  test('unknownApp: identity and the last times kept, everything else unknown, degraded, stale', () => {
    expect(
      unknownApp({
        app: 'far',
        app_id: 'id-far',
        name: 'far away',
        shard: 2,
        generated_at: '2026-01-02T03:00:00.000Z',
        summary_written_at: '2026-01-02T03:00:01.000Z',
      }),
    ).toEqual({
      app: 'far',
      app_id: 'id-far',
      name: 'far away',
      verdict: 'degraded',
      configured_replicas: null,
      active_instances: null,
      platform_ready: null,
      platform_instances: null,
      finding_codes: [],
      worst_severity: null,
      surplus_instances: null,
      estimated_monthly_waste_usd: null,
      agentless: false,
      degraded: true,
      platform_data_age_ms: null,
      shard: 2,
      generated_at: '2026-01-02T03:00:00.000Z',
      summary_written_at: '2026-01-02T03:00:01.000Z',
      summary_stale: true,
    });
  });

  test("the other shards' rows are sorted in and counted in the totals", () => {
    const view = fleetView([entry(reportOf('mine'))], {
      ...options,
      others: [
        far('bad', { verdict: 'discrepancy', surplus_instances: 3, estimated_monthly_waste_usd: 36 }),
        unknownApp({
          app: 'gone',
          app_id: null,
          name: null,
          shard: 1,
          generated_at: null,
          summary_written_at: null,
        }),
      ],
      shards: {
        total: 2,
        staleAfterMs: 300_000,
        readStatus: 'ok',
        writtenAt: new Map([[1, '2026-01-02T03:04:00.000Z']]),
      },
    });
    expect(view.apps.map((a) => [a.app, a.shard])).toEqual([
      ['bad', 1],
      ['gone', 1],
      ['mine', 0],
    ]);
    expect(view.totals).toEqual({
      apps: 3,
      by_verdict: { ok: 1, discrepancy: 1, rolling: 0, degraded: 1 },
      surplus_instances: 3,
      estimated_monthly_waste_usd: 36,
      unknown_waste_apps: 1,
    });
    expect(view.shards).toEqual({
      shard: 0,
      total: 2,
      stale_after_ms: 300_000,
      read_status: 'ok',
      by_shard: [
        { shard: 0, apps: 1, written_at: null },
        { shard: 1, apps: 2, written_at: '2026-01-02T03:04:00.000Z' },
      ],
    });
  });

  test('unsharded: shard 0 of 1, nothing read', () => {
    expect(fleetView([entry(reportOf('a'))], options).shards).toEqual({
      shard: 0,
      total: 1,
      stale_after_ms: 300_000,
      read_status: null,
      by_shard: [{ shard: 0, apps: 1, written_at: null }],
    });
  });
});
