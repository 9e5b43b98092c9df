import {
  MAX_HEARTBEAT_BYTES,
  parseHeartbeat,
  serializeHeartbeat,
  validateHeartbeat,
} from '../../shared/heartbeat';
import { makeHeartbeat } from '../support/heartbeats';

const valid = makeHeartbeat();
const json = (value: unknown) => JSON.stringify(value);
const without = (field: string) => {
  const copy: Record<string, unknown> = { ...valid };
  delete copy[field];
  return copy;
};

describe('parseHeartbeat', () => {
  test('accepts a valid heartbeat, as text and as bytes', () => {
    expect(parseHeartbeat(serializeHeartbeat(valid))).toEqual({ ok: true, heartbeat: valid });
    expect(parseHeartbeat(Buffer.from(serializeHeartbeat(valid)))).toEqual({ ok: true, heartbeat: valid });
  });

  test('accepts a goodbye without stats or probe result', () => {
    const goodbye = { ...valid, type: 'goodbye', stats: null, serving: null };
    expect(parseHeartbeat(json(goodbye)).ok).toBe(true);
  });

  test('ignores unknown fields (a newer agent may add some) and drops them', () => {
    const result = parseHeartbeat(
      json({ ...valid, gpu: { count: 1 }, stats: { ...valid.stats, temperature_c: 50 } }),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.heartbeat).toEqual(valid);
  });

  test.each([
    ['too_large', 'x'.repeat(MAX_HEARTBEAT_BYTES + 1), /exceeds the 8192-byte cap/],
    ['too_large', json({ ...valid, version: 'é'.repeat(MAX_HEARTBEAT_BYTES / 2) }), /bytes exceeds/],
    ['malformed_json', '{"v":1,', /JSON/],
    ['malformed_json', '', /JSON/],
    ['not_an_object', '[1,2]', /an array/],
    ['not_an_object', '42', /number/],
    ['not_an_object', 'null', /null/],
    ['missing_field', json(without('v')), /^v: required/],
    ['unsupported_version', json({ ...valid, v: 2 }), /v=2/],
    ['unsupported_version', json({ ...valid, v: '1' }), /v="1"/],
    ['missing_field', json(without('instance_id')), /^instance_id: required/],
    ['missing_field', json(without('stats')), /^stats: required/],
    [
      'missing_field',
      json({ ...valid, stats: { ...valid.stats, rss_bytes: undefined } }),
      /^stats\.rss_bytes: required/,
    ],
    ['invalid_field', json({ ...valid, seq: -1 }), /^seq:/],
    ['invalid_field', json({ ...valid, seq: 1.5 }), /^seq:/],
    ['invalid_field', json({ ...valid, type: 'hello' }), /^type:/],
    ['invalid_field', json({ ...valid, app: 'my app' }), /^app:/],
    ['invalid_field', json({ ...valid, instance_id: 'rw:{x}' }), /^instance_id:/],
    ['invalid_field', json({ ...valid, component: '' }), /^component:/],
    ['invalid_field', json({ ...valid, ttl_ms: 0 }), /^ttl_ms:/],
    ['invalid_field', json({ ...valid, sent_at: 'yesterday' }), /^sent_at:/],
    ['invalid_field', json({ ...valid, stats: { ...valid.stats, cpu_usage: 2 } }), /^stats\.cpu_usage:/],
    ['invalid_field', json({ ...valid, stats: { ...valid.stats, load_avg: [1] } }), /^stats\.load_avg:/],
    ['invalid_field', json({ ...valid, serving: { ok: 'yes' } }), /^serving\.ok:/],
  ])('rejects as %s: %s', (reason, raw, detail) => {
    const result = parseHeartbeat(raw);
    expect(result).toMatchObject({ ok: false, reason });
    if (!result.ok) expect(result.detail).toMatch(detail);
  });
});

describe('validateHeartbeat', () => {
  test('never throws, whatever it is given', () => {
    for (const value of [
      undefined,
      Symbol('x'),
      () => 1,
      new Date(),
      Object.create(null),
      { v: 1, __proto__: {} },
    ]) {
      expect(() => validateHeartbeat(value)).not.toThrow();
      expect(validateHeartbeat(value).ok).toBe(false);
    }
  });
});
