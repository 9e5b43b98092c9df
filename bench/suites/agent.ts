/**
 * What the agent costs beside each instance: resident memory and CPU time per heartbeat, read
 * from /proc over a window (a minute; quick: 15 s) after a warm-up, with both transports
 * configured (Redis, and HTTP as the fallback), as in production. The RSS target is the maximum
 * over the window: the kernel's own peak (VmHWM, reset at the window's start), not only the
 * samples.
 */
import { appKeys } from '../../shared/redis-keys';
import { connectBenchClient, freePort } from '../support/redis-server';
import { procUsage, resetPeakRss, sampleUsage, spawnNode } from '../support/processes';
import { median, round } from '../support/stats';
import type { BenchContext, Suite, SuiteResult } from './types';

const APP = 'bench-agent';
const INTERVAL_MS = 1_000;

/** One agent's cost over a window after its warm-up. */
export interface AgentMeasurement {
  readonly windowMs: number;
  readonly warmupMs: number;
  readonly intervalMs: number;
  readonly heartbeats: number;
  readonly cpuMs: number;
  readonly cpuShare: number;
  readonly cpuPerHeartbeatMs: number;
  readonly rssMedianMb: number;
  /** The largest RSS sample (every second). */
  readonly rssSampledMaxMb: number;
  /** The maximum RSS over the window: VmHWM reset at its start, or the samples' where refused. */
  readonly rssMaxMb: number;
  /** True when rssMaxMb is the kernel's peak (VmHWM) rather than the samples'. */
  readonly rssMaxExact: boolean;
  /** VmHWM at the end of the warm-up: the start-up peak. */
  readonly rssStartupPeakMb: number;
  readonly method: string;
}

/** Starts an agent, lets it warm up, and reads its cost over a window (quick: 6 s, full: 60 s). */
export async function measureAgent(ctx: BenchContext): Promise<AgentMeasurement> {
  const windowMs = ctx.quick ? 6_000 : 60_000;
  // Long enough for V8's memory reducer to have run once (it gives back the start-up garbage
  // some 8-10 s after start): what is resident after it is what the agent keeps.
  const warmupMs = ctx.quick ? 10_000 : 15_000;
  const client = await connectBenchClient(ctx.redis.url);
  // The HTTP fallback is configured but never needed: nothing listens there.
  const deadPort = await freePort();
  const agent = spawnNode('agent/main.js', {
    AGENT_ENABLED: 'true',
    AGENT_APP: APP,
    AGENT_INSTANCE_ID: 'bench-agent-1',
    AGENT_PORT: '0',
    AGENT_INTERVAL_MS: String(INTERVAL_MS),
    REDIS_URL: ctx.redis.url,
    AGGREGATOR_URL: `http://127.0.0.1:${deadPort}`,
    LOG_LEVEL: 'info',
  });
  try {
    await agent.waitFor('agent listening');
    await new Promise((resolve) => setTimeout(resolve, warmupMs));
    const feed = appKeys(APP).feed;
    const before = await client.xLen(feed);
    const startupPeakMb = procUsage(agent.pid).peakRssBytes / 2 ** 20;
    const exact = resetPeakRss(agent.pid);
    ctx.log(`agent: sampling for ${windowMs / 1000} s`);
    const usage = await sampleUsage(agent.pid, windowMs, 1_000);
    const heartbeats = (await client.xLen(feed)) - before;
    const sampledMax = Math.max(...usage.rssMb);
    const windowPeakMb = exact ? procUsage(agent.pid).peakRssBytes / 2 ** 20 : sampledMax;
    return {
      windowMs: usage.wallMs,
      warmupMs,
      intervalMs: INTERVAL_MS,
      heartbeats,
      cpuMs: usage.cpuMs,
      cpuShare: usage.cpuShare,
      cpuPerHeartbeatMs: usage.cpuMs / Math.max(1, heartbeats),
      rssMedianMb: median(usage.rssMb),
      rssSampledMaxMb: sampledMax,
      rssMaxMb: Math.max(sampledMax, windowPeakMb),
      rssMaxExact: exact,
      rssStartupPeakMb: startupPeakMb,
      method:
        `node dist/agent/main.js with REDIS_URL and AGGREGATOR_URL (HTTP fallback, unused), a heartbeat every ${INTERVAL_MS} ms; ` +
        `after ${warmupMs / 1000} s of warm-up, /proc/<pid> read every second for ${windowMs / 1000} s: RSS (VmRSS; the ` +
        "window's maximum is the kernel's peak VmHWM, reset through /proc/<pid>/clear_refs at the window's start), CPU " +
        '(utime + stime over the window, everything the process did: heartbeats, stats sampling, timers, GC) divided ' +
        'by the heartbeats that reached the feed. The startup peak (VmHWM before the reset) is shown apart.',
    };
  } finally {
    await agent.stop();
    await client.close();
  }
}

/** How the RSS maximum was read, for a measured text. */
export function describeAgentRss(m: AgentMeasurement): string {
  return (
    `${round(m.rssMaxMb, 1)} MB max over the window (${m.rssMaxExact ? "VmHWM since the window's start" : 'samples every 1 s'}), ` +
    `${round(m.rssMedianMb, 1)} MB median (startup peak ${round(m.rssStartupPeakMb, 1)} MB)`
  );
}

export const agentSuite: Suite = {
  name: 'agent',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const m = await measureAgent(ctx);
    return {
      name: 'agent',
      title: 'Agent cost: RSS and CPU per heartbeat',
      method: m.method,
      rows: [
        {
          window_s: round(m.windowMs / 1000, 1),
          heartbeats: m.heartbeats,
          rss_median_mb: round(m.rssMedianMb, 1),
          rss_max_mb: round(m.rssMaxMb, 1),
          rss_startup_peak_mb: round(m.rssStartupPeakMb, 1),
          cpu_ms_total: round(m.cpuMs, 0),
          cpu_ms_per_heartbeat: round(m.cpuPerHeartbeatMs, 2),
          cpu_share: round(m.cpuShare, 4),
        },
      ],
      targets: [
        {
          target: 'agent RSS ≤ 60 MB (the maximum over the window)',
          measured: describeAgentRss(m),
          met: m.rssMaxMb <= 60,
        },
        {
          target: 'agent CPU ≤ 2 ms per heartbeat',
          measured: `${round(m.cpuPerHeartbeatMs, 2)} ms`,
          met: m.cpuPerHeartbeatMs <= 2,
        },
      ],
    };
  },
};
