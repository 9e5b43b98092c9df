/**
 * The report as text for a terminal: the demo's diagnosis and the CLI's `status` and
 * `diagnose`. Pure: report in, string out.
 */
import type {
  ComponentReport,
  DeploymentReport,
  Finding,
  PlatformErrorReport,
  ReportWithoutInstances,
} from './reconcile/report';

const SEVERITY_MARK: Record<Finding['severity'], string> = { critical: '!!', warning: '! ', info: '- ' };

function cell(value: number | string | null): string {
  return value === null ? '?' : String(value);
}

function desiredText(component: ComponentReport): string {
  return component.autoscaling
    ? `${component.autoscaling.min}-${component.autoscaling.max}`
    : cell(component.desired);
}

/** Pads columns to equal widths. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((value, i) => (widths[i] = Math.max(widths[i] ?? 0, value.length)));
  return rows
    .map((row) =>
      row
        .map((value, i) => value.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** What each kind of failed platform refresh means for the operator. */
const API_FAILURE_WORDS: Readonly<Record<string, string>> = {
  unauthorized: 'the DigitalOcean API refused DO_API_TOKEN (wrong, expired or revoked)',
  forbidden: 'DO_API_TOKEN lacks the scope to read this app',
  not_found: 'the DigitalOcean API has no app with the id DO_APP_ID names (for this token)',
  rate_limited: 'the DigitalOcean API rate-limits the token',
  server_error: 'the DigitalOcean API fails on its side',
  unreachable: 'the DigitalOcean API does not answer',
  bad_response: 'the DigitalOcean API answers something replica-watch cannot read',
};

/**
 * True when the report cannot be trusted: the verdict is `degraded` (a platform view that was
 * never fetched or was refused, 401/403/404) or the heartbeats cannot be read. The CLI exits
 * non-zero on it ("blind is never green").
 */
export function isBlind(report: ReportWithoutInstances): boolean {
  return report.summary.verdict === 'degraded' || report.degraded;
}

/** The last failed platform refresh in one line: what it means, the status, since when, what to fix. */
export function formatApiError(error: PlatformErrorReport): string {
  const words = API_FAILURE_WORDS[error.kind] ?? `the DigitalOcean API failed (${error.kind})`;
  const status = error.http_status === null ? '' : ` (HTTP ${error.http_status})`;
  const fix = error.fix_variable === null ? '' : `; check ${error.fix_variable}`;
  const request =
    error.request_id === null
      ? ''
      : `; DigitalOcean request id ${error.request_id} (quote it to DigitalOcean support)`;
  return `${words}${status} since ${error.since}: ${error.message}${fix}${request}`;
}

/**
 * Why a blind report is blind, one line each: the failed platform refresh (summary.do_api_error)
 * and every distinct DATA_DEGRADED message. Empty when the report is not blind.
 */
export function blindReasons(report: ReportWithoutInstances): string[] {
  if (!isBlind(report)) return [];
  const reasons: string[] = [];
  const error = report.summary.do_api_error ?? null;
  if (error !== null) reasons.push(formatApiError(error));
  const seen = new Set<string>();
  for (const component of report.components) {
    for (const f of component.findings) {
      if (f.code !== 'DATA_DEGRADED' || seen.has(f.message)) continue;
      seen.add(f.message);
      reasons.push(`DATA_DEGRADED (${f.severity}): ${f.message}`);
    }
  }
  if (reasons.length === 0) reasons.push('the aggregator marks its report degraded and names no cause');
  return reasons;
}

function deploymentText(deployment: DeploymentReport): string {
  return `${deployment.id} (${deployment.phase}${deployment.created_at === null ? '' : `, created ${deployment.created_at}`})`;
}

/** The deployment rolling out and the one queued behind it, one line each; none when there are none. */
export function deploymentLines(report: ReportWithoutInstances): string[] {
  const lines: string[] = [];
  // `?? null`: a report from an aggregator older than these fields has neither.
  const inProgress = report.in_progress_deployment ?? null;
  const pending = report.pending_deployment ?? null;
  if (inProgress !== null) lines.push(`deployment in progress: ${deploymentText(inProgress)}`);
  if (pending !== null) {
    lines.push(
      `deployment pending (queued): ${deploymentText(pending)}` +
        (inProgress === null ? '' : `, starts after ${inProgress.id}`),
    );
  }
  return lines;
}

/** One row per component: the four counts side by side and the verdict. */
export function formatStatus(report: ReportWithoutInstances): string {
  const rows = [
    ['COMPONENT', 'DESIRED', 'DASHBOARD READY', 'LISTED', 'LIVE', 'SERVING', 'ORPHANED', 'VERDICT'],
    ...report.components.map((c) => [
      c.name,
      desiredText(c),
      cell(c.platform_ready),
      cell(c.platform_instances),
      String(c.live),
      String(c.serving),
      String(c.orphaned),
      c.verdict,
    ]),
  ];
  const s = report.summary;
  const lines = [
    `app ${report.app_id ?? report.app} · platform ${report.platform} (${s.do_api_status}` +
      `${s.platform_data_age_ms !== null ? `, data ${Math.round(s.platform_data_age_ms / 1000)} s old` : ''})`,
    `configured ${s.configured_replicas} · active ${s.active_instances} · serving ${s.serving_instances} · ` +
      `discrepancy ${s.discrepancy ? 'YES' : 'no'} · verdict ${s.verdict}`,
  ];
  const reasons = blindReasons(report);
  if (reasons.length > 0) {
    lines.push('BLIND: these counts cannot be trusted:', ...reasons.map((reason) => `  ${reason}`));
  }
  lines.push(...deploymentLines(report));
  return `${lines.join('\n')}\n\n${table(rows)}`;
}

function formatFinding(finding: Finding): string {
  const lines = [
    `${SEVERITY_MARK[finding.severity]}${finding.code} (${finding.severity}): ${finding.message}`,
  ];
  if (finding.instances.length > 0) lines.push(`     instances: ${finding.instances.join(', ')}`);
  if (finding.deployment_ids.length > 0) lines.push(`     deployments: ${finding.deployment_ids.join(', ')}`);
  lines.push(`     what to do: ${finding.recommendation}`);
  return lines.join('\n');
}

/** The status table, then each component's findings with their instances and what to do. */
export function formatDiagnosis(report: ReportWithoutInstances): string {
  const parts = [formatStatus(report)];
  for (const component of report.components) {
    if (component.findings.length === 0) {
      parts.push(`${component.name}: no findings`);
      continue;
    }
    parts.push(
      `${component.name}:\n${component.findings.map((f) => '  ' + formatFinding(f).replace(/\n/g, '\n  ')).join('\n')}`,
    );
  }
  if (report.recommendations.length > 0) {
    parts.push(
      `Recommended next steps:\n${report.recommendations.map((r, i) => `  ${i + 1}. ${r}`).join('\n')}`,
    );
  }
  return parts.join('\n\n') + '\n';
}
