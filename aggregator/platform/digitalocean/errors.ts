/**
 * Permanent failures of the App Platform client. Retryable ones are shared/retry's
 * RetryableError; everything here is final for the call that raised it.
 */

/** A response that does not fit the schema: junk from the API is rejected, never half-read. */
export class PlatformSchemaError extends Error {
  constructor(
    /** The endpoint template, e.g. `GET /v2/apps/{id}`. */
    readonly endpoint: string,
    /** Where the body stopped fitting, e.g. `app.spec.services[0].instance_count`; `(body)` for the whole. */
    readonly fieldPath: string,
    detail: string,
  ) {
    super(`${endpoint}: response does not fit the schema at ${fieldPath}: ${detail}`);
    this.name = 'PlatformSchemaError';
  }
}

/**
 * An answer the client will not retry: a 4xx other than 429, or a failed non-idempotent call
 * (POST) that may already have been applied and so must not be sent twice.
 */
export class PlatformHttpError extends Error {
  constructor(
    readonly endpoint: string,
    /** HTTP status, null when no response arrived. */
    readonly status: number | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${endpoint}: ${message}`, options);
    this.name = 'PlatformHttpError';
  }
}
