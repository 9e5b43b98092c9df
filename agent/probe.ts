/**
 * The serving probe: asks the backend's own health URL whether it answers. This is what tells an
 * instance the platform calls "ready" from one that actually serves.
 */
import { Agent, request } from 'undici';
import type { Clock } from '../shared/clock';
import type { ServingStatus } from '../shared/heartbeat';
import { PROBE_ERROR_MAX_LENGTH } from '../shared/heartbeat-limits';
import { maskUrlCredentials } from '../shared/logger';

/** Checks whether the backend serves. */
export interface ServingProbe {
  /** Never rejects: every failure is a `{ ok: false, error }` result. */
  check(signal?: AbortSignal): Promise<ServingStatus>;
  /** Idempotent. */
  close(): Promise<void>;
}

/** AGENT_PROBE_URL and AGENT_PROBE_TIMEOUT_MS, and the clock that stamps `checked_at`. */
export interface ProbeOptions {
  readonly url: string;
  readonly timeoutMs: number;
  readonly clock: Clock;
}

function describeError(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  const text = typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
  return maskUrlCredentials(text).slice(0, PROBE_ERROR_MAX_LENGTH);
}

/** Creates a probe of `url` (GET; 2xx in time = serving). */
export function createServingProbe(options: ProbeOptions): ServingProbe {
  const { url, timeoutMs, clock } = options;
  // Its own small dispatcher: a slow backend must not hold connections of the heartbeat transport.
  // Its timeouts are only a backstop (the abort signal ends a check), hence the extra second.
  const backstopMs = timeoutMs + 1_000;
  const dispatcher = new Agent({
    connections: 1,
    connectTimeout: backstopMs,
    headersTimeout: backstopMs,
    bodyTimeout: backstopMs,
    keepAliveTimeout: 4_000,
  });
  let closing: Promise<void> | undefined;

  return {
    async check(signal) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const started = performance.now();
      const checkedAt = clock.now();
      try {
        const response = await request(url, {
          method: 'GET',
          dispatcher,
          signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
          headers: { 'user-agent': 'replica-watch-agent' },
        });
        const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
        // Read and drop the body so the connection can be reused; a huge body is cut short.
        await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
        const ok = response.statusCode >= 200 && response.statusCode < 300;
        return {
          ok,
          status: response.statusCode,
          latency_ms: latencyMs,
          error: ok ? null : `unexpected status ${response.statusCode}`,
          checked_at: checkedAt,
        };
      } catch (err) {
        const error = timeout.aborted
          ? `timed out after ${timeoutMs} ms`
          : signal?.aborted
            ? 'aborted: the agent is stopping'
            : describeError(err);
        return { ok: false, status: null, latency_ms: null, error, checked_at: checkedAt };
      }
    },
    close() {
      // Nothing worth draining: a check in flight is abandoned.
      closing ??= dispatcher.destroy().catch(() => undefined);
      return closing;
    },
  };
}
