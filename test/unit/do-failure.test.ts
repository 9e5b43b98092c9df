/**
 * platformFailure: what the DigitalOcean client threw → the kind of failure the report names,
 * with the HTTP status and DigitalOcean's request id.
 */
import {
  PlatformHttpError,
  PlatformRetryableError,
  PlatformSchemaError,
} from '../../aggregator/platform/digitalocean/errors';
import { platformFailure } from '../../aggregator/platform/digitalocean/failure';
import { RetryableError } from '../../shared/retry';

const SINCE = Date.parse('2026-03-01T12:00:00Z');
const APP = '8f3c0c57-0000-4000-8000-000000000001';
const endpoint = 'GET /v2/apps/{id}';
const call = `GET /v2/apps/${APP}`;

describe('platformFailure', () => {
  it.each([
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [404, 'not_found'],
    [400, 'bad_response'],
    [422, 'bad_response'],
  ] as const)('classifies an answer %i as %s, with the status and the request id', (status, kind) => {
    const err = new PlatformHttpError(endpoint, status, `HTTP ${status} x: y (request_id r-1)`, {
      call,
      requestId: 'r-1',
    });
    expect(platformFailure(err, SINCE)).toEqual({
      kind,
      message: `${call}: HTTP ${status} x: y (request_id r-1)`,
      httpStatus: status,
      requestId: 'r-1',
      sinceMs: SINCE,
    });
  });

  it.each([
    [429, 'rate_limited'],
    [500, 'server_error'],
    [503, 'server_error'],
    [null, 'unreachable'],
  ] as const)('classifies a spent retry with status %s as %s', (status, kind) => {
    const err = new PlatformRetryableError(endpoint, call, status, 'detail', { requestId: status && 'r-2' });
    expect(platformFailure(err, SINCE)).toMatchObject({
      kind,
      message: `${call}: detail`,
      httpStatus: status,
      requestId: status && 'r-2',
    });
  });

  it('classifies a POST that got no answer as unreachable', () => {
    const err = new PlatformHttpError('POST /v2/apps/{app_id}/restart', null, 'no answer within 10 s', {
      code: 'UND_ERR_HEADERS_TIMEOUT',
    });
    expect(platformFailure(err, SINCE)).toMatchObject({ kind: 'unreachable', httpStatus: null });
  });

  it('classifies a body that does not fit as bad_response, with the status of the answer', () => {
    const err = new PlatformSchemaError(endpoint, '(body)', 'not JSON', { call, status: 200 });
    expect(platformFailure(err, SINCE)).toEqual({
      kind: 'bad_response',
      message: `${call}: response does not fit the schema at (body): not JSON`,
      httpStatus: 200,
      requestId: null,
      sinceMs: SINCE,
    });
  });

  it('reads another retryable failure by its wait: a rate limit, else no answer', () => {
    expect(platformFailure(new RetryableError('slow down', 5_000), SINCE).kind).toBe('rate_limited');
    expect(platformFailure(new RetryableError('down'), SINCE).kind).toBe('unreachable');
    expect(platformFailure(new Error('odd'), SINCE)).toMatchObject({ kind: 'bad_response', message: 'odd' });
    expect(platformFailure('text', SINCE)).toMatchObject({ kind: 'bad_response', message: 'text' });
  });
});
