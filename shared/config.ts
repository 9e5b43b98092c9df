/**
 * Reading configuration from the environment: every variable is checked, and every problem is
 * collected so that one error names all the bad variables at once. Pure: it reads the plain
 * object it is given, never `process.env`.
 */
import { NAME_PATTERN } from './names';
import type { LogLevel } from './logger';
import { LOG_LEVELS, maskUrlCredentials } from './logger';

export type Env = Readonly<Record<string, string | undefined>>;

/** Exit code of a process that refuses its configuration. */
export const CONFIG_EXIT_CODE = 2;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems.join('\n  ')}`,
    );
    this.name = 'ConfigError';
  }
}

interface IntOptions {
  readonly min?: number;
  readonly max?: number;
}

/**
 * Reads typed values out of an environment, collecting problems instead of throwing. Call
 * `finish()` last: it throws one ConfigError naming every bad variable.
 */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  /** The raw value; empty strings count as unset. */
  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  problem(name: string, message: string, options: { secret?: boolean } = {}): void {
    const value = this.raw(name);
    const shown =
      value === undefined
        ? ''
        : `=${options.secret ? '(hidden)' : JSON.stringify(maskUrlCredentials(value))}`;
    this.problems.push(`${name}${shown}: ${message}`);
  }

  string(name: string): string | undefined;
  string(name: string, fallback: string): string;
  string(name: string, fallback?: string): string | undefined {
    return this.raw(name) ?? fallback;
  }

  /** A secret: never echoed in an error. Too-short values are refused (they redact badly). */
  secret(name: string): string | undefined {
    const value = this.raw(name);
    if (value !== undefined && value.length < 8) {
      this.problem(name, 'must be at least 8 characters', { secret: true });
      return undefined;
    }
    return value;
  }

  /** A name usable in Redis keys and labels (see NAME_PATTERN). */
  name(name: string, fallback: string): string {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!NAME_PATTERN.test(value)) {
      this.problem(name, 'must be 1-253 characters of A-Z a-z 0-9 . _ - starting with a letter or digit');
      return fallback;
    }
    return value;
  }

  int(name: string, fallback: number, options?: IntOptions): number;
  int(name: string, fallback: undefined, options?: IntOptions): number | undefined;
  int(name: string, fallback: number | undefined, options: IntOptions = {}): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = /^-?\d+$/.test(value) ? Number(value) : NaN;
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      this.problem(name, `must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return parsed;
  }

  /** A share in [0, 1]. */
  fraction(name: string, fallback: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) {
      this.problem(name, 'must be a number from 0 to 1');
      return fallback;
    }
    return parsed;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    this.problem(name, 'must be true or false');
    return fallback;
  }

  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(values as readonly string[]).includes(value)) {
      this.problem(name, `must be one of ${values.join(', ')}`);
      return fallback;
    }
    return value as T;
  }

  /** A URL whose scheme is one of `protocols` (e.g. ['redis:', 'rediss:']). */
  url(name: string, protocols: readonly string[], options: { secret?: boolean } = {}): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      this.problem(name, `must be a URL (${protocols.join(' or ')})`, options);
      return undefined;
    }
    if (!protocols.includes(parsed.protocol)) {
      this.problem(name, `must use ${protocols.join(' or ')}, not ${parsed.protocol}`, options);
      return undefined;
    }
    return value;
  }

  logLevel(fallback: LogLevel = 'info'): LogLevel {
    return this.oneOf('LOG_LEVEL', LOG_LEVELS, fallback);
  }

  /** Throws one ConfigError naming every problem found, if any. */
  finish(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}
