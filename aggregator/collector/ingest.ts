/**
 * What `POST /api/v1/heartbeats` calls: admits a heartbeat into the registry, and in Redis mode
 * relays it into Redis so that every other aggregator on the same Redis sees it too. The relay
 * comes back to this aggregator through the feed, where it is a duplicate and changes nothing.
 */
import type { Heartbeat, RejectReason } from '../../shared/heartbeat';
import type { Logger } from '../../shared/logger';
import type { RedisConnection } from '../../shared/redis-client';
import { closeQuietly, connectOrFail, createRedisClient } from '../../shared/redis-client';
import type { RedisEngine } from '../../shared/redis-engine';
import { recordHeartbeat } from '../../shared/redis-scripts';
import type { AppScope } from './accept';
import { admitHeartbeat } from './accept';
import { ReplayGuard } from './replay-guard';
import type { AppliedHook, ApplyOutcome, InstanceRegistry } from './registry';
import { APPLY_OUTCOMES } from './registry';
import type { RejectHook } from './reject-log';
import { RejectLog } from './reject-log';

/** The ingest's answer: the registry's outcome, or why the body was refused (HTTP 400). */
export type IngestResult =
  | { readonly ok: true; readonly outcome: ApplyOutcome }
  | { readonly ok: false; readonly reason: RejectReason; readonly detail: string };

/** The apps an aggregator watches, as the ingest routes heartbeats to them. */
export interface IngestApps extends AppScope {
  /** The registry of a watched app; undefined for any other (its heartbeats are `wrong_app`). */
  registryOf(app: string): InstanceRegistry | undefined;
}

/** Options of HeartbeatIngest; the hooks are the same metric hooks the collectors take. */
export interface HeartbeatIngestOptions {
  /** The apps it admits heartbeats of, each into its own registry; others are refused (`wrong_app`). */
  readonly apps: IngestApps;
  /** Redis to relay accepted heartbeats into; null or absent in the embedded mode. */
  readonly redis?: RedisEngine | null;
  /** HEARTBEAT_SECRET: only heartbeats signed with it, and not replayed, are admitted (see admitHeartbeat). */
  readonly heartbeatSecret?: string | null;
  readonly log: Logger;
  readonly onApplied?: AppliedHook;
  readonly onRejected?: RejectHook;
}

/** Counters for tests and diagnostics. */
export interface HeartbeatIngestStats {
  readonly relayed: number;
  readonly relayFailures: number;
}

// Only what changed the registry is worth relaying: a duplicate is already known (usually it
// came from Redis in the first place), an out-of-order one is outdated.
const RELAYED_OUTCOMES: ReadonlySet<ApplyOutcome> = new Set(['new', 'updated', 'left']);

// One frozen answer per outcome: the HTTP ingest admits tens of thousands a second.
const ACCEPTED = Object.fromEntries(
  APPLY_OUTCOMES.map((outcome) => [outcome, Object.freeze({ ok: true, outcome } as const)]),
) as Readonly<Record<ApplyOutcome, IngestResult>>;

/** Admits HTTP heartbeats into the registry and relays them into Redis (see the module comment). */
export class HeartbeatIngest {
  private readonly relayClient: RedisConnection | null;
  private readonly rejects: RejectLog;
  /** Per app: each guards its own registry's instances. */
  private readonly replayGuards = new Map<string, ReplayGuard>();
  private connecting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private relayDown = false;
  private relayed = 0;
  private relayFailures = 0;

  constructor(private readonly options: HeartbeatIngestOptions) {
    this.rejects = new RejectLog(options.log, options.onRejected);
    this.relayClient = options.redis
      ? createRedisClient({ engine: options.redis, log: options.log, name: 'replica-watch-aggregator-relay' })
      : null;
  }

  /**
   * Validates and applies one heartbeat body received at `nowMs`. Never throws; a failing relay
   * never fails the ingest (the registry has the heartbeat either way).
   */
  ingest(body: Buffer | string, nowMs: number): Promise<IngestResult> {
    return Promise.resolve(this.ingestNow(body, nowMs));
  }

  /**
   * ingest(), answered at once when there is no relay to wait for (the embedded mode; a
   * duplicate): the HTTP ingest's fast path takes no promise and no turn of the event loop then.
   */
  ingestNow(body: Buffer | string, nowMs: number): IngestResult | Promise<IngestResult> {
    const relays: Promise<void>[] = [];
    const result = this.admit(body, nowMs, relays);
    return relays.length === 0 ? result : (relays[0] as Promise<void>).then(() => result);
  }

  /**
   * ingestNow() for each body of a batch, in order (a later copy of an instance is judged after
   * the earlier one), every relay started at once and awaited together: Redis pipelines them,
   * where one by one each would wait for the previous round trip. Never throws.
   */
  ingestManyNow(
    bodies: readonly (Buffer | string)[],
    nowMs: number,
  ): IngestResult[] | Promise<IngestResult[]> {
    const relays: Promise<void>[] = [];
    const results = bodies.map((body) => this.admit(body, nowMs, relays));
    return relays.length === 0 ? results : Promise.all(relays).then(() => results);
  }

  /** Judges and applies one body; the relay it starts, if any, is pushed onto `relays`. */
  private admit(body: Buffer | string, nowMs: number, relays: Promise<void>[]): IngestResult {
    const { apps, heartbeatSecret } = this.options;
    const parsed = admitHeartbeat(
      body,
      { apps, heartbeatSecret },
      nowMs,
      heartbeatSecret ? this.guard : null,
    );
    const registry = parsed.ok ? apps.registryOf(parsed.heartbeat.app) : undefined;
    if (!parsed.ok || registry === undefined) {
      // Admitted but its app left the fleet meanwhile (discovery): refused like any other app's.
      const refused = parsed.ok
        ? ({
            ok: false,
            reason: 'wrong_app',
            detail: `app ${JSON.stringify(parsed.heartbeat.app)} is no longer watched`,
          } as const)
        : parsed;
      this.rejects.note(refused.reason, refused.detail, 'http', nowMs);
      return refused;
    }
    const heartbeat = parsed.heartbeat;
    const outcome = registry.apply(heartbeat, nowMs);
    this.options.onApplied?.(outcome, heartbeat);
    if (this.relayClient !== null && RELAYED_OUTCOMES.has(outcome)) {
      // The agent's own bytes, not a re-serialisation: whatever it signed stays verifiable.
      relays.push(this.relay(heartbeat, typeof body === 'string' ? body : body.toString('utf8')));
    }
    return ACCEPTED[outcome];
  }

  /** The replay guard of a heartbeat's app, made on its first signed heartbeat. */
  private readonly guard: Pick<ReplayGuard, 'judge'> = {
    judge: (heartbeat: Heartbeat, recordedAtMs: number): string | null => {
      let guard = this.replayGuards.get(heartbeat.app);
      if (guard === undefined) {
        const app = heartbeat.app;
        guard = new ReplayGuard((id) => this.options.apps.registryOf(app)?.get(id));
        this.replayGuards.set(app, guard);
      }
      return guard.judge(heartbeat, recordedAtMs);
    },
  };

  stats(): HeartbeatIngestStats {
    return { relayed: this.relayed, relayFailures: this.relayFailures };
  }

  /** Idempotent: closes the relay connection. */
  close(): Promise<void> {
    return (this.closing ??= this.relayClient ? closeQuietly(this.relayClient) : Promise.resolve());
  }

  private async relay(heartbeat: Heartbeat, json: string): Promise<void> {
    const client = this.relayClient;
    if (!client || this.closing) return;
    // Connect on first use; afterwards the client reconnects by itself and, with its offline
    // queue disabled, a relay while Redis is down fails at once instead of holding the request.
    this.connecting ??= connectOrFail(client).catch(() => undefined);
    await this.connecting;
    try {
      await recordHeartbeat(client, heartbeat, json);
      this.relayed++;
      if (this.relayDown) this.options.log.info('heartbeat relay into redis works again');
      this.relayDown = false;
    } catch (err) {
      this.relayFailures++;
      if (this.relayDown) return;
      this.relayDown = true;
      this.options.log.warn(
        'heartbeat relay into redis failed; other aggregators will not see HTTP heartbeats',
        {
          err: err instanceof Error ? err.message : String(err),
        },
      );
    }
  }
}
