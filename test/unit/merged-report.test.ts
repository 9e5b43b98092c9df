/**
 * The whole fleet as one report (aggregator/fleet/merged-report.ts): the fields of one app's
 * report, app `*`, every component and instance carrying its app, the summary added up with the
 * worst verdict and platform status, unknown waste kept unknown, and the instance list built only
 * when it is asked for.
 */
import type { ReportPart } from '../../aggregator/fleet/merged-report';
import { ALL_APPS, mergeReports } from '../../aggregator/fleet/merged-report';
import type { InstanceReport, Report, ReportSummary } from '../../aggregator/reconcile/report';
import { componentReport, findingReport, sampleReport } from '../support/published-reports';

const NOW_MS = Date.parse('2026-01-02T03:05:00.000Z');

function instance(id: string, component = 'backend'): InstanceReport {
  return {
    instance_id: id,
    component,
    deployment_id: 'dep-1',
    version: '1.0.0',
    state: 'live',
    last_seen: '2026-01-02T03:04:00.000Z',
    age_ms: 5_000,
    started_at: '2026-01-02T02:00:00.000Z',
    serving: true,
    orphaned: false,
    region: 'ams3',
    node_name: null,
    cpu_usage: 0.1,
    rss_bytes: 1_000,
    mem_used_bytes: 2_000,
    mem_total_bytes: 4_000,
    clock_offset_ms: 3,
    draining: false,
    container: null,
  };
}

/** A part of `report` whose instance list counts how often it was built. */
function part(report: Report, instances: InstanceReport[] = []): ReportPart & { builds: () => number } {
  let builds = 0;
  const { instances: _listed, ...withoutInstances } = report;
  return {
    report: withoutInstances,
    instanceList: () => {
      builds++;
      return instances;
    },
    builds: () => builds,
  };
}

function appReport(
  app: string,
  summary: Partial<ReportSummary> = {},
  overrides: Partial<Report> = {},
): Report {
  return sampleReport({ app, components: [componentReport({ app })], ...overrides }, summary);
}

const shop = appReport(
  'shop',
  {
    configured_replicas: 2,
    active_instances: 6,
    serving_instances: 5,
    discrepancy: true,
    verdict: 'discrepancy',
    do_api_status: 'ok',
    platform_data_age_ms: 4_000,
    surplus_instances: 4,
    estimated_monthly_waste_usd: 48.1,
  },
  {
    generated_at: '2026-01-02T03:04:05.000Z',
    platform: 'digitalocean',
    app_id: 'id-shop',
    app_name: 'storefront',
    components: [
      componentReport({ app: 'shop', name: 'backend', live: 6 }),
      componentReport({ app: 'shop', name: 'worker' }),
    ],
    recommendations: ['Scale the backend down to 2.'],
  },
);

const billing = appReport(
  'billing',
  {
    configured_replicas: 3,
    active_instances: 3,
    serving_instances: 3,
    verdict: 'rolling',
    do_api_status: 'stale',
    platform_data_age_ms: 90_000,
    do_api_error: {
      kind: 'server_error',
      message: 'HTTP 503',
      http_status: 503,
      request_id: 'req-1',
      since: '2026-01-02T03:03:00.000Z',
      fix_variable: null,
    },
    surplus_instances: 1,
    estimated_monthly_waste_usd: 0.2,
  },
  {
    generated_at: '2026-01-02T03:04:07.000Z',
    platform: 'digitalocean',
    components: [componentReport({ app: 'billing', name: 'api', desired: 3 })],
    recommendations: ['Wait for the rollout.', 'Then check the api.'],
  },
);

describe('mergeReports of two apps', () => {
  const merged = () => mergeReports([part(shop), part(billing)], NOW_MS);

  test("is the report of app '*', with no one app's name, id or deployments", () => {
    const { report } = merged();
    expect(ALL_APPS).toBe('*');
    expect(report.app).toBe('*');
    expect(report.app_name).toBeNull();
    expect(report.app_id).toBeNull();
    expect(report.active_deployment_id).toBeNull();
    expect(report.in_progress_deployment).toBeNull();
    expect(report.pending_deployment).toBeNull();
    expect(report.platform).toBe('digitalocean');
  });

  test("is as new as the newest app's report", () => {
    expect(merged().report.generated_at).toBe('2026-01-02T03:04:07.000Z');
  });

  test('lists every app’s components, in app order, each carrying its app', () => {
    const { components } = merged().report;
    expect(components.map((c) => [c.app, c.name])).toEqual([
      ['shop', 'backend'],
      ['shop', 'worker'],
      ['billing', 'api'],
    ]);
  });

  test('adds the counts up and takes the worst verdict', () => {
    const { summary } = merged().report;
    expect(summary.configured_replicas).toBe(5);
    expect(summary.active_instances).toBe(9);
    expect(summary.serving_instances).toBe(8);
    expect(summary.discrepancy).toBe(true);
    expect(summary.verdict).toBe('discrepancy');
    expect(summary.surplus_instances).toBe(5);
    expect(summary.agentless).toBe(false);
  });

  test('the waste is summed exactly to the cent', () => {
    expect(merged().report.summary.estimated_monthly_waste_usd).toBe(48.3);
  });

  test("the worst platform status, with that app's error, and the oldest data's age", () => {
    const { summary } = merged().report;
    expect(summary.do_api_status).toBe('stale');
    expect(summary.do_api_error).toEqual(billing.summary.do_api_error);
    expect(summary.platform_data_age_ms).toBe(90_000);
  });

  test.each<[string, string, string]>([
    ['ok', 'unavailable', 'unavailable'],
    ['not_configured', 'ok', 'ok'],
    ['stale', 'not_configured', 'stale'],
    ['unavailable', 'stale', 'unavailable'],
  ])('do_api_status of %s and %s is %s', (a, b, expected) => {
    const { report } = mergeReports(
      [part(appReport('a', { do_api_status: a })), part(appReport('b', { do_api_status: b }))],
      NOW_MS,
    );
    expect(report.summary.do_api_status).toBe(expected);
  });

  test.each<[Report['summary']['verdict'], Report['summary']['verdict'], Report['summary']['verdict']]>([
    ['ok', 'ok', 'ok'],
    ['ok', 'rolling', 'rolling'],
    ['rolling', 'degraded', 'degraded'],
    ['discrepancy', 'degraded', 'discrepancy'],
  ])('the verdict of %s and %s is %s', (a, b, expected) => {
    const { report } = mergeReports(
      [part(appReport('a', { verdict: a })), part(appReport('b', { verdict: b }))],
      NOW_MS,
    );
    expect(report.summary.verdict).toBe(expected);
  });

  test('the recommendations, each prefixed with its app', () => {
    expect(merged().report.recommendations).toEqual([
      'shop: Scale the backend down to 2.',
      'billing: Wait for the rollout.',
      'billing: Then check the api.',
    ]);
  });

  test('degraded when any app is, not when none is', () => {
    expect(merged().report.degraded).toBe(false);
    const blind = appReport('blind', { verdict: 'degraded' }, { degraded: true });
    expect(mergeReports([part(shop), part(blind)], NOW_MS).report.degraded).toBe(true);
  });

  test('waste and surplus are unknown (null) when any app’s is', () => {
    const unknown = appReport('blind', { surplus_instances: null, estimated_monthly_waste_usd: null });
    const { summary } = mergeReports([part(shop), part(unknown)], NOW_MS).report;
    expect(summary.estimated_monthly_waste_usd).toBeNull();
    expect(summary.surplus_instances).toBeNull();
  });

  test('agentless only when every app is', () => {
    const none = appReport('a', { agentless: true });
    expect(mergeReports([part(none), part(shop)], NOW_MS).report.summary.agentless).toBe(false);
    expect(
      mergeReports([part(none), part(appReport('b', { agentless: true }))], NOW_MS).report.summary.agentless,
    ).toBe(true);
  });

  test('findings stay on their components', () => {
    const finding = findingReport('ORPHANED_INSTANCES', 'critical', 'orphans');
    const withFinding = appReport(
      'shop',
      {},
      { components: [componentReport({ app: 'shop', findings: [finding] })] },
    );
    const { components } = mergeReports([part(withFinding), part(billing)], NOW_MS).report;
    expect(components.map((c) => c.findings)).toEqual([[finding], []]);
  });
});

describe('the instance list of a merged report', () => {
  test('every instance carries its app, in app order', () => {
    const shopPart = part(shop, [instance('shop-1'), instance('shop-2')]);
    const billingPart = part(billing, [instance('billing-1', 'api')]);
    const { instances } = mergeReports([shopPart, billingPart], NOW_MS);
    expect(instances().map((i) => [i.app, i.instance_id, i.component])).toEqual([
      ['shop', 'shop-1', 'backend'],
      ['shop', 'shop-2', 'backend'],
      ['billing', 'billing-1', 'api'],
    ]);
  });

  test("leaves each app's own list untouched (no app field added to it)", () => {
    const own = [instance('shop-1')];
    mergeReports([part(shop, own)], NOW_MS).instances();
    expect(own[0]).not.toHaveProperty('app');
  });

  test('is built only when instances() is called, and then once', () => {
    const shopPart = part(shop, [instance('shop-1')]);
    const billingPart = part(billing, [instance('billing-1')]);
    const merged = mergeReports([shopPart, billingPart], NOW_MS);
    expect(merged.report.app).toBe('*');
    expect([shopPart.builds(), billingPart.builds()]).toEqual([0, 0]);
    const first = merged.instances();
    expect([shopPart.builds(), billingPart.builds()]).toEqual([1, 1]);
    expect(merged.instances()).toBe(first);
    expect([shopPart.builds(), billingPart.builds()]).toEqual([1, 1]);
  });
});

describe('mergeReports of no app', () => {
  const empty = () => mergeReports([], NOW_MS);

  test('is degraded: nothing is seen', () => {
    const { report } = empty();
    expect(report.degraded).toBe(true);
    expect(report.summary.verdict).toBe('degraded');
    expect(report.summary.do_api_status).toBe('unavailable');
    expect(report.summary.agentless).toBe(false);
    expect(report.components).toEqual([]);
    expect(report.recommendations).toEqual([]);
  });

  test('is stamped now, and lists no instances', () => {
    const { report, instances } = empty();
    expect(report.generated_at).toBe('2026-01-02T03:05:00.000Z');
    expect(report.platform).toBe('unknown');
    expect(instances()).toEqual([]);
  });

  test('claims no surplus or waste it cannot see: both unknown (null), never 0', () => {
    const { summary } = empty().report;
    expect(summary.surplus_instances).toBeNull();
    expect(summary.estimated_monthly_waste_usd).toBeNull();
  });
});
