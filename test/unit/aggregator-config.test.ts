import { ConfigError } from '../../shared/config';
import { AGGREGATOR_DEFAULTS, loadAggregatorConfig, parseDesiredReplicas } from '../../aggregator/config';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadAggregatorConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('aggregator config', () => {
  test('defaults: embedded mode, static platform, app "default"', () => {
    const config = loadAggregatorConfig({});
    expect(config).toMatchObject({
      port: AGGREGATOR_DEFAULTS.port,
      redisUrl: null,
      platform: 'static',
      app: 'default',
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
    expect(config.app).toBe('a1b2c3d4-0000-4000-8000-000000000000');
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
});
