/**
 * A failed refresh → PlatformFailure: what kind of failure, with the HTTP status and
 * DigitalOcean's request id of the answer that failed it.
 */
import { RetryableError } from '../../../shared/retry';
import type { PlatformFailure, PlatformFailureKind } from '../../model';
import { PlatformHttpError, PlatformRetryableError, PlatformSchemaError } from './errors';

/** The kind of a failed call by the status of its answer; null: no answer came. */
function kindOfStatus(status: number | null): PlatformFailureKind {
  if (status === null) return 'unreachable';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_error';
  return 'bad_response';
}

/** Classifies what a refresh threw; `sinceMs` is when the refreshes started failing. */
export function platformFailure(err: unknown, sinceMs: number): PlatformFailure {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof PlatformHttpError || err instanceof PlatformRetryableError) {
    return {
      kind: kindOfStatus(err.status),
      message,
      httpStatus: err.status,
      requestId: err.requestId,
      sinceMs,
    };
  }
  if (err instanceof PlatformSchemaError) {
    return { kind: 'bad_response', message, httpStatus: err.status, requestId: null, sinceMs };
  }
  // Another leaf's retryable failure says no status: a wait the server asked for means a rate
  // limit (429 and its reset), none means no answer came.
  if (err instanceof RetryableError) {
    const kind = err.retryAfterMs === undefined ? 'unreachable' : 'rate_limited';
    return { kind, message, httpStatus: null, requestId: null, sinceMs };
  }
  return { kind: 'bad_response', message, httpStatus: null, requestId: null, sinceMs };
}
