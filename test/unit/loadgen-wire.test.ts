/**
 * What the load generator computes once instead of per heartbeat must equal what it replaces:
 * the fleet's templated JSON is serializeHeartbeat's output byte for byte, and the prepared
 * script call is the call recordHeartbeat makes (same SHA, keys and arguments).
 */
import { SimulatedFleet } from '../../bench/loadgen/fleet';
import { callOf, callTemplateOf, scriptCallOf } from '../../bench/loadgen/script-call';
import { parseHeartbeat, serializeHeartbeat } from '../../shared/heartbeat';
import { appKeys } from '../../shared/redis-keys';
import { feedRetentionMs } from '../../shared/redis-scripts';

function fleet(extra: { secret?: string } = {}) {
  return new SimulatedFleet({
    instances: 40,
    app: 'wire',
    apps: 2,
    components: ['backend', 'worker', 'api'],
    deployments: 2,
    oldShare: 0.1,
    intervalMs: 1_000,
    ttlMs: 3_000,
    startedAtMs: 1_700_000_000_000,
    ...extra,
  });
}

describe('the fleet wire form', () => {
  it('is serializeHeartbeat of the heartbeat, for every instance and round', () => {
    const f = fleet();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < f.size; i++) {
        const { heartbeat, json } = f.heartbeat(i, 1_700_000_000_000 + round * 1_000 + i);
        expect(json).toBe(serializeHeartbeat(heartbeat));
        expect(heartbeat.seq).toBe(round);
      }
    }
  });

  it('parses as a valid heartbeat', () => {
    const { json } = fleet().heartbeat(7, 1_700_000_000_123);
    const result = parseHeartbeat(json);
    expect(result.ok).toBe(true);
  });

  it('is serializeHeartbeat of the heartbeat for goodbyes and signed heartbeats too', () => {
    const signed = fleet({ secret: 's3cret' });
    const a = signed.heartbeat(3, 1_700_000_000_500);
    expect(a.json).toBe(serializeHeartbeat(a.heartbeat));
    expect(a.heartbeat.sig).toMatch(/^[0-9a-f]{64}$/);
    const bye = fleet().goodbye(3, 1_700_000_000_900);
    expect(bye.json).toBe(serializeHeartbeat(bye.heartbeat));
    expect(bye.heartbeat.type).toBe('goodbye');
  });
});

describe('the prepared script call', () => {
  it('is the call recordHeartbeat makes, for heartbeats and goodbyes', () => {
    const f = fleet();
    for (const { heartbeat, json } of [f.heartbeat(5, 1_700_000_000_000), f.goodbye(6, 1_700_000_000_000)]) {
      const recorded = scriptCallOf(heartbeat, json);
      const template = callTemplateOf(heartbeat);
      expect(template.sha1).toBe(recorded.sha1);
      expect(template.sha1).toMatch(/^[0-9a-f]{40}$/);
      const call = callOf(template, heartbeat.instance_id, json);
      expect(call.keys).toEqual(recorded.keys);
      expect(call.arguments).toEqual(recorded.args);
    }
  });

  it('has the contract layout: KEYS heartbeat, seen, feed; ARGV id, JSON, TTL, retention', () => {
    const { heartbeat, json } = fleet().heartbeat(2, 1_700_000_000_000);
    const keys = appKeys(heartbeat.app);
    const call = callOf(callTemplateOf(heartbeat), heartbeat.instance_id, json);
    expect(call.keys).toEqual([keys.heartbeat(heartbeat.instance_id), keys.seen, keys.feed]);
    expect(call.arguments).toEqual([heartbeat.instance_id, json, '3000', String(feedRetentionMs(3_000))]);
  });
});
