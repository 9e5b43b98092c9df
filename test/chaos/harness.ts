/**
 * What the chaos scenarios share (the webhook receiver and the Redis are test/support's): a
 * fleet of real agent processes, an aggregator process, and a sampler that reads the report in
 * the background so that a scenario can check every report served during a fault, not only the
 * last one.
 */
import { killAll, spawnBuilt, type SpawnedProcess } from '../support/spawn';

/** The parts of the report the scenarios read. */
export interface ReportView {
  readonly generated_at: string;
  readonly degraded: boolean;
  readonly summary: {
    readonly configured_replicas: number;
    readonly active_instances: number;
    readonly discrepancy: boolean;
    readonly do_api_status: string;
    readonly platform_data_age_ms: number | null;
  };
  readonly components: readonly {
    readonly name: string;
    readonly desired: number | null;
    readonly live: number;
    readonly platform_ready: number | null;
    readonly platform_instances: number | null;
    readonly verdict: string;
    readonly findings: readonly {
      readonly code: string;
      readonly severity: string;
      readonly message: string;
    }[];
  }[];
  readonly instances?: readonly { readonly instance_id: string; readonly state: string }[];
}

/** GET /api/v1/monitoring/replicas; throws on anything but 200 (waitFor retries). */
export async function reportOf(baseUrl: string, withInstances = false): Promise<ReportView> {
  const res = await fetch(`${baseUrl}/api/v1/monitoring/replicas${withInstances ? '' : '?instances=false'}`);
  if (res.status !== 200) throw new Error(`report: HTTP ${res.status}`);
  return (await res.json()) as ReportView;
}

/** Every finding code of a report, `component:CODE`, sorted. */
export function findingCodes(report: ReportView): string[] {
  return report.components.flatMap((c) => c.findings.map((f) => `${c.name}:${f.code}`)).sort();
}

/** Reads the report every `everyMs` in the background until stopped. */
export function startSampler(
  baseUrl: string,
  everyMs = 200,
): { samples: ReportView[]; errors: string[]; stop(): Promise<void> } {
  const samples: ReportView[] = [];
  const errors: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        samples.push(await reportOf(baseUrl));
      } catch (err) {
        errors.push(String(err));
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    samples,
    errors,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** The aggregator process, started and listening. */
export interface AggregatorProcess {
  readonly process: SpawnedProcess;
  readonly url: string;
}

export async function startAggregatorProcess(env: Record<string, string>): Promise<AggregatorProcess> {
  const process = spawnBuilt('aggregator/main.js', { PORT: '0', HOST: '127.0.0.1', ...env });
  const line = await process.waitForLine((l) => l.message === 'aggregator listening', 30_000);
  return { process, url: `http://127.0.0.1:${String(line.port)}` };
}

/** Agent processes by instance id; every one ever started is kept for the final cleanup. */
export class AgentFleet {
  private readonly running = new Map<string, SpawnedProcess>();
  private readonly all: SpawnedProcess[] = [];

  constructor(private readonly baseEnv: Record<string, string>) {}

  /** Starts one agent (AGENT_PORT=0); resolves once it listens, with its port. */
  async start(
    instanceId: string,
    env: Record<string, string> = {},
  ): Promise<{ process: SpawnedProcess; port: number }> {
    const process = spawnBuilt('agent/main.js', {
      AGENT_ENABLED: 'true',
      AGENT_PORT: '0',
      AGENT_HOST: '127.0.0.1',
      ...this.baseEnv,
      AGENT_INSTANCE_ID: instanceId,
      ...env,
    });
    this.running.set(instanceId, process);
    this.all.push(process);
    const line = await process.waitForLine((l) => l.message === 'agent listening', 30_000);
    return { process, port: Number(line.port) };
  }

  async startMany(ids: readonly string[], env: Record<string, string> = {}): Promise<void> {
    await Promise.all(ids.map((id) => this.start(id, env)));
  }

  /** Sends a signal and waits for the exit; resolves with the exit code or signal. */
  async signal(instanceId: string, signal: NodeJS.Signals): Promise<number | string> {
    const process = this.running.get(instanceId);
    if (!process) throw new Error(`no running agent ${instanceId}`);
    this.running.delete(instanceId);
    return process.signal(signal);
  }

  ids(): string[] {
    return [...this.running.keys()].sort();
  }

  get(instanceId: string): SpawnedProcess | undefined {
    return this.running.get(instanceId);
  }

  /** Whether every agent started and not yet signalled still runs. */
  allAlive(): boolean {
    return [...this.running.values()].every((p) => p.child.exitCode === null && p.child.signalCode === null);
  }

  async killAll(): Promise<void> {
    this.running.clear();
    await killAll(this.all);
  }
}

/** Whether a spawned process is still running. */
export function alive(process: SpawnedProcess): boolean {
  return process.child.exitCode === null && process.child.signalCode === null;
}
