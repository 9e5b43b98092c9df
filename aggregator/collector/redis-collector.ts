/**
 * The collector with Redis: a resync from the index (ZSET `seen` + MGET of the heartbeat keys)
 * at start, after every outage and every `resyncIntervalMs`, and in between the change feed
 * read with XREAD from the last id seen, so nothing written while it looked away is lost and
 * nothing is read twice into the registry (applying is idempotent anyway).
 *
 * It never SCANs the keyspace and never re-reads the fleet per reconcile: the feed carries
 * only what changed; the resync is the anti-entropy pass that repairs anything the feed missed
 * (an entry trimmed away during an outage, a heartbeat key written by hand).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import { maskUrlCredentials } from '../../shared/logger';
import type { RedisConnection } from '../../shared/redis-client';
import { closeQuietly, connectOrFail, createRedisClient } from '../../shared/redis-client';
import type { RedisEngine } from '../../shared/redis-engine';
import type { AppKeys } from '../../shared/redis-keys';
import { appKeys, FEED_FIELD } from '../../shared/redis-keys';
import { backoffDelayMs } from '../../shared/retry';
import type { AdmissionPolicy } from './accept';
import { admitHeartbeat, oneApp } from './accept';
import { ReplayGuard } from './replay-guard';
import type { AppliedHook, InstanceRegistry } from './registry';
import type { Collector } from './collector';
import type { CollectorHealth, InstanceRecord, SnapshotChanges } from '../model';
import type { RejectHook } from './reject-log';
import { RejectLog } from './reject-log';

/** Options of RedisCollector; everything past `onRejected` has a default tuned for production. */
export interface RedisCollectorOptions {
  /** The Redis it reads (one server, a cluster, a primary through Sentinel). */
  readonly engine: RedisEngine;
  /** The app whose keys it reads. */
  readonly app: string;
  readonly registry: InstanceRegistry;
  readonly log: Logger;
  readonly clock: Clock;
  /** Anti-entropy: how often the whole index is read again (RESYNC_INTERVAL_MS). */
  readonly resyncIntervalMs: number;
  /**
   * HEARTBEAT_SECRET: only signed heartbeats the replay guard admits are applied
   * (see admitHeartbeat); null or absent: none is verified.
   */
  readonly heartbeatSecret?: string | null;
  /** Metric hooks; they must not throw (a throw counts as a failed read and forces a resync). */
  readonly onApplied?: AppliedHook;
  readonly onRejected?: RejectHook;
  /** How long one XREAD waits for new entries; also bounds how late a due resync starts. */
  readonly blockMs?: number;
  /** Backoff between attempts while Redis fails. */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /**
   * Default true: when a connection is ready again (Redis back, a failover's new master found),
   * the next attempt starts at once instead of after the rest of the backoff, so the collector
   * sees again within moments of Redis. False keeps the whole backoff (a test that holds it).
   */
  readonly resumeOnReconnect?: boolean;
  /** Heartbeat keys per MGET during a resync. */
  readonly mgetChunkSize?: number;
  /**
   * After a read that did not fill a batch, wait until this long after it began before reading
   * again: entries then come a hundred at a time instead of one per round trip.
   */
  readonly feedBatchMs?: number;
}

/** Counters for tests and diagnostics. */
export interface RedisCollectorStats {
  /** Completed resyncs. */
  readonly resyncs: number;
  /** Heartbeats the last resync read from the index (expired keys not included). */
  readonly lastResyncHeartbeats: number;
  /** Feed entries processed, rejected ones included. */
  readonly feedEntries: number;
  /** Heartbeats refused (feed and resync). */
  readonly rejected: number;
  /** Times the collector went blind. */
  readonly outages: number;
  /** Times the feed had been trimmed past the last id read (the resync covered the gap). */
  readonly feedGaps: number;
  /**
   * Times the feed ended before the last id read: a failover lost entries the old primary had
   * not yet replicated, so reading goes on from the new primary's newest entry.
   */
  readonly feedRewinds: number;
  /** The last feed id read; null before the first resync. */
  readonly lastId: string | null;
}

type MutableStats = { -readonly [K in keyof RedisCollectorStats]: RedisCollectorStats[K] };

const DEFAULT_BLOCK_MS = 1_000;
// XREAD returns as soon as one entry is there: at 1,000 heartbeats/s that was ~700 round trips
// a second and a quarter of a core. A tenth of a second per batch costs that much latency and
// brings it down to ten reads a second; a full batch (falling behind) is followed at once.
const DEFAULT_FEED_BATCH_MS = 100;
// 1,000 entries of ~0.6 KiB: big enough to keep up with 100k instances at a 10 s interval in
// a few reads a second, small enough that one read never holds much memory.
const FEED_COUNT = 1_000;
const DEFAULT_MGET_CHUNK = 1_000;
// Chunks in flight at once during a resync: pipelined, but bounded so that a 100k-instance
// resync holds a few MiB of replies at a time rather than the whole fleet.
const MGET_PIPELINE_DEPTH = 8;
const DEFAULT_BACKOFF_BASE_MS = 250;
const DEFAULT_BACKOFF_MAX_MS = 5_000;

/** Orders two stream ids (`<ms>-<seq>`); ids are compared as numbers, not as text. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = 0n, aSeq = 0n] = a.split('-').map(BigInt);
  const [bMs = 0n, bSeq = 0n] = b.split('-').map(BigInt);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  if (aSeq !== bSeq) return aSeq < bSeq ? -1 : 1;
  return 0;
}

/** The ms part of a stream id: the Redis time at which the entry was written. */
function streamIdMs(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return maskUrlCredentials(message).slice(0, 200);
}

/** Reads the fleet's heartbeats from Redis into the registry (see the module comment). */
export class RedisCollector implements Collector {
  private readonly keys: AppKeys;
  private readonly blockMs: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly mgetChunkSize: number;
  private readonly feedBatchMs: number;
  /** Resyncs, pruning and everything but the blocking read. */
  private readonly client: RedisConnection;
  /** The blocking XREAD only: it would hold up every other command on a shared connection. */
  private readonly feedClient: RedisConnection;
  private readonly rejects: RejectLog;
  private readonly replayGuard: ReplayGuard | null;
  private readonly abort = new AbortController();
  private readonly counters: MutableStats = {
    resyncs: 0,
    lastResyncHeartbeats: 0,
    feedEntries: 0,
    rejected: 0,
    outages: 0,
    feedGaps: 0,
    feedRewinds: 0,
    lastId: null,
  };
  private starting: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private needResync = true;
  private nextResyncAtMs = 0;
  private lastEntryMs: number | null = null;
  // Blind from construction until the first resync succeeds: before that it knows nothing.
  private blindSinceMs: number | null;
  private blindDetail: string | null = 'not synced with redis yet';
  private readonly admission: AdmissionPolicy;
  private outageLogged = false;

  constructor(private readonly options: RedisCollectorOptions) {
    this.keys = appKeys(options.app);
    this.admission = { apps: oneApp(options.app), heartbeatSecret: options.heartbeatSecret };
    this.blockMs = options.blockMs ?? DEFAULT_BLOCK_MS;
    this.backoffBaseMs = options.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS;
    this.backoffMaxMs = options.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS;
    this.mgetChunkSize = options.mgetChunkSize ?? DEFAULT_MGET_CHUNK;
    this.feedBatchMs = options.feedBatchMs ?? DEFAULT_FEED_BATCH_MS;
    this.blindSinceMs = options.clock.now();
    this.replayGuard = options.heartbeatSecret ? new ReplayGuard((id) => options.registry.get(id)) : null;
    const connect = { engine: options.engine, log: options.log, maxBackoffMs: this.backoffMaxMs };
    this.client = createRedisClient({ ...connect, name: 'replica-watch-aggregator' });
    this.feedClient = createRedisClient({ ...connect, name: 'replica-watch-aggregator-feed' });
    this.rejects = new RejectLog(options.log, (reason, detail) => {
      this.counters.rejected++;
      options.onRejected?.(reason, detail);
    });
  }

  /**
   * Connects and resyncs, then reads the feed in the background. Resolves after the first
   * attempt: when Redis is unreachable the collector starts blind (health() says so) and keeps
   * trying, so the aggregator still serves and reports DATA_DEGRADED. Calling it again returns
   * the same promise.
   */
  start(): Promise<void> {
    return (this.starting ??= this.connectAndRun());
  }

  private async connectAndRun(): Promise<void> {
    if (this.abort.signal.aborted) return;
    let firstFailure: unknown = null;
    try {
      await Promise.all([connectOrFail(this.client), connectOrFail(this.feedClient)]);
      await this.resync();
    } catch (err) {
      firstFailure = err;
    }
    if (this.abort.signal.aborted) return;
    this.loop = this.run(firstFailure);
  }

  snapshot(): readonly InstanceRecord[] {
    return this.options.registry.snapshot();
  }

  changes(): SnapshotChanges | null {
    return this.options.registry.changes();
  }

  health(): CollectorHealth {
    if (this.blindSinceMs === null) return { healthy: true, blindSinceMs: null, detail: null };
    return { healthy: false, blindSinceMs: this.blindSinceMs, detail: this.blindDetail };
  }

  /** Now minus the Redis time of the last feed entry processed; null before the first one. */
  feedLagMs(): number | null {
    return this.lastEntryMs === null ? null : this.options.clock.now() - this.lastEntryMs;
  }

  stats(): RedisCollectorStats {
    return { ...this.counters };
  }

  /** Idempotent: aborts any backoff, ends the blocking read and closes both connections. */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    this.abort.abort();
    // destroy() rejects the pending XREAD at once instead of waiting out its BLOCK.
    if (this.feedClient.isOpen) this.feedClient.destroy();
    // Lets a command under way finish; a start() or resync in progress then fails on the closed
    // client and, seeing the abort, stops.
    await closeQuietly(this.client);
    await this.starting;
    await this.loop;
  }

  private async run(firstFailure: unknown): Promise<void> {
    const signal = this.abort.signal;
    let failures = 0;
    if (firstFailure !== null) {
      this.markBlind(firstFailure);
      await this.backoff(failures++, signal);
    }
    while (!signal.aborted) {
      try {
        // Serial with the feed reads: a due resync waits at most one BLOCK, and the two never
        // race over lastId.
        if (this.needResync || this.options.clock.now() >= this.nextResyncAtMs) await this.resync();
        const readStartedMs = this.options.clock.now();
        const entries = await this.readFeed();
        failures = 0;
        if (entries > 0 && entries < FEED_COUNT) {
          const restMs = readStartedMs + this.feedBatchMs - this.options.clock.now();
          if (restMs > 0) await this.pace(restMs, signal);
        }
      } catch (err) {
        if (signal.aborted) break;
        this.needResync = true;
        this.markBlind(err);
        await this.backoff(failures++, signal);
      }
    }
  }

  /**
   * The pause after a failed attempt: capped exponential backoff with jitter, ended early on
   * close and (resumeOnReconnect) when either connection is ready again. After a failover the
   * backoff has grown to seconds; waiting it out would leave the app degraded that much longer
   * than Redis was away.
   */
  private async backoff(failures: number, signal: AbortSignal): Promise<void> {
    const ms = backoffDelayMs(failures, this.backoffBaseMs, this.backoffMaxMs);
    if (this.options.resumeOnReconnect === false) return this.options.clock.sleep(ms, signal);
    const reconnected = new AbortController();
    const wake = () => reconnected.abort();
    this.client.once('ready', wake);
    this.feedClient.once('ready', wake);
    try {
      await this.options.clock.sleep(ms, AbortSignal.any([signal, reconnected.signal]));
    } finally {
      this.client.off('ready', wake);
      this.feedClient.off('ready', wake);
    }
  }

  /**
   * Reads the whole index. The feed's last id is read first (in the same pipeline, before the
   * index): anything written after that point is in the feed, and reading it again from
   * there is harmless because applying is idempotent.
   */
  private async resync(): Promise<void> {
    // Both connections: a resync without a working feed would only go blind again at once.
    if (!this.client.isReady || !this.feedClient.isReady) throw new Error('redis connection is not ready');
    const { feed, seen } = this.keys;
    const nowMs = this.options.clock.now();
    const cutoffMs = nowMs - this.options.registry.retentionMs;
    // Issued in one tick on one connection: pipelined, and executed by Redis in this order.
    const [newest, oldest, index] = await Promise.all([
      this.client.xRevRange(feed, '+', '-', { COUNT: 1 }),
      this.client.xRange(feed, '-', '+', { COUNT: 1 }),
      this.client.zRangeWithScores(seen, 0, -1),
    ]);
    const feedHeadId = newest?.[0]?.id ?? '0-0';
    if (this.counters.lastId !== null && compareStreamIds(feedHeadId, this.counters.lastId) < 0) {
      // The feed ends before what was read from it: a failover promoted a replica that had not
      // received the newest entries (replication is asynchronous), or Redis came back empty. New
      // entries could get ids below the last one read, so reading goes on from the feed's end.
      this.counters.feedRewinds++;
      this.options.log.info(
        'feed ends before the last entry read (a failover or a restart lost entries); reading on from its end',
        {
          lastId: this.counters.lastId,
          feedEndId: feedHeadId,
        },
      );
      this.counters.lastId = feedHeadId;
    }
    const lastId = this.counters.lastId;
    const oldestId = oldest?.[0]?.id;
    if (lastId !== null && oldestId !== undefined && compareStreamIds(oldestId, lastId) > 0) {
      this.counters.feedGaps++;
      this.options.log.info('feed trimmed past the last entry read; the resync covers the gap', { lastId });
    }

    // What the registry holds already needs no reading: an index score is the Redis time of the
    // latest write of that instance, and a record last seen at or after it came from that write
    // (its feed entry's id, from the same clock a moment later) or a later one. Only the cold
    // start and what the feed lost are read: at 100k instances a periodic resync read and parsed
    // every heartbeat again, a second of CPU and a burst of memory every RESYNC_INTERVAL_MS.
    const registry = this.options.registry;
    const current = index.filter((entry) => entry.score >= cutoffMs);
    const members = current.filter(
      (entry) => !((registry.get(entry.value)?.lastSeenMs ?? -1) >= entry.score),
    );
    const held = current.length - members.length;
    let heartbeats = 0;
    // Waves of MGET_PIPELINE_DEPTH chunks, issued in one tick each (node-redis pipelines them on
    // the connection); the next wave is asked for before this one is parsed, so that Redis and
    // the network work while this process parses: at 100k instances the cold start's cost.
    const waveSize = this.mgetChunkSize * MGET_PIPELINE_DEPTH;
    const readWave = (start: number) => {
      const wave = members.slice(start, start + waveSize);
      const chunks: (typeof members)[] = [];
      for (let at = 0; at < wave.length; at += this.mgetChunkSize)
        chunks.push(wave.slice(at, at + this.mgetChunkSize));
      return Promise.all(
        chunks.map((chunk) => this.client.mGet(chunk.map((m) => this.keys.heartbeat(m.value)))),
      ).then((replies) => ({ wave, replies: replies.flat() }));
    };
    let next = members.length > 0 ? readWave(0) : null;
    for (let start = 0; next !== null; start += waveSize) {
      const { wave, replies } = await next;
      next = start + waveSize < members.length ? readWave(start + waveSize) : null;
      wave.forEach((member, i) => {
        const raw = replies[i];
        // Expired between ZRANGE and MGET, or a crash without goodbye: nothing to read.
        if (raw === null || raw === undefined) return;
        heartbeats++;
        this.applyRaw(raw, member.score, 'resync', member.value);
      });
    }
    if (current.length < index.length) await this.client.zRemRangeByScore(seen, '-inf', `(${cutoffMs}`);
    this.options.registry.evict(nowMs);

    // Only the first resync positions the feed: later ones keep reading from where the feed
    // loop is, so goodbyes in between (which leave no trace in the index) are not skipped.
    if (this.counters.lastId === null) this.counters.lastId = feedHeadId;
    // The first resync is the cold start: worth a line, with how long it took.
    const first = this.counters.resyncs === 0;
    const done = { heartbeats, held, took_ms: this.options.clock.now() - nowMs, first };
    if (first) this.options.log.info('resync done', done);
    else this.options.log.debug('resync done', done);
    this.counters.resyncs++;
    this.counters.lastResyncHeartbeats = heartbeats;
    this.needResync = false;
    this.nextResyncAtMs = nowMs + this.options.resyncIntervalMs;
    this.markSeeing();
  }

  /**
   * The pause between two partial feed batches. A pacing of round trips, not a time the logic
   * reasons about: it stays off the injected clock, so that a test holding the clock holds only
   * what it means to (the backoff). It ends at once on close, and when the feed connection
   * fails, so that a lost connection is noticed (and the collector goes blind) without delay.
   */
  private async pace(ms: number, signal: AbortSignal): Promise<void> {
    const failed = new AbortController();
    const onError = () => failed.abort();
    this.feedClient.once('error', onError);
    try {
      await delay(ms, undefined, { signal: AbortSignal.any([signal, failed.signal]) });
    } catch {
      // Aborted: closing, or the connection failed; the next read finds out which.
    } finally {
      this.feedClient.off('error', onError);
    }
  }

  /** Reads and applies one batch of the feed; returns how many entries it held. */
  private async readFeed(): Promise<number> {
    const lastId = this.counters.lastId;
    if (lastId === null) throw new Error('feed position unknown before the first resync');
    const reply = await this.feedClient.xRead(
      { key: this.keys.feed, id: lastId },
      { COUNT: FEED_COUNT, BLOCK: this.blockMs },
    );
    if (!reply) return 0;
    let entries = 0;
    for (const stream of reply) {
      entries += stream.messages.length;
      for (const entry of stream.messages) {
        const id = String(entry.id);
        const ms = streamIdMs(id);
        const raw = (entry.message as Record<string, string | undefined>)[FEED_FIELD];
        this.counters.feedEntries++;
        if (raw === undefined) {
          this.rejects.note(
            'missing_field',
            `${FEED_FIELD}: the feed entry has no heartbeat field`,
            'feed',
            this.options.clock.now(),
          );
        } else {
          this.applyRaw(raw, ms, 'feed', null);
        }
        this.counters.lastId = id;
        this.lastEntryMs = ms;
      }
    }
    return entries;
  }

  /** Parses and applies one heartbeat; junk is counted and never reaches the registry. */
  private applyRaw(
    raw: string,
    seenAtMs: number,
    source: 'feed' | 'resync',
    keyInstanceId: string | null,
  ): void {
    const parsed = admitHeartbeat(raw, this.admission, seenAtMs, this.replayGuard);
    if (!parsed.ok) {
      this.rejects.note(parsed.reason, parsed.detail, source, this.options.clock.now());
      return;
    }
    const heartbeat = parsed.heartbeat;
    if (keyInstanceId !== null && heartbeat.instance_id !== keyInstanceId) {
      const detail = `instance_id ${JSON.stringify(heartbeat.instance_id)} stored under the key of ${JSON.stringify(keyInstanceId)}`;
      this.rejects.note('invalid_field', detail, source, this.options.clock.now());
      return;
    }
    const outcome = this.options.registry.apply(heartbeat, seenAtMs);
    this.options.onApplied?.(outcome, heartbeat);
  }

  private markBlind(err: unknown): void {
    this.blindSinceMs ??= this.options.clock.now();
    this.blindDetail = `redis: ${describeError(err)}`;
    if (this.outageLogged) return;
    this.outageLogged = true;
    this.counters.outages++;
    this.options.log.warn('collector cannot read heartbeats from redis; data is degraded', {
      err: this.blindDetail,
    });
  }

  private markSeeing(): void {
    if (this.outageLogged) {
      const blindForMs = this.blindSinceMs === null ? 0 : this.options.clock.now() - this.blindSinceMs;
      this.options.log.info('collector reads heartbeats from redis again', { blindForMs });
    }
    this.outageLogged = false;
    this.blindSinceMs = null;
    this.blindDetail = null;
  }
}
