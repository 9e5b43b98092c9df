import type { InstanceState } from '../../aggregator/reconcile';
import {
  activeGeneration,
  instanceGeneration,
  instanceStatus,
  reconcile,
  referenceTimeMs,
} from '../../aggregator/reconcile';
import { component, deployment, fixed, listed, platformError, view } from '../support/platform';
import { fullReport, input, reconciledReport as run } from '../support/reconcile-io';
import { blindSince, HEALTHY, instance, instances, INTERVAL_MS, NOW, TTL_MS } from '../support/records';

describe('instance state at the boundaries (interval 10 s, TTL 30 s)', () => {
  test.each<{ ageMs: number; staleAfterMs: number | null; state: InstanceState }>([
    { ageMs: 0, staleAfterMs: null, state: 'live' },
    { ageMs: 2 * INTERVAL_MS, staleAfterMs: null, state: 'live' },
    { ageMs: 2 * INTERVAL_MS + 1, staleAfterMs: null, state: 'suspect' },
    { ageMs: TTL_MS - 1, staleAfterMs: null, state: 'suspect' },
    { ageMs: TTL_MS, staleAfterMs: null, state: 'gone' },
    { ageMs: 15_000, staleAfterMs: 15_000, state: 'gone' },
    { ageMs: 14_999, staleAfterMs: 15_000, state: 'live' },
    { ageMs: 59_999, staleAfterMs: 60_000, state: 'suspect' },
    { ageMs: 60_000, staleAfterMs: 60_000, state: 'gone' },
    // A heartbeat stamped after "now" (clock skew between Redis and the aggregator) is age 0.
    { ageMs: -5_000, staleAfterMs: null, state: 'live' },
  ])('age $ageMs ms, STALE_AFTER_MS $staleAfterMs → $state', ({ ageMs, staleAfterMs, state }) => {
    const record = instance('backend-1', { lastSeenMs: NOW - ageMs });
    expect(instanceStatus(record, NOW, staleAfterMs)).toEqual({ state, ageMs: Math.max(0, ageMs) });
  });

  test('a goodbye is left, whatever its age', () => {
    expect(instanceStatus(instance('a', { leftAtMs: NOW, lastSeenMs: NOW }), NOW, null).state).toBe('left');
    expect(
      instanceStatus(instance('a', { leftAtMs: NOW - 1, lastSeenMs: NOW - 90_000 }), NOW, null).state,
    ).toBe('left');
  });

  test('live and suspect count as live; gone and left do not', () => {
    const report = run({
      platform: view({ components: [component('backend', { desired: fixed(2) })] }),
      instances: [
        instance('live', { lastSeenMs: NOW - 1_000 }),
        instance('suspect', { lastSeenMs: NOW - 25_000 }),
        instance('gone', { lastSeenMs: NOW - 31_000 }),
        instance('left', { lastSeenMs: NOW - 2_000, leftAtMs: NOW - 2_000 }),
      ],
    });
    const [backend] = report.components;
    expect(backend).toMatchObject({ live: 2, suspect: 1, stale: 1, left: 1, verdict: 'ok' });
    expect(report.summary.active_instances).toBe(2);
    expect(report.instances.map((i) => [i.instance_id, i.state])).toEqual([
      ['gone', 'gone'],
      ['left', 'left'],
      ['live', 'live'],
      ['suspect', 'suspect'],
    ]);
  });

  test('a draining instance (goodbye) is neither live nor an orphan', () => {
    const report = run({
      platform: view({
        components: [component('backend', { desired: fixed(1) })],
        activeDeployment: deployment('new'),
      }),
      instances: [
        instance('new-1', { deploymentId: 'new' }),
        instance('old-1', { deploymentId: 'old', leftAtMs: NOW - 500, lastSeenMs: NOW - 500 }),
      ],
    });
    expect(report.components[0]).toMatchObject({ live: 1, orphaned: 0, left: 1, verdict: 'ok' });
    expect(report.components[0]?.findings).toEqual([]);
  });
});

describe('self-preservation while the collector is blind', () => {
  const blindAt = NOW - 300_000;
  const blindInput = () =>
    input({
      collector: blindSince(blindAt, 'redis: ECONNREFUSED'),
      platform: view({
        components: [
          component('backend', { desired: fixed(3), listed: [listed('zombie-1')] }),
          component('worker', { desired: fixed(1) }),
        ],
      }),
      // Last heard of 5 s before the collector went blind: gone by now, live at the blind moment.
      instances: instances('backend', 2, { lastSeenMs: blindAt - 5_000 }),
    });

  test('ages are measured when it went blind, so nothing turns gone', () => {
    const report = fullReport(reconcile(blindInput()));
    expect(report.instances.map((i) => [i.state, i.age_ms])).toEqual([
      ['live', 5_000],
      ['live', 5_000],
    ]);
    expect(report.summary.active_instances).toBe(2);
  });

  test('no MISSING, no UNREPORTED; DATA_DEGRADED in every component; verdict degraded', () => {
    const report = fullReport(reconcile(blindInput()));
    for (const c of report.components) {
      const found = c.findings.map((f) => f.code);
      expect(found).toContain('DATA_DEGRADED');
      expect(found).not.toContain('MISSING_INSTANCES');
      expect(found).not.toContain('UNREPORTED_INSTANCES');
      expect(c.findings.filter((f) => f.severity !== 'info')).toEqual([]);
      expect(c.verdict).toBe('degraded');
    }
    expect(report.components.map((c) => c.live)).toEqual([2, 0]);
    expect(report.degraded).toBe(true);
    expect(report.summary.verdict).toBe('degraded');
    expect(report.summary.discrepancy).toBe(false);
    expect(report.recommendations).toEqual([]);
    const degraded = report.components[0]?.findings.find((f) => f.code === 'DATA_DEGRADED');
    expect(degraded?.message).toContain(new Date(blindAt).toISOString());
    expect(degraded?.message).toContain('redis: ECONNREFUSED');
    expect(degraded?.message).toContain('no instance is being marked gone');
  });

  test('the same fleet with a healthy collector is gone and missing', () => {
    const report = fullReport(reconcile({ ...blindInput(), collector: HEALTHY }));
    expect(report.components[0]?.findings.map((f) => f.code)).toEqual(
      expect.arrayContaining(['MISSING_INSTANCES', 'STALE_HEARTBEATS', 'UNREPORTED_INSTANCES']),
    );
    expect(report.components[0]?.verdict).toBe('discrepancy');
  });

  test.each([
    { name: 'healthy', health: HEALTHY, expected: NOW },
    { name: 'blind since earlier', health: blindSince(NOW - 1_000), expected: NOW - 1_000 },
    { name: 'blind since "later" (clock skew)', health: blindSince(NOW + 1_000), expected: NOW },
    {
      name: 'blind, since unknown',
      health: { healthy: false, blindSinceMs: null, detail: 'x' },
      expected: NOW,
    },
  ])('reference time: $name', ({ health, expected }) => {
    expect(referenceTimeMs(NOW, health)).toBe(expected);
  });
});

describe('data degraded by the platform', () => {
  test('stale platform data after a transient failure: info, the last good view still counts', () => {
    const report = run({
      platform: view({
        status: 'stale',
        fetchedAtMs: NOW - 120_000,
        error: platformError('HTTP 503 from the API'),
        components: [component('backend')],
      }),
      instances: instances('backend', 2),
    });
    const [backend] = report.components;
    expect(backend?.findings.map((f) => [f.code, f.severity])).toEqual([['DATA_DEGRADED', 'info']]);
    expect(backend?.findings[0]?.message).toContain('last fetched 2 min ago');
    expect(backend?.findings[0]?.message).toContain('HTTP 503 from the API');
    expect(report.degraded).toBe(false);
    expect(report.summary.do_api_status).toBe('stale');
    expect(report.summary.platform_data_age_ms).toBe(120_000);
  });

  test('never fetched: blind, so degraded and never ok, naming what failed', () => {
    const report = run({
      platform: view({
        status: 'unavailable',
        fetchedAtMs: null,
        error: platformError('HTTP 503 from the API', { sinceMs: NOW - 10_000 }),
      }),
      instances: instances('backend', 2),
    });
    const [backend] = report.components;
    expect(backend?.findings.map((f) => [f.code, f.severity])).toEqual([['DATA_DEGRADED', 'warning']]);
    expect(backend?.findings[0]?.message).toContain('HTTP 503 from the API');
    expect(backend?.verdict).toBe('degraded');
    expect(report.degraded).toBe(true);
    expect(report.summary).toMatchObject({
      verdict: 'degraded',
      do_api_status: 'unavailable',
      platform_data_age_ms: null,
    });
  });
});

describe('generations', () => {
  test.each([
    ['DEPLOYMENT_ID wins over the name', 'backend-7c9d4f6b8-xb2kc', 'backend', 'dep-9', 'dep-9'],
    [
      'the template hash of <component>-<hash>-<suffix>',
      'backend-7c9d4f6b8-xb2kc',
      'backend',
      null,
      '7c9d4f6b8',
    ],
    ['a hostname that only looks like it is not a generation', 'api-server-1a2b3', 'api', null, null],
    ['a name of another component is not a generation', 'worker-7c9d4f6b8-xb2kc', 'backend', null, null],
  ])('%s', (_name, id, component, deploymentId, expected) => {
    expect(instanceGeneration(instance(id, { component, deploymentId }))).toBe(expected);
  });

  test('DEPLOYMENT_ID wins over the name hash', () => {
    const report = run({
      instances: [
        instance('backend-76b84c7fb8-6p8kq', { deploymentId: 'dep-1' }),
        instance('backend-76b84c7fb8-7xz2m'),
        instance('my-laptop'),
      ],
    });
    expect(report.instances.map((i) => [i.instance_id, i.deployment_id])).toEqual([
      ['backend-76b84c7fb8-6p8kq', 'dep-1'],
      ['backend-76b84c7fb8-7xz2m', '76b84c7fb8'],
      ['my-laptop', null],
    ]);
  });

  test('the name hash tells orphans apart without DEPLOYMENT_ID', () => {
    const report = run({
      platform: view({ components: [component('backend', { desired: fixed(2) })] }),
      instances: [
        instance('backend-ddddd22-bcdfg', { startedAtMs: NOW - 7_200_000 }),
        instance('backend-bbbbb22-fghjk', { startedAtMs: NOW - 600_000 }),
      ],
    });
    const orphaned = report.components[0]?.findings.find((f) => f.code === 'ORPHANED_INSTANCES');
    expect(orphaned).toMatchObject({ instances: ['backend-ddddd22-bcdfg'], deployment_ids: ['ddddd22'] });
    expect(orphaned?.message).toContain('bbbbb22 is active');
  });

  test('an instance with no generation is never an orphan', () => {
    const report = run({
      platform: view({
        components: [component('backend', { desired: fixed(2) })],
        activeDeployment: deployment('d2'),
      }),
      instances: [instance('a', { deploymentId: 'd2' }), instance('laptop')],
    });
    expect(report.components[0]).toMatchObject({ orphaned: 0, findings: [] });
  });

  test('the platform active deployment is active when instances carry it, even if another is newer', () => {
    const report = run({
      platform: view({
        components: [component('backend', { desired: fixed(2) })],
        activeDeployment: deployment('d1'),
      }),
      instances: [
        instance('a', { deploymentId: 'd1', startedAtMs: NOW - 7_200_000 }),
        instance('b', { deploymentId: 'd9', startedAtMs: NOW - 60_000 }),
      ],
    });
    expect(report.components[0]?.findings.find((f) => f.code === 'ORPHANED_INSTANCES')?.instances).toEqual([
      'b',
    ]);
  });

  test.each([
    {
      name: 'newest generation: the latest earliest start, not the latest restart',
      samples: [
        { generation: 'A', explicit: false, live: true, startedAtMs: 1_000 },
        { generation: 'A', explicit: false, live: true, startedAtMs: 9_000 },
        { generation: 'B', explicit: false, live: true, startedAtMs: 5_000 },
      ],
      active: null,
      expected: 'B',
    },
    {
      name: 'only live instances vote',
      samples: [
        { generation: 'A', explicit: false, live: true, startedAtMs: 1_000 },
        { generation: 'C', explicit: false, live: false, startedAtMs: 9_000 },
      ],
      active: null,
      expected: 'A',
    },
    {
      name: 'the platform id when some instance carries it, even a gone one',
      samples: [
        { generation: 'A', explicit: false, live: false, startedAtMs: 1_000 },
        { generation: 'B', explicit: false, live: true, startedAtMs: 5_000 },
      ],
      active: 'A',
      expected: 'A',
    },
    {
      name: 'the platform id is ignored when no instance carries it (name hashes)',
      samples: [
        { generation: 'h1', explicit: false, live: true, startedAtMs: 1_000 },
        { generation: 'h2', explicit: false, live: true, startedAtMs: 2_000 },
      ],
      active: 'dep-uuid',
      expected: 'h2',
    },
    {
      name: 'the platform id wins when agents carry DEPLOYMENT_ID, even if none is on it',
      samples: [
        { generation: 'dep-old', explicit: true, live: true, startedAtMs: 1_000 },
        { generation: 'dep-older', explicit: true, live: true, startedAtMs: 500 },
      ],
      active: 'dep-new',
      expected: 'dep-new',
    },
    {
      name: 'ties go to the greatest id',
      samples: [
        { generation: 'A', explicit: false, live: true, startedAtMs: 1_000 },
        { generation: 'B', explicit: false, live: true, startedAtMs: 1_000 },
      ],
      active: null,
      expected: 'B',
    },
    {
      name: 'none without a live generation',
      samples: [{ generation: null, explicit: false, live: true, startedAtMs: 1_000 }],
      active: null,
      expected: null,
    },
  ])('$name', ({ samples, active, expected }) => {
    expect(activeGeneration(samples, active)).toBe(expected);
  });
});
