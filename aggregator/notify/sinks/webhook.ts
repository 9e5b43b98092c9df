/**
 * The generic webhook: one JSON POST per batch. With ALERT_WEBHOOK_SECRET, the header
 * `X-Replica-Watch-Signature: sha256=<hex HMAC-SHA256 of the exact body>` lets the receiver
 * check that the body came from us, unaltered (compare in constant time).
 */
import { createHmac } from 'node:crypto';
import type { Notification } from '../types';
import { postJson } from './http-post';
import type { Sink } from './sink';

export const SIGNATURE_HEADER = 'X-Replica-Watch-Signature';

/** `sha256=<hex>` of the body under the secret. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The webhook body (snake_case, like every JSON replica-watch writes). */
export function webhookBody(notifications: readonly Notification[]): string {
  return JSON.stringify({
    version: '1',
    source: 'replica-watch',
    notifications: notifications.map(({ kind, alert }) => ({
      kind,
      status: kind === 'resolved' ? 'resolved' : 'firing',
      labels: alert.labels,
      annotations: alert.annotations,
      starts_at: alert.startsAt,
      ends_at: alert.endsAt,
      generator_url: alert.generatorURL,
    })),
  });
}

export interface WebhookSinkOptions {
  /** ALERT_WEBHOOK_URL. */
  readonly url: string;
  /** ALERT_WEBHOOK_SECRET; null: no signature header. */
  readonly secret: string | null;
}

export class WebhookSink implements Sink {
  readonly name = 'webhook' as const;

  constructor(private readonly options: WebhookSinkOptions) {}

  send(notifications: readonly Notification[], signal?: AbortSignal): Promise<void> {
    const body = webhookBody(notifications);
    const { secret } = this.options;
    return postJson(this.options.url, body, {
      what: 'webhook',
      headers: secret === null ? {} : { [SIGNATURE_HEADER]: signBody(body, secret) },
      signal,
    });
  }
}
