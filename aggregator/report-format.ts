/**
 * The report as text for a terminal: the demo's diagnosis and the CLI's `status` and
 * `diagnose`. Pure: report in, string out.
 */
import type { ComponentReport, Finding, Report } from './reconcile/report';

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

/** One row per component: the four counts side by side and the verdict. */
export function formatStatus(report: Report): string {
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
  const head =
    `app ${report.app_id ?? report.app} · platform ${report.platform} (${s.do_api_status}` +
    `${s.platform_data_age_ms !== null ? `, data ${Math.round(s.platform_data_age_ms / 1000)} s old` : ''})` +
    `${report.degraded ? ' · DEGRADED: heartbeats cannot be read' : ''}\n` +
    `configured ${s.configured_replicas} · active ${s.active_instances} · serving ${s.serving_instances} · ` +
    `discrepancy ${s.discrepancy ? 'YES' : 'no'} · verdict ${s.verdict}`;
  return `${head}\n\n${table(rows)}`;
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
export function formatDiagnosis(report: Report): string {
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
