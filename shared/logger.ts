/**
 * The winston logger of every process: JSON lines when stdout is not a terminal (log
 * collectors), readable colour lines on one. Secrets are redacted by value and by field name
 * before anything is written.
 */
import type { Writable } from 'node:stream';
import winston from 'winston';

export type Logger = winston.Logger;
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  readonly level: LogLevel;
  /** `agent`, `aggregator`, `demo`…: every line carries it. */
  readonly service: string;
  /** Values that must never be written (tokens, secrets); replaced wherever they appear. */
  readonly secrets?: readonly (string | undefined | null)[];
  /** Human-readable output; default: stdout is a terminal. */
  readonly pretty?: boolean;
  /** Where to write; default stdout. Tests pass a stream to read the lines back. */
  readonly stream?: Writable;
}

export const REDACTED = '[REDACTED]';
const SECRET_FIELD = /token|secret|password|passwd|authorization|api[-_]?key|cookie/i;
const MAX_DEPTH = 6;

/** Returns a copy of `value` with secret values and secret-named fields replaced. */
export function redact(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return redactString(value, secrets);
  if (value instanceof Error) {
    return { name: value.name, message: redactString(value.message, secrets) };
  }
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] =
      SECRET_FIELD.test(key) && item !== null && item !== undefined && item !== false
        ? REDACTED
        : redact(item, secrets, depth + 1);
  }
  return out;
}

function redactString(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (result.includes(secret)) result = result.split(secret).join(REDACTED);
  }
  return maskUrlCredentials(result);
}

/** Hides the password of URLs inside a text (`redis://user:pass@host` → `redis://user:[REDACTED]@host`). */
export function maskUrlCredentials(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)([^/@\s:]*):([^/@\s]*)@/gi, `$1$2:${REDACTED}@`);
}

const redactFormat = winston.format((info, opts) => {
  const { secrets } = opts as { secrets: readonly string[] };
  for (const key of Object.keys(info)) {
    const value = info[key];
    info[key] = SECRET_FIELD.test(key) && typeof value === 'string' ? REDACTED : redact(value, secrets);
  }
  return info;
});

export function createLogger(options: LoggerOptions): Logger {
  // Very short values would redact ordinary words; config validation rejects such secrets.
  const secrets = (options.secrets ?? []).filter((s): s is string => typeof s === 'string' && s.length >= 4);
  const pretty = options.pretty ?? Boolean(process.stdout.isTTY);
  const format = winston.format.combine(
    redactFormat({ secrets }),
    winston.format.timestamp(),
    pretty
      ? winston.format.combine(
          winston.format.colorize(),
          winston.format.printf(({ level, message, timestamp, service, ...rest }) => {
            const extra = Object.keys(rest).length > 0 ? ' ' + JSON.stringify(rest) : '';
            return `${String(timestamp)} ${level} [${String(service)}] ${String(message)}${extra}`;
          }),
        )
      : winston.format.json(),
  );
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  return winston.createLogger({
    level: options.level,
    levels: winston.config.npm.levels,
    defaultMeta: { service: options.service },
    format,
    transports: [transport],
  });
}

/** A logger that writes nothing, for tests and in-process use that does not want logs. */
export function silentLogger(): Logger {
  return winston.createLogger({
    silent: true,
    transports: [new winston.transports.Console({ silent: true })],
  });
}
