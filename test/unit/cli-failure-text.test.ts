/**
 * The CLI's failure texts: every network code in words (the code only in parentheses), every
 * DigitalOcean status with the setting to change, and DigitalOcean's request id when there is one.
 */
import type { PlatformCallContext } from '../../aggregator/cli/failure-text';
import { explainPlatformFailure, networkCode, networkProblem } from '../../aggregator/cli/failure-text';
import { PlatformHttpError } from '../../aggregator/platform/digitalocean/errors';
import { RetryableError } from '../../shared/retry';

const READ: PlatformCallContext = {
  appId: 'a1b2c3d4-0000-4000-8000-000000000000',
  appIdFrom: 'DO_APP_ID',
  write: false,
  baseUrl: 'https://api.digitalocean.com',
};
const WRITE: PlatformCallContext = { ...READ, write: true };

function codeError(code: string, message = `${code}: something low-level`): Error {
  return Object.assign(new Error(message), { code });
}

describe('network codes in words', () => {
  test.each([
    ['ECONNREFUSED', 'the connection was refused'],
    ['UND_ERR_SOCKET', 'the connection closed before the answer came'],
    ['UND_ERR_CONNECT_TIMEOUT', 'the connection timed out'],
    ['UND_ERR_HEADERS_TIMEOUT', 'no answer came in time'],
    ['ECONNRESET', 'the connection was reset'],
    ['ENOTFOUND', 'the host name does not resolve'],
    ['EAI_AGAIN', 'the host name could not be resolved'],
    ['CERT_HAS_EXPIRED', "the server's TLS certificate has expired"],
  ])('%s', (code, words) => {
    // As fetch() throws it: a TypeError whose cause has the code.
    const err = new TypeError('fetch failed', { cause: codeError(code) });
    const text = networkProblem(err);
    expect(text.startsWith(words)).toBe(true);
    expect(text.endsWith(`(${code})`)).toBe(true);
  });

  test('a code the client wrote into its message is found there, never a shouting word of the API', () => {
    expect(
      networkCode(new RetryableError('GET /v2/apps/x: request failed: UND_ERR_SOCKET: other side closed')),
    ).toBe('UND_ERR_SOCKET');
    expect(networkCode(new Error('GET /v2/apps/x: HTTP 500: INTERNAL ERROR'))).toBeNull();
  });

  test('an unknown code is still only in parentheses; a timeout without a code is told as one', () => {
    expect(networkProblem(codeError('UND_ERR_SOMETHING_NEW'))).toBe(
      'the request failed (UND_ERR_SOMETHING_NEW)',
    );
    expect(networkProblem(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))).toBe(
      'no answer came in time (timed out)',
    );
  });
});

describe('explainPlatformFailure', () => {
  test('a connect timeout of the client (no status): words, the code in parentheses, never the raw message', () => {
    const err = new RetryableError(
      `GET /v2/apps/${READ.appId}: request failed: UND_ERR_CONNECT_TIMEOUT: Connect Timeout Error (attempted address: api.digitalocean.com:443, timeout: 10000ms)`,
    );
    const lines = explainPlatformFailure(err, READ);
    expect(lines[0]).toBe(
      'could not reach the DigitalOcean API at https://api.digitalocean.com: the connection timed out ' +
        '(nothing answered at that address) (UND_ERR_CONNECT_TIMEOUT).',
    );
    expect(lines.join('\n')).not.toMatch(/UND_ERR_CONNECT_TIMEOUT:|Connect Timeout Error|attempted address/);
  });

  test('a POST the client timed out on may have been applied', () => {
    const err = new PlatformHttpError(
      'POST /v2/apps/{app_id}/restart',
      null,
      'timed out after 10000 ms (not retried: it may have been applied)',
    );
    const lines = explainPlatformFailure(err, WRITE);
    expect(lines[0]).toContain('no answer came in time (timed out)');
    expect(lines[1]).toContain('The change may have been applied anyway');
  });

  test('404 names the app id and where it came from', () => {
    const err = new PlatformHttpError('GET /v2/apps/{id}', 404, 'HTTP 404: not found');
    expect(explainPlatformFailure(err, READ)[0]).toContain(
      `DigitalOcean has no app ${READ.appId} that this token can see (HTTP 404): check DO_APP_ID (or pass --app ID)`,
    );
    expect(explainPlatformFailure(err, { ...READ, appIdFrom: '--app' })[0]).toContain(
      'check --app (or DO_APP_ID)',
    );
  });

  test('401: the token is wrong or revoked; 403 on a write: no write scope; 403 on a read: no read scope', () => {
    const status = (code: number) => new PlatformHttpError('GET /v2/apps/{id}', code, `HTTP ${code}`);
    expect(explainPlatformFailure(status(401), READ)[0]).toContain(
      'DigitalOcean refused DO_API_TOKEN (HTTP 401): the token is wrong, expired or revoked.',
    );
    expect(explainPlatformFailure(status(403), WRITE)[0]).toContain('DO_API_TOKEN lacks write scope');
    expect(explainPlatformFailure(status(403), READ)[0]).toContain(
      'DO_API_TOKEN lacks the scope to read apps',
    );
  });

  test("DigitalOcean's request id is printed, to quote to their support", () => {
    const err = new PlatformHttpError('POST /v2/apps/{app_id}/restart', 403, 'HTTP 403 forbidden: no', {
      requestId: 'req-0042',
    });
    expect(explainPlatformFailure(err, WRITE)).toContain(
      'DigitalOcean request id: req-0042 (quote it to DigitalOcean support)',
    );
  });

  test('a spent retry on 5xx or 429 reads the status from its message when the error carries none', () => {
    expect(explainPlatformFailure(new RetryableError('GET /v2/apps/x: HTTP 503'), READ)[0]).toContain(
      'DigitalOcean answered HTTP 503, a failure on its side',
    );
    expect(
      explainPlatformFailure(new RetryableError('GET /v2/apps/x: rate limited (HTTP 429)'), READ)[0],
    ).toContain('DigitalOcean rate-limited the token (HTTP 429');
  });

  test('a status on the error wins (RetryableError may carry one)', () => {
    const err = Object.assign(new RetryableError('GET /v2/apps/x: failed'), {
      status: 502,
      requestId: 'r-1',
    });
    const lines = explainPlatformFailure(err, READ);
    expect(lines[0]).toContain('DigitalOcean answered HTTP 502');
    expect(lines).toContain('DigitalOcean request id: r-1 (quote it to DigitalOcean support)');
  });
});
