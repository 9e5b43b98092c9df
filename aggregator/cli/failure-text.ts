/**
 * Failures in words, for a person at a terminal: what went wrong, what it means and what to change.
 * A raw error code (ECONNREFUSED, UND_ERR_SOCKET…) is never the message; it may follow in
 * parentheses, for searching. Pure: an error in, lines of text out.
 */

/** Network error codes (Node's and undici's) in words. */
const NETWORK_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'the connection was refused (nothing listens at that address and port)',
  ECONNRESET: 'the connection was reset before an answer came',
  EPIPE: 'the connection broke while the request was being sent',
  ENOTFOUND: 'the host name does not resolve (no such host)',
  EAI_AGAIN: 'the host name could not be resolved (the DNS lookup failed; try again)',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'there is no route to that host',
  ENETUNREACH: 'the network is unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out (nothing answered at that address)',
  UND_ERR_HEADERS_TIMEOUT: 'no answer came in time',
  UND_ERR_BODY_TIMEOUT: 'the answer stopped arriving',
  UND_ERR_SOCKET: 'the connection closed before the answer came',
  UND_ERR_CLOSED: 'the connection was closed',
  UND_ERR_ABORTED: 'the request was cut off',
  CERT_HAS_EXPIRED: "the server's TLS certificate has expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's TLS certificate is self-signed",
  SELF_SIGNED_CERT_IN_CHAIN: "the server's TLS certificate chain is self-signed",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's TLS certificate cannot be verified",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's TLS certificate is for another host name",
};

// A code inside a message the client wrote (its errors carry no raw cause): undici's, or one of
// the known ones above. Never any capitalised word: an API message may shout "ERROR".
const CODE_IN_TEXT = new RegExp(`\\b(UND_ERR_[A-Z_]+|${Object.keys(NETWORK_WORDS).join('|')})\\b`);
// "GET /v2/apps/{id}: HTTP 503": the status of a spent retry whose error carries none.
const STATUS_IN_TEXT = /\bHTTP (\d{3})\b/;

/** The error code of a network failure: `code` on the error or its causes, else one named in its message. */
export function networkCode(err: unknown): string | null {
  for (let e: unknown = err, depth = 0; e !== null && e !== undefined && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0) return code;
    e = (e as { cause?: unknown }).cause;
  }
  const message = err instanceof Error ? err.message : String(err);
  const match = CODE_IN_TEXT.exec(message);
  return match?.[1] ?? null;
}

/** "the connection was refused (… ) (ECONNREFUSED)"; without a known code, words for a timeout or a plain failure. */
export function networkProblem(err: unknown): string {
  const code = networkCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code !== null) {
    const words = NETWORK_WORDS[code];
    return words === undefined ? `the request failed (${code})` : `${words} (${code})`;
  }
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || /\btimed out\b/i.test(message)) return 'no answer came in time (timed out)';
  return 'the request failed before an answer came';
}

/** What a `fix` call was doing when it failed. */
export interface PlatformCallContext {
  readonly appId: string;
  /** Whether the app id came from --app or from DO_APP_ID. */
  readonly appIdFrom: '--app' | 'DO_APP_ID';
  /** A read (GET) or a change (POST restart, PUT spec). */
  readonly write: boolean;
  /** DO_API_BASE_URL as used. */
  readonly baseUrl: string;
}

/**
 * A failed DigitalOcean API call in words: the cause and the setting to change, the API's own
 * text where it helps, and DigitalOcean's request id to quote to their support.
 * Reads `status` and `requestId` from the error (PlatformHttpError, and the RetryableError of a
 * spent retry); a failure without a status is a network failure.
 */
export function explainPlatformFailure(err: unknown, ctx: PlatformCallContext): string[] {
  const status = numberField(err, 'status') ?? statusInText(err);
  const requestId = stringField(err, 'requestId');
  const message = err instanceof Error ? err.message : String(err);
  const lines: string[] = [];
  if (status === null && (hasNetworkSign(err) || /\b(no answer|request failed|timed out)\b/.test(message))) {
    lines.push(`could not reach the DigitalOcean API at ${ctx.baseUrl}: ${networkProblem(err)}.`);
    // A refused connection sent nothing; after any other failure the change may have arrived.
    if (ctx.write && networkCode(err) !== 'ECONNREFUSED') {
      lines.push(
        `The change may have been applied anyway: check the app (doctl apps list-deployments ${ctx.appId}) ` +
          'before trying again.',
      );
    } else if (ctx.baseUrl !== 'https://api.digitalocean.com') {
      lines.push('Check DO_API_BASE_URL (unset, it is https://api.digitalocean.com).');
    } else {
      lines.push('Check the network, then try again.');
    }
  } else if (status === 401) {
    lines.push(
      'DigitalOcean refused DO_API_TOKEN (HTTP 401): the token is wrong, expired or revoked. ' +
        'Create a new one (API → Tokens, with read and write scope) and set DO_API_TOKEN to it.',
    );
  } else if (status === 403 && ctx.write) {
    lines.push(
      `DigitalOcean refused to change app ${ctx.appId} (HTTP 403): DO_API_TOKEN lacks write scope ` +
        '(a read-only token can look but not restart or update). Create a token with write scope ' +
        '(API → Tokens) and set DO_API_TOKEN to it.',
    );
  } else if (status === 403) {
    lines.push(
      `DigitalOcean refused to read app ${ctx.appId} (HTTP 403): DO_API_TOKEN lacks the scope to read apps. ` +
        'Create a token with read and write scope (API → Tokens) and set DO_API_TOKEN to it.',
    );
  } else if (status === 404) {
    lines.push(
      `DigitalOcean has no app ${ctx.appId} that this token can see (HTTP 404): check ` +
        `${ctx.appIdFrom === '--app' ? '--app (or DO_APP_ID)' : 'DO_APP_ID (or pass --app ID)'}; ` +
        '`doctl apps list` shows the app ids, which look like 8e6c1c04-…, not the app name.',
    );
  } else if (status === 429) {
    lines.push(
      'DigitalOcean rate-limited the token (HTTP 429: at most 5,000 requests an hour and 250 a minute); ' +
        'wait a minute and try again.',
    );
  } else if (status !== null && status >= 500) {
    lines.push(
      `DigitalOcean answered HTTP ${status}, a failure on its side` +
        (ctx.write ? '; the change may have been applied: check the app before trying again' : '') +
        '. Try again in a few minutes (https://status.digitalocean.com).',
    );
  } else if (status !== null) {
    lines.push(`DigitalOcean refused the request (HTTP ${status}).`);
  } else {
    lines.push(message);
  }
  // The API's own words (e.g. "The resource you were accessing could not be found.") belong
  // under a status, not under a network failure, whose text is the raw code just translated.
  if (status !== null) lines.push(`  (${message})`);
  if (requestId !== null) {
    lines.push(`DigitalOcean request id: ${requestId} (quote it to DigitalOcean support)`);
  }
  return lines;
}

function hasNetworkSign(err: unknown): boolean {
  const code = networkCode(err);
  return code !== null && (code in NETWORK_WORDS || code.startsWith('UND_ERR_') || /^E[A-Z]+$/.test(code));
}

function statusInText(err: unknown): number | null {
  const match = STATUS_IN_TEXT.exec(err instanceof Error ? err.message : String(err));
  return match ? Number(match[1]) : null;
}

function numberField(err: unknown, key: string): number | null {
  const value = (err as Record<string, unknown> | null)?.[key];
  return typeof value === 'number' && Number.isInteger(value) ? value : null;
}

function stringField(err: unknown, key: string): string | null {
  const value = (err as Record<string, unknown> | null)?.[key];
  return typeof value === 'string' && value.length > 0 ? value : null;
}
