/**
 * What the agent costs beside each instance: resident memory and CPU time per heartbeat, read
 * from /proc over a window (a minute; quick: 15 s) after a warm-up, with both transports
 * configured (Redis, and HTTP as the fallback), as in production.
 */
import { readFileSync } from 'node:fs';
import { appKeys } from '../../shared/redis-keys';
import { connectBenchClient, freePort } from '../support/redis-server';
import { sampleUsage, spawnNode } from '../support/processes';
import { median, round } from '../support/stats';
import type { BenchContext, Suite, SuiteResult } from './types';

const APP = 'bench-agent';

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

export const agentSuite: Suite = {
  name: 'agent',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const windowMs = ctx.quick ? 6_000 : 60_000;
    // Long enough for V8's memory reducer to have run once (it gives back the start-up garbage
    // some 8-10 s after start): what is resident after it is what the agent keeps.
    const warmupMs = ctx.quick ? 10_000 : 15_000;
    const intervalMs = 1_000;
    const client = await connectBenchClient(ctx.redis.url);
    // The HTTP fallback is configured but never needed: nothing listens there.
    const deadPort = await freePort();
    const agent = spawnNode('agent/main.js', {
      AGENT_ENABLED: 'true',
      AGENT_APP: APP,
      AGENT_INSTANCE_ID: 'bench-agent-1',
      AGENT_PORT: '0',
      AGENT_INTERVAL_MS: String(intervalMs),
      REDIS_URL: ctx.redis.url,
      AGGREGATOR_URL: `http://127.0.0.1:${deadPort}`,
      LOG_LEVEL: 'info',
    });
    try {
      await agent.waitFor('agent listening');
      await new Promise((resolve) => setTimeout(resolve, warmupMs));
      const feed = appKeys(APP).feed;
      const before = await client.xLen(feed);
      ctx.log(`agent: sampling for ${windowMs / 1000} s`);
      const usage = await sampleUsage(agent.pid, windowMs, 1_000);
      const heartbeats = (await client.xLen(feed)) - before;
      const peak = peakRssMb(agent.pid);
      const cpuPerHeartbeat = usage.cpuMs / Math.max(1, heartbeats);
      const rssMedian = median(usage.rssMb);
      const rssMax = Math.max(...usage.rssMb);
      return {
        name: 'agent',
        title: 'Agent cost: RSS and CPU per heartbeat',
        method:
          `node dist/agent/main.js with REDIS_URL and AGGREGATOR_URL (HTTP fallback, unused), a heartbeat every ${intervalMs} ms; ` +
          `after ${warmupMs / 1000} s of warm-up, /proc/<pid> read every second for ${windowMs / 1000} s: RSS (VmRSS), CPU ` +
          '(utime + stime over the window, everything the process did: heartbeats, stats sampling, timers, GC) divided ' +
          'by the heartbeats that reached the feed. The startup peak (VmHWM) is shown apart.',
        rows: [
          {
            window_s: round(usage.wallMs / 1000, 1),
            heartbeats,
            rss_median_mb: round(rssMedian, 1),
            rss_max_mb: round(rssMax, 1),
            rss_startup_peak_mb: round(peak, 1),
            cpu_ms_total: round(usage.cpuMs, 0),
            cpu_ms_per_heartbeat: round(cpuPerHeartbeat, 2),
            cpu_share: round(usage.cpuShare, 4),
          },
        ],
        targets: [
          {
            target: 'agent RSS ≤ 60 MB (steady state: the median over the window)',
            measured:
              `${round(rssMedian, 1)} MB median, ${round(rssMax, 1)} MB max over the window ` +
              `(startup peak ${round(peak, 1)} MB)`,
            met: rssMedian <= 60,
          },
          {
            target: 'agent CPU ≤ 2 ms per heartbeat',
            measured: `${round(cpuPerHeartbeat, 2)} ms`,
            met: cpuPerHeartbeat <= 2,
          },
        ],
      };
    } finally {
      await agent.stop();
      await client.close();
    }
  },
};
