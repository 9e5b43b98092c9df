/** Turns an alert state into the alert sinks send: labels, annotations, times, links. Pure. */
import type { FindingCode } from '../reconcile/report';
import type { AlertState } from './alert-state';
import type { Alert } from './types';

/** Where and when an alert is rendered. */
export interface AlertContext {
  readonly app: string;
  /** PUBLIC_URL: the aggregator as operators reach it, without a trailing slash. */
  readonly publicUrl: string;
  readonly nowMs: number;
  /** How far ahead a firing alert's endsAt lies: it expires by itself if no one re-sends it. */
  readonly expiresInMs: number;
}

/** `SURPLUS_INSTANCES` → `ReplicaWatchSurplusInstances`: one alertname per code, for routes and silences. */
export function alertName(code: FindingCode): string {
  return (
    'ReplicaWatch' +
    code
      .toLowerCase()
      .split('_')
      .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
      .join('')
  );
}

/** The report's address: what every alert links to. */
export function reportUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/api/v1/monitoring/replicas`;
}

const known = (value: number | null) => (value === null ? '?' : String(value));

/** Builds the alert; `resolved` sets endsAt to now. */
export function toAlert(state: AlertState, resolved: boolean, ctx: AlertContext): Alert {
  const { content } = state;
  const more = content.instanceCount - content.instances.length;
  const title = state.code.charAt(0) + state.code.slice(1).toLowerCase().replace(/_/g, ' ');
  const link = reportUrl(ctx.publicUrl);
  return {
    labels: {
      alertname: alertName(state.code),
      app: ctx.app,
      component: state.component,
      code: state.code,
      severity: state.severity,
    },
    annotations: {
      summary:
        `${title}: ${state.component} of app ${ctx.app} ` +
        `(${content.live} live, ${known(content.desired)} desired)`,
      description: content.message,
      instances: content.instances.join(', ') + (more > 0 ? ` … and ${more} more` : ''),
      deployment_ids: content.deploymentIds.join(', '),
      counts:
        `desired ${known(content.desired)}, live ${content.live}, ` +
        `platform ready ${known(content.platformReady)}, platform listed ${known(content.platformInstances)}`,
      recommendation: content.recommendation,
      report_url: link,
    },
    startsAt: new Date(state.firingSinceMs ?? ctx.nowMs).toISOString(),
    endsAt: new Date(resolved ? ctx.nowMs : ctx.nowMs + ctx.expiresInMs).toISOString(),
    generatorURL: link,
  };
}
