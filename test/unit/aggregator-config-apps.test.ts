/** Which apps an aggregator watches: DO_APP_ID (one, a list, `*`), AGGREGATOR_APP, SIMULATED_SCENARIO. */
import { AGGREGATOR_DEFAULTS, loadAggregatorConfig, soleApp } from '../../aggregator/config';
import { problemsOf as problemsOfLoad } from '../support/config-problems';

const problemsOf = (env: Record<string, string>) => problemsOfLoad(loadAggregatorConfig, env);
const TOKEN = { DO_API_TOKEN: 'dop_v1_abcdefgh' };
const A = 'a1b2c3d4-0000-4000-8000-00000000000a';
const B = 'a1b2c3d4-0000-4000-8000-00000000000b';

describe('the apps an aggregator watches', () => {
  test('one DO_APP_ID: one app, its keys named by AGGREGATOR_APP when set, else by the id', () => {
    expect(soleApp(loadAggregatorConfig({ ...TOKEN, DO_APP_ID: A }))).toEqual({ app: A, appId: A });
    expect(soleApp(loadAggregatorConfig({ ...TOKEN, DO_APP_ID: A, AGGREGATOR_APP: 'shop' }))).toEqual({
      app: 'shop',
      appId: A,
    });
  });

  test('a DO_APP_ID list: each app named by its id, spaces around the commas ignored', () => {
    const config = loadAggregatorConfig({ ...TOKEN, DO_APP_ID: `${A}, ${B}` });
    expect(config.apps).toEqual({
      kind: 'fixed',
      apps: [
        { app: A, appId: A },
        { app: B, appId: B },
      ],
    });
    expect(soleApp(config)).toBeNull();
  });

  test('DO_APP_ID=*: discovery every APP_DISCOVERY_INTERVAL_MS (default five minutes)', () => {
    expect(loadAggregatorConfig({ ...TOKEN, DO_APP_ID: '*' }).apps).toEqual({
      kind: 'discovered',
      intervalMs: AGGREGATOR_DEFAULTS.appDiscoveryIntervalMs,
    });
    expect(AGGREGATOR_DEFAULTS.appDiscoveryIntervalMs).toBe(300_000);
    expect(
      loadAggregatorConfig({ ...TOKEN, DO_APP_ID: '*', APP_DISCOVERY_INTERVAL_MS: '60000' }).apps,
    ).toEqual({
      kind: 'discovered',
      intervalMs: 60_000,
    });
  });

  test('static mode: AGGREGATOR_APP may be a list, DESIRED_REPLICAS applying to each', () => {
    const config = loadAggregatorConfig({ AGGREGATOR_APP: 'shop,billing', DESIRED_REPLICAS: '2' });
    expect(config.platform).toBe('static');
    expect(config.apps).toEqual({
      kind: 'fixed',
      apps: [
        { app: 'shop', appId: null },
        { app: 'billing', appId: null },
      ],
    });
  });

  test('simulated: one scenario is one app under AGGREGATOR_APP; several are discovered', () => {
    expect(loadAggregatorConfig({ PLATFORM: 'simulated', AGGREGATOR_APP: 'demo' }).apps).toEqual({
      kind: 'fixed',
      apps: [{ app: 'demo', appId: null }],
    });
    const many = loadAggregatorConfig({ PLATFORM: 'simulated', SIMULATED_SCENARIO: 'steady,orphans-356' });
    expect(many.simulatedScenarios).toEqual(['steady', 'orphans-356']);
    expect(many.apps.kind).toBe('discovered');
  });

  test.each([
    [
      { ...TOKEN, DO_APP_ID: `${A},,${B}` },
      `DO_APP_ID="${A},,${B}": has an empty item (two commas, or one at an end)`,
    ],
    [{ ...TOKEN, DO_APP_ID: `${A},${A}` }, `DO_APP_ID="${A},${A}": names "${A}" twice`],
    [{ ...TOKEN, DO_APP_ID: `${A},-bad` }, `DO_APP_ID="${A},-bad": "-bad" is not a name`],
    [
      { ...TOKEN, DO_APP_ID: '*', AGGREGATOR_APP: 'shop' },
      'AGGREGATOR_APP="shop": names the keys of one app',
    ],
    [{ DO_APP_ID: '*' }, 'DO_APP_ID="*": lists the apps through the App Platform API'],
    [
      { ...TOKEN, DO_APP_ID: A, AGGREGATOR_APP: 'a,b' },
      'AGGREGATOR_APP="a,b": is a list only in static mode',
    ],
    [
      { PLATFORM: 'simulated', SIMULATED_SCENARIO: 'steady,nope' },
      'SIMULATED_SCENARIO="steady,nope": "nope" is not a scenario',
    ],
    [
      { ...TOKEN, DO_APP_ID: '*', APP_DISCOVERY_INTERVAL_MS: '5' },
      'APP_DISCOVERY_INTERVAL_MS="5": must be an integer from 10000',
    ],
  ])('refuses %j, naming the variable and the value', (env: Record<string, string>, expected: string) => {
    expect(problemsOf(env).filter((p) => p.startsWith(expected))).toHaveLength(1);
  });
});
