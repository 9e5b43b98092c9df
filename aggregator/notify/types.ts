/**
 * What the notifier hands to sinks. The shape follows Alertmanager's v2 alert (labels,
 * annotations, startsAt, endsAt, generatorURL) so that one value serves every sink. Labels
 * identify an alert and never change while it fires; everything that moves (counts, instance
 * ids, deployments) is an annotation (STYLE.md principle 8).
 */
import type { FindingCode } from '../reconcile/report';

/** The labels of an alert: its identity. */
export interface AlertLabels {
  /** `ReplicaWatch` + the finding code in PascalCase, e.g. `ReplicaWatchSurplusInstances`. */
  readonly alertname: string;
  readonly app: string;
  readonly component: string;
  readonly code: FindingCode;
  /** The finding's severity when the alert began firing. */
  readonly severity: string;
}

/** What an alert says; every value is a string (Alertmanager's annotations are). */
export interface AlertAnnotations {
  readonly summary: string;
  /** The finding's message. */
  readonly description: string;
  /** Instance ids, comma-separated (capped; "… and N more"). */
  readonly instances: string;
  readonly deployment_ids: string;
  /** `desired 2, live 3, platform ready 3, platform listed 3` (`?` where unknown). */
  readonly counts: string;
  readonly recommendation: string;
  /** The report this came from (PUBLIC_URL + /api/v1/monitoring/replicas). */
  readonly report_url: string;
}

export interface Alert {
  readonly labels: AlertLabels;
  readonly annotations: AlertAnnotations;
  /** ISO 8601: when it began firing. */
  readonly startsAt: string;
  /** ISO 8601: now for a resolved alert; a few intervals ahead while firing, so it expires if we die. */
  readonly endsAt: string;
  readonly generatorURL: string;
}

/**
 * firing: it just began; repeat: still firing, ALERT_REPEAT_MS after the last notice; resolved:
 * it ended; refresh: still firing, re-sent on every reconcile to sinks that expire alerts
 * (Alertmanager), never to the ones that page people.
 */
export const NOTIFICATION_KINDS = ['firing', 'repeat', 'resolved', 'refresh'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface Notification {
  readonly kind: NotificationKind;
  readonly alert: Alert;
}

/** An alert firing now, as the rest of the aggregator sees it (remediation, the dashboard). */
export interface FiringAlert {
  readonly component: string;
  readonly code: FindingCode;
  /** When it began firing (ms). */
  readonly sinceMs: number;
}
