/**
 * `npm run demo -- --apps N`: one aggregator watching an account of N simulated apps, the way
 * an SRE points it at a real one (DO_APP_ID=* through the App Platform API, here the simulated
 * account's): a healthy app, the #356 app with its orphans, an agentless app whose dashboard
 * over-counts, and more. Real agent processes run in the apps that have agents. Prints the fleet,
 * worst first, with what the surplus costs; `--once` prints it and exits.
 */
import { startAggregator, type RunningAggregator } from '../app';
import { loadAggregatorConfig } from '../config';
import { formatFleet } from '../fleet/fleet-format';
import { startSimulatedPlatform, simulatedFleet, type SimulatedPlatform } from '../platform/simulated';
import { formatDiagnosis } from '../report-format';
import { startDemoFleet, type DemoFleet } from './fleet';
import { createLogger } from '../../shared/logger';

const INTERVAL_MS = 1_000;
const WAIT_FOR_AGENTS_MS = 30_000;
/** The simulated platform accepts any token; this one is not a secret. */
const DEMO_TOKEN = 'simulated-platform-token';

export interface ManyAppsOptions {
  readonly count: number;
  readonly port: string;
  readonly once: boolean;
}

/** Waits until every app with agents sees all of them live with their probes settled, or the deadline. */
async function waitForAgents(
  aggregator: RunningAggregator,
  expected: ReadonlyMap<string, ReadonlyMap<string, boolean>>,
): Promise<void> {
  const deadline = Date.now() + WAIT_FOR_AGENTS_MS;
  const total = [...expected.values()].reduce((n, agents) => n + agents.size, 0);
  let shown = -1;
  for (;;) {
    let settled = 0;
    for (const [app, agents] of expected) {
      const watch = aggregator.fleet.get(app);
      if (!watch) continue;
      settled += watch
        .reconcileNow()
        .instanceList()
        .filter((i) => i.state === 'live' && i.serving === agents.get(i.instance_id)).length;
    }
    if (settled >= total) return;
    if (Date.now() > deadline) {
      console.log(
        `(${settled} of ${total} agents settled within ${WAIT_FOR_AGENTS_MS / 1000} s; showing what is known)`,
      );
      return;
    }
    if (settled !== shown) console.log(`waiting for agents: ${settled}/${total} reporting as expected`);
    shown = settled;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until every app's platform view has been read (or has failed), or the deadline. */
async function waitForPlatform(aggregator: RunningAggregator): Promise<void> {
  const deadline = Date.now() + WAIT_FOR_AGENTS_MS;
  const read = () =>
    aggregator.fleet.list().every((w) => {
      const view = w.platform.current();
      return view.fetchedAtMs !== null || view.error !== null;
    });
  while (!read() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

/** Runs the many-apps demo; resolves with the exit code. */
export async function runManyApps(options: ManyAppsOptions): Promise<number> {
  const apps = simulatedFleet(options.count);
  const platform: SimulatedPlatform = await startSimulatedPlatform({ apps });
  const log = createLogger({ level: 'warn', service: 'demo' });
  let aggregator: RunningAggregator | undefined;
  const fleets: DemoFleet[] = [];
  const stopAll = async () => {
    await Promise.all(fleets.map((f) => f.stop()));
    await aggregator?.stop();
    await platform.close();
  };
  try {
    aggregator = await startAggregator(
      loadAggregatorConfig({
        PORT: options.port,
        HOST: '127.0.0.1',
        PLATFORM: 'digitalocean',
        DO_API_BASE_URL: platform.url,
        DO_API_TOKEN: DEMO_TOKEN,
        DO_APP_ID: '*',
        PLATFORM_CACHE_TTL_MS: '2000',
        RECONCILE_INTERVAL_MS: '500',
        LOG_LEVEL: 'warn',
      }),
      { log },
    );
    const url = `http://localhost:${aggregator.port}`;
    const listed = platform.apps();
    console.log(
      `replica-watch demo: one aggregator on ${url} watching ${listed.length} apps of a simulated App Platform ` +
        `account (DO_APP_ID=*)`,
    );
    const expected = new Map<string, Map<string, boolean>>();
    for (const [i, app] of listed.entries()) {
      if (!apps[i]?.agents) continue;
      const agents = app.state.agents();
      expected.set(app.appId, new Map(agents.map((a) => [a.instanceId, a.serving])));
      fleets.push(
        await startDemoFleet(agents, {
          app: app.appId,
          aggregatorUrl: url,
          intervalMs: INTERVAL_MS,
          ttlMs: 3 * INTERVAL_MS,
        }),
      );
    }
    console.log(
      `${fleets.length} apps run agents (${[...expected.values()].reduce((n, a) => n + a.size, 0)} agent processes); ` +
        `${listed.length - fleets.length} ${listed.length - fleets.length === 1 ? 'has' : 'have'} none and ${listed.length - fleets.length === 1 ? 'is' : 'are'} judged from the platform alone`,
    );
    await waitForAgents(aggregator, expected);
    await waitForPlatform(aggregator);
    aggregator.fleet.reconcileAll();
    const view = aggregator.fleet.view();
    console.log(`\n${formatFleet(view)}\n`);
    const worst = view.apps[0];
    const report = worst ? aggregator.fleet.get(worst.app)?.store.current()?.report : undefined;
    if (report && worst?.verdict !== 'ok') {
      console.log(`The worst app, ${worst?.name ?? worst?.app}:\n${formatDiagnosis(report)}`);
    }
    if (options.once) {
      await stopAll();
      return 0;
    }
    console.log(`Live dashboard: ${url}/  ·  fleet JSON: ${url}/api/v1/apps  ·  Ctrl-C to stop.`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await stopAll();
    return 0;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
