import { formatDuration, listWords, plural } from '../../aggregator/reconcile/text';

describe('wording helpers', () => {
  test.each([
    [0, '0 ms'],
    [850, '850 ms'],
    [1_000, '1 s'],
    [59_999, '59 s'],
    [60_000, '1 min'],
    [185_000, '3 min 5 s'],
    [3_600_000, '1 h'],
    [7_800_000, '2 h 10 min'],
    [86_400_000 * 3 + 3_600_000 * 4, '3 d 4 h'],
    [-5, '0 ms'],
  ])('formatDuration(%d) = %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  test.each([
    [[], ''],
    [['a'], 'a'],
    [['a', 'b'], 'a and b'],
    [['a', 'b', 'c'], 'a, b and c'],
    [Array.from({ length: 12 }, (_, i) => `i${i}`), 'i0, i1, i2, i3, i4, i5, i6, i7, i8, i9 and 2 more'],
  ])('listWords(%j) = %s', (items, text) => {
    expect(listWords(items)).toBe(text);
  });

  test('plural', () => {
    expect([plural(0, 'orphan'), plural(1, 'orphan'), plural(2, 'orphan')]).toEqual([
      '0 orphans',
      '1 orphan',
      '2 orphans',
    ]);
  });
});
