/**
 * Instance size prices: the decimal-string → cents parser (a table, and properties against a
 * BigInt oracle), the price list read from entries, and InstanceSizeCatalog's schedule with a
 * clock whose time passes only when the test moves it: first read at once, cached for refreshMs,
 * the last good list kept through failures (logged once per streak), retries after retryMs.
 */
import fc from 'fast-check';
import type { InstanceSizePrice } from '../../aggregator/platform/digitalocean/instance-sizes';
import {
  INSTANCE_SIZE_CATALOG_DEFAULTS,
  InstanceSizeCatalog,
  instanceSizePrices,
  usdToCents,
} from '../../aggregator/platform/digitalocean/instance-sizes';
import { RetryableError } from '../../shared/retry';
import { captureLogs } from '../support/logs';
import { waitFor } from '../support/wait';
import type { ManualClock } from '../support/manual-clock';
import { manualClock } from '../support/manual-clock';

const NOW = Date.parse('2026-03-01T12:00:00Z');
/** ready()'s timeout in the tests: a length no schedule uses, so that its wait can be told apart. */
const READY_MS = 12_345;
const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('usdToCents', () => {
  it.each([
    ['12.00', 1200],
    ['5', 500],
    ['5.00', 500],
    ['0.5', 50],
    ['0.05', 5],
    ['0', 0],
    ['0.00', 0],
    ['29.995', 3000],
    ['29.994999', 2999],
    ['0.005', 1],
    ['0.0049', 0],
    ['392.00', 39200],
    ['1234.5678', 123457],
    ['007.10', 710],
    ['9999999999999.99', 999_999_999_999_999],
    [12, 1200],
    [0.5, 50],
    [29.99, 2999],
  ])('reads %p as %p cents', (text, cents) => {
    expect(usdToCents(text)).toBe(cents);
  });

  it.each([
    ['-1'],
    ['-0.50'],
    [''],
    [' 5'],
    ['5 '],
    ['5.'],
    ['.5'],
    ['12,00'],
    ['$5'],
    ['1e3'],
    ['0x10'],
    ['five'],
    ['10000000000000'],
    [`1.${'0'.repeat(70)}`],
    [-5],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [1e21],
    [null],
    [undefined],
    [{}],
    [true],
  ])('reads %p as unknown (null)', (junk) => {
    expect(usdToCents(junk)).toBeNull();
  });

  /** Round half up of `whole.fraction` dollars to cents, in BigInt: an oracle built another way. */
  function oracle(whole: bigint, fraction: string): bigint {
    const scale = 10n ** BigInt(fraction.length);
    const scaled = whole * scale + (fraction.length > 0 ? BigInt(fraction) : 0n);
    return (scaled * 200n + scale) / (2n * scale);
  }

  const whole = fc.bigInt({ min: 0n, max: 9_999_999_999_999n });
  const fraction = fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 12 });

  it('agrees with exact decimal rounding (half up) for every price text', () => {
    fc.assert(
      fc.property(whole, fraction, (w, f) => {
        const text = f.length > 0 ? `${w}.${f}` : `${w}`;
        expect(usdToCents(text)).toBe(Number(oracle(w, f)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads whole cents back exactly, ignores trailing zeros and never decreases', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999_999_999 }), (cents) => {
        const text = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
        expect(usdToCents(text)).toBe(cents);
        expect(usdToCents(`${text}000`)).toBe(cents);
      }),
      { numRuns: 2_000 },
    );
    // The exact value at 12 decimals (the most the generator writes), to order two prices by.
    const exact = (w: bigint, f: string) => w * 10n ** 12n + BigInt(f.padEnd(12, '0'));
    fc.assert(
      fc.property(whole, fraction, whole, fraction, (w1, f1, w2, f2) => {
        const [a, b] = [`${w1}.${f1 || '0'}`, `${w2}.${f2 || '0'}`];
        const [low, high] = exact(w1, f1) <= exact(w2, f2) ? [a, b] : [b, a];
        expect(usdToCents(low)).toBeLessThanOrEqual(usdToCents(high) ?? Number.NaN);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('instanceSizePrices', () => {
  it('keeps the sizes that name a slug, once each, with their prices in cents or null', () => {
    expect(
      instanceSizePrices([
        { slug: 'apps-s-1vcpu-1gb', usd_per_month: '12.00' },
        { slug: null, usd_per_month: '5.00' },
        { usd_per_month: '6.00' },
        { slug: 'apps-d-1vcpu-0.5gb', usd_per_month: 'call us' },
        { slug: 'apps-s-1vcpu-0.5gb' },
        { slug: 'apps-s-1vcpu-1gb', usd_per_month: '99.00' },
      ]),
    ).toEqual([
      { slug: 'apps-s-1vcpu-1gb', monthlyCents: 1200 },
      { slug: 'apps-d-1vcpu-0.5gb', monthlyCents: null },
      { slug: 'apps-s-1vcpu-0.5gb', monthlyCents: null },
    ]);
  });
});

/** The catalog's own waits, without ready()'s timeout. */
function loopSleeps(clock: ManualClock): number[] {
  return clock.sleeps.filter((ms) => ms !== READY_MS);
}

type Answer = readonly InstanceSizePrice[] | Error | 'hang';

/** Answers each read with the next of `answers` (the last one again once they run out). */
function stubClient(...answers: Answer[]) {
  const signals: (AbortSignal | undefined)[] = [];
  return {
    signals,
    calls: () => signals.length,
    listInstanceSizes: (options?: { signal?: AbortSignal }) => {
      signals.push(options?.signal);
      const answer = answers[Math.min(signals.length, answers.length) - 1] ?? 'hang';
      if (answer === 'hang') {
        return new Promise<InstanceSizePrice[]>((_resolve, reject) =>
          options?.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
        );
      }
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve([...answer]);
    },
  };
}

const PRICES: InstanceSizePrice[] = [
  { slug: 'apps-s-1vcpu-1gb', monthlyCents: 1200 },
  { slug: 'apps-d-1vcpu-0.5gb', monthlyCents: 2900 },
  { slug: 'apps-s-1vcpu-0.5gb', monthlyCents: null },
];
const NEW_PRICES: InstanceSizePrice[] = [{ slug: 'apps-s-1vcpu-1gb', monthlyCents: 1400 }];

const catalogs: InstanceSizeCatalog[] = [];
afterEach(async () => {
  await Promise.all(catalogs.splice(0).map((c) => c.close()));
});

function catalog(options: ConstructorParameters<typeof InstanceSizeCatalog>[0]): InstanceSizeCatalog {
  const created = new InstanceSizeCatalog(options);
  catalogs.push(created);
  return created;
}

describe('InstanceSizeCatalog', () => {
  it('defaults to a read every 6 hours and a retry 5 minutes after a failure', () => {
    expect(INSTANCE_SIZE_CATALOG_DEFAULTS).toEqual({ refreshMs: 6 * HOUR, retryMs: 5 * MINUTE });
  });

  it('knows no price before its first read, reads at once on start and serves the list from memory', async () => {
    const clock = manualClock(NOW);
    const client = stubClient(PRICES);
    const sizes = catalog({ client, clock });
    expect(sizes.monthlyCents('apps-s-1vcpu-1gb')).toBeNull();
    await sizes.start();
    await expect(sizes.ready(READY_MS)).resolves.toBe(true);
    // Unbound, as view.ts's MonthlyPrice receives it.
    const monthlyCents = sizes.monthlyCents;
    expect(
      ['apps-s-1vcpu-1gb', 'apps-d-1vcpu-0.5gb', 'apps-s-1vcpu-0.5gb', 'apps-x'].map(monthlyCents),
    ).toEqual([1200, 2900, null, null]);
    await waitFor(() => clock.pending() === 1, { what: 'the wait for the next read' });
    expect({ calls: client.calls(), sleeps: loopSleeps(clock) }).toEqual({ calls: 1, sleeps: [6 * HOUR] });
  });

  it('reads again after refreshMs, not before, and serves the new list', async () => {
    const clock = manualClock(NOW);
    const client = stubClient(PRICES, NEW_PRICES);
    const sizes = catalog({ client, clock, refreshMs: HOUR });
    await sizes.start();
    await sizes.ready(READY_MS);
    await waitFor(() => clock.pending() === 1, { what: 'the wait for the next read' });
    clock.advance(HOUR - 1);
    expect(client.calls()).toBe(1);
    clock.advance(1);
    await waitFor(() => sizes.monthlyCents('apps-s-1vcpu-1gb') === 1400, { what: 'the new price' });
    expect({ calls: client.calls(), gone: sizes.monthlyCents('apps-d-1vcpu-0.5gb') }).toEqual({
      calls: 2,
      gone: null,
    });
  });

  it('keeps the last good list through failed reads, warns once per streak and retries after retryMs', async () => {
    const clock = manualClock(NOW);
    const logs = captureLogs();
    const client = stubClient(
      PRICES,
      new Error('GET /v2/apps/tiers/instance_sizes: HTTP 500'),
      new Error('GET /v2/apps/tiers/instance_sizes: HTTP 503'),
      NEW_PRICES,
    );
    const sizes = catalog({ client, clock, refreshMs: HOUR, retryMs: 5 * MINUTE, log: logs.log });
    await sizes.start();
    await sizes.ready(READY_MS);
    await waitFor(() => clock.pending() === 1, { what: 'the first wait' });
    clock.advance(HOUR);
    await waitFor(() => loopSleeps(clock).length === 2, { what: 'the wait after the first failure' });
    expect(sizes.monthlyCents('apps-s-1vcpu-1gb')).toBe(1200);
    clock.advance(5 * MINUTE - 1);
    expect(client.calls()).toBe(2);
    clock.advance(1);
    await waitFor(() => loopSleeps(clock).length === 3, { what: 'the wait after the second failure' });
    expect(sizes.monthlyCents('apps-d-1vcpu-0.5gb')).toBe(2900);
    clock.advance(5 * MINUTE);
    await waitFor(() => sizes.monthlyCents('apps-s-1vcpu-1gb') === 1400, { what: 'the recovered price' });
    expect(loopSleeps(clock)).toEqual([HOUR, 5 * MINUTE, 5 * MINUTE, HOUR]);
    await waitFor(() => logs.lines.some((l) => l.message === 'instance size prices read again'));
    const told = logs.lines.filter((l) => l.level === 'warn' || l.level === 'info');
    expect(told).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: 'instance size prices unavailable; keeping the last good list',
        err: 'GET /v2/apps/tiers/instance_sizes: HTTP 500',
        has_prices: true,
        retry_in_ms: 5 * MINUTE,
      }),
      expect.objectContaining({
        level: 'info',
        message: 'instance size prices read again',
        failed_reads: 2,
        failed_for_ms: 10 * MINUTE,
      }),
    ]);
  });

  it('waits out a rate limit longer than retryMs, but never longer than refreshMs', async () => {
    const clock = manualClock(NOW);
    const client = stubClient(
      new RetryableError('rate limited', 20 * MINUTE),
      new RetryableError('rate limited', 5 * HOUR),
      new RetryableError('rate limited', MINUTE),
      PRICES,
    );
    const sizes = catalog({ client, clock, refreshMs: 2 * HOUR, retryMs: 5 * MINUTE });
    await sizes.start();
    for (const [index, due] of [20 * MINUTE, 2 * HOUR, 5 * MINUTE].entries()) {
      await waitFor(() => clock.sleeps.length === index + 1, { what: `wait ${index + 1}` });
      clock.advance(due);
    }
    await waitFor(() => sizes.monthlyCents('apps-s-1vcpu-1gb') === 1200, { what: 'the price' });
    expect(clock.sleeps).toEqual([20 * MINUTE, 2 * HOUR, 5 * MINUTE, 2 * HOUR]);
  });

  it('takes an empty list for a failure: the last good one stays', async () => {
    const clock = manualClock(NOW);
    const logs = captureLogs();
    const client = stubClient(PRICES, []);
    const sizes = catalog({ client, clock, refreshMs: HOUR, log: logs.log });
    await sizes.start();
    await sizes.ready(READY_MS);
    await waitFor(() => clock.pending() === 1, { what: 'the first wait' });
    clock.advance(HOUR);
    await waitFor(() => loopSleeps(clock).length === 2, { what: 'the wait after the empty list' });
    expect({ price: sizes.monthlyCents('apps-s-1vcpu-1gb'), retryIn: loopSleeps(clock)[1] }).toEqual({
      price: 1200,
      retryIn: INSTANCE_SIZE_CATALOG_DEFAULTS.retryMs,
    });
    await waitFor(() =>
      logs.messages().includes('instance size prices unavailable; keeping the last good list'),
    );
    expect(logs.lines.find((l) => l.level === 'warn')).toMatchObject({
      err: 'the instance size list is empty',
    });
  });

  it('ready() ends with false as soon as a first read fails, and prices stay unknown', async () => {
    const clock = manualClock(NOW);
    const logs = captureLogs();
    const sizes = catalog({ client: stubClient(new Error('HTTP 401')), clock, log: logs.log });
    await sizes.start();
    await expect(sizes.ready(60_000)).resolves.toBe(false);
    expect(sizes.monthlyCents('apps-s-1vcpu-1gb')).toBeNull();
    await waitFor(() => logs.lines.some((l) => l.level === 'warn'), { what: 'the warning' });
    expect(logs.lines.filter((l) => l.level === 'warn')).toEqual([
      expect.objectContaining({
        message: 'instance size prices unavailable; prices stay unknown',
        has_prices: false,
      }),
    ]);
  });

  it('ready() ends with false when its timeout passes first, and true once a read ended well', async () => {
    const clock = manualClock(NOW);
    const client = stubClient('hang');
    const sizes = catalog({ client, clock });
    await sizes.start();
    const ready = sizes.ready(2_000);
    await waitFor(() => clock.sleeps.includes(2_000), { what: "ready()'s wait" });
    clock.advance(2_000);
    await expect(ready).resolves.toBe(false);

    const later = catalog({ client: stubClient(PRICES), clock });
    await expect(later.ready(0)).resolves.toBe(false);
    await later.start();
    await expect(later.ready(READY_MS)).resolves.toBe(true);
    await expect(later.ready(READY_MS)).resolves.toBe(true);
  });

  it('close() is idempotent, aborts the read in flight and ends a pending ready()', async () => {
    const clock = manualClock(NOW);
    const client = stubClient('hang');
    const sizes = catalog({ client, clock });
    await sizes.start();
    await sizes.start();
    const ready = sizes.ready(60_000);
    await waitFor(() => client.calls() === 1, { what: 'the read' });
    const first = sizes.close();
    expect(sizes.close()).toBe(first);
    await first;
    await expect(ready).resolves.toBe(false);
    expect({ calls: client.calls(), aborted: client.signals[0]?.aborted, pending: clock.pending() }).toEqual({
      calls: 1,
      aborted: true,
      pending: 0,
    });
    await sizes.start();
    expect(client.calls()).toBe(1);
  });

  it('survives a client that throws instead of rejecting', async () => {
    const clock = manualClock(NOW);
    const client = {
      listInstanceSizes: (): Promise<InstanceSizePrice[]> => {
        throw new TypeError('not a function of the API');
      },
    };
    const sizes = catalog({ client, clock, retryMs: MINUTE });
    await sizes.start();
    await expect(sizes.ready(READY_MS)).resolves.toBe(false);
    await waitFor(() => clock.pending() === 1, { what: 'the retry wait' });
    expect(loopSleeps(clock)).toEqual([MINUTE]);
  });
});
