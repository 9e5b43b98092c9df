/**
 * The one way a test waits for something: poll a probe until its value is accepted, or fail with
 * what was awaited and the last value (or error) seen. No test sleeps a fixed time and then
 * asserts; it polls for the state it expects.
 */

/**
 * Deadline of a wait unless told otherwise. Generous on purpose: on a loaded 2-core machine a
 * process start or a Redis round trip can take seconds, and a passing wait returns at once anyway.
 * It stays below jest's testTimeout (60 s) so that the wait's message, not jest's, says what hung.
 */
export const WAIT_TIMEOUT_MS = 30_000;

export interface WaitOptions<T> {
  /** Takes the value that ends the wait; default: any truthy value. */
  readonly until?: (value: T) => boolean;
  /** What is awaited, for the failure message; default: the source of `until` (or of the probe). */
  readonly what?: string;
  /** Default WAIT_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  /** Pause between probes; default 25 ms. */
  readonly everyMs?: number;
}

/** Longest rendering of the last value in a failure message. */
const MAX_SHOWN_CHARS = 2_000;

function show(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}… (${text.length} chars)` : text;
}

/** A function's source on one line: the condition itself says what was awaited. */
function sourceOf(fn: (...args: never[]) => unknown): string {
  return fn.toString().replace(/\s+/g, ' ');
}

/**
 * Polls `probe` until `until` accepts its value (default: truthy) and resolves with that value.
 * A probe that throws is retried; after `timeoutMs` it rejects, naming what was awaited and the
 * last value and error seen.
 */
export function waitFor<T>(
  probe: () => T | Promise<T>,
  options: WaitOptions<T> & { until: (value: T) => boolean },
): Promise<T>;
/** Without `until` the value awaited is a truthy one, and typed so. */
export function waitFor<T>(
  probe: () => T | Promise<T>,
  options?: Omit<WaitOptions<T>, 'until'>,
): Promise<Exclude<T, false | null | undefined | 0 | ''>>;
export async function waitFor<T>(probe: () => T | Promise<T>, options: WaitOptions<T> = {}): Promise<T> {
  const { until, timeoutMs = WAIT_TIMEOUT_MS, everyMs = 25 } = options;
  const accept = until ?? ((value: T) => Boolean(value));
  const deadline = Date.now() + timeoutMs;
  let probed = false;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      probed = true;
      lastError = undefined;
      if (accept(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  const what = options.what ?? sourceOf(until ?? probe);
  const seen = probed ? `; last value: ${show(last)}` : '';
  const failed = lastError === undefined ? '' : `; last error: ${show(String(lastError))}`;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}${failed}`);
}

/**
 * Samples `probe` every `everyMs` for `durationMs` and resolves with every value seen: for what
 * must hold throughout a period (a leader keeps its lease, no alert fires), where there is no
 * state to wait for. Assert on all the samples, not on one taken at the end.
 */
export async function sampleFor<T>(
  durationMs: number,
  probe: () => T | Promise<T>,
  everyMs = 25,
): Promise<T[]> {
  const samples: T[] = [];
  const endMs = Date.now() + durationMs;
  do {
    samples.push(await probe());
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  } while (Date.now() < endMs);
  samples.push(await probe());
  return samples;
}
