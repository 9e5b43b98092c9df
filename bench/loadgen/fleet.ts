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

/** The nodes the fleet is spread over (instance i on node i mod 16), named once. */
const NODE_NAMES = Array.from({ length: 16 }, (_, n) => `node-${n}`);

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

/**
 * The wire form of one group's heartbeats (same app, component, deployment, node) cut around what
 * changes from one to the next: `parts[0] + instance_id + parts[1] + boot_id + parts[2] + seq +
 * parts[3] + sent_at + parts[4] + checked_at + parts[5]`. Cut from serializeHeartbeat's own
 * output, so the concatenation is byte for byte what it writes (a test holds it to that).
 */
type JsonTemplate = readonly [string, string, string, string, string, string];

// Stand-ins no heartbeat field holds, each replaced by its field in the template above.
const MARK_ID = '\u0000instance_id\u0000';
const MARK_BOOT = '\u0000boot_id\u0000';
const MARK_SEQ = '\u0000seq\u0000';
const MARK_SENT = '\u0000sent_at\u0000';
const MARK_CHECKED = '\u0000checked_at\u0000';

export class SimulatedFleet {
  readonly instances: readonly SimulatedInstance[];
  /** Per instance: JSON.stringify of its instance_id and boot_id (computed once). */
  private readonly quoted: { readonly id: string; readonly boot: string }[];
  /** Per group key (see jsonTemplate): the unsigned heartbeat's wire form cut around what changes. */
  private readonly templates = new Map<string, JsonTemplate>();
  /** Per instance: its group's template, once looked up (no key built per heartbeat). */
  private readonly templateOf: (JsonTemplate | undefined)[] = [];

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
    this.quoted = list.map((i) => ({ id: JSON.stringify(i.instanceId), boot: JSON.stringify(i.bootId) }));
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
    const unsigned = this.unsigned(instance, index, type, instance.seq++, nowMs, nowMs);
    if (options.secret) {
      const heartbeat = signHeartbeat(unsigned, options.secret);
      return { heartbeat, json: serializeHeartbeat(heartbeat) };
    }
    if (type === 'goodbye') return { heartbeat: unsigned, json: serializeHeartbeat(unsigned) };
    // The hot path of the load generator (tens of thousands a second): the static parts of the
    // JSON are serialized once per group, only the five fields that change are written here.
    const t = this.templateOf[index] ?? (this.templateOf[index] = this.jsonTemplate(instance, index));
    const q = this.quoted[index] as { id: string; boot: string };
    const ms = String(nowMs);
    const json = t[0] + q.id + t[1] + q.boot + t[2] + String(unsigned.seq) + t[3] + ms + t[4] + ms + t[5];
    return { heartbeat: unsigned, json };
  }

  private unsigned(
    instance: SimulatedInstance,
    index: number,
    type: Heartbeat['type'],
    seq: number,
    sentAt: number,
    checkedAt: number,
  ): Heartbeat {
    const { options } = this;
    return {
      v: HEARTBEAT_SCHEMA_VERSION,
      type,
      app: instance.app,
      component: instance.component,
      instance_id: instance.instanceId,
      deployment_id: instance.deploymentId,
      version: '1.0.0',
      region: 'ams3',
      pod_name: null,
      node_name: NODE_NAMES[index % NODE_NAMES.length] as string,
      boot_id: instance.bootId,
      seq,
      sent_at: sentAt,
      started_at: options.startedAtMs,
      interval_ms: options.intervalMs,
      ttl_ms: options.ttlMs,
      serving:
        type === 'goodbye'
          ? null
          : { ok: true, status: 200, latency_ms: 2, error: null, checked_at: checkedAt },
      stats: type === 'goodbye' ? null : STATS,
    };
  }

  /** The heartbeat template of the instance's group, cut once from serializeHeartbeat's output. */
  private jsonTemplate(instance: SimulatedInstance, index: number): JsonTemplate {
    const key = `${instance.app}\n${instance.component}\n${instance.deploymentId}\n${index % NODE_NAMES.length}`;
    let template = this.templates.get(key);
    if (template === undefined) {
      const marked = {
        ...this.unsigned(instance, index, 'heartbeat', 0, 0, 0),
        instance_id: MARK_ID,
        boot_id: MARK_BOOT,
      } as Record<string, unknown>;
      marked.seq = MARK_SEQ;
      marked.sent_at = MARK_SENT;
      marked.serving = { ...(marked.serving as object), checked_at: MARK_CHECKED };
      let rest = serializeHeartbeat(marked as unknown as Heartbeat);
      const parts: string[] = [];
      for (const mark of [MARK_ID, MARK_BOOT, MARK_SEQ, MARK_SENT, MARK_CHECKED]) {
        const quoted = JSON.stringify(mark);
        const at = rest.indexOf(quoted);
        // The marks are strings where numbers go: a number field is unquoted in the template.
        if (at < 0 || rest.indexOf(quoted, at + 1) >= 0)
          throw new Error(`cannot cut the heartbeat JSON at ${mark}`);
        parts.push(rest.slice(0, at));
        rest = rest.slice(at + quoted.length);
      }
      parts.push(rest);
      template = parts as unknown as JsonTemplate;
      this.templates.set(key, template);
    }
    return template;
  }
}
