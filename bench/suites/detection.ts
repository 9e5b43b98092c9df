/**
 * Detection: how long after an agent is stopped the report shows it. SIGTERM (the agent says
 * goodbye: the report shows `left`) and kill -9 (silence: the report shows `gone` once the last
 * heartbeat is older than its TTL). Trials run in batches of agents side by side, each signalled
 * at a random moment within a heartbeat interval so that the reconcile phase is sampled too;
 * the report is polled every 20 ms.
 */
import { getText, pollFor, spawnNode, type NodeProcess } from '../support/processes';
import { freePort } from '../support/redis-server';
import { quantile, round, summary } from '../support/stats';
import type { BenchContext, Suite, SuiteResult } from './types';

const APP = 'bench-detect';
const AGENT_INTERVAL_MS = 1_000;
const AGENT_TTL_MS = 3_000;
const RECONCILE_INTERVAL_MS = 1_000;
const BATCH = 5;
const FLEET = 60;

interface InstancesBody {
  instances: { instance_id: string; state: string }[];
}

async function states(base: string): Promise<Map<string, string>> {
  const body = JSON.parse(await getText(`${base}/api/v1/health/instances`)) as InstancesBody;
  return new Map(body.instances.map((i) => [i.instance_id, i.state]));
}

type StopSignal = 'SIGTERM' | 'SIGKILL';

/**
 * One batch: BATCH agents per signal started side by side, each stopped with its signal at a
 * random moment; per signal, the ms from the signal to the report showing the expected state.
 */
async function batch(
  ctx: BenchContext,
  base: string,
  firstTrial: number,
  deadPort: number,
): Promise<Record<StopSignal, number[]>> {
  const plan = (['SIGTERM', 'SIGKILL'] as const).flatMap((signal) =>
    Array.from({ length: BATCH }, (_, i) => ({
      id: `detect-${signal.toLowerCase()}-${firstTrial + i}`,
      signal,
    })),
  );
  const agents: NodeProcess[] = plan.map(({ id }) =>
    spawnNode('agent/main.js', {
      AGENT_ENABLED: 'true',
      AGENT_APP: APP,
      AGENT_INSTANCE_ID: id,
      AGENT_PORT: '0',
      AGENT_INTERVAL_MS: String(AGENT_INTERVAL_MS),
      AGENT_TTL_MS: String(AGENT_TTL_MS),
      REDIS_URL: ctx.redis.url,
      AGGREGATOR_URL: `http://127.0.0.1:${deadPort}`,
      LOG_LEVEL: 'warn',
    }),
  );
  try {
    await pollFor(
      'the agents to be live',
      async () => {
        const seen = await states(base);
        return plan.every(({ id }) => seen.get(id) === 'live') ? true : undefined;
      },
      60_000,
      50,
    );
    const expected = (signal: StopSignal) => (signal === 'SIGTERM' ? 'left' : 'gone');
    const signalledAt = new Map<string, number>();
    const shownAfter = new Map<string, number>();
    // Signals at random moments within one heartbeat interval.
    await Promise.all(
      plan.map(async ({ id, signal }, i) => {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * AGENT_INTERVAL_MS));
        signalledAt.set(id, Date.now());
        agents[i]?.child.kill(signal);
      }),
    );
    await pollFor(
      'the report to show every agent stopped',
      async () => {
        const seen = await states(base);
        const now = Date.now();
        for (const { id, signal } of plan) {
          if (!shownAfter.has(id) && seen.get(id) === expected(signal)) {
            shownAfter.set(id, now - (signalledAt.get(id) ?? now));
          }
        }
        return shownAfter.size === plan.length ? true : undefined;
      },
      AGENT_TTL_MS + 30_000,
      20,
    );
    const of = (wanted: StopSignal) =>
      plan.filter(({ signal }) => signal === wanted).map(({ id }) => shownAfter.get(id) as number);
    return { SIGTERM: of('SIGTERM'), SIGKILL: of('SIGKILL') };
  } finally {
    await Promise.all(agents.map((a) => a.stop('SIGKILL')));
  }
}

export const detectionSuite: Suite = {
  name: 'detection',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const trials = ctx.quick ? 5 : 30;
    const aggregator = spawnNode('aggregator/main.js', {
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: ctx.redis.url,
      AGGREGATOR_APP: APP,
      RECONCILE_INTERVAL_MS: String(RECONCILE_INTERVAL_MS),
      LOG_LEVEL: 'info',
    });
    // The rest of the fleet, heartbeating on: a handful of agents stopped at once is a small
    // share of it, as in a rolling deploy, not the collapse self-preservation takes for blindness.
    const fleet = spawnNode(
      'bench/loadgen.js',
      { REDIS_URL: ctx.redis.url },
      {
        args: [
          '--instances',
          String(FLEET),
          '--interval-ms',
          String(AGENT_INTERVAL_MS),
          '--ttl-ms',
          String(AGENT_TTL_MS),
          '--app',
          APP,
          '--components',
          'fleet',
          '--deployments',
          '1',
          '--progress-ms',
          '600000',
        ],
      },
    );
    try {
      const base = `http://127.0.0.1:${String((await aggregator.waitFor('aggregator listening')).port)}`;
      const deadPort = await freePort();
      const results: Record<string, number[]> = { SIGTERM: [], SIGKILL: [] };
      for (let done = 0; done < trials; done += BATCH) {
        ctx.log(`detection: trials ${done + 1}-${done + BATCH} of each signal`);
        const found = await batch(ctx, base, done, deadPort);
        results.SIGTERM?.push(...found.SIGTERM);
        results.SIGKILL?.push(...found.SIGKILL);
      }
      const term = results.SIGTERM ?? [];
      const kill = results.SIGKILL ?? [];
      const killBound = AGENT_TTL_MS + RECONCILE_INTERVAL_MS;
      return {
        name: 'detection',
        title: 'Detection: an agent stopped, to the report showing it',
        method:
          `Aggregator in Redis mode with RECONCILE_INTERVAL_MS=${RECONCILE_INTERVAL_MS}; agents (real processes) with ` +
          `AGENT_INTERVAL_MS=${AGENT_INTERVAL_MS} and AGENT_TTL_MS=${AGENT_TTL_MS}, ${BATCH} per signal at a time beside ${FLEET} ` +
          'simulated ones that keep heartbeating (so that a batch is not a collapse), each signalled at a ' +
          'random moment within an interval; GET /api/v1/health/instances every 20 ms until the instance is `left` ' +
          '(SIGTERM: its goodbye) or `gone` (kill -9: its last heartbeat older than the TTL). Times are from the signal.',
        rows: [
          {
            signal: 'SIGTERM → left',
            trials: term.length,
            p50_ms: round(quantile(term, 0.5), 0),
            p99_ms: round(quantile(term, 0.99), 0),
            max_ms: round(Math.max(...term), 0),
            bound_ms: 1_000,
          },
          {
            signal: 'kill -9 → gone',
            trials: kill.length,
            p50_ms: round(quantile(kill, 0.5), 0),
            p99_ms: round(quantile(kill, 0.99), 0),
            max_ms: round(Math.max(...kill), 0),
            bound_ms: killBound,
          },
        ],
        targets: [
          {
            target: 'SIGTERM detected ≤ 1 s p99',
            measured: `p99 ${round(quantile(term, 0.99), 0)} ms over ${term.length} trials`,
            met: quantile(term, 0.99) <= 1_000,
          },
          {
            target: `kill -9 detected ≤ TTL + one reconcile interval p99 (${killBound} ms)`,
            measured: `p99 ${round(quantile(kill, 0.99), 0)} ms over ${kill.length} trials`,
            met: quantile(kill, 0.99) <= killBound,
          },
        ],
        details: { sigterm: summary(term), sigkill: summary(kill) },
      };
    } finally {
      await fleet.stop('SIGINT');
      await aggregator.stop();
    }
  },
};
