/** Alert destinations. */
export { SINK_NAMES, sinkTakes } from './sink';
export type { Sink, SinkName } from './sink';
export { SinkRejectedError, postJson } from './http-post';
export type { PostOptions } from './http-post';
export { SIGNATURE_HEADER, WebhookSink, signBody, webhookBody } from './webhook';
export type { WebhookSinkOptions } from './webhook';
export { SlackSink, slackMessage } from './slack';
export { AlertmanagerSink, alertmanagerBody } from './alertmanager';
