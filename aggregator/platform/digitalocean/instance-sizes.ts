/**
 * What App Platform instance sizes cost: the price list of GET /v2/apps/tiers/instance_sizes in
 * whole cents, and InstanceSizeCatalog, which reads it once for every app of a token and keeps
 * it for hours (prices change rarely, and every read is a request of the token's quota).
 *
 * Prices are cents, integers, parsed from the API's decimal strings digit by digit: a sum over
 * many instances must stay exact, and `Number("29.995") * 100` is not.
 */
import type { Clock } from '../../../shared/clock';
import { systemClock } from '../../../shared/clock';
import type { Logger } from '../../../shared/logger';
import { silentLogger } from '../../../shared/logger';
import { RetryableError } from '../../../shared/retry';
import type { DigitalOceanClient } from './client';
import type { InstanceSizeEntry } from './schemas';

/** One instance size and what one instance of it costs a month. */
export interface InstanceSizePrice {
  /** e.g. `apps-s-1vcpu-1gb`, as a component's `instance_size_slug` names it. */
  readonly slug: string;
  /** `usd_per_month` in whole cents (half a cent and more rounded up); null when unreadable. */
  readonly monthlyCents: number | null;
}

/**
 * A price in US dollars and 0 or more decimals (`"12.00"`, `"5"`, `"0.5"`) → whole cents, exact:
 * the digits are read as digits, never through a float. A third decimal of 5 or more rounds the
 * cent up (`"29.995"` → 3000). A number is read as its shortest decimal text (`12` → 1200).
 * Anything else is null (unknown): negative, empty, junk (`"12,00"`, `"$5"`, `" 5"`, `"1e3"`),
 * longer than 64 characters, or past 13 integer digits (the cents would not be a safe integer).
 */
export function usdToCents(value: unknown): number | null {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || text.length > MAX_PRICE_CHARS) return null;
  const match = USD.exec(text);
  if (!match) return null;
  const [, whole = '0', fraction = ''] = match;
  const cents = Number(whole) * 100 + Number(fraction.slice(0, 2).padEnd(2, '0'));
  // Half up: the rest after the cents is at least half a cent exactly when its first digit is 5+.
  return (fraction[2] ?? '0') >= '5' ? cents + 1 : cents;
}

/** Longest price text read: no real price is near it, and junk is not worth a regex's time. */
const MAX_PRICE_CHARS = 64;
// At most 13 integer digits (leading zeros aside): 13 digits of dollars are 15 of cents, under
// Number.MAX_SAFE_INTEGER (16 digits), so the arithmetic above stays exact.
const USD = /^0*(\d{1,13})(?:\.(\d+))?$/;

/**
 * The sizes of a price list that name a slug, with their prices in cents; the first entry of a
 * slug listed twice wins.
 */
export function instanceSizePrices(entries: readonly InstanceSizeEntry[]): InstanceSizePrice[] {
  const seen = new Set<string>();
  const prices: InstanceSizePrice[] = [];
  for (const entry of entries) {
    if (!entry.slug || seen.has(entry.slug)) continue;
    seen.add(entry.slug);
    prices.push({ slug: entry.slug, monthlyCents: usdToCents(entry.usd_per_month) });
  }
  return prices;
}

export interface InstanceSizeCatalogOptions {
  /** Shared, not owned: close() leaves it open. */
  readonly client: Pick<DigitalOceanClient, 'listInstanceSizes'>;
  /** Time from one good read to the next. */
  readonly refreshMs?: number;
  /** Time from a failed read to the next try (longer when a rate limit says so). */
  readonly retryMs?: number;
  readonly clock?: Clock;
  readonly log?: Logger;
}

export const INSTANCE_SIZE_CATALOG_DEFAULTS = Object.freeze({
  // Prices change a few times a year at most: four reads a day keep them current for a
  // request each.
  refreshMs: 6 * 60 * 60_000,
  // Soon enough that prices appear a few minutes after an outage, rare enough that a token
  // that may not read them (or a lasting outage) costs twelve requests an hour.
  retryMs: 5 * 60_000,
});

/**
 * The price list shared by every app of one token: read in the background (first at start(),
 * then every refreshMs), served from memory. A failed read keeps the last good list (STYLE.md
 * principle 5), is logged once per streak of failures, and is tried again after retryMs; a price
 * never read is null (unknown), never 0.
 */
export class InstanceSizeCatalog {
  private readonly client: Pick<DigitalOceanClient, 'listInstanceSizes'>;
  private readonly refreshMs: number;
  private readonly retryMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly closed = new AbortController();
  private prices: ReadonlyMap<string, number | null> | null = null;
  private readonly firstRead: Promise<void>;
  private settleFirstRead: () => void = () => undefined;
  private firstReadDone = false;
  private failingSinceMs: number | null = null;
  private failures = 0;
  private loop: Promise<void> | null = null;
  private closing: Promise<void> | null = null;

  constructor(options: InstanceSizeCatalogOptions) {
    this.client = options.client;
    this.refreshMs = options.refreshMs ?? INSTANCE_SIZE_CATALOG_DEFAULTS.refreshMs;
    this.retryMs = options.retryMs ?? INSTANCE_SIZE_CATALOG_DEFAULTS.retryMs;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLogger();
    this.firstRead = new Promise<void>((resolve) => {
      this.settleFirstRead = () => {
        this.firstReadDone = true;
        resolve();
      };
    });
  }

  /**
   * The monthly price of one instance of `slug` in cents; null while unknown (no list read yet,
   * or a slug the list does not name, or its price unreadable). A bound function: it may be
   * handed on as is (view.ts's MonthlyPrice).
   */
  readonly monthlyCents = (slug: string): number | null => this.prices?.get(slug) ?? null;

  /** Starts reading in the background (the first read at once) and returns without waiting for it. */
  start(): Promise<void> {
    if (!this.loop && !this.closing) {
      this.loop = this.run().catch((err: unknown) => {
        // Not expected (read() catches every failure); said rather than lost.
        this.log.error('instance size price loop stopped', { err: errorText(err) });
      });
    }
    return Promise.resolve();
  }

  /**
   * Waits until the first read has ended, well or not, or `timeoutMs` has passed, whichever is
   * first (at once after close()); resolves whether prices are known by then. For a caller that
   * would rather wait a moment than show its first view without prices.
   */
  async ready(timeoutMs: number): Promise<boolean> {
    if (!this.firstReadDone && !this.closing && timeoutMs > 0) {
      const done = new AbortController();
      void this.firstRead.then(() => done.abort());
      await this.clock.sleep(timeoutMs, AbortSignal.any([done.signal, this.closed.signal]));
      done.abort();
    }
    return this.prices !== null;
  }

  /** Idempotent: stops the loop and aborts the read in flight and the wait; the client stays open. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed.abort();
      this.settleFirstRead();
      await this.loop;
    })();
    return this.closing;
  }

  private async run(): Promise<void> {
    while (!this.closed.signal.aborted) {
      const delayMs = await this.read();
      this.settleFirstRead();
      if (this.closed.signal.aborted) return;
      await this.clock.sleep(delayMs, this.closed.signal);
    }
  }

  /** One read of the list; says when the next is due. Never throws. */
  private async read(): Promise<number> {
    try {
      const sizes = await this.client.listInstanceSizes({ signal: this.closed.signal });
      // An empty list is no price list: App Platform always has sizes, so this is a fault, and
      // replacing a good list with it would turn every known price unknown for hours.
      if (sizes.length === 0) throw new Error('the instance size list is empty');
      this.succeeded(sizes);
      return this.refreshMs;
    } catch (err) {
      if (this.closed.signal.aborted) return 0;
      // A rate limit that resets after the retry: asking before that is only refused again.
      // Capped at refreshMs: a reset is never a reason to wait longer than a good read would.
      const retryAfterMs = err instanceof RetryableError ? (err.retryAfterMs ?? 0) : 0;
      const delayMs = Math.max(this.retryMs, Math.min(retryAfterMs, this.refreshMs));
      this.failed(err, delayMs);
      return delayMs;
    }
  }

  private succeeded(sizes: readonly InstanceSizePrice[]): void {
    const prices = new Map<string, number | null>();
    for (const { slug, monthlyCents } of sizes) if (!prices.has(slug)) prices.set(slug, monthlyCents);
    if (this.failingSinceMs !== null) {
      this.log.info('instance size prices read again', {
        sizes: prices.size,
        failed_for_ms: this.clock.now() - this.failingSinceMs,
        failed_reads: this.failures,
      });
    } else {
      this.log.debug('instance size prices read', { sizes: prices.size });
    }
    this.failingSinceMs = null;
    this.failures = 0;
    this.prices = prices;
  }

  private failed(err: unknown, retryInMs: number): void {
    this.failures++;
    if (this.failingSinceMs !== null) return;
    this.failingSinceMs = this.clock.now();
    this.log.warn(
      this.prices === null
        ? 'instance size prices unavailable; prices stay unknown'
        : 'instance size prices unavailable; keeping the last good list',
      { err: errorText(err), has_prices: this.prices !== null, retry_in_ms: retryInMs },
    );
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
