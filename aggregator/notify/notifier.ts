/**
 * The notifier: on every published report it advances the alert state machine, persists the
 * states (BEFORE sending: a crash then loses a notification rather than doubling one; fenced in
 * Redis mode, so a deposed leader writes nothing) and hands the notifications to each sink's
 * queue. Only the leader does this; followers keep a copy of the persisted states, so that
 * `firing()` answers everywhere and a new leader carries on where the old one stopped: an alert
 * it already notified is not fired again, and one being resolved is not lost.
 *
 * Reports are processed one at a time, and when they come faster than states can be persisted
 * only the latest waits: the reconcile loop never waits for any of it.
 */
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { Leadership } from '../leader';
import type { ReportWithoutInstances } from '../reconcile/report';
import type { ReportStore } from '../report-store';
import type { AlertContext } from './alert-message';
import { toAlert } from './alert-message';
import type { AlertSettings, AlertState, AlertStates } from './alert-state';
import { alertKey, stepAlerts } from './alert-state';
import type { AlertStateStore } from './alert-store';
import type { SinkQueue } from './sink-queue';
import type { FiringAlert, Notification } from './types';

export interface NotifierOptions {
  readonly app: string;
  readonly reports: ReportStore;
  readonly leadership: Leadership;
  readonly states: AlertStateStore;
  /** One delivery stage per configured sink; the notifier closes them on stop(). */
  readonly sinks: readonly SinkQueue[];
  readonly settings: AlertSettings;
  /** PUBLIC_URL: where the alerts' links point. */
  readonly publicUrl: string;
  /** How far ahead a firing alert's endsAt lies (a few reconcile intervals). */
  readonly expiresInMs: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** How long stop() lets queued notifications go out; default 5 s. */
  readonly flushTimeoutMs?: number;
}

export class Notifier {
  private states: AlertStates = new Map();
  /** The term the states were loaded for: undefined = not loaded as leader. */
  private loadedForTerm: number | null | undefined = undefined;
  private latest: ReportWithoutInstances | null = null;
  private processing: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;
  private stopping: Promise<void> | null = null;
  private failing = false;

  constructor(private readonly options: NotifierOptions) {}

  /** Loads the persisted states and follows the report store. */
  async start(): Promise<void> {
    if (this.unsubscribe || this.stopping) return;
    try {
      this.states = await this.options.states.load();
    } catch (err) {
      this.options.log.warn('alert states could not be loaded; retrying with the next report', {
        err: (err as Error).message,
      });
    }
    this.unsubscribe = this.options.reports.subscribe((published) => this.offer(published.report));
  }

  /** The alerts firing now, by component then code. */
  firing(): readonly FiringAlert[] {
    const firing: FiringAlert[] = [];
    for (const state of this.states.values()) {
      if (state.status === 'firing' && state.firingSinceMs !== null) {
        firing.push({ component: state.component, code: state.code, sinceMs: state.firingSinceMs });
      }
    }
    return firing.sort((a, b) => (alertKey(a.component, a.code) < alertKey(b.component, b.code) ? -1 : 1));
  }

  /** Resolves once every report offered so far has been processed (states written, notifications queued). */
  async settled(): Promise<void> {
    while (this.processing) await this.processing;
  }

  /** Idempotent. Stops following reports, finishes the one in progress, flushes the queues within a bound. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.unsubscribe?.();
      this.latest = null;
      await this.settled();
      const flushTimeoutMs = this.options.flushTimeoutMs ?? 5_000;
      await Promise.all(this.options.sinks.map((queue) => queue.close(flushTimeoutMs)));
    })();
    return this.stopping;
  }

  /** Called synchronously by the report store: remember the report, process it when free. */
  private offer(report: ReportWithoutInstances): void {
    if (this.stopping) return;
    this.latest = report;
    if (this.processing) return;
    this.processing = (async () => {
      let next: ReportWithoutInstances | null;
      while ((next = this.latest) !== null) {
        this.latest = null;
        await this.processQuietly(next);
      }
    })().finally(() => {
      this.processing = null;
    });
  }

  private async processQuietly(report: ReportWithoutInstances): Promise<void> {
    try {
      await this.process(report);
      if (this.failing) {
        this.failing = false;
        this.options.log.info('alert states are written again');
      }
    } catch (err) {
      // Nothing was sent for this report; the next one tries again from the same states.
      if (!this.failing) {
        this.failing = true;
        this.options.log.warn('alerting skipped: the alert states could not be read or written', {
          err: (err as Error).message,
        });
      }
    }
  }

  private async process(report: ReportWithoutInstances): Promise<void> {
    const { leadership, states: store, clock, log } = this.options;
    if (!leadership.isLeader()) {
      this.loadedForTerm = undefined;
      this.states = await store.load();
      return;
    }
    const term = leadership.fencingToken();
    if (this.loadedForTerm !== term) {
      // A new term: carry on from what the previous leader persisted.
      this.states = await store.load();
      this.loadedForTerm = term;
    }
    const nowMs = clock.now();
    const step = stepAlerts(this.states, report, nowMs, this.options.settings);
    const written = await store.save({ upserted: step.upserted, removed: step.removed }, term);
    if (!written) {
      log.warn('alert states not written: a newer leader holds the fencing token', { fencing_token: term });
      this.loadedForTerm = undefined;
      return;
    }
    this.states = step.states;
    const ctx: AlertContext = {
      app: this.options.app,
      publicUrl: this.options.publicUrl,
      nowMs,
      expiresInMs: this.options.expiresInMs,
    };
    const notified = new Set<AlertState>();
    const batch: Notification[] = step.transitions.map(({ kind, state }) => {
      notified.add(state);
      return { kind, alert: toAlert(state, kind === 'resolved', ctx) };
    });
    for (const state of step.states.values()) {
      if (state.status === 'firing' && !notified.has(state)) {
        batch.push({ kind: 'refresh', alert: toAlert(state, false, ctx) });
      }
    }
    if (batch.length === 0) return;
    for (const transition of step.transitions) {
      log.info(`alert ${transition.kind}`, {
        component: transition.state.component,
        code: transition.state.code,
        severity: transition.state.severity,
      });
    }
    for (const queue of this.options.sinks) queue.enqueue(batch);
  }
}
