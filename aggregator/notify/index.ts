/** Alerting: the alert state machine, where its states persist, the delivery stages and the sinks. */
export { ALERT_DEFAULTS, MAX_ALERT_INSTANCES, alertKey, isAlertable, stepAlerts } from './alert-state';
export type {
  AlertContent,
  AlertSettings,
  AlertState,
  AlertStates,
  AlertStatus,
  AlertStep,
  AlertTransition,
} from './alert-state';
export { alertName, reportUrl, toAlert } from './alert-message';
export type { AlertContext } from './alert-message';
export { MemoryAlertStateStore, RedisAlertStateStore, parseAlertState } from './alert-store';
export type { AlertChanges, AlertStateStore, RedisAlertStateStoreOptions } from './alert-store';
export { DELIVERY_OUTCOMES, SINK_QUEUE_DEFAULTS, SinkQueue } from './sink-queue';
export type { DeliveryOutcome, SinkQueueOptions } from './sink-queue';
export { Notifier } from './notifier';
export type { NotifierOptions } from './notifier';
export { NOTIFICATION_KINDS } from './types';
export type {
  Alert,
  AlertAnnotations,
  AlertLabels,
  FiringAlert,
  Notification,
  NotificationKind,
} from './types';
export {
  AlertmanagerSink,
  SIGNATURE_HEADER,
  SINK_NAMES,
  SinkRejectedError,
  SlackSink,
  WebhookSink,
  alertmanagerBody,
  postJson,
  signBody,
  sinkTakes,
  slackMessage,
  webhookBody,
} from './sinks';
export type { PostOptions, Sink, SinkName, WebhookSinkOptions } from './sinks';
