/**
 * Builders for published reports (the JSON the API serves, the CLI reads and the dashboard
 * draws), for tests that hand a report to a consumer rather than reconcile one. The defaults are
 * a calm app: backend asks for 2, the platform lists 2, 2 are live and serving. Override any field.
 */
import type { ComponentReport, Finding, Report, ReportSummary } from '../../aggregator/reconcile/report';

/** A finding with no instances or deployments named. */
export function findingReport(
  code: Finding['code'],
  severity: Finding['severity'],
  message: string,
  overrides: Partial<Finding> = {},
): Finding {
  return {
    code,
    severity,
    message,
    instances: [],
    recommendation: 'Do the thing.',
    deployment_ids: [],
    ...overrides,
  };
}

/** backend, 2 desired and 2 listed by the platform, 2 live and serving: verdict ok. */
export function componentReport(overrides: Partial<ComponentReport> = {}): ComponentReport {
  return {
    name: 'backend',
    kind: 'service',
    desired: 2,
    autoscaling: null,
    platform_ready: 2,
    platform_instances: 2,
    live: 2,
    serving: 2,
    suspect: 0,
    stale: 0,
    left: 0,
    orphaned: 0,
    deployments: [],
    verdict: 'ok',
    findings: [],
    note: null,
    app: 'shop',
    instance_size_slug: null,
    usd_per_month: null,
    surplus_instances: 0,
    estimated_monthly_waste_usd: 0,
    ...overrides,
  };
}

/** The #356 backend: 2 desired, the dashboard says 6, 6 live (5 serving), 4 of them orphans. */
export function orphanedComponentReport(overrides: Partial<ComponentReport> = {}): ComponentReport {
  return componentReport({
    platform_ready: 6,
    platform_instances: 6,
    live: 6,
    serving: 5,
    orphaned: 4,
    verdict: 'discrepancy',
    ...overrides,
  });
}

/** A summary of 2 of 2 live and serving with no platform configured. */
export function reportSummary(overrides: Partial<ReportSummary> = {}): ReportSummary {
  return {
    configured_replicas: 2,
    active_instances: 2,
    serving_instances: 2,
    discrepancy: false,
    verdict: 'ok',
    do_api_status: 'not_configured',
    platform_data_age_ms: null,
    do_api_error: null,
    agentless: false,
    surplus_instances: 0,
    estimated_monthly_waste_usd: 0,
    ...overrides,
  };
}

/**
 * A whole report: app `shop` on the static platform, one calm backend, no instances listed.
 * `summary` is merged into the default summary, so a test names only the counts it is about.
 */
export function sampleReport(
  overrides: Partial<Omit<Report, 'summary'>> = {},
  summary: Partial<ReportSummary> = {},
): Report {
  return {
    generated_at: '2026-01-02T03:04:05.000Z',
    app: 'shop',
    app_name: null,
    platform: 'static',
    app_id: null,
    active_deployment_id: null,
    in_progress_deployment: null,
    pending_deployment: null,
    components: [componentReport()],
    instances: [],
    recommendations: [],
    degraded: false,
    ...overrides,
    summary: reportSummary(summary),
  };
}
