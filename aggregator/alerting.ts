/**
 * Alerting wired in one place for startAggregator: where alert states persist, one delivery stage
 * per configured sink, and the notifier that follows the report store and notifies while the
 * aggregator's leadership (given) leads.
 */
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import type { AppConfig } from './config';
import type { Leadership } from './leader';
import type { AggregatorMetrics } from './metrics';
import type { AlertStateStore } from './notify/alert-store';
import { MemoryAlertStateStore, RedisAlertStateStore } from './notify/alert-store';
import { Notifier } from './notify/notifier';
import { SinkQueue } from './notify/sink-queue';
import { AlertmanagerSink } from './notify/sinks/alertmanager';
import type { Sink } from './notify/sinks/sink';
import { SlackSink } from './notify/sinks/slack';
import { WebhookSink } from './notify/sinks/webhook';
import type { ReportStore } from './report-store';

export type AlertingConfig = Pick<
  AppConfig,
  | 'redis'
  | 'app'
  | 'reconcileIntervalMs'
  | 'alertConfirmations'
  | 'alertForMs'
  | 'alertRepeatMs'
  | 'alertWebhookUrl'
  | 'alertWebhookSecret'
  | 'slackWebhookUrl'
  | 'alertmanagerUrl'
  | 'leaderLeaseMs'
>;

export interface AlertingDeps {
  readonly reports: ReportStore;
  /** The aggregator's one leadership: only the leader notifies. Started and closed by the caller. */
  readonly leadership: Leadership;
  readonly metrics: AggregatorMetrics;
  /** PUBLIC_URL, or what it defaults to once the port is bound. */
  readonly publicUrl: () => string;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface Alerting {
  readonly notifier: Notifier;
  /** Follows the report store. */
  start(): Promise<void>;
  /** Idempotent: stops notifying (queued notifications get a bounded flush). */
  close(): Promise<void>;
}

/** The time stop() gives queued notifications: well inside main.ts's shutdown deadline. */
const FLUSH_TIMEOUT_MS = 2_000;

/** The configured sinks (none configured: the state machine still runs, nothing is sent). */
export function configuredSinks(
  config: Pick<
    AlertingConfig,
    'alertWebhookUrl' | 'alertWebhookSecret' | 'slackWebhookUrl' | 'alertmanagerUrl'
  >,
): Sink[] {
  const sinks: Sink[] = [];
  if (config.alertWebhookUrl) {
    sinks.push(new WebhookSink({ url: config.alertWebhookUrl, secret: config.alertWebhookSecret }));
  }
  if (config.slackWebhookUrl) sinks.push(new SlackSink(config.slackWebhookUrl));
  if (config.alertmanagerUrl) sinks.push(new AlertmanagerSink(config.alertmanagerUrl));
  return sinks;
}

/**
 * How far ahead a firing alert's endsAt lies: it must outlast a few missed refreshes and a
 * leader handover (one lease), or Alertmanager would resolve an alert that still fires.
 */
export function alertExpiryMs(config: Pick<AlertingConfig, 'reconcileIntervalMs' | 'leaderLeaseMs'>): number {
  return Math.max(4 * config.reconcileIntervalMs, config.leaderLeaseMs + 2 * config.reconcileIntervalMs);
}

export function createAlerting(config: AlertingConfig, deps: AlertingDeps): Alerting {
  const { clock, metrics, leadership } = deps;
  const log = deps.log.child({ part: 'alerting' });
  const states: AlertStateStore = config.redis
    ? new RedisAlertStateStore({ engine: config.redis, app: config.app, log })
    : new MemoryAlertStateStore();
  const sinks = configuredSinks(config).map(
    (sink) =>
      new SinkQueue({
        sink,
        clock,
        log,
        onOutcome: (name, outcome, count) => metrics.countNotifications(name, outcome, count),
      }),
  );
  const notifier = new Notifier({
    app: config.app,
    reports: deps.reports,
    leadership,
    states,
    sinks,
    settings: {
      confirmations: config.alertConfirmations,
      forMs: config.alertForMs,
      repeatMs: config.alertRepeatMs,
    },
    // Read at every notification: without PUBLIC_URL it names the port, bound after this is built.
    get publicUrl() {
      return deps.publicUrl();
    },
    expiresInMs: alertExpiryMs(config),
    clock,
    log,
    flushTimeoutMs: FLUSH_TIMEOUT_MS,
  });
  const showLeader = (leader: boolean) => metrics.leader.set({ app: config.app }, leader ? 1 : 0);
  const unwatch = leadership.onChange(showLeader);
  let closing: Promise<void> | undefined;
  return {
    notifier,
    start: async () => {
      showLeader(leadership.isLeader());
      await notifier.start();
    },
    close: () =>
      (closing ??= (async () => {
        await notifier.stop();
        unwatch();
        showLeader(false);
        await states.close();
      })()),
  };
}
