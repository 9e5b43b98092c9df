/**
 * The `digitalocean` platform source: refreshes the app's view in the background every
 * cacheTtlMs and hands out the last one. A failed refresh keeps the last good view, marked
 * stale with its age (STYLE.md principle 5): it is never read as "zero instances".
 */
import type { Clock } from '../../../shared/clock';
import { systemClock } from '../../../shared/clock';
import type { Logger } from '../../../shared/logger';
import { silentLogger } from '../../../shared/logger';
import { RetryableError } from '../../../shared/retry';
import type { CreateDeploymentOptions, PlatformActions } from '../actions';
import type { PlatformSource } from '../source';
import type { DeploymentInfo, PlatformFailure, PlatformKind, PlatformView } from '../../model';
import type { DigitalOceanClient } from './client';
import { ENDPOINTS } from './client';
import { PlatformSchemaError } from './errors';
import { platformFailure } from './failure';
import type { Deployment } from './schemas';
import type { MonthlyPrice } from './view';
import { toDeploymentInfo, toPlatformView } from './view';
import { RefreshPacer } from '../refresh-pacer';

/** The client calls the source makes; a narrower type than the client, for tests and fakes. */
export type AppPlatformApi = Pick<
  DigitalOceanClient,
  'getApp' | 'listDeployments' | 'listInstances' | 'getHealth' | 'restart' | 'createDeployment' | 'close'
>;

export interface DigitalOceanSourceOptions {
  /** Owned by the source: close() closes it. */
  readonly client: AppPlatformApi;
  readonly appId: string;
  /** PLATFORM_CACHE_TTL_MS: the time between refreshes. */
  readonly cacheTtlMs?: number;
  /** `simulated` when the client talks to the simulated App Platform. */
  readonly kind?: PlatformKind;
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Called after every refresh, for metrics. */
  readonly onRefresh?: (outcome: 'ok' | 'error', durationMs: number) => void;
  /**
   * The request budget this source shares with the other apps of its token (refresh-pacer.ts);
   * default: one of its own, pacing it every cacheTtlMs.
   */
  readonly pacer?: RefreshPacer;
  /** A size's monthly price in cents (the shared InstanceSizeCatalog); default: unknown. */
  readonly monthlyCentsOf?: MonthlyPrice;
}

export const DIGITALOCEAN_SOURCE_DEFAULTS = Object.freeze({ cacheTtlMs: 60_000 });

/** The longest a rate limit may push the next refreshes back, in cache TTLs. */
const MAX_RATE_LIMIT_WAIT_TTLS = 5;

/** App Platform as a PlatformSource, with the remediation actions beside it. */
export class DigitalOceanSource implements PlatformSource {
  readonly kind: PlatformKind;
  /** Restart and redeploy through the same client; each triggers an early refresh. */
  readonly actions: PlatformActions;

  private readonly client: AppPlatformApi;
  private readonly appId: string;
  private readonly cacheTtlMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly closed = new AbortController();
  private view: PlatformView;
  private good: PlatformView | null = null;
  private failingSinceMs: number | null = null;
  private failures = 0;
  private lastError: unknown = null;
  private inFlight: Promise<PlatformView> | null = null;
  private readonly pacer: RefreshPacer;
  private loop: Promise<void> | null = null;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: DigitalOceanSourceOptions) {
    this.client = options.client;
    this.appId = options.appId;
    this.kind = options.kind ?? 'digitalocean';
    this.cacheTtlMs = options.cacheTtlMs ?? DIGITALOCEAN_SOURCE_DEFAULTS.cacheTtlMs;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLogger();
    this.pacer = options.pacer ?? new RefreshPacer({ floorMs: this.cacheTtlMs, clock: this.clock });
    this.view = this.unavailable(null);
    this.actions = {
      restart: async (components: readonly string[]) => {
        const deployment = await this.client.restart(this.appId, components, { signal: this.closed.signal });
        this.log.info('platform restart requested', {
          app_id: this.appId,
          components,
          deployment_id: deployment.id,
        });
        this.refreshSoon();
        return started(ENDPOINTS.restart, this.appId, 'restart', deployment);
      },
      createDeployment: async (request: CreateDeploymentOptions = {}) => {
        const deployment = await this.client.createDeployment(this.appId, request, {
          signal: this.closed.signal,
        });
        this.log.info('platform deployment requested', { app_id: this.appId, deployment_id: deployment.id });
        this.refreshSoon();
        return started(ENDPOINTS.createDeployment, this.appId, 'deployments', deployment);
      },
    };
  }

  /** The last view: never blocks, never throws. */
  current(): PlatformView {
    return this.view;
  }

  /**
   * Starts the background refresh loop (first refresh on the pacer's first turn: at once when
   * alone) and returns without waiting for it.
   */
  start(): Promise<void> {
    if (!this.loop && !this.closing) this.loop = this.run();
    return Promise.resolve();
  }

  /**
   * One refresh now, joined with the one in flight if any; resolves with the resulting view.
   * For callers that want a first answer (the demo's `--once`) and for tests.
   */
  refresh(): Promise<PlatformView> {
    if (this.closing) return Promise.resolve(this.view);
    this.inFlight ??= this.fetch().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** Idempotent: stops the loop, aborts calls in flight, closes the client. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed.abort();
      this.pacer.leave(this);
      await this.loop;
      await this.inFlight;
      await this.client.close();
    })();
    return this.closing;
  }

  private async run(): Promise<void> {
    const { signal } = this.closed;
    while (!signal.aborted) {
      await this.pacer.turn(this, signal);
      if (signal.aborted) return;
      await this.refresh();
      // A rate limit that resets later than the next turn: waiting for it saves calls that would
      // only be refused, for every app of the token. Capped, because ratelimit-reset names the
      // expiry of the oldest request of the hour, and an hour-old view helps no one.
      const retryAfterMs = this.lastError instanceof RetryableError ? (this.lastError.retryAfterMs ?? 0) : 0;
      if (retryAfterMs > 0) {
        this.pacer.holdFor(Math.min(retryAfterMs, MAX_RATE_LIMIT_WAIT_TTLS * this.cacheTtlMs));
      }
    }
  }

  /** After an action: refresh at once, or right after the refresh in flight (it may predate the action). */
  private refreshSoon(): void {
    if (this.loop) this.pacer.expedite(this);
  }

  private async fetch(): Promise<PlatformView> {
    const startedAtMs = this.clock.now();
    // The first failure aborts the sibling calls: the refresh has failed already.
    const siblings = new AbortController();
    const signal = AbortSignal.any([this.closed.signal, siblings.signal]);
    const call = <T>(promise: Promise<T>): Promise<T> =>
      promise.catch((err: unknown) => {
        siblings.abort();
        throw err;
      });
    try {
      const [app, deployments, instances, health] = await Promise.all([
        call(this.client.getApp(this.appId, { signal })),
        call(this.client.listDeployments(this.appId, { signal })),
        call(this.client.listInstances(this.appId, { signal })),
        call(this.client.getHealth(this.appId, { signal })),
      ]);
      // Stamped with the start: the data is at least that old, and an age must never flatter.
      this.succeeded(
        toPlatformView(
          { appId: this.appId, app, deployments, instances, health, fetchedAtMs: startedAtMs },
          this.kind,
          this.options.monthlyCentsOf,
        ),
      );
      this.options.onRefresh?.('ok', this.clock.now() - startedAtMs);
    } catch (err) {
      if (this.closed.signal.aborted) return this.view;
      this.failed(err);
      this.options.onRefresh?.('error', this.clock.now() - startedAtMs);
    }
    return this.view;
  }

  private succeeded(view: PlatformView): void {
    if (this.failingSinceMs !== null) {
      this.log.info('platform refresh recovered', {
        app_id: this.appId,
        failed_for_ms: this.clock.now() - this.failingSinceMs,
        failed_refreshes: this.failures,
      });
    }
    this.failingSinceMs = null;
    this.failures = 0;
    this.lastError = null;
    this.good = view;
    this.view = view;
  }

  private failed(err: unknown): void {
    const text = err instanceof Error ? err.message : String(err);
    this.failures++;
    this.lastError = err;
    if (this.failingSinceMs === null) {
      this.failingSinceMs = this.clock.now();
      this.log.warn('platform refresh failing; keeping the last good view', {
        app_id: this.appId,
        err: text,
        has_good_view: this.good !== null,
      });
    }
    const error = platformFailure(err, this.failingSinceMs);
    this.view = this.good ? { ...this.good, status: 'stale', error } : this.unavailable(error);
  }

  private unavailable(error: PlatformFailure | null): PlatformView {
    return {
      source: this.kind,
      appId: this.appId,
      appName: null,
      status: 'unavailable',
      fetchedAtMs: null,
      error,
      components: [],
      defaultDesired: null,
      activeDeployment: null,
      inProgressDeployment: null,
      pendingDeployment: null,
      deployments: [],
    };
  }
}

/**
 * The deployment an action started. An answer that names none is refused as not fitting: the
 * action was accepted (so it must not simply be sent again), but there is nothing to follow.
 */
function started(endpoint: string, appId: string, action: string, deployment: Deployment): DeploymentInfo {
  const info = toDeploymentInfo(deployment);
  if (info !== null) return info;
  throw new PlatformSchemaError(
    endpoint,
    'deployment.id',
    "the answer names no deployment; the action may have started: see the app's deployments",
    { call: `POST /v2/apps/${appId}/${action}`, status: 200 },
  );
}
