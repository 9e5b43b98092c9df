/**
 * The failover scenario the cluster and Sentinel chaos tests share: real agent processes beating
 * into the engine (half of them with the aggregator's HTTP ingest as fallback), one aggregator
 * process watching the apps and alerting to a webhook receiver, and a sampler reading every
 * app's report all along. The test kills the master that holds the app's data; the scenario
 * measures what the aggregator showed while the master was gone and after its replica took
 * over, and what the new master holds of the heartbeats.
 */
import { FEED_FIELD, appKeys } from '../../shared/redis-keys';
import { freePort } from '../support/redis-server';
import { sampleFor, waitFor } from '../support/wait';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import type { AggregatorProcess } from './harness';
import { AgentFleet, alive, startAggregatorProcess } from './harness';

/** Heartbeats every second: "two heartbeat intervals" are two seconds. */
export const INTERVAL_MS = 1_000;
/**
 * An instance is gone after this long without a heartbeat: well above a failover (seconds), so a
 * heartbeat lost in it never turns a live instance into a missing one.
 */
export const TTL_MS = 10_000;
/** Far above the outage: only a problem that really lasts would alert. */
export const ALERT_FOR_MS = 20_000;
const RECONCILE_MS = 500;
const SAMPLE_EVERY_MS = 200;

/** What the scenario reads of an app's report. */
export interface AppSample {
  readonly atMs: number;
  readonly app: string;
  readonly degraded: boolean;
  readonly verdict: string;
  readonly active: number;
  readonly codes: readonly string[];
}

/** One heartbeat as the new master's feed holds it. */
export interface FeedBeat {
  readonly instance: string;
  readonly seq: number;
  readonly sentAtMs: number;
}

export interface FailoverSetup {
  /** The engine's variables (REDIS_CLUSTER_NODES or REDIS_SENTINELS…, REDIS_PASSWORD). */
  readonly env: Record<string, string>;
  /** Every app the aggregator watches; `apps[0]` is the one whose master is killed. */
  readonly apps: readonly string[];
  readonly agentsPerApp: number;
}

export interface Failover {
  readonly aggregator: AggregatorProcess;
  readonly fleet: AgentFleet;
  readonly webhook: WebhookReceiver;
  /** Instance ids per app; the first half of each has the HTTP fallback. */
  readonly agents: ReadonlyMap<string, readonly string[]>;
  readonly withFallback: readonly string[];
  readonly samples: AppSample[];
  /** Stops the sampler (idempotent). */
  stopSampling(): Promise<void>;
  /** Kills everything it started. */
  close(): Promise<void>;
}

/** The report of one app as the sampler keeps it. */
export async function sampleApp(baseUrl: string, app: string): Promise<AppSample> {
  const res = await fetch(`${baseUrl}/api/v1/monitoring/replicas?app=${app}&instances=false`);
  if (res.status !== 200) throw new Error(`report of ${app}: HTTP ${res.status}`);
  const report = (await res.json()) as {
    degraded: boolean;
    summary: { verdict: string; active_instances: number };
    components: { name: string; findings: { code: string }[] }[];
  };
  return {
    atMs: Date.now(),
    app,
    degraded: report.degraded,
    verdict: report.summary.verdict,
    active: report.summary.active_instances,
    codes: report.components.flatMap((c) => c.findings.map((f) => f.code)).sort(),
  };
}

/** Whether a sample shows the app whole: every agent counted, no finding at all. */
export function healthy(sample: AppSample, agents: number): boolean {
  return !sample.degraded && sample.verdict === 'ok' && sample.active === agents && sample.codes.length === 0;
}

/** Starts the agents, the aggregator, and waits until every app is counted right; then samples. */
export async function startFailover(setup: FailoverSetup): Promise<Failover> {
  const webhook = await startWebhookReceiver();
  const port = await freePort();
  const fleet = new AgentFleet({});
  const agents = new Map<string, string[]>();
  const withFallback: string[] = [];
  let aggregator: AggregatorProcess | undefined;
  const close = async () => {
    await fleet.killAll();
    await aggregator?.process.signal('SIGKILL');
    await webhook.close();
  };
  try {
    // The agents first, so that the aggregator's first report already counts them all.
    const starts: Promise<unknown>[] = [];
    for (const app of setup.apps) {
      const ids = Array.from({ length: setup.agentsPerApp }, (_, i) => `${app}-${i}`);
      agents.set(app, ids);
      ids.forEach((id, i) => {
        const fallback = i < setup.agentsPerApp / 2;
        if (fallback) withFallback.push(id);
        starts.push(
          fleet.start(id, {
            ...setup.env,
            AGENT_APP: app,
            AGENT_INTERVAL_MS: String(INTERVAL_MS),
            AGENT_TTL_MS: String(TTL_MS),
            ...(fallback ? { AGGREGATOR_URL: `http://127.0.0.1:${port}` } : {}),
          }),
        );
      });
    }
    await Promise.all(starts);
    aggregator = await startAggregatorProcess({
      ...setup.env,
      PORT: String(port),
      AGGREGATOR_APP: setup.apps.join(','),
      DESIRED_REPLICAS: `backend=${setup.agentsPerApp}`,
      RECONCILE_INTERVAL_MS: String(RECONCILE_MS),
      RESYNC_INTERVAL_MS: '5000',
      ALERT_CONFIRMATIONS: '2',
      ALERT_FOR_MS: String(ALERT_FOR_MS),
      ALERT_WEBHOOK_URL: webhook.url,
      LEADER_LEASE_MS: '3000',
    });
    const url = aggregator.url;
    for (const app of setup.apps) {
      await waitFor(() => sampleApp(url, app), {
        until: (s) => healthy(s, setup.agentsPerApp),
        what: `${app}: every agent counted, ok`,
        timeoutMs: 40_000,
      });
    }
  } catch (err) {
    await close();
    throw err;
  }
  const samples: AppSample[] = [];
  let sampling = true;
  const running = aggregator;
  const loop = (async () => {
    while (sampling) {
      for (const app of setup.apps) samples.push(await sampleApp(running.url, app));
      await new Promise((r) => setTimeout(r, SAMPLE_EVERY_MS));
    }
  })();
  let stopped: Promise<void> | undefined;
  const stopSampling = () =>
    (stopped ??= (async () => {
      sampling = false;
      await loop;
    })());
  return {
    aggregator: running,
    fleet,
    webhook,
    agents,
    withFallback,
    samples,
    stopSampling,
    close: async () => {
      await stopSampling().catch(() => undefined);
      await close();
    },
  };
}

/** The feed entries of an app, parsed: who beat, which seq, when it was sent. */
export function feedBeats(entries: readonly { message: Record<string, string> }[]): FeedBeat[] {
  return entries.flatMap((entry) => {
    const json = entry.message[FEED_FIELD];
    if (json === undefined) return [];
    const hb = JSON.parse(json) as { instance_id: string; seq: number; sent_at: number; type?: string };
    return [{ instance: hb.instance_id, seq: hb.seq, sentAtMs: hb.sent_at }];
  });
}

/** The feed key of an app. */
export const feedKey = (app: string) => appKeys(app).feed;

/**
 * The heartbeats missing from the feed, per gap: for each instance, every run of seqs that never
 * made it, with the send times of the heartbeats around it.
 */
export function feedGaps(
  beats: readonly FeedBeat[],
): { instance: string; missing: number; afterMs: number; beforeMs: number }[] {
  const byInstance = new Map<string, FeedBeat[]>();
  for (const beat of beats) byInstance.set(beat.instance, [...(byInstance.get(beat.instance) ?? []), beat]);
  const gaps: { instance: string; missing: number; afterMs: number; beforeMs: number }[] = [];
  for (const [instance, list] of byInstance) {
    list.sort((a, b) => a.seq - b.seq);
    for (let i = 1; i < list.length; i++) {
      const [before, after] = [list[i - 1], list[i]];
      if (before && after && after.seq > before.seq + 1) {
        gaps.push({
          instance,
          missing: after.seq - before.seq - 1,
          afterMs: before.sentAtMs,
          beforeMs: after.sentAtMs,
        });
      }
    }
  }
  return gaps;
}

/** Every process still runs. */
export function allAlive(failover: Failover): boolean {
  return alive(failover.aggregator.process) && failover.fleet.allAlive();
}

/** What the aggregator showed of `app` from the kill until it was whole again. */
export interface Outage {
  readonly degradedSeenAfterKillMs: number | null;
  readonly degradedForMs: number;
  /** From the new master taking over (promotion, +switch-master) to the report being whole. */
  readonly healthyAfterTakeoverMs: number;
}

/**
 * Waits until `app` is served again with every agent counted, watches two more intervals, and
 * holds the outage to the rules: degraded (with DATA_DEGRADED) or still ok while it could not
 * read, never a count finding, whole again within two intervals of the takeover, no alert.
 */
export async function expectOutageWithoutFalseAlarm(
  failover: Failover,
  options: {
    readonly app: string;
    readonly agents: number;
    readonly killedAtMs: number;
    readonly takeoverAtMs: number;
  },
): Promise<Outage> {
  const { app, agents, killedAtMs, takeoverAtMs } = options;
  const back = await waitFor(() => sampleApp(failover.aggregator.url, app), {
    until: (s) => healthy(s, agents),
    what: `${app}: served again, every agent counted`,
    timeoutMs: 20_000,
  });
  // Two more intervals, watched: the recovery holds.
  await sampleFor(2 * INTERVAL_MS, () => undefined, 100);
  await failover.stopSampling();

  const samples = failover.samples.filter((s) => s.app === app && s.atMs >= killedAtMs);
  const degraded = samples.filter((s) => s.degraded);
  const firstDegraded = degraded[0];
  const outage: Outage = {
    degradedSeenAfterKillMs: firstDegraded ? firstDegraded.atMs - killedAtMs : null,
    degradedForMs: degraded.length > 0 ? (degraded.at(-1)?.atMs ?? 0) - (firstDegraded?.atMs ?? 0) : 0,
    healthyAfterTakeoverMs: back.atMs - takeoverAtMs,
  };
  expect(degraded.length).toBeGreaterThan(0);
  expect(
    samples.filter((s) => !(s.degraded ? s.codes.includes('DATA_DEGRADED') : healthy(s, agents))),
  ).toEqual([]);
  expect(
    samples.filter((s) => s.active !== agents || s.codes.some((c) => /MISSING|SURPLUS|STALE/.test(c))),
  ).toEqual([]);
  expect(degraded.every((s) => s.verdict === 'degraded')).toBe(true);
  // True again within two heartbeat intervals of the takeover.
  expect(outage.healthyAfterTakeoverMs).toBeLessThanOrEqual(2 * INTERVAL_MS);
  // No alert of any kind.
  expect(failover.webhook.received()).toEqual([]);
  return outage;
}

/**
 * What the new master's feed holds of `app`: every agent beating into it after the takeover,
 * gaps only around the failover window and none longer than it. Returns the heartbeats lost.
 */
export function expectFeedLostOnlyInWindow(
  failover: Failover,
  app: string,
  beats: readonly FeedBeat[],
  window: { readonly killedAtMs: number; readonly takeoverAtMs: number },
): number {
  const { killedAtMs, takeoverAtMs } = window;
  for (const id of failover.agents.get(app) ?? []) {
    expect(beats.some((b) => b.instance === id && b.sentAtMs > takeoverAtMs)).toBe(true);
  }
  const gaps = feedGaps(beats);
  const windowBeats = Math.ceil((takeoverAtMs - killedAtMs) / INTERVAL_MS) + 3;
  expect(
    gaps.filter(
      (g) => g.afterMs < killedAtMs - 2 * INTERVAL_MS || g.beforeMs > takeoverAtMs + 2 * INTERVAL_MS,
    ),
  ).toEqual([]);
  expect(gaps.filter((g) => g.missing > windowBeats)).toEqual([]);
  return gaps.reduce((sum, g) => sum + g.missing, 0);
}

/**
 * After the failover everything still stops cleanly (an agent within 2 s of SIGTERM, the
 * aggregator within 5 s), and no output holds any of `secrets`.
 */
export async function expectCleanStop(
  failover: Failover,
  agents: readonly string[],
  secrets: readonly string[],
): Promise<void> {
  expect(allAlive(failover)).toBe(true);
  const processes = [failover.aggregator.process, ...agents.map((id) => failover.fleet.get(id))];
  const agentStoppedAt = Date.now();
  expect(await failover.fleet.signal(agents[0] ?? '', 'SIGTERM')).toBe(0);
  expect(Date.now() - agentStoppedAt).toBeLessThan(2_000);
  const aggregatorStoppedAt = Date.now();
  expect(await failover.aggregator.process.signal('SIGTERM')).toBe(0);
  expect(Date.now() - aggregatorStoppedAt).toBeLessThan(5_000);
  for (const output of processes.map((p) => p?.output() ?? '')) {
    for (const secret of secrets) expect(output).not.toContain(secret);
  }
}
