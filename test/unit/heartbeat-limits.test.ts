/**
 * Every limit of the heartbeat (shared/heartbeat-limits.ts) holds alike in the three places that
 * apply it: the zod schema, the collector's fast path, and the OpenAPI schema generated from the
 * zod one. Each bound is tried on and just past its edge, from a table and at random around it;
 * all three must give the expected answer, and the fast path the schema's very result. A bound
 * that drifts on one side (a `<` for a `<=`, a limit typed again) fails here.
 */
import fc from 'fast-check';
import { acceptHeartbeatFast, parseHeartbeatFast } from '../../aggregator/collector/fast-parse';
import { parseHeartbeat } from '../../shared/heartbeat';
import * as limits from '../../shared/heartbeat-limits';
import { AggregatorApiValidator } from '../support/aggregator-openapi';
import { makeHeartbeat } from '../support/heartbeats';

const validator = new AggregatorApiValidator();

/** How a bound is measured: an integer, a finite number, a string's length, an array's length. */
type Kind = 'int' | 'number' | 'length' | 'items';
interface Bound {
  readonly path: readonly string[];
  readonly kind: Kind;
  readonly min: number;
  readonly max: number;
}

const bound = (path: string, kind: Kind, min: number, max = Infinity): Bound => ({
  path: path.split('.'),
  kind,
  min,
  max,
});
const SAFE = Number.MAX_SAFE_INTEGER;
const LABELS = [
  'deployment_id',
  'version',
  'region',
  'pod_name',
  'node_name',
  'stats.platform',
  'stats.node_version',
];
const NON_NEGATIVE = [
  'serving.latency_ms',
  'stats.mem_total_bytes',
  'stats.mem_free_bytes',
  'stats.rss_bytes',
  'stats.heap_used_bytes',
  'stats.disk_total_bytes',
  'stats.disk_free_bytes',
  'stats.host_uptime_s',
  'stats.process_uptime_s',
];

const BOUNDS: readonly Bound[] = [
  ...LABELS.map((path) => bound(path, 'length', 0, limits.LABEL_MAX_LENGTH)),
  bound('serving.error', 'length', 0, limits.PROBE_ERROR_MAX_LENGTH),
  bound('boot_id', 'length', limits.BOOT_ID_MIN_LENGTH, limits.BOOT_ID_MAX_LENGTH),
  bound('sig', 'length', 0, limits.SIG_MAX_LENGTH),
  bound('serving.status', 'int', 0, limits.HTTP_STATUS_MAX),
  ...['sent_at', 'started_at', 'serving.checked_at'].map((path) =>
    bound(path, 'int', 0, limits.EPOCH_MS_MAX),
  ),
  bound('seq', 'int', 0, SAFE),
  bound('stats.cpu_count', 'int', 0, SAFE),
  bound('interval_ms', 'int', limits.INTERVAL_MS_MIN, SAFE),
  bound('ttl_ms', 'int', limits.TTL_MS_MIN, SAFE),
  bound('stats.cpu_usage', 'number', 0, limits.CPU_USAGE_MAX),
  ...NON_NEGATIVE.map((path) => bound(path, 'number', 0)),
  bound('stats.load_avg', 'items', limits.LOAD_AVG_LENGTH, limits.LOAD_AVG_LENGTH),
];

/** The value of size `n` for a bound of `kind`. */
function valueOf(kind: Kind, n: number): unknown {
  if (kind === 'length') return 'x'.repeat(n);
  if (kind === 'items') return Array<number>(n).fill(0.5);
  return n;
}

function accepts({ kind, min, max }: Bound, n: number): boolean {
  if (kind === 'int' && !Number.isSafeInteger(n)) return false;
  return n >= min && n <= max;
}

/** A signed-looking heartbeat with `value` at `path`, as JSON. */
function withValue(path: readonly string[], value: unknown): string {
  const hb = JSON.parse(JSON.stringify(makeHeartbeat({ sig: 'c'.repeat(64) }))) as Record<string, unknown>;
  let node = hb;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path[path.length - 1] as string] = value;
  return JSON.stringify(hb);
}

/**
 * How the schema, the fast path and the OpenAPI schema judge a body. `fast` is the fast path on
 * its own: what it refuses goes to the schema, so a fast path stricter than the schema would
 * give the right answers, only slowly (a 100k resync through zod); it is caught here.
 */
function judge(body: string): { schema: boolean; fast: boolean; openapi: boolean } {
  const schema = parseHeartbeat(body);
  expect(parseHeartbeatFast(body)).toEqual(schema);
  const value: unknown = JSON.parse(body);
  const fast = acceptHeartbeatFast(value);
  if (fast !== null && schema.ok) expect(fast).toEqual(schema.heartbeat);
  const openapi = validator.schemaErrors('Heartbeat', value).length === 0;
  return { schema: schema.ok, fast: fast !== null, openapi };
}

const all = (accepted: boolean) => ({ schema: accepted, fast: accepted, openapi: accepted });

/** On and just past each edge of each bound. */
const EDGE_CASES: [string, string, number, boolean][] = BOUNDS.flatMap((b) => {
  const step = b.kind === 'number' ? 1e-9 : 1;
  const sizes = [b.min, b.min - step, ...(b.max === Infinity ? [1e300] : [b.max, b.max + step])];
  return sizes
    .filter((n) => b.kind === 'int' || b.kind === 'number' || n >= 0)
    .map((n): [string, string, number, boolean] => [b.path.join('.'), b.kind, n, accepts(b, n)]);
});

describe('the heartbeat limits hold alike in the schema, the fast path and the OpenAPI document', () => {
  test('the table covers every bound, both ways', () => {
    expect(EDGE_CASES.filter(([, , , ok]) => ok).length).toBeGreaterThanOrEqual(BOUNDS.length);
    expect(EDGE_CASES.filter(([, , , ok]) => !ok).length).toBeGreaterThanOrEqual(BOUNDS.length);
  });

  test.each(EDGE_CASES)('%s (%s) at %d: accepted %s', (path, kind, n, accepted) => {
    expect(judge(withValue(path.split('.'), valueOf(kind as Kind, n)))).toEqual(all(accepted));
  });

  test('around every bound, at random', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BOUNDS),
        fc.integer({ min: -3, max: 3 }),
        fc.boolean(),
        (b, offset, atMax) => {
          const edge = atMax && b.max !== Infinity ? b.max : b.min;
          // Numbers also step by fractions: a bound is inclusive to the last bit.
          const n = b.kind === 'number' ? edge + offset / 1024 : edge + offset;
          if (b.kind !== 'int' && b.kind !== 'number' && n < 0) return;
          expect(judge(withValue(b.path, valueOf(b.kind, n)))).toEqual(all(accepts(b, n)));
        },
      ),
      { numRuns: 500 },
    );
  });

  test.each([
    ['a', true],
    ['a'.repeat(253), true],
    ['a'.repeat(254), false],
    ['', false],
    ['-a', false],
    ['a.b_c-9', true],
    ['a b', false],
    ['a:b', false],
    ['a{b}', false],
    ['é', false],
  ])('names (app, component, instance_id) follow NAME_PATTERN: %j accepted %s', (name, accepted) => {
    for (const field of ['app', 'component', 'instance_id']) {
      expect(judge(withValue([field], name))).toEqual(all(accepted));
    }
  });

  test.each([
    ...limits.HEARTBEAT_TYPES.map((type) => [['type'], type, true] as const),
    [['type'], 'hello', false] as const,
    [['v'], limits.HEARTBEAT_SCHEMA_VERSION, true] as const,
    [['v'], limits.HEARTBEAT_SCHEMA_VERSION + 1, false] as const,
  ])('%j = %j: accepted %s', (path, value, accepted) => {
    expect(judge(withValue(path, value))).toEqual(all(accepted));
  });

  test.each([
    ['text', (body: string) => body],
    ['bytes', (body: string) => Buffer.from(body)],
  ])('the byte cap, as %s: MAX_HEARTBEAT_BYTES passes, one byte more is too large', (_as, wire) => {
    const text = withValue(['version'], 'é'.repeat(100)); // multi-byte: bytes, not characters, count
    const at = text + ' '.repeat(limits.MAX_HEARTBEAT_BYTES - Buffer.byteLength(text));
    for (const [body, reason] of [
      [at, null],
      [`${at} `, 'too_large'],
    ] as const) {
      const schema = parseHeartbeat(wire(body));
      expect(parseHeartbeatFast(wire(body))).toEqual(schema);
      expect(schema.ok ? null : schema.reason).toBe(reason);
    }
  });
});
