/**
 * The load generator's loop: every instance heartbeats once per interval, the fleet's beats
 * spread evenly over it (instance i at i/N of the interval), as independent agents started at
 * random moments would. Writes run with bounded concurrency; when the writer cannot keep up, the
 * backlog grows and the progress line says so (the achieved rate is the figure that counts).
 */
import type { Clock } from '../../shared/clock';
import type { SimulatedFleet } from './fleet';
import type { HeartbeatWriter } from './writers';

export interface LoadgenOptions {
  readonly fleet: SimulatedFleet;
  readonly writer: HeartbeatWriter;
  readonly intervalMs: number;
  /** Stops by itself after this long; null: until the signal aborts. */
  readonly durationMs: number | null;
  /** Writes in flight at once. */
  readonly concurrency: number;
  /** Send every instance's goodbye when stopping. */
  readonly goodbyes: boolean;
  readonly clock: Clock;
  /** How often `onProgress` is called. */
  readonly progressEveryMs: number;
  readonly onProgress?: (progress: LoadgenProgress) => void;
}

export interface LoadgenProgress {
  readonly elapsedMs: number;
  /** Heartbeats written (and acknowledged) so far. */
  readonly written: number;
  readonly errors: number;
  /** Heartbeats/s achieved since the previous progress report. */
  readonly rate: number;
  /** Heartbeats/s the fleet asks for: instances × 1000 / interval. */
  readonly targetRate: number;
  /** Heartbeats due but not yet started (grows while the writer cannot keep up). */
  readonly backlog: number;
  /** The latest error, with no secret in it; null while none. */
  readonly lastError: string | null;
}

export interface LoadgenTotals {
  readonly elapsedMs: number;
  readonly written: number;
  readonly errors: number;
  readonly goodbyes: number;
  /** Mean heartbeats/s over the run. */
  readonly rate: number;
  /** Per instance index: the last seq acknowledged (−1: none), for exactly-once checks. */
  readonly lastSeq: readonly number[];
}

/** Runs until `durationMs` passes or `signal` aborts; never rejects for a failed write (it counts it). */
export async function runLoadgen(options: LoadgenOptions, signal: AbortSignal): Promise<LoadgenTotals> {
  const { fleet, writer, clock, intervalMs } = options;
  const size = fleet.size;
  const lastSeq = new Array<number>(size).fill(-1);
  const startMs = clock.now();
  const endMs = options.durationMs === null ? Number.POSITIVE_INFINITY : startMs + options.durationMs;
  let started = 0;
  let written = 0;
  let errors = 0;
  let inFlight = 0;
  let lastError: string | null = null;
  let slotFreed: (() => void) | null = null;
  let progressAtMs = startMs;
  let progressWritten = 0;

  const settled = () => {
    inFlight--;
    const wake = slotFreed;
    slotFreed = null;
    wake?.();
  };
  const write = (index: number, goodbye: boolean): void => {
    const { heartbeat, json } = goodbye
      ? fleet.goodbye(index, clock.now())
      : fleet.heartbeat(index, clock.now());
    inFlight++;
    // One promise per write and no .finally: at tens of thousands a second every allocation shows.
    writer.write(heartbeat, json).then(
      () => {
        written++;
        if ((lastSeq[index] as number) < heartbeat.seq) lastSeq[index] = heartbeat.seq;
        settled();
      },
      (err: unknown) => {
        errors++;
        lastError = (err instanceof Error ? err.message : String(err)).slice(0, 200);
        settled();
      },
    );
  };
  const slot = () => new Promise<void>((resolve) => (slotFreed = resolve));
  const report = (nowMs: number) => {
    const spanMs = Math.max(1, nowMs - progressAtMs);
    options.onProgress?.({
      elapsedMs: nowMs - startMs,
      written,
      errors,
      rate: ((written - progressWritten) * 1000) / spanMs,
      targetRate: (size * 1000) / intervalMs,
      backlog: Math.max(0, dueBy(nowMs) - started),
      lastError,
    });
    progressAtMs = nowMs;
    progressWritten = written;
  };
  // Beat b (instance b mod N, round b div N) is due at start + b × interval / N.
  const dueBy = (nowMs: number) => Math.floor(((Math.min(nowMs, endMs) - startMs) * size) / intervalMs) + 1;

  while (!signal.aborted) {
    const nowMs = clock.now();
    if (nowMs >= endMs) break;
    if (nowMs - progressAtMs >= options.progressEveryMs) report(nowMs);
    const due = dueBy(nowMs);
    while (started < due && inFlight < options.concurrency && !signal.aborted) {
      write(started % size, false);
      started++;
    }
    if (started < due) {
      // Behind: wait for a write to finish, not for the clock.
      await slot();
      continue;
    }
    const nextDueMs = startMs + Math.ceil((started * intervalMs) / size);
    await clock.sleep(Math.max(1, Math.min(nextDueMs - nowMs, options.progressEveryMs)), signal);
  }
  while (inFlight > 0) await slot();

  let goodbyes = 0;
  if (options.goodbyes) {
    // Only instances that heartbeated say goodbye, as a real agent that never started would not.
    for (let index = 0; index < size; index++) {
      if ((lastSeq[index] as number) < 0) continue;
      while (inFlight >= options.concurrency) await slot();
      write(index, true);
      goodbyes++;
    }
    while (inFlight > 0) await slot();
  }
  const elapsedMs = clock.now() - startMs;
  report(clock.now());
  return {
    elapsedMs,
    written,
    errors,
    goodbyes,
    rate: (written * 1000) / Math.max(1, elapsedMs),
    lastSeq,
  };
}
