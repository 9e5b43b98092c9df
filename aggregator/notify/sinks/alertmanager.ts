/**
 * Prometheus Alertmanager v2: POST {ALERTMANAGER_URL}/api/v2/alerts with a list of alerts. A
 * firing alert is re-posted on every reconcile (refresh) with an endsAt a few intervals ahead,
 * so Alertmanager keeps it while we live and lets it expire if we die; a resolved one is posted
 * with endsAt = now, which ends it at once.
 */
import type { Notification } from '../types';
import { postJson } from './http-post';
import type { Sink } from './sink';

/** The v2 API's postable alerts. */
export function alertmanagerBody(notifications: readonly Notification[]): string {
  return JSON.stringify(
    notifications.map(({ alert }) => ({
      labels: alert.labels,
      annotations: alert.annotations,
      startsAt: alert.startsAt,
      endsAt: alert.endsAt,
      generatorURL: alert.generatorURL,
    })),
  );
}

export class AlertmanagerSink implements Sink {
  readonly name = 'alertmanager' as const;
  private readonly endpoint: string;

  /** `url`: ALERTMANAGER_URL, e.g. http://alertmanager:9093 (a path prefix is kept). */
  constructor(url: string) {
    this.endpoint = `${url.replace(/\/+$/, '')}/api/v2/alerts`;
  }

  send(notifications: readonly Notification[], signal?: AbortSignal): Promise<void> {
    return postJson(this.endpoint, alertmanagerBody(notifications), { what: 'alertmanager', signal });
  }
}
