/**
 * Which shard owns an app (shared/shard.ts): 32-bit FNV-1a over the id's UTF-8 bytes, as
 * kube-state-metrics shards its objects, so that any shard (and any script) computes the same
 * owner; the StatefulSet ordinal of a host name; a peer's host name.
 */
import { fnv1a32, ordinalOfHostname, peerHost, shardOf, UNSHARDED } from '../../shared/shard';

describe('fnv1a32', () => {
  test.each([
    ['', 2_166_136_261],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('the published test vector of %j', (text, hash) => {
    expect(fnv1a32(text)).toBe(hash);
  });

  test('"a" is 3826002220 and "foobar" 3214735720: unsigned, never negative', () => {
    expect(fnv1a32('a')).toBe(3_826_002_220);
    expect(fnv1a32('foobar')).toBe(3_214_735_720);
    for (const text of ['x', 'replica-watch', '6c1f0a2e-1b2c-4d5e-8f90-0123456789ab']) {
      const hash = fnv1a32(text);
      expect(Number.isInteger(hash) && hash >= 0 && hash <= 0xffffffff).toBe(true);
    }
  });

  test('hashes the UTF-8 bytes, not UTF-16 code units: non-ASCII agrees with a byte-wise reference', () => {
    // The reference: FNV-1a over the bytes, in BigInt arithmetic (no 32-bit tricks to share a bug with).
    const reference = (bytes: Uint8Array): number => {
      let hash = 2_166_136_261n;
      for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * 16_777_619n) % 2n ** 32n;
      return Number(hash);
    };
    for (const text of ['é', 'café', 'größe-app', '日本', '🚀', 'naïve-💥-app']) {
      expect({ text, hash: fnv1a32(text) }).toEqual({ text, hash: reference(Buffer.from(text, 'utf8')) });
    }
    // "é" is two bytes in UTF-8 (0xc3 0xa9), one code unit in UTF-16: hashing the code unit differs.
    expect(fnv1a32('é')).toBe(reference(Uint8Array.from([0xc3, 0xa9])));
    expect(fnv1a32('é')).not.toBe(reference(Uint8Array.from([0xe9])));
  });
});

describe('shardOf', () => {
  test('one shard (or none) owns everything', () => {
    expect(shardOf('anything', 1)).toBe(0);
    expect(shardOf('anything', 0)).toBe(0);
    expect(shardOf('', UNSHARDED.total)).toBe(0);
  });

  test('is fnv1a32(id) mod total, the same on every call', () => {
    expect(shardOf('foobar', 2)).toBe(0xbf9cf968 % 2);
    expect(shardOf('foobar', 7)).toBe(0xbf9cf968 % 7);
    expect(shardOf('a', 3)).toBe(3_826_002_220 % 3);
    expect(shardOf('foobar', 5)).toBe(shardOf('foobar', 5));
  });

  test.each([2, 3, 5, 16])('spreads 10,000 app ids roughly evenly over %i shards', (total) => {
    const counts = new Array<number>(total).fill(0);
    const outside: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const id = `${i.toString(16).padStart(8, '0')}-0000-4000-8000-${String(i).padStart(12, '0')}`;
      const shard = shardOf(id, total);
      if (!Number.isInteger(shard) || shard < 0 || shard >= total) outside.push(shard);
      else counts[shard] = (counts[shard] ?? 0) + 1;
    }
    expect(outside).toEqual([]);
    const even = 10_000 / total;
    // Within 15% of an even share: far outside what chance gives a uniform hash (a few %).
    for (const count of counts) expect(Math.abs(count - even) / even).toBeLessThan(0.15);
  });
});

describe('ordinalOfHostname', () => {
  test.each([
    ['replica-watch-0', 0],
    ['replica-watch-2', 2],
    ['replica-watch-12', 12],
    ['web-007', 7],
    ['  replica-watch-3\n', 3],
    ['a-b-c-4', 4],
  ])('%j → %i', (host, ordinal) => {
    expect(ordinalOfHostname(host)).toBe(ordinal);
  });

  test.each([
    'replica-watch',
    'replica-watch-',
    'replica-watch-2a',
    'replica-watch-7f9c6d8b5-x2x7z',
    '',
    '42',
  ])('%j has no ordinal', (host) => {
    expect(ordinalOfHostname(host)).toBeNull();
  });
});

describe('peerHost', () => {
  test("names shard n's pod when the shard came from the host name, else null", () => {
    expect(peerHost({ index: 0, total: 3, hostPrefix: 'replica-watch-' }, 2)).toBe('replica-watch-2');
    expect(peerHost({ index: 0, total: 3 }, 2)).toBeNull();
    expect(peerHost(UNSHARDED, 0)).toBeNull();
  });
});
