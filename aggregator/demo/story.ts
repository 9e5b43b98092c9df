/**
 * The demo's narrative: the four counts of each component in words, and which deployment the
 * running instances belong to. Pure: report in, text out.
 */
import type { ComponentReport, ReportWithoutInstances } from '../reconcile/report';

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

function componentStory(appId: string, c: ComponentReport): string {
  const lines = [`${c.name}:`];
  if (c.desired !== null)
    lines.push(
      `  the spec asks for ${c.autoscaling ? `${c.autoscaling.min}-${c.autoscaling.max}` : c.desired}`,
    );
  if (c.platform_ready !== null) {
    lines.push(
      `  the dashboard says ${c.platform_ready} ready   (GET /v2/apps/${appId}/health → replicas_ready)`,
    );
  }
  if (c.platform_instances !== null) {
    lines.push(
      `  the platform lists ${plural(c.platform_instances, 'instance')}   (GET /v2/apps/${appId}/instances)`,
    );
  }
  lines.push(`  ${plural(c.live, 'agent')} really heartbeat, ${c.serving} of them serve:`);
  for (const d of c.deployments) {
    const role = d.active ? 'the active deployment' : 'an older deployment: orphans never terminated';
    lines.push(
      `    ${plural(d.live, 'instance')} on ${d.deployment_id ?? 'an unknown deployment'} (${role})`,
    );
  }
  return lines.join('\n');
}

export function formatStory(report: ReportWithoutInstances): string {
  const appId = report.app_id ?? report.app;
  const parts = report.components.map((c) => componentStory(appId, c));
  return `What each side says (app ${appId}, platform ${report.platform}):\n\n${parts.join('\n\n')}\n`;
}
