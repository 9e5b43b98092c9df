/**
 * Issue #3's four counts end to end in one process: an aggregator on the simulated App Platform
 * (a real HTTP server speaking the API's schema), fed over real HTTP with the heartbeats that
 * each scenario's instances send. Every scenario gives its expected counts and findings.
 */
import { startAggregator, type RunningAggregator } from '../../aggregator/app';
import { loadAggregatorConfig } from '../../aggregator/config';
import { scenarioAgents, type ScenarioName } from '../../aggregator/platform/simulated';
import type { ComponentReport, FindingCode, Report } from '../../aggregator/reconcile/report';
import { simulatedAgentHeartbeat } from '../support/heartbeats';
import { publishedReport } from '../support/reconcile-io';
import { waitFor } from '../support/wait';

async function start(scenario: ScenarioName): Promise<RunningAggregator> {
  return startAggregator(
    loadAggregatorConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      PLATFORM: 'simulated',
      SIMULATED_SCENARIO: scenario,
      PLATFORM_CACHE_TTL_MS: '1000',
      RECONCILE_INTERVAL_MS: '100',
    }),
  );
}

/** Posts one heartbeat per scenario instance, as its agent would. */
async function heartbeatAll(
  aggregator: RunningAggregator,
  scenario: ScenarioName,
  app: string,
): Promise<void> {
  const now = Date.now();
  for (const agent of scenarioAgents(scenario)) {
    const heartbeat = simulatedAgentHeartbeat(app, agent, now, { started_at: now - 60_000 });
    const res = await fetch(`${aggregator.url}/api/v1/heartbeats`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(heartbeat),
    });
    expect(res.status).toBe(202);
  }
}

/** The report once the platform view has been fetched and every agent has reported. */
async function settledReport(aggregator: RunningAggregator, scenario: ScenarioName): Promise<Report> {
  const first = await waitFor(async () => publishedReport(aggregator.reconcileNow()), {
    until: (r) => r.summary.do_api_status === 'ok',
  });
  await heartbeatAll(aggregator, scenario, first.app);
  return publishedReport(aggregator.reconcileNow());
}

function backend(report: Report): ComponentReport {
  const component = report.components.find((c) => c.name === 'backend');
  if (!component) throw new Error(`no backend component in ${JSON.stringify(report.components)}`);
  return component;
}

const codes = (c: ComponentReport): FindingCode[] => c.findings.map((f) => f.code).sort();

describe('the simulated App Platform scenarios', () => {
  const running: RunningAggregator[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((a) => a.stop()));
  });
  const launch = async (scenario: ScenarioName) => {
    const aggregator = await start(scenario);
    running.push(aggregator);
    return aggregator;
  };

  test('steady: the four counts agree and nothing is wrong', async () => {
    const report = await settledReport(await launch('steady'), 'steady');
    expect(backend(report)).toMatchObject({
      desired: 2,
      platform_ready: 2,
      platform_instances: 2,
      live: 2,
      serving: 2,
      verdict: 'ok',
    });
    expect(report.summary.discrepancy).toBe(false);
  });

  test('orphans-356: spec 2, dashboard 6, listed 6, 6 live of which 4 orphans and 1 not serving', async () => {
    const report = await settledReport(await launch('orphans-356'), 'orphans-356');
    expect(backend(report)).toMatchObject({
      desired: 2,
      platform_ready: 6,
      platform_instances: 6,
      live: 6,
      serving: 5,
      orphaned: 4,
      verdict: 'discrepancy',
    });
    expect(codes(backend(report))).toEqual([
      'NOT_SERVING',
      'ORPHANED_INSTANCES',
      'PLATFORM_COUNT_MISMATCH',
      'SURPLUS_INSTANCES',
    ]);
    expect(report.summary).toMatchObject({ configured_replicas: 2, active_instances: 6, discrepancy: true });
    const orphaned = backend(report).findings.find((f) => f.code === 'ORPHANED_INSTANCES');
    expect(orphaned?.recommendation).toContain(`doctl apps restart ${report.app_id} --components backend`);
  });

  test('rollout-in-progress: rolling, and no warning while it moves', async () => {
    const report = await settledReport(await launch('rollout-in-progress'), 'rollout-in-progress');
    expect(backend(report).verdict).toBe('rolling');
    expect(codes(backend(report))).toContain('ROLLOUT_IN_PROGRESS');
    expect(backend(report).findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  test('rollout-stuck: rolling with the in-progress deployment named', async () => {
    const report = await settledReport(await launch('rollout-stuck'), 'rollout-stuck');
    expect(backend(report).verdict).toBe('rolling');
    const rollout = backend(report).findings.find(
      (f) => f.code === 'ROLLOUT_IN_PROGRESS' || f.code === 'ROLLOUT_STUCK',
    );
    expect(rollout?.deployment_ids.length).toBeGreaterThan(0);
  });

  test('dashboard-overcount: 2 run and are listed, the dashboard says 6', async () => {
    const report = await settledReport(await launch('dashboard-overcount'), 'dashboard-overcount');
    expect(backend(report)).toMatchObject({ desired: 2, platform_ready: 6, platform_instances: 2, live: 2 });
    const mismatch = backend(report).findings.find((f) => f.code === 'PLATFORM_COUNT_MISMATCH');
    expect(mismatch?.severity).toBe('warning');
    expect(mismatch?.message).toMatch(/6 ready/);
  });

  test.each(['rate-limited', 'server-errors'] as const)(
    '%s: the last good view stays, marked stale with its age; the process stays healthy',
    async (scenario) => {
      const aggregator = await launch(scenario);
      const good = await settledReport(aggregator, scenario);
      expect(backend(good)).toMatchObject({ desired: 2, platform_ready: 2 });
      const stale = await waitFor(async () => publishedReport(aggregator.reconcileNow()), {
        until: (r) => r.summary.do_api_status === 'stale' && (r.summary.platform_data_age_ms ?? 0) > 1_000,
        timeoutMs: 30_000,
      });
      expect(backend(stale)).toMatchObject({ desired: 2, platform_ready: 2, platform_instances: 2 });
      const degraded = backend(stale).findings.find((f) => f.code === 'DATA_DEGRADED');
      expect(degraded?.severity).toBe('info');
      expect(degraded?.message).toMatch(/ago/);
      expect(stale.summary.discrepancy).toBe(false);
      expect((await fetch(`${aggregator.url}/livez`)).status).toBe(200);
    },
  );
});
