/**
 * One JSON POST with its failure classified (STYLE.md principle 4): no response (network error,
 * timeout, abort), 5xx and 429 are retryable; any other non-2xx status is permanent. Errors
 * never carry the URL: webhook URLs hold secrets (Slack's token is its path).
 */
import { request } from 'undici';
import { RetryableError } from '../../../shared/retry';

/** A refusal the sender will not retry (a 4xx other than 429). */
export class SinkRejectedError extends Error {
  constructor(
    what: string,
    readonly status: number,
    detail: string,
  ) {
    super(`${what}: HTTP ${status}${detail}`);
    this.name = 'SinkRejectedError';
  }
}

export interface PostOptions {
  /** Names the destination in errors (`webhook`, `slack`…), never its URL. */
  readonly what: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

const SNIPPET_LIMIT = 200;

/** POSTs `body` (JSON text) to `url`; resolves on 2xx. */
export async function postJson(url: string, body: string, options: PostOptions): Promise<void> {
  const { what } = options;
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...options.headers },
      body,
      signal: options.signal,
    });
  } catch (err) {
    if (options.signal?.aborted) throw new RetryableError(`${what}: timed out or aborted`);
    const code = (err as { code?: unknown } | null)?.code;
    throw new RetryableError(
      `${what}: request failed (${typeof code === 'string' ? code : (err as Error).name})`,
    );
  }
  const status = response.statusCode;
  if (status >= 200 && status < 300) {
    await response.body.dump();
    return;
  }
  const text = await response.body.text().catch(() => '');
  const flat = text.replace(/\s+/g, ' ').trim();
  const detail =
    flat === '' ? '' : `: ${flat.length > SNIPPET_LIMIT ? `${flat.slice(0, SNIPPET_LIMIT)}…` : flat}`;
  if (status === 429 || status >= 500) {
    const retryAfter = Number(response.headers['retry-after']);
    const retryAfterMs = Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : undefined;
    throw new RetryableError(`${what}: HTTP ${status}${detail}`, retryAfterMs);
  }
  throw new SinkRejectedError(what, status, detail);
}
