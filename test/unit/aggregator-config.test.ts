import {
  AGGREGATOR_DEFAULTS,
  MAX_DESIRED_COUNT,
  loadAggregatorConfig,
  parseDesiredReplicas,
} from '../../aggregator/config';
import { problemsOf as problemsOfLoad } from '../support/config-problems';

const problemsOf = (env: Record<string, string>) => problemsOfLoad(loadAggregatorConfig, env);

describe('aggregator config', () => {
  test('defaults: embedded mode, static platform, app "default"', () => {
    const config = loadAggregatorConfig({});
    expect(config).toMatchObject({
      port: AGGREGATOR_DEFAULTS.port,
      redis: null,
      platform: 'static',
      apps: { kind: 'fixed', apps: [{ app: 'default', appId: null }] },
      reconcileIntervalMs: 10_000,
      resyncIntervalMs: 60_000,
      staleAfterMs: null,
      desiredReplicas: null,
    });
  });

  test('PLATFORM defaults to digitalocean when a token and an app id are set, and the app follows DO_APP_ID', () => {
    const config = loadAggregatorConfig({
      DO_API_TOKEN: 'dop_v1_abcdefgh',
      DO_APP_ID: 'a1b2c3d4-0000-4000-8000-000000000000',
    });
    expect(config.platform).toBe('digitalocean');
    expect(config.apps).toEqual({
      kind: 'fixed',
      apps: [{ app: 'a1b2c3d4-0000-4000-8000-000000000000', appId: 'a1b2c3d4-0000-4000-8000-000000000000' }],
    });
  });

  test('one error names every bad variable', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      REDIS_URL: 'http://localhost:6379',
      PLATFORM: 'aws',
      RECONCILE_INTERVAL_MS: '-5',
      STALE_AFTER_MS: '1.5',
      DESIRED_REPLICAS: 'backend=0',
      AGGREGATOR_APP: 'my app',
      LOG_LEVEL: 'loud',
      DO_API_BASE_URL: 'ftp://x',
    });
    const named = problems.map((p) => p.split(/[=:]/)[0]);
    expect(named.sort()).toEqual(
      [
        'AGGREGATOR_APP',
        'DESIRED_REPLICAS',
        'DO_API_BASE_URL',
        'LOG_LEVEL',
        'PLATFORM',
        'PORT',
        'RECONCILE_INTERVAL_MS',
        'REDIS_URL',
        'STALE_AFTER_MS',
      ].sort(),
    );
  });

  test('PLATFORM=digitalocean without token and app id names both', () => {
    const problems = problemsOf({ PLATFORM: 'digitalocean' });
    expect(problems.join('\n')).toMatch(/DO_API_TOKEN/);
    expect(problems.join('\n')).toMatch(/DO_APP_ID/);
  });

  test('a bad secret is named but never echoed', () => {
    const problems = problemsOf({ DO_API_TOKEN: 'short', DO_APP_ID: 'x' });
    expect(problems.join('\n')).toMatch(/DO_API_TOKEN/);
    expect(problems.join('\n')).not.toContain('short');
  });

  test('a password in REDIS_URL is masked in the error', () => {
    const problems = problemsOf({ REDIS_URL: 'http://user:hunter2hunter2@redis:6379' });
    expect(problems.join('\n')).not.toContain('hunter2hunter2');
  });

  test('the error message lists each problem on its own line', () => {
    expect(() => loadAggregatorConfig({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(
      /2 problems\):\n {2}PORT="x".*\n {2}LOG_LEVEL="y"/,
    );
  });
});

describe('DESIRED_REPLICAS', () => {
  test.each([
    ['2', { byComponent: {}, fallback: { min: 2, max: 2, autoscaling: false } }],
    ['2-4', { byComponent: {}, fallback: { min: 2, max: 4, autoscaling: true } }],
    [
      'backend=2,worker=1',
      {
        byComponent: {
          backend: { min: 2, max: 2, autoscaling: false },
          worker: { min: 1, max: 1, autoscaling: false },
        },
        fallback: null,
      },
    ],
    ['api=2-5', { byComponent: { api: { min: 2, max: 5, autoscaling: true } }, fallback: null }],
  ])('%s parses', (text, expected) => {
    expect(parseDesiredReplicas(text)).toEqual(expected);
  });

  test.each(['0', 'two', '4-2', 'backend=', '=2', 'backend=2,backend=3', 'a b=2'])(
    '%s is refused with a reason',
    (text) => {
      expect(typeof parseDesiredReplicas(text)).toBe('string');
    },
  );

  test.each([
    ['10000', 10_000],
    ['999999', 999_999],
    ['backend=250000', 250_000],
  ])('%s: counts up to 999,999 are accepted (no upper bound below 1,000,000)', (text, count) => {
    const parsed = parseDesiredReplicas(text);
    expect(typeof parsed).not.toBe('string');
    const range = typeof parsed === 'string' ? null : (parsed.fallback ?? parsed.byComponent.backend);
    expect(range).toEqual({ min: count, max: count, autoscaling: false });
    expect(MAX_DESIRED_COUNT).toBe(999_999);
  });

  test('an autoscaling range up to 999,999 is accepted', () => {
    expect(parseDesiredReplicas('api=2-999999')).toEqual({
      byComponent: { api: { min: 2, max: 999_999, autoscaling: true } },
      fallback: null,
    });
  });

  test.each([
    ['1000000', 'DESIRED_REPLICAS="1000000": 1000000: a count must be below 1,000,000 (at most 999,999)'],
    [
      'backend=2,worker=12345678',
      'DESIRED_REPLICAS="backend=2,worker=12345678": worker=12345678: a count must be below 1,000,000 (at most 999,999)',
    ],
    ['backend=5-2', 'DESIRED_REPLICAS="backend=5-2": backend=5-2: the minimum 5 is above the maximum 2'],
    ['5-2', 'DESIRED_REPLICAS="5-2": 5-2: the minimum 5 is above the maximum 2'],
    [
      'backend=0',
      'DESIRED_REPLICAS="backend=0": backend=0: a count must be at least 1 (App Platform\'s minimum instance_count)',
    ],
    [
      'two',
      'DESIRED_REPLICAS="two": two: not a count from 1 to 999,999 or a range min-max; expected a count (e.g. 2), ' +
        'a range (2-4) or component=count pairs (backend=2,worker=1)',
    ],
    [
      'backend=two',
      'DESIRED_REPLICAS="backend=two": backend=two: not a count from 1 to 999,999 or a range min-max',
    ],
    ['backend=', 'DESIRED_REPLICAS="backend=": backend=: not component=count (e.g. backend=2 or api=2-5)'],
    [
      'a b=2',
      'DESIRED_REPLICAS="a b=2": a b=2: "a b" is not a component name (letters, digits, . _ - starting with a letter or digit)',
    ],
    [
      'backend=2,backend=3',
      'DESIRED_REPLICAS="backend=2,backend=3": backend=3: component "backend" is given twice',
    ],
  ])('%s is refused naming the variable, the value and why', (text, message) => {
    expect(problemsOf({ DESIRED_REPLICAS: text })).toEqual([message]);
  });
});

describe('CLOCK_SKEW_MAX_MS and DRAIN_GRACE_MS', () => {
  test('defaults: 5000 and 120000, from the defaults constant', () => {
    expect(AGGREGATOR_DEFAULTS).toMatchObject({ clockSkewMaxMs: 5_000, drainGraceMs: 120_000 });
    expect(loadAggregatorConfig({})).toMatchObject({ clockSkewMaxMs: 5_000, drainGraceMs: 120_000 });
  });

  test('set', () => {
    expect(loadAggregatorConfig({ CLOCK_SKEW_MAX_MS: '30000', DRAIN_GRACE_MS: '0' })).toMatchObject({
      clockSkewMaxMs: 30_000,
      drainGraceMs: 0,
    });
  });

  test('bad values are named with the value, like the other *_MS variables', () => {
    expect(problemsOf({ CLOCK_SKEW_MAX_MS: '5s', DRAIN_GRACE_MS: '-1' })).toEqual([
      `CLOCK_SKEW_MAX_MS="5s": must be an integer from 100 to ${Number.MAX_SAFE_INTEGER}`,
      `DRAIN_GRACE_MS="-1": must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}`,
    ]);
    expect(problemsOf({ CLOCK_SKEW_MAX_MS: '10' })).toEqual([
      `CLOCK_SKEW_MAX_MS="10": must be an integer from 100 to ${Number.MAX_SAFE_INTEGER}`,
    ]);
  });
});
