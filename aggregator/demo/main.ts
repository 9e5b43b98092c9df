/**
 * `npm run demo`: the reported problem (#356) reproduced with real processes. An aggregator in
 * the embedded mode reads a simulated App Platform (a real HTTP server speaking the API's
 * schema) whose spec wants 2 backend instances while its dashboard says 6 ready; six real agents
 * run as those instances: 2 on the active deployment and 4 orphans of an older one, one of which
 * does not serve. Prints the diagnosis and serves it until Ctrl-C; `--once` prints it and exits 0.
 * `--apps N` runs the fleet instead: one aggregator over N simulated apps (many-apps.ts).
 */
import { parseArgs } from 'node:util';
import { startAggregator, type RunningAggregator } from '../app';
import { loadAggregatorConfig } from '../config';
import { PortInUseError } from '../http/listen';
import {
  SCENARIOS,
  SIMULATED_FLEET_MAX,
  scenarioAgents,
  scenarioAppId,
  type ScenarioName,
} from '../platform/simulated';
import { runManyApps } from './many-apps';
import { formatDiagnosis } from '../report-format';
import { startDemoFleet, type DemoFleet } from './fleet';
import { formatStory } from './story';
import { createLogger } from '../../shared/logger';

const SCENARIO: ScenarioName = 'orphans-356';
const APP_ID = scenarioAppId(SCENARIOS[SCENARIO]);
const FLEET = scenarioAgents(SCENARIO);
const INTERVAL_MS = 1_000;
const WAIT_FOR_FLEET_MS = 20_000;

function usage(): string {
  return `usage: npm run demo [-- --once] [-- --port N] [-- --apps N (1 to ${SIMULATED_FLEET_MAX})]`;
}

/**
 * Waits until every agent has reported and its probe result matches its backend (the first
 * probes of six processes starting at once on a small machine can time out), or the deadline.
 */
async function waitForFleet(aggregator: RunningAggregator): Promise<void> {
  const deadline = Date.now() + WAIT_FOR_FLEET_MS;
  const expected = new Map(FLEET.map((i) => [i.instanceId, i.serving]));
  let shown = -1;
  for (;;) {
    const instances = aggregator.reconcileNow().instanceList();
    const settled = instances.filter(
      (i) => i.state === 'live' && i.serving === expected.get(i.instance_id),
    ).length;
    if (settled >= FLEET.length) return;
    if (Date.now() > deadline) {
      console.log(
        `(${settled} of ${FLEET.length} agents settled within ${WAIT_FOR_FLEET_MS / 1000} s; showing what is known)`,
      );
      return;
    }
    if (settled !== shown)
      console.log(`waiting for agents: ${settled}/${FLEET.length} reporting as expected`);
    shown = settled;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        once: { type: 'boolean', default: false },
        port: { type: 'string' },
        apps: { type: 'string' },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage()}\n`);
    return 2;
  }
  const port = args.port ?? process.env.PORT ?? '8080';
  if (args.apps !== undefined) {
    const count = Number(args.apps);
    if (!/^\d+$/.test(args.apps) || count < 1 || count > SIMULATED_FLEET_MAX) {
      process.stderr.write(
        `--apps ${JSON.stringify(args.apps)}: a simulated fleet has 1 to ${SIMULATED_FLEET_MAX} apps (SIMULATED_FLEET_MAX)\n${usage()}\n`,
      );
      return 2;
    }
    return runManyApps({ count, port, once: args.once });
  }
  const config = loadAggregatorConfig({
    PORT: port,
    HOST: '127.0.0.1',
    AGGREGATOR_APP: APP_ID,
    PLATFORM: 'simulated',
    SIMULATED_SCENARIO: SCENARIO,
    // Short, so that a restart through the simulated API shows within seconds.
    PLATFORM_CACHE_TTL_MS: '2000',
    RECONCILE_INTERVAL_MS: '500',
    LOG_LEVEL: 'warn',
  });
  const log = createLogger({ level: 'warn', service: 'demo' });

  let aggregator: RunningAggregator;
  try {
    aggregator = await startAggregator(config, { log });
  } catch (err) {
    if (err instanceof PortInUseError) {
      process.stderr.write(
        `demo: ${err.message.replace(/: .*$/, '')}: free it, or run \`npm run demo -- --port 8081\`\n`,
      );
      return 1;
    }
    throw err;
  }
  const url = `http://localhost:${aggregator.port}`;
  let fleet: DemoFleet | undefined;
  const stopAll = async () => {
    await fleet?.stop();
    await aggregator.stop();
  };
  try {
    console.log(`replica-watch demo: ${SCENARIOS[SCENARIO].summary}`);
    console.log(
      `aggregator on ${url}; simulated App Platform app ${APP_ID}; starting ${FLEET.length} agents`,
    );
    fleet = await startDemoFleet(FLEET, {
      app: APP_ID,
      aggregatorUrl: url,
      intervalMs: INTERVAL_MS,
      ttlMs: 3 * INTERVAL_MS,
    });
    await waitForFleet(aggregator);
    const { report } = aggregator.reconcileNow();
    console.log(`\n${formatStory(report)}\n${formatDiagnosis(report)}`);
  } catch (err) {
    await stopAll();
    throw err;
  }
  if (args.once) {
    await stopAll();
    return 0;
  }
  console.log(
    `Live dashboard: ${url}/  ·  report JSON: ${url}/api/v1/monitoring/replicas  ·  Ctrl-C to stop.`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await stopAll();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
