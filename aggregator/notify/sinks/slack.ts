/**
 * A Slack incoming webhook: one message per batch, a few blocks per alert (what, the finding,
 * counts, instances, what to do, a link to the report) and a plain-text fallback for
 * notifications. The webhook URL is a secret (its path is the token): it never appears in errors.
 */
import type { Notification, NotificationKind } from '../types';
import { postJson } from './http-post';
import type { Sink } from './sink';

// Slack allows 50 blocks a message and 3,000 characters a text block.
const MAX_ALERTS_PER_MESSAGE = 8;
const MAX_TEXT = 2_900;

const HEADLINE: Readonly<Record<NotificationKind, string>> = {
  firing: ':rotating_light: FIRING',
  repeat: ':repeat: STILL FIRING',
  resolved: ':white_check_mark: RESOLVED',
  refresh: ':rotating_light: FIRING',
};

/** Slack's mrkdwn needs &, < and > escaped. */
function escape(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return escaped.length > MAX_TEXT ? `${escaped.slice(0, MAX_TEXT)}…` : escaped;
}

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });

/** The message: `text` for notifications and clients without blocks, `blocks` for the rest. */
export function slackMessage(notifications: readonly Notification[]): { text: string; blocks: unknown[] } {
  const shown = notifications.slice(0, MAX_ALERTS_PER_MESSAGE);
  const blocks: unknown[] = [];
  for (const { kind, alert } of shown) {
    const { labels, annotations } = alert;
    blocks.push(
      {
        type: 'section',
        text: mrkdwn(
          `*${HEADLINE[kind]}* · \`${labels.code}\` · ${escape(labels.severity)}\n*${escape(annotations.summary)}*`,
        ),
      },
      { type: 'section', text: mrkdwn(escape(annotations.description)) },
      {
        type: 'section',
        fields: [
          mrkdwn(`*Counts*\n${escape(annotations.counts)}`),
          mrkdwn(`*Instances*\n${escape(annotations.instances || '—')}`),
          mrkdwn(`*Deployments*\n${escape(annotations.deployment_ids || '—')}`),
          mrkdwn(`*Since*\n${escape(alert.startsAt)}`),
        ],
      },
      {
        type: 'section',
        text: mrkdwn(
          `*What to do:* ${escape(annotations.recommendation)}\n<${annotations.report_url}|Open the report>`,
        ),
      },
      { type: 'divider' },
    );
  }
  const hidden = notifications.length - shown.length;
  if (hidden > 0) {
    blocks.push({ type: 'context', elements: [mrkdwn(`… and ${hidden} more: see the report`)] });
  }
  const text = notifications
    .map(({ kind, alert }) => `${HEADLINE[kind]} ${alert.annotations.summary}`)
    .join('\n');
  return { text: text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text, blocks };
}

export class SlackSink implements Sink {
  readonly name = 'slack' as const;

  /** `url`: SLACK_WEBHOOK_URL (a secret). */
  constructor(private readonly url: string) {}

  send(notifications: readonly Notification[], signal?: AbortSignal): Promise<void> {
    return postJson(this.url, JSON.stringify(slackMessage(notifications)), { what: 'slack', signal });
  }
}
