/** Small wording helpers for finding messages: counts, id lists, durations and times in words. */

/** Ids shown in a message before "and N more"; the finding's `instances` always lists them all. */
const MAX_IDS_IN_MESSAGE = 10;

/** "1 instance", "3 instances". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** "a, b and c", or "a, b, … and 12 more" past MAX_IDS_IN_MESSAGE. */
export function listWords(items: readonly string[]): string {
  const shown = items.slice(0, MAX_IDS_IN_MESSAGE);
  const rest = items.length - shown.length;
  if (rest > 0) return `${shown.join(', ')} and ${rest} more`;
  if (shown.length <= 1) return shown.join('');
  return `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

/** Whole cents as dollars for humans, exact (no float rounding): 4800 → "$48.00", 1234567 → "$12345.67". */
export function formatUsd(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(cents));
  return `${sign}$${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** A duration for humans: "850 ms", "42 s", "3 min 5 s", "2 h 10 min", "3 d 4 h". */
export function formatDuration(ms: number): string {
  const value = Math.max(0, Math.round(ms));
  if (value < 1_000) return `${value} ms`;
  const seconds = Math.floor(value / 1_000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return joinUnits(minutes, 'min', seconds % 60, 's');
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return joinUnits(hours, 'h', minutes % 60, 'min');
  return joinUnits(Math.floor(hours / 24), 'd', hours % 24, 'h');
}

function joinUnits(major: number, majorUnit: string, minor: number, minorUnit: string): string {
  return minor === 0 ? `${major} ${majorUnit}` : `${major} ${majorUnit} ${minor} ${minorUnit}`;
}

// The text up to the milliseconds ("2026-01-02T03:04:05.") by epoch second. A report formats two
// times per instance, and Date#toISOString was a quarter of a 10k-instance reconcile; a fleet's
// heartbeats fall within a few dozen seconds, so nearly every time hits this cache. Cleared
// whole when full: it only ever holds what a few reconciles need.
const isoSeconds = new Map<number, string>();
const ISO_SECONDS_CACHED = 4_096;

/** ISO 8601 of an epoch-ms time (a conversion, not a clock read); equal to Date#toISOString. */
export function isoTime(ms: number): string {
  // Fractional ms (truncated by Date) are not worth a fast path.
  if (!Number.isInteger(ms)) return new Date(ms).toISOString();
  const second = Math.floor(ms / 1_000);
  let prefix = isoSeconds.get(second);
  if (prefix === undefined) {
    const iso = new Date(ms).toISOString();
    // Years outside 0000-9999 have a longer form: not cached.
    if (iso.length !== 24) return iso;
    if (isoSeconds.size >= ISO_SECONDS_CACHED) isoSeconds.clear();
    prefix = iso.slice(0, 20);
    isoSeconds.set(second, prefix);
  }
  const milli = ms - second * 1_000;
  return `${prefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/** Code-point order: unlike localeCompare it is the same on every machine, so reports are stable. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
