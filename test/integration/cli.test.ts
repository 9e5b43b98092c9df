import { startAggregator, type RunningAggregator } from '../../aggregator/app';
import { EXIT, runCli } from '../../aggregator/cli/main';
import { loadAggregatorConfig } from '../../aggregator/config';
import { freePort } from '../support/redis-server';

async function run(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { env, out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('replica-watch status | diagnose', () => {
  let aggregator: RunningAggregator;

  beforeAll(async () => {
    aggregator = await startAggregator(
      loadAggregatorConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        DESIRED_REPLICAS: 'backend=2',
        AGGREGATOR_APP: 'cli-test',
      }),
    );
  });
  afterAll(() => aggregator.stop());

  test('status prints one row per component with the counts and exits 1 on a discrepancy', async () => {
    const { code, out } = await run(['status', '--url', aggregator.url]);
    expect(code).toBe(EXIT.discrepancy);
    expect(out).toMatch(/COMPONENT\s+DESIRED\s+DASHBOARD READY\s+LISTED\s+LIVE\s+SERVING/);
    expect(out).toMatch(/backend\s+2\s+\?\s+\?\s+0\s+0/);
  });

  test('diagnose names the finding and what to do; --json gives the report', async () => {
    const text = await run(['diagnose', '--url', aggregator.url]);
    expect(text.out).toContain('MISSING_INSTANCES');
    expect(text.out).toContain('what to do:');
    const json = await run(['diagnose', '--json', '--url', aggregator.url]);
    expect(JSON.parse(json.out)).toMatchObject({
      app: 'cli-test',
      summary: { configured_replicas: 2, active_instances: 0 },
    });
  });

  test('REPLICA_WATCH_URL stands in for --url', async () => {
    const { out } = await run(['status', '--json'], { REPLICA_WATCH_URL: aggregator.url });
    expect(JSON.parse(out)).toMatchObject({ app: 'cli-test' });
    expect(JSON.parse(out).instances).toBeUndefined();
  });

  test('an unreachable aggregator gets a clear error and exit code 3', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { code, err } = await run(['status', '--url', url]);
    expect(code).toBe(EXIT.unreachable);
    expect(err).toContain(`cannot read the report from ${url}`);
    expect(err).toMatch(/ECONNREFUSED/);
  });

  test.each([[[]], [['restart']], [['status', 'extra']], [['status', '--bogus']]])(
    'usage errors exit 2: %j',
    async (argv) => {
      const { code, err } = await run(argv);
      expect(code).toBe(EXIT.usage);
      expect(err).toContain('usage: replica-watch');
    },
  );

  test('a bad --url is named', async () => {
    const { code, err } = await run(['status', '--url', 'not a url']);
    expect(code).toBe(EXIT.usage);
    expect(err).toContain('"not a url"');
  });
});
