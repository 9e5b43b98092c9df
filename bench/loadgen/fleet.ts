/**
 * A simulated fleet: N instances spread over a few components and deployments, each with the
 * identity, boot id and sequence numbers a real agent has, producing heartbeats in the
 * project's own wire format (shared/heartbeat.ts). Deterministic for a given size, so two runs
 * (or a writer and a checker) agree on every instance id.
 */
import type { Heartbeat, SystemStats } from '../../shared/heartbeat';
import { HEARTBEAT_SCHEMA_VERSION, serializeHeartbeat } from '../../shared/heartbeat';
import { signHeartbeat } from '../../shared/signature';

export interface FleetOptions {
  readonly instances: number;
  readonly app: string;
  /**
   * Spread the fleet over this many apps, `<app>-0` … `<app>-<apps-1>` (fleetApps): instance i
   * belongs to app i mod apps. Default 1: every instance in `app` itself.
   */
  readonly apps?: number;
  /** Component names; instances are dealt to them in turn. */
  readonly components: readonly string[];
  /**
   * Deployments of the app, oldest first. The newest is active; each older one keeps
   * `oldShare` of the instances (orphans, as a rollout that left some behind would).
   */
  readonly deployments: number;
  readonly oldShare: number;
  readonly intervalMs: number;
  readonly ttlMs: number;
  /** When the simulated agents started (ms). */
  readonly startedAtMs: number;
  /** HEARTBEAT_SECRET: every heartbeat is signed with it when set. */
  readonly secret?: string | null;
  /** Distinguishes the boots of two runs over the same ids (a restarted fleet). */
  readonly bootTag?: string;
  /**
   * This process's share of the fleet when several write it together: the instances whose
   * index modulo `count` is `index`. The ids are those of the whole fleet either way.
   */
  readonly shard?: { readonly index: number; readonly count: number };
}

/** One simulated agent. `seq` grows with every heartbeat written for it. */
export interface SimulatedInstance {
  /** The app it heartbeats for. */
  readonly app: string;
  readonly instanceId: string;
  readonly component: string;
  readonly deploymentId: string;
  readonly bootId: string;
  seq: number;
}

// The Kubernetes "safe" alphabet App Platform names are written in (see platform/instance-name.ts),
// so the aggregator reads each name's template hash as its generation, as it would in production.
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

function safeWord(value: number, length: number): string {
  let text = '';
  let rest = value;
  for (let i = 0; i < length; i++) {
    text = (SAFE[rest % SAFE.length] as string) + text;
    rest = Math.floor(rest / SAFE.length);
  }
  return text;
}

/** The apps a fleet of `apps` apps named after `app` heartbeats for (FleetOptions.apps). */
export function fleetApps(app: string, apps = 1): string[] {
  return apps <= 1 ? [app] : Array.from({ length: apps }, (_, k) => `${app}-${k}`);
}

/** The deployment id of deployment `index` (0 = oldest). */
export function deploymentId(index: number): string {
  return `loadgen-dep-${index + 1}`;
}

/** Stats that look like a small container's; the same object serves every heartbeat. */
const STATS: SystemStats = {
  cpu_count: 2,
  cpu_usage: 0.12,
  load_avg: [0.42, 0.38, 0.35],
  mem_total_bytes: 1_073_741_824,
  mem_free_bytes: 536_870_912,
  rss_bytes: 83_886_080,
  heap_used_bytes: 25_165_824,
  disk_total_bytes: 10_737_418_240,
  disk_free_bytes: 5_368_709_120,
  host_uptime_s: 86_400,
  process_uptime_s: 3_600,
  platform: 'linux',
  node_version: 'v20.19.0',
};

export class SimulatedFleet {
  readonly instances: readonly SimulatedInstance[];

  constructor(private readonly options: FleetOptions) {
    if (!Number.isInteger(options.instances) || options.instances < 1)
      throw new Error('instances must be ≥ 1');
    if (options.components.length === 0) throw new Error('at least one component is needed');
    const deployments = Math.max(1, options.deployments);
    const oldDeployments = deployments - 1;
    const perOld = Math.floor(options.instances * options.oldShare);
    const bootTag = options.bootTag ?? 'boot';
    const shard = options.shard ?? { index: 0, count: 1 };
    const list: SimulatedInstance[] = [];
    const apps = fleetApps(options.app, options.apps);
    for (let i = shard.index; i < options.instances; i += shard.count) {
      const component = options.components[i % options.components.length] as string;
      // The first perOld × oldDeployments instances stay on the older deployments.
      const oldIndex = perOld > 0 ? Math.floor(i / perOld) : oldDeployments;
      const deployment = oldIndex < oldDeployments ? oldIndex : oldDeployments;
      const hash = safeWord(7_919 * (deployment + 1) + component.length * 104_729, 8);
      list.push({
        app: apps[i % apps.length] as string,
        instanceId: `${component}-${hash}-${safeWord(i, 5)}`,
        component,
        deploymentId: deploymentId(deployment),
        bootId: `${bootTag}-${i}`,
        seq: 0,
      });
    }
    this.instances = list;
  }

  get size(): number {
    return this.instances.length;
  }

  /** The next heartbeat of instance `index`, sent at `nowMs`, and its wire form. */
  heartbeat(index: number, nowMs: number): { heartbeat: Heartbeat; json: string } {
    return this.build(index, 'heartbeat', nowMs);
  }

  /** The goodbye of instance `index` (its next seq). */
  goodbye(index: number, nowMs: number): { heartbeat: Heartbeat; json: string } {
    return this.build(index, 'goodbye', nowMs);
  }

  private build(
    index: number,
    type: Heartbeat['type'],
    nowMs: number,
  ): { heartbeat: Heartbeat; json: string } {
    const instance = this.instances[index];
    if (instance === undefined) throw new Error(`no instance ${index}`);
    const { options } = this;
    const unsigned: Heartbeat = {
      v: HEARTBEAT_SCHEMA_VERSION,
      type,
      app: instance.app,
      component: instance.component,
      instance_id: instance.instanceId,
      deployment_id: instance.deploymentId,
      version: '1.0.0',
      region: 'ams3',
      pod_name: null,
      node_name: `node-${index % 16}`,
      boot_id: instance.bootId,
      seq: instance.seq++,
      sent_at: nowMs,
      started_at: options.startedAtMs,
      interval_ms: options.intervalMs,
      ttl_ms: options.ttlMs,
      serving:
        type === 'goodbye' ? null : { ok: true, status: 200, latency_ms: 2, error: null, checked_at: nowMs },
      stats: type === 'goodbye' ? null : STATS,
    };
    const heartbeat = options.secret ? signHeartbeat(unsigned, options.secret) : unsigned;
    return { heartbeat, json: serializeHeartbeat(heartbeat) };
  }
}
