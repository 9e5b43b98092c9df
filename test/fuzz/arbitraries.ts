/**
 * What the fuzz suites throw at the aggregator: bytes, text and JSON of every kind, and above
 * all near-misses of a valid heartbeat (one field replaced, removed or added, a nested field
 * broken, prototype keys, oversized), since those reach furthest into the validation. Valid
 * heartbeats of a few instance ids, boots and sequence numbers are mixed in, so updates,
 * duplicates, goodbyes and out-of-order deliveries happen between the junk.
 */
import fc from 'fast-check';
import type { Heartbeat } from '../../shared/heartbeat';
import { MAX_HEARTBEAT_BYTES, validateHeartbeat } from '../../shared/heartbeat';
import type { InstanceRecord } from '../../aggregator/model';
import { makeHeartbeat } from '../support/heartbeats';

/** One body to send, and what kind of input it was (for failure messages). */
export interface FuzzBody {
  readonly kind: string;
  readonly body: Buffer;
}

/** A small set of ids, so that the same instance is hit again and again. */
export const FUZZ_INSTANCE_IDS = ['backend-a-1', 'backend-a-2', 'worker-b-1', 'x'] as const;

function validHeartbeat(app: string): fc.Arbitrary<Heartbeat> {
  return fc
    .record({
      instance_id: fc.constantFrom(...FUZZ_INSTANCE_IDS),
      component: fc.constantFrom('backend', 'worker'),
      boot_id: fc.constantFrom('boot-1', 'boot-2'),
      started_at: fc.constantFrom(1_700_000_000_000, 1_700_000_100_000),
      seq: fc.nat({ max: 20 }),
      type: fc.constantFrom<Heartbeat['type']>('heartbeat', 'heartbeat', 'heartbeat', 'goodbye'),
    })
    .map((fields) =>
      makeHeartbeat({
        app,
        ...fields,
        sent_at: fields.started_at + 60_000,
        ...(fields.type === 'goodbye' ? { stats: null, serving: null } : {}),
      }),
    );
}

const anyJson = fc.jsonValue({ maxDepth: 3 });
const fieldNames = fc.constantFrom(
  ...Object.keys(makeHeartbeat()),
  'sig',
  '__proto__',
  'constructor',
  'prototype',
  '',
  'toString',
);

/** A valid heartbeat with one thing wrong with it (or, now and then, nothing). */
function nearMiss(app: string): fc.Arbitrary<FuzzBody> {
  const base = validHeartbeat(app);
  return fc.oneof(
    // A computed key makes even `__proto__` an own key, as JSON.parse would.
    fc.tuple(base, fieldNames, anyJson).map(([hb, key, value]) => ({
      kind: `field ${key} replaced`,
      body: Buffer.from(JSON.stringify({ ...hb, [key]: value })),
    })),
    // The same key twice in the text: JSON.parse keeps the last one.
    fc.tuple(base, fieldNames, anyJson).map(([hb, key, value]) => ({
      kind: `field ${key} given twice`,
      body: Buffer.from(
        `${JSON.stringify(hb).slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(value)}}`,
      ),
    })),
    fc.tuple(base, fieldNames).map(([hb, key]) => {
      const copy: Record<string, unknown> = { ...hb };
      delete copy[key];
      return { kind: `field ${key} removed`, body: Buffer.from(JSON.stringify(copy)) };
    }),
    fc
      .tuple(base, fc.constantFrom('stats', 'serving'), fieldNames, anyJson)
      .map(([hb, part, key, value]) => ({
        kind: `${part}.${key} replaced`,
        body: Buffer.from(JSON.stringify({ ...hb, [part]: { ...(hb[part] ?? {}), [key]: value } })),
      })),
    fc.tuple(base, fc.string({ maxLength: 300 })).map(([hb, name]) => ({
      kind: 'odd names',
      body: Buffer.from(JSON.stringify({ ...hb, instance_id: name, component: name })),
    })),
    fc
      .tuple(base, fc.integer({ min: MAX_HEARTBEAT_BYTES - 700, max: MAX_HEARTBEAT_BYTES + 2_000 }))
      .map(([hb, size]) => ({
        kind: `padded to about ${size} bytes`,
        body: Buffer.from(JSON.stringify({ ...hb, version: 'v'.repeat(size) })),
      })),
  );
}

/** Everything, weighted towards near-misses and valid heartbeats. */
export function heartbeatBodies(app: string): fc.Arbitrary<FuzzBody> {
  return fc.oneof(
    {
      weight: 3,
      arbitrary: validHeartbeat(app).map((hb) => ({ kind: 'valid', body: Buffer.from(JSON.stringify(hb)) })),
    },
    { weight: 5, arbitrary: nearMiss(app) },
    {
      weight: 2,
      arbitrary: anyJson.map((v) => ({ kind: 'any JSON', body: Buffer.from(JSON.stringify(v)) })),
    },
    {
      weight: 1,
      arbitrary: fc
        .string({ unit: 'binary', maxLength: 200 })
        .map((s) => ({ kind: 'text', body: Buffer.from(s) })),
    },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ maxLength: 400 }).map((b) => ({ kind: 'bytes', body: Buffer.from(b) })),
    },
    {
      weight: 1,
      arbitrary: validHeartbeat(app).map((hb) => ({
        kind: 'another app',
        body: Buffer.from(JSON.stringify({ ...hb, app: `${app}-other` })),
      })),
    },
  );
}

/**
 * Whether a record the registry holds is still a heartbeat that validates, consistently keyed.
 * The registry keeps only part of a heartbeat (RecordedHeartbeat): every part it keeps is put
 * over a valid heartbeat and the whole validated, so that a kept value the schema refuses fails.
 */
export function recordProblems(record: InstanceRecord): string[] {
  const problems: string[] = [];
  const { serving, stats, ...fields } = record.heartbeat;
  const template = makeHeartbeat();
  const whole = {
    ...template,
    ...fields,
    serving: serving === null ? null : { ...template.serving, ...serving },
    stats: stats === null ? null : { ...template.stats, ...stats },
  };
  const check = validateHeartbeat(JSON.parse(JSON.stringify(whole)));
  if (!check.ok) problems.push(`invalid heartbeat: ${check.reason} ${check.detail}`);
  if (record.instanceId !== record.heartbeat.instance_id)
    problems.push('instance id differs from its heartbeat');
  if (record.component !== record.heartbeat.component) problems.push('component differs from its heartbeat');
  if (!Number.isFinite(record.lastSeenMs) || record.firstSeenMs > record.lastSeenMs)
    problems.push('bad times');
  if ((record.leftAtMs !== null) !== (record.heartbeat.type === 'goodbye'))
    problems.push('left without goodbye');
  return problems;
}
