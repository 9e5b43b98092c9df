/**
 * Admission (aggregator/collector/accept.ts) decodes a heartbeat once: the fast parse hands back
 * the decoded value beside the typed heartbeat, and the signature is checked on that value, the
 * fields as sent, unknown ones included.
 */
import { admitHeartbeat, oneApp, parseForApp } from '../../aggregator/collector/accept';
import { decodeHeartbeatFast } from '../../aggregator/collector/fast-parse';
import { signHeartbeat } from '../../shared/signature';
import { makeHeartbeat } from '../support/heartbeats';

const SECRET = 'heartbeat-secret-0123456789';
const policy = { apps: oneApp('test-app'), heartbeatSecret: SECRET };
const heartbeat = makeHeartbeat();

afterEach(() => jest.restoreAllMocks());

describe('decodeHeartbeatFast', () => {
  test('hands back the value as decoded, unknown fields included, beside the schema’s heartbeat', () => {
    const sent = { ...heartbeat, future_field: { nested: [1, 2] } };
    const result = decodeHeartbeatFast(JSON.stringify(sent));
    expect(result).toEqual({ ok: true, heartbeat, decoded: sent });
  });

  test('refuses as the schema does, with no decoded value', () => {
    expect(decodeHeartbeatFast('{"v":1,')).toEqual({
      ok: false,
      reason: 'malformed_json',
      detail: expect.any(String),
    });
    expect(decodeHeartbeatFast(JSON.stringify({ ...heartbeat, seq: -1 }))).toEqual({
      ok: false,
      reason: 'invalid_field',
      detail: expect.stringMatching(/^seq:/),
    });
  });
});

describe('admitHeartbeat', () => {
  test.each([
    ['a signed heartbeat', JSON.stringify(signHeartbeat(heartbeat, SECRET))],
    [
      'a signed heartbeat of a newer agent, with a field this build does not know',
      JSON.stringify(signHeartbeat({ ...heartbeat, future_field: 1 }, SECRET)),
    ],
    // Reordered fields: the fast path copies, and the signature still covers what was sent.
    [
      'a signed heartbeat with its fields in another order',
      JSON.stringify(signHeartbeat(Object.fromEntries(Object.entries(heartbeat).reverse()), SECRET)),
    ],
  ])('admits %s, decoding its body once', (_name, body) => {
    const parse = jest.spyOn(JSON, 'parse');
    const result = admitHeartbeat(body, policy, Date.now(), null);
    expect(parse).toHaveBeenCalledTimes(1);
    expect(result).toEqual({ ok: true, heartbeat: { ...heartbeat, sig: expect.any(String) } });
  });

  test('checks the signature on the fields as sent: an unknown field altered after signing is refused', () => {
    const signed = signHeartbeat({ ...heartbeat, future_field: 1 }, SECRET);
    const body = JSON.stringify({ ...signed, future_field: 2 });
    // The schema's output is the same either way; only the decoded value tells them apart.
    expect(parseForApp(body, policy.apps)).toEqual(parseForApp(JSON.stringify(signed), policy.apps));
    expect(admitHeartbeat(body, policy, Date.now(), null)).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  test('without a secret, parseForApp’s answer: the heartbeat alone, or wrong_app', () => {
    const open = { apps: oneApp('test-app'), heartbeatSecret: null };
    const body = Buffer.from(JSON.stringify(heartbeat));
    expect(admitHeartbeat(body, open, Date.now(), null)).toEqual({ ok: true, heartbeat });
    expect(admitHeartbeat(body, { ...open, apps: oneApp('other-app') }, Date.now(), null)).toMatchObject({
      ok: false,
      reason: 'wrong_app',
    });
  });
});
