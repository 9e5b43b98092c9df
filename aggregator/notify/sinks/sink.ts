/** The role every alert destination plays. */
import type { Notification, NotificationKind } from '../types';

export const SINK_NAMES = ['webhook', 'slack', 'alertmanager'] as const;
export type SinkName = (typeof SINK_NAMES)[number];

/**
 * An alert destination. `send` makes ONE attempt and classifies its failure (RetryableError for
 * network errors, timeouts, 5xx and 429; any other error is permanent); the retrying, the
 * timeout and the queue around it are the SinkQueue's.
 */
export interface Sink {
  readonly name: SinkName;
  send(notifications: readonly Notification[], signal?: AbortSignal): Promise<void>;
}

/**
 * Whether a sink takes a kind of notification: refreshes (re-sent every reconcile while an
 * alert fires) keep Alertmanager's copy from expiring; people are paged on changes only.
 */
export function sinkTakes(sink: SinkName, kind: NotificationKind): boolean {
  return kind !== 'refresh' || sink === 'alertmanager';
}
