/**
 * The collector's fast heartbeat parse (aggregator/collector/fast-parse.ts), which makes a 100k
 * resync affordable, must answer exactly as the schema does: the same heartbeat (same fields,
 * same order, so the same bytes when serialized) or the same refusal, for valid heartbeats and
 * for every kind of damage to them.
 */
import fc from 'fast-check';
import { parseHeartbeatFast } from '../../aggregator/collector/fast-parse';
import {
  HEARTBEAT_FIELDS,
  parseHeartbeat,
  SERVING_FIELDS,
  STATS_FIELDS,
  type Heartbeat,
} from '../../shared/heartbeat';
import {
  BOOT_ID_MAX_LENGTH,
  EPOCH_MS_MAX,
  HTTP_STATUS_MAX,
  LABEL_MAX_LENGTH,
  LOAD_AVG_LENGTH,
  PROBE_ERROR_MAX_LENGTH,
  SIG_MAX_LENGTH,
} from '../../shared/heartbeat-limits';
import { goodbyeOf, makeHeartbeat } from '../support/heartbeats';

function same(json: string): void {
  const fast = parseHeartbeatFast(json);
  const schema = parseHeartbeat(json);
  expect(fast).toEqual(schema);
  if (fast.ok && schema.ok) expect(JSON.stringify(fast.heartbeat)).toBe(JSON.stringify(schema.heartbeat));
}

const FIELDS = [...HEARTBEAT_FIELDS] as (keyof Heartbeat)[];

/** Values that sit on and around the schema's limits (shared/heartbeat-limits.ts). */
const EDGES: unknown[] = [
  0,
  -0,
  -1,
  1,
  0.5,
  1.5,
  HTTP_STATUS_MAX,
  HTTP_STATUS_MAX + 1,
  2 ** 53 - 1,
  2 ** 53,
  EPOCH_MS_MAX,
  EPOCH_MS_MAX + 1,
  1e300,
  -1e-300,
  '',
  'a',
  ...[BOOT_ID_MAX_LENGTH, SIG_MAX_LENGTH, LABEL_MAX_LENGTH, PROBE_ERROR_MAX_LENGTH].flatMap((max) => [
    'x'.repeat(max),
    'x'.repeat(max + 1),
  ]),
  'bad name',
  '-lead',
  'ok.name_1',
  'é',
  null,
  true,
  false,
  [],
  {},
  Array<number>(LOAD_AVG_LENGTH - 1).fill(0),
  Array<number>(LOAD_AVG_LENGTH).fill(0),
  Array<number>(LOAD_AVG_LENGTH + 1).fill(0),
  [0, -1, 0],
  [0.5, 1, 2],
  'heartbeat',
  'goodbye',
  { ok: true },
];

function mutated(field: string, how: string, nested: string, value: unknown): string {
  const hb: Record<string, unknown> = JSON.parse(JSON.stringify(makeHeartbeat({ sig: 'c'.repeat(64) })));
  if (how === 'replace') hb[field] = value;
  else if (how === 'drop') delete hb[field];
  else if (how === 'extra') hb[`${field}_extra`] = value;
  else {
    const part = (SERVING_FIELDS.includes(nested) ? hb.serving : hb.stats) as Record<string, unknown>;
    if (how === 'nested') part[nested] = value;
    else delete part[nested];
  }
  return JSON.stringify(hb);
}

describe('the fast heartbeat parse', () => {
  it('accepts what the schema accepts, with the same output', () => {
    for (const hb of [
      makeHeartbeat(),
      makeHeartbeat({ serving: null, stats: null, deployment_id: null, sig: 'a'.repeat(64) }),
      goodbyeOf(makeHeartbeat()),
    ]) {
      same(JSON.stringify(hb));
    }
  });

  it('answers as the schema does for every field set to every edge value, or dropped', () => {
    for (const field of FIELDS) {
      same(mutated(field, 'drop', '', null));
      same(mutated(field, 'extra', '', 1));
      for (const value of EDGES) same(mutated(field, 'replace', '', value));
    }
    for (const nested of [...SERVING_FIELDS, ...STATS_FIELDS]) {
      same(mutated('', 'nested-drop', nested, null));
      for (const value of EDGES) same(mutated('', 'nested', nested, value));
    }
  });

  it('answers as the schema does for random values anywhere', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FIELDS),
        fc.constantFrom('replace', 'nested', 'extra'),
        fc.constantFrom(...SERVING_FIELDS, ...STATS_FIELDS),
        fc.jsonValue(),
        (field, how, nested, value) => same(mutated(field, how, nested, value)),
      ),
      { numRuns: 1_000 },
    );
  });

  it('answers as the schema does for reordered fields, junk and oversized bodies', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(FIELDS, { minLength: FIELDS.length - 1 }), (order) => {
        const hb = makeHeartbeat({ sig: 'b'.repeat(64) }) as unknown as Record<string, unknown>;
        same(JSON.stringify(Object.fromEntries(order.map((k) => [k, hb[k]]))));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string(), (text) => same(text)),
      { numRuns: 300 },
    );
    for (const junk of ['', 'null', '[]', '{"v":1}', '{"v":2}', '{"__proto__":{"v":1}}', 'x'.repeat(9_000)])
      same(junk);
    same(JSON.stringify({ ...makeHeartbeat(), version: 'é'.repeat(4_000) }));
    same(Buffer.from(JSON.stringify(makeHeartbeat())) as unknown as string);
  });
});
