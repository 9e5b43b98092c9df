/**
 * History: query parsing (since as ms or ISO 8601, a bad value named), the points of a report,
 * the memory store (bounded, newest points oldest first, filtered), the leader-only recorder,
 * and the audit route's limit.
 */
import type { HistoryEntry, HistoryQuery } from '../../aggregator/history';
import {
  HISTORY_DEFAULTS,
  historyEntryOf,
  MemoryHistoryStore,
  parseHistoryQuery,
  parseTimeParameter,
  recordHistory,
} from '../../aggregator/history';
import { reconcile } from '../../aggregator/reconcile';
import { parseAuditQuery } from '../../aggregator/remediate';
import { ReportStore } from '../../aggregator/report-store';
import { component, deployment, fixed, view } from '../support/platform';
import { fullReport, input } from '../support/reconcile-io';
import { instances, NOW } from '../support/records';

const ISO_NOW = new Date(NOW).toISOString();

describe('parseHistoryQuery', () => {
  test.each<[string, Record<string, unknown>, Partial<HistoryQuery>]>([
    ['no parameters: every component, the last hour', {}, { component: null, sinceMs: NOW - 3_600_000 }],
    ['a component', { component: 'backend' }, { component: 'backend' }],
    ['an empty component means all', { component: '' }, { component: null }],
    ['since as ms since the epoch', { since: '1699990000000' }, { sinceMs: 1_699_990_000_000 }],
    [
      'since as ISO 8601 in UTC',
      { since: '2023-11-14T20:00:00Z' },
      { sinceMs: Date.parse('2023-11-14T20:00:00Z') },
    ],
    [
      'since with an offset',
      { since: '2023-11-14T21:00:00+01:00' },
      { sinceMs: Date.parse('2023-11-14T20:00:00Z') },
    ],
    [
      'since with milliseconds',
      { since: '2023-11-14T20:00:00.250Z' },
      { sinceMs: Date.parse('2023-11-14T20:00:00.250Z') },
    ],
    [
      'since as a date (midnight UTC)',
      { since: '2023-11-14' },
      { sinceMs: Date.parse('2023-11-14T00:00:00Z') },
    ],
    [
      'surrounding spaces are ignored',
      { since: ' 1000 ', component: ' api ' },
      { sinceMs: 1000, component: 'api' },
    ],
  ])('%s', (_name, params, expected) => {
    const parsed = parseHistoryQuery(params, NOW);
    expect(parsed).toEqual({
      ok: true,
      query: expect.objectContaining({ limit: HISTORY_DEFAULTS.maxPoints, ...expected }),
    });
  });

  test.each<[string, Record<string, unknown>, string, RegExp]>([
    ['since that is no time', { since: 'yesterday' }, 'since', /ms since the epoch or an ISO 8601 time/],
    ['since with a negative number', { since: '-5' }, 'since', /ms since the epoch/],
    ['since in seconds with a fraction', { since: '1699990000.5' }, 'since', /ms since the epoch/],
    ['since without a time zone', { since: '2023-11-14T20:00:00' }, 'since', /needs a time zone/],
    ['since with an impossible date', { since: '2023-13-45T20:00:00Z' }, 'since', /ISO 8601/],
    ['since given twice', { since: ['1', '2'] }, 'since', /given once/],
    ['a component that is no name', { component: 'back end' }, 'component', /component name/],
    ['a component given twice', { component: ['a', 'b'] }, 'component', /given once/],
  ])('refuses %s, naming the parameter', (_name, params, parameter, message) => {
    const parsed = parseHistoryQuery(params, NOW);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.problem.parameter).toBe(parameter);
      expect(parsed.problem.message).toMatch(message);
    }
  });

  test('parseTimeParameter: ms and ISO agree', () => {
    expect(parseTimeParameter(String(NOW))).toBe(NOW);
    expect(parseTimeParameter(ISO_NOW)).toBe(NOW);
  });
});

describe('parseAuditQuery', () => {
  test.each<[Record<string, unknown>, number]>([
    [{}, 100],
    [{ limit: '' }, 100],
    [{ limit: '1' }, 1],
    [{ limit: '1000' }, 1000],
  ])('limit %j → %d', (params, limit) => {
    expect(parseAuditQuery(params)).toEqual({ ok: true, query: { limit } });
  });

  test.each<Record<string, unknown>>([
    { limit: '0' },
    { limit: '1001' },
    { limit: 'ten' },
    { limit: '2.5' },
    { limit: ['1', '2'] },
  ])('refuses limit %j, naming it', (params) => {
    const parsed = parseAuditQuery(params);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem.parameter).toBe('limit');
  });
});

function entry(atMs: number, counts: Partial<Record<string, number>> = { backend: 2 }): HistoryEntry {
  return {
    atMs,
    counts: Object.entries(counts).map(([name, live]) => ({
      component: name,
      desired: 2,
      platform_ready: 2,
      platform_instances: 2,
      live: live ?? 0,
      serving: live ?? 0,
      orphaned: 0,
      stale: 0,
      verdict: 'ok' as const,
    })),
  };
}

describe('historyEntryOf', () => {
  test('one set of counts per component, stamped with the report time', () => {
    const report = fullReport(
      reconcile(
        input({
          platform: view({
            components: [component('backend', { desired: fixed(2), ready: 6 })],
            activeDeployment: deployment('dep-2'),
          }),
          instances: [
            ...instances('backend-new', 2, { deploymentId: 'dep-2' }),
            ...instances('backend-old', 4, { deploymentId: 'dep-1' }),
          ],
        }),
      ),
    );
    expect(historyEntryOf(report)).toEqual({
      atMs: NOW,
      counts: [
        {
          component: 'backend',
          desired: 2,
          platform_ready: 6,
          platform_instances: null,
          live: 6,
          serving: 6,
          orphaned: 4,
          stale: 0,
          verdict: 'discrepancy',
        },
      ],
    });
  });
});

describe('MemoryHistoryStore', () => {
  test('answers oldest first, from `since`, for one component or all', async () => {
    const store = new MemoryHistoryStore();
    for (let i = 0; i < 5; i++) store.append(entry(NOW + i * 10_000, { api: i, backend: 10 + i }));
    const all = await store.query({ component: null, sinceMs: NOW + 20_000, limit: 100 });
    expect(all.map((p) => [p.at, p.component, p.live])).toEqual([
      [new Date(NOW + 20_000).toISOString(), 'api', 2],
      [new Date(NOW + 20_000).toISOString(), 'backend', 12],
      [new Date(NOW + 30_000).toISOString(), 'api', 3],
      [new Date(NOW + 30_000).toISOString(), 'backend', 13],
      [new Date(NOW + 40_000).toISOString(), 'api', 4],
      [new Date(NOW + 40_000).toISOString(), 'backend', 14],
    ]);
    const backend = await store.query({ component: 'backend', sinceMs: 0, limit: 100 });
    expect(backend.map((p) => p.live)).toEqual([10, 11, 12, 13, 14]);
    expect(await store.query({ component: 'nothing', sinceMs: 0, limit: 100 })).toEqual([]);
  });

  test('a bounded answer keeps the newest points', async () => {
    const store = new MemoryHistoryStore();
    for (let i = 0; i < 10; i++) store.append(entry(NOW + i, { backend: i }));
    const points = await store.query({ component: 'backend', sinceMs: 0, limit: 3 });
    expect(points.map((p) => p.live)).toEqual([7, 8, 9]);
  });

  test('is a bounded ring: the oldest entries go first', async () => {
    const store = new MemoryHistoryStore(4);
    for (let i = 0; i < 10; i++) store.append(entry(NOW + i, { backend: i }));
    const points = await store.query({ component: null, sinceMs: 0, limit: 100 });
    expect(points.map((p) => p.live)).toEqual([6, 7, 8, 9]);
    expect(store.dropped).toBe(6);
  });

  test('the point shape is exactly the contract', async () => {
    const store = new MemoryHistoryStore();
    store.append(entry(NOW));
    const [point] = await store.query({ component: null, sinceMs: 0, limit: 1 });
    expect(Object.keys(point ?? {}).sort()).toEqual(
      [
        'at',
        'component',
        'desired',
        'live',
        'orphaned',
        'platform_instances',
        'platform_ready',
        'serving',
        'stale',
        'verdict',
      ].sort(),
    );
  });
});

describe('recordHistory', () => {
  const published = () =>
    reconcile(
      input({ platform: view({ components: [component('backend')] }), instances: instances('b', 2) }),
    );

  test('appends every published report while leading, nothing while following', async () => {
    const reports = new ReportStore();
    const store = new MemoryHistoryStore();
    let leader = true;
    const stop = recordHistory(reports, store, { isLeader: () => leader });
    reports.publish(published());
    leader = false;
    reports.publish(published());
    leader = true;
    reports.publish(published());
    stop();
    reports.publish(published());
    expect(await store.query({ component: null, sinceMs: 0, limit: 100 })).toHaveLength(2);
  });

  test('without a lease every report is appended', async () => {
    const reports = new ReportStore();
    const store = new MemoryHistoryStore();
    const stop = recordHistory(reports, store, null);
    reports.publish(published());
    reports.publish(published());
    stop();
    expect(await store.query({ component: 'backend', sinceMs: 0, limit: 100 })).toHaveLength(2);
  });
});
