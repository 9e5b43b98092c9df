/**
 * A capped Redis stream written by the aggregator (history, audit): XADD with MAXLEN ~ so it
 * never grows past its bound, reads newest first in pages, and write failures logged once when
 * they start and once when they end (STYLE.md principle 12), not on every append.
 */
import type { Logger } from '../../shared/logger';
import type { RedisCommands } from '../../shared/redis-client';

export interface CappedStreamOptions {
  readonly client: RedisCommands;
  /** The stream key, from shared/redis-keys.ts. */
  readonly key: string;
  /** MAXLEN ~: Redis trims whole nodes, so the stream may hold a few more entries. */
  readonly maxEntries: number;
  /** What it holds, for log lines: `history`, `audit`. */
  readonly name: string;
  readonly log: Logger;
  /** Fire-and-forget appends in flight beyond which new ones are dropped (and counted). */
  readonly maxInFlight?: number;
}

/** One entry: its stream id and its fields. */
export interface StreamEntry {
  readonly id: string;
  readonly fields: Readonly<Record<string, string>>;
}

export const CAPPED_STREAM_DEFAULTS = Object.freeze({
  // Appends are one small XADD each; more than this in flight means Redis is not answering,
  // and queueing more would only hold memory for writes that will fail too.
  maxInFlight: 32,
});

/** Entries per XREVRANGE page: small replies, few round trips. */
const PAGE = 500;

export class CappedStream {
  private readonly maxInFlight: number;
  private inFlight = 0;
  private droppedCount = 0;
  private failing = false;
  private failures = 0;

  constructor(private readonly options: CappedStreamOptions) {
    this.maxInFlight = options.maxInFlight ?? CAPPED_STREAM_DEFAULTS.maxInFlight;
  }

  /** Appends without waiting: never blocks, never throws; failures are logged once per outage. */
  append(fields: Record<string, string>): void {
    if (this.inFlight >= this.maxInFlight) {
      this.droppedCount++;
      return;
    }
    this.add(fields).catch(() => undefined);
  }

  /** Appends and resolves with the entry id; rejects when Redis fails (also logged once per outage). */
  async add(fields: Record<string, string>): Promise<string> {
    const { client, key, maxEntries } = this.options;
    this.inFlight++;
    try {
      const id = await client.xAdd(key, '*', fields, {
        TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: maxEntries },
      });
      this.succeeded();
      return String(id);
    } catch (err) {
      this.failed(err);
      throw err;
    } finally {
      this.inFlight--;
    }
  }

  /**
   * Visits entries newest first, with ids ≥ `minId` (default: all), until `visit` returns false
   * or the stream is exhausted. Pages through XREVRANGE, so a reader that stops early does not
   * pull the whole stream in one reply.
   */
  async scanNewestFirst(visit: (entry: StreamEntry) => boolean, minId = '-'): Promise<void> {
    let end = '+';
    for (;;) {
      // A missing stream reads as no entries.
      const page = (await this.options.client.xRevRange(this.options.key, end, minId, { COUNT: PAGE })) ?? [];
      for (const raw of page) {
        if (!visit({ id: String(raw.id), fields: raw.message as Record<string, string> })) return;
      }
      const last = page[page.length - 1];
      if (page.length < PAGE || last === undefined) return;
      end = `(${String(last.id)}`;
    }
  }

  /** Appends dropped because too many were in flight. */
  get dropped(): number {
    return this.droppedCount;
  }

  private succeeded(): void {
    if (!this.failing) return;
    this.options.log.info(`${this.options.name} writes to redis recovered`, {
      failed_writes: this.failures,
      dropped_writes: this.droppedCount,
    });
    this.failing = false;
    this.failures = 0;
  }

  private failed(err: unknown): void {
    this.failures++;
    if (this.failing) return;
    this.failing = true;
    this.options.log.warn(`${this.options.name} writes to redis failing`, {
      key: this.options.key,
      err: err instanceof Error ? err.message : String(err),
    });
  }
}
