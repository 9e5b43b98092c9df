/**
 * The App Platform client's failures. Each names the concrete call (`GET /v2/apps/<id>`), so an
 * operator sees which app id was asked for, and carries what an explanation needs: the HTTP
 * status (null when no answer came), DigitalOcean's `request_id` (to quote to their support)
 * and, without an answer, the network error code. The client gives them no raw cause: causes
 * hold request options, and request options hold the token.
 */
import { RetryableError } from '../../../shared/retry';

/** What a failed call knows beyond its message and status. */
export interface CallFailureFacts {
  /** DigitalOcean's `request_id` from the error body; null when none. */
  readonly requestId?: string | null;
  /** The network error code (ECONNREFUSED, UND_ERR_SOCKET…) when no answer came; null otherwise. */
  readonly code?: string | null;
}

/** A response that does not fit the schema: junk from the API is rejected, never half-read. */
export class PlatformSchemaError extends Error {
  /** The concrete call; the endpoint template when none was given. */
  readonly call: string;
  /** The status of the answer whose body did not fit; null when not known. */
  readonly status: number | null;

  constructor(
    /** The endpoint template, e.g. `GET /v2/apps/{id}`. */
    readonly endpoint: string,
    /** Where the body stopped fitting, e.g. `app.spec.services[0].instance_count`; `(body)` for the whole. */
    readonly fieldPath: string,
    detail: string,
    options?: { readonly call?: string; readonly status?: number },
  ) {
    const call = options?.call ?? endpoint;
    super(`${call}: response does not fit the schema at ${fieldPath}: ${detail}`);
    this.name = 'PlatformSchemaError';
    this.call = call;
    this.status = options?.status ?? null;
  }
}

/**
 * An answer the client will not retry: a 4xx other than 429, or a failed non-idempotent call
 * (POST) that may already have been applied and so must not be sent twice.
 */
export class PlatformHttpError extends Error {
  /** The concrete call; the endpoint when none was given. */
  readonly call: string;
  /** DigitalOcean's `request_id` from the error body, to quote to their support; null when none. */
  readonly requestId: string | null;
  /** The network error code when no answer came (status null); null otherwise. */
  readonly code: string | null;

  constructor(
    readonly endpoint: string,
    /** HTTP status, null when no response arrived. */
    readonly status: number | null,
    message: string,
    options?: CallFailureFacts & {
      /** The concrete call, e.g. `GET /v2/apps/4f6c71e2-…/health`; the message starts with it. */
      readonly call?: string;
      readonly cause?: unknown;
    },
  ) {
    const call = options?.call ?? endpoint;
    super(`${call}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PlatformHttpError';
    this.call = call;
    this.requestId = options?.requestId ?? null;
    this.code = options?.code ?? null;
  }
}

/**
 * A failure worth another try (network, timeout, 5xx of a GET, 429) with the same facts as a
 * PlatformHttpError, so that a spent retry still says what the last answer was.
 */
export class PlatformRetryableError extends RetryableError {
  /** DigitalOcean's `request_id` of the last answer; null when none. */
  readonly requestId: string | null;
  /** The network error code when no answer came; null otherwise. */
  readonly code: string | null;

  constructor(
    /** The endpoint template, for metrics and logs. */
    readonly endpoint: string,
    readonly call: string,
    /** HTTP status of the last answer (429, 5xx); null when none came (network, timeout). */
    readonly status: number | null,
    detail: string,
    options?: CallFailureFacts & { readonly retryAfterMs?: number },
  ) {
    super(`${call}: ${detail}`, options?.retryAfterMs);
    this.name = 'PlatformRetryableError';
    this.requestId = options?.requestId ?? null;
    this.code = options?.code ?? null;
  }
}
