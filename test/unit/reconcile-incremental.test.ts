/**
 * The incremental reconcile (classification.ts, carried-facts.ts) against a full recomputation:
 * over random sequences of heartbeats, goodbyes, restarts, evictions, time passing, a collector
 * going blind and coming back and a platform view changing, a reconcile given the memory the
 * previous one returned gives exactly the report, instance list and judged memory of one given
 * that memory without what it carries to save work.
 */
import fc from 'fast-check';
import { InstanceRegistry } from '../../aggregator/collector/registry';
import type { CollectorHealth, PlatformView } from '../../aggregator/model';
import type { ReconcileMemory, ReconcilePolicy } from '../../aggregator/reconcile';
import { reconcile } from '../../aggregator/reconcile';
import type { Heartbeat } from '../../shared/heartbeat';
import { makeHeartbeat } from '../support/heartbeats';
import { component, deployment, fixed, listed, view } from '../support/platform';
import { fullReport, input, judged } from '../support/reconcile-io';
import { HEALTHY, NOW } from '../support/records';

/** Few ids, so that the same instances are hit again and again. */
const IDS = ['api-aaa-1', 'api-aaa-2', 'api-bbb-1', 'backend-aaa-1', 'backend-bbb-2', 'worker-ccc-1'];
const componentOf = (id: string) => id.split('-')[0] as string;

/** Who an instance is: changing any of it is more than a renewal. */
interface Profile {
  readonly boot: number;
  readonly deployment: string | null;
  readonly pod: string | null;
  readonly component: string | null;
}

/** What can happen between two reconciles. */
type Event =
  | {
      readonly kind: 'heartbeat';
      readonly id: number;
      /** null: a renewal of the instance as it is (the commonest event by far, as in the field). */
      readonly profile: Profile | null;
      readonly serving: boolean | null;
      readonly skewMs: number;
      readonly goodbye: boolean;
    }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'evict' }
  | { readonly kind: 'blind'; readonly sinceAgoMs: number }
  | { readonly kind: 'healthy' }
  | { readonly kind: 'platform'; readonly variant: number };

const profile: fc.Arbitrary<Profile> = fc.record({
  boot: fc.nat({ max: 2 }),
  deployment: fc.constantFrom(null, 'dep-old', 'dep-new', 'dep-next'),
  pod: fc.constantFrom(null, null, 'pod-x', 'pod-y'),
  component: fc.constantFrom(null, null, null, 'worker'),
});

const event: fc.Arbitrary<Event> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('heartbeat' as const),
      id: fc.nat({ max: IDS.length - 1 }),
      profile: fc.option(profile, { freq: 4 }),
      serving: fc.constantFrom(true, true, true, false, null),
      skewMs: fc.constantFrom(0, 0, 0, 120, -3_000, 9_000, -20_000),
      goodbye: fc.constantFrom(false, false, false, false, false, false, true),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 45_000 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'evict' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('blind' as const),
      sinceAgoMs: fc.integer({ min: 0, max: 60_000 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'healthy' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('platform' as const), variant: fc.nat({ max: 5 }) }),
  },
);

const FIRST_PROFILE: Profile = { boot: 0, deployment: 'dep-new', pod: null, component: null };

/** A few platform views: deployments moving, a rollout, listings that change, counts that change. */
function platformVariant(variant: number): PlatformView {
  const listing = [listed('api-aaa-1'), listed('api-bbb-1', { alias: 'pod-x' })];
  const views: PlatformView[] = [
    view({ components: [component('api', { desired: fixed(2) })], activeDeployment: deployment('dep-new') }),
    view({
      components: [component('api', { desired: fixed(2), ready: 3, listed: listing })],
      activeDeployment: deployment('dep-new'),
    }),
    view({
      components: [
        component('api', { desired: fixed(2), ready: 3, listed: [...listing] }),
        component('backend'),
      ],
      activeDeployment: deployment('dep-new'),
      inProgressDeployment: deployment('dep-next', { phase: 'DEPLOYING' }),
    }),
    view({ components: [component('api', { desired: fixed(1), listed: [listed('api-aaa-2')] })] }),
    view({ source: 'static', appId: null, defaultDesired: fixed(2) }),
    view({ status: 'unavailable', components: [component('api')], activeDeployment: deployment('dep-old') }),
  ];
  return views[variant] as PlatformView;
}

/** Runs `events` through a real registry, reconciling after each, both ways; fails on the first difference. */
function compareAlong(events: readonly Event[], policy: ReconcilePolicy, hinted: boolean): void {
  const registry = new InstanceRegistry({ retentionMs: 120_000 });
  const seq = new Map<string, number>();
  const profiles = new Map<string, Profile>();
  let nowMs = NOW;
  let collector: CollectorHealth = HEALTHY;
  let platform = platformVariant(0);
  let incremental: ReconcileMemory | null = null;
  let full: ReconcileMemory | null = null;
  events.forEach((happened, step) => {
    switch (happened.kind) {
      case 'heartbeat': {
        const id = IDS[happened.id] as string;
        const who = happened.profile ?? profiles.get(id) ?? FIRST_PROFILE;
        profiles.set(id, who);
        const bootKey = `${id}/${who.boot}`;
        const next = (seq.get(bootKey) ?? 0) + 1;
        seq.set(bootKey, next);
        const heartbeat: Heartbeat = makeHeartbeat({
          instance_id: id,
          component: who.component ?? componentOf(id),
          deployment_id: who.deployment,
          boot_id: `boot-${who.boot}-xxxxxxxx`,
          started_at: NOW - 600_000 + who.boot * 1_000,
          seq: next,
          sent_at: nowMs + happened.skewMs,
          pod_name: who.pod,
          ...(happened.goodbye
            ? { type: 'goodbye', stats: null, serving: null }
            : {
                serving:
                  happened.serving === null
                    ? null
                    : {
                        ok: happened.serving,
                        status: happened.serving ? 200 : 503,
                        latency_ms: 2,
                        error: null,
                        checked_at: nowMs,
                      },
              }),
        });
        registry.apply(heartbeat, nowMs);
        break;
      }
      case 'advance':
        nowMs += happened.ms;
        break;
      case 'evict':
        registry.evict(nowMs);
        break;
      case 'blind':
        if (collector.healthy)
          collector = { healthy: false, blindSinceMs: nowMs - happened.sinceAgoMs, detail: 'down' };
        break;
      case 'healthy':
        collector = HEALTHY;
        break;
      case 'platform':
        platform = platformVariant(happened.variant);
        break;
    }
    const records = registry.snapshot();
    const base = input({ nowMs, platform, instances: records, collector, policy });
    // With the registry's word for what changed, or lining the records up itself.
    const withCarried = reconcile({
      ...base,
      memory: incremental,
      changes: hinted ? registry.changes() : null,
    });
    const recomputed = reconcile({ ...base, memory: full === null ? null : judged(full) });
    // The memory just used again: its buffers moved on with withCarried, so it must count as
    // none, never as a wrong start.
    const reused =
      incremental === null
        ? null
        : reconcile({ ...base, memory: incremental, changes: hinted ? registry.changes() : null });
    const context = `after step ${step} (${JSON.stringify(happened)})`;
    expect({ context, report: fullReport(withCarried) }).toEqual({ context, report: fullReport(recomputed) });
    if (reused !== null)
      expect({ context, reused: fullReport(reused) }).toEqual({ context, reused: fullReport(recomputed) });
    expect({ context, memory: judged(withCarried.memory) }).toEqual({
      context,
      memory: judged(recomputed.memory),
    });
    incremental = withCarried.memory;
    full = recomputed.memory;
  });
}

const TIGHT_POLICY: ReconcilePolicy = {
  staleAfterMs: 25_000,
  rolloutGraceMs: 60_000,
  clockSkewMaxMs: 1_000,
  drainGraceMs: 30_000,
};

describe('incremental reconcile == full recomputation', () => {
  test('over random event sequences, STALE_AFTER_MS unset (each heartbeat its own TTL)', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 60 }), (events) => {
        compareAlong(events, { staleAfterMs: null, rolloutGraceMs: 60_000 }, true);
      }),
      { numRuns: 300 },
    );
  });

  test('over random event sequences, STALE_AFTER_MS and a tight clock-skew limit', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 60 }), (events) => {
        compareAlong(events, TIGHT_POLICY, true);
      }),
      { numRuns: 300 },
    );
  });

  test('over random event sequences, without the registry saying what changed', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 60 }), (events) => {
        compareAlong(events, TIGHT_POLICY, false);
      }),
      { numRuns: 300 },
    );
  });

  test('the carried work is used: a renewal of a live instance leaves its facts as they were', () => {
    const registry = new InstanceRegistry();
    for (const id of IDS)
      registry.apply(makeHeartbeat({ instance_id: id, component: componentOf(id), sent_at: NOW }), NOW);
    const policy = { staleAfterMs: null, rolloutGraceMs: 60_000 };
    const first = reconcile(input({ instances: registry.snapshot(), policy }));
    registry.apply(
      makeHeartbeat({
        instance_id: 'api-aaa-1',
        component: 'api',
        seq: 2,
        sent_at: NOW + 1_000,
        started_at: NOW - 60_000,
      }),
      NOW + 1_000,
    );
    const second = reconcile(
      input({ nowMs: NOW + 1_000, instances: registry.snapshot(), policy, memory: first.memory }),
    );
    const factsOf = (memory: ReconcileMemory, name: string) => memory.incremental?.facts.get(name)?.facts;
    expect(factsOf(second.memory, 'api')).toBeDefined();
    expect(factsOf(second.memory, 'api')).toBe(factsOf(first.memory, 'api'));
    // The instance list still shows the renewal.
    const renewed = second.instances().find((i) => i.instance_id === 'api-aaa-1');
    expect(renewed?.last_seen).toBe(new Date(NOW + 1_000).toISOString());
  });
});
