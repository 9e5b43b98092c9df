/**
 * The live state of one simulated app: spec, deployments and running instances, changed by the
 * API's actions and by time. Time is read from the injected clock on every call and the state
 * catches up lazily, so nothing runs between requests and a fake clock drives it exactly.
 *
 * A deployment started by an action (restart, new deployment, spec update) is in progress for
 * `transitionDelayMs`; when it completes it becomes the active one and the components it rolls
 * get fresh instances of it: every old instance of such a component ends, orphans included.
 * Components it does not roll are carried over into it with their instances unchanged. A
 * deployment queued behind the one in progress (a scenario's `pending`) starts when that one
 * completes; a new action cancels both.
 */
import type { Clock } from '../../../shared/clock';
import { systemClock } from '../../../shared/clock';
import { instanceName, templateHash, uuidFromSeed } from './ids';
import type { AccessKind, FaultSpec, Scenario, SimulatedAgent, StepFailure } from './scenarios';
import { initialInstances, scenarioAppId, scenarioDeploymentId } from './scenarios';
import type { AppSpecJson } from './spec';
import { componentNames, normalizeSpec, runningComponents, scenarioSpec } from './spec';
import { RequestLedger } from './request-ledger';
import { stepCount } from './steps';

export type DeploymentPhase = 'PENDING_BUILD' | 'DEPLOYING' | 'ACTIVE' | 'SUPERSEDED' | 'ERROR' | 'CANCELED';

export interface DeploymentRecord {
  readonly id: string;
  readonly cause: string;
  readonly phase: DeploymentPhase;
  /** Why its first unfinished step failed; null when none failed. */
  readonly failure: StepFailure | null;
  readonly createdAtMs: number;
  /** When the phase or the steps last changed. */
  readonly updatedAtMs: number;
  readonly stepsDone: number;
  readonly stepsTotal: number;
  /** The spec it deploys. */
  readonly spec: AppSpecJson;
}

export interface InstanceRecord {
  readonly name: string;
  readonly component: string;
  readonly type: 'SERVICE' | 'WORKER';
  /** The deployment it belongs to now (carried-over instances move to the new deployment). */
  readonly deploymentId: string;
  /** The deployment whose template started it: what its agent's DEPLOYMENT_ID says. */
  readonly startedBy: string;
  readonly ready: boolean;
  readonly serving: boolean;
}

/** A consistent, read-only copy of the state at one moment. */
export interface AppSnapshot {
  readonly appId: string;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly spec: AppSpecJson;
  /** Oldest first. */
  readonly deployments: readonly DeploymentRecord[];
  readonly activeId: string | null;
  readonly inProgressId: string | null;
  /** The deployment queued behind the one in progress. */
  readonly pendingId: string | null;
  readonly instances: readonly InstanceRecord[];
  /** Component → the replicas_ready the health endpoint claims instead of the truth. */
  readonly reportedReady: Readonly<Record<string, number>>;
}

/** An API error the server turns into a DigitalOcean error response. */
export class SimulatedApiError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
  ) {
    super(message);
    this.name = 'SimulatedApiError';
  }
}

export interface SimulatedAppOptions {
  /** Default: derived from the scenario. */
  readonly appId?: string;
  readonly clock?: Clock;
  /** How long a restart, a new deployment or a spec update takes to complete. */
  readonly transitionDelayMs?: number;
  /** Time between two steps of a moving scenario rollout (rollout-in-progress). */
  readonly rolloutStepMs?: number;
  /** Overrides the scenario's fault; null for none. */
  readonly fault?: FaultSpec | null;
  /** Overrides the scenario's access. */
  readonly access?: AccessKind;
  /**
   * What its deployment ids and instance names derive from; default the scenario's name. A
   * second app of one scenario in an account takes another, so that its ids are its own.
   */
  readonly seed?: string;
}

export const SIMULATED_APP_DEFAULTS = Object.freeze({ transitionDelayMs: 3_000, rolloutStepMs: 5_000 });

const MINUTE = 60_000;

type MutableDeployment = { -readonly [K in keyof DeploymentRecord]: DeploymentRecord[K] };

/** How the deployment in progress moves: its remaining steps spread evenly over `durationMs`. */
interface Progress {
  readonly fromMs: number;
  readonly fromSteps: number;
  /** Time for all remaining steps; null: never moves (stuck). */
  readonly durationMs: number | null;
  /** Components its completion rolls; null: all. */
  readonly rolls: readonly string[] | null;
}

/** The state of one simulated app. Not pure (it holds state), but every time comes from the clock. */
export class SimulatedAppState {
  readonly appId: string;
  readonly scenario: Scenario;
  private readonly clock: Clock;
  private readonly transitionDelayMs: number;
  private readonly rolloutStepMs: number;
  private spec: AppSpecJson;
  private readonly createdAtMs: number;
  private updatedAtMs: number;
  private readonly deployments: MutableDeployment[] = [];
  private activeId: string | null;
  private inProgressId: string | null;
  private pendingId: string | null;
  private progress: Progress | null = null;
  private instances: InstanceRecord[];
  private serial = 0;
  private currentAccess: AccessKind;
  private readonly requests: RequestLedger;

  constructor(scenario: Scenario, options: SimulatedAppOptions = {}) {
    this.scenario = scenario;
    this.clock = options.clock ?? systemClock;
    this.transitionDelayMs = options.transitionDelayMs ?? SIMULATED_APP_DEFAULTS.transitionDelayMs;
    this.rolloutStepMs = options.rolloutStepMs ?? SIMULATED_APP_DEFAULTS.rolloutStepMs;
    this.appId = options.appId ?? scenarioAppId(scenario);
    this.requests = new RequestLedger(options.fault === undefined ? (scenario.fault ?? null) : options.fault);
    const seed = options.seed ?? scenario.name;
    this.currentAccess = options.access ?? scenario.access ?? 'read_write';
    const now = this.clock.now();
    this.spec = scenarioSpec(scenario);
    const oldest = Math.max(0, ...scenario.deployments.map((d) => d.ageMs));
    this.createdAtMs = now - oldest - MINUTE;
    this.updatedAtMs = now - Math.min(oldest, ...scenario.deployments.map((d) => d.ageMs));
    for (const d of scenario.deployments) {
      const createdAtMs = now - d.ageMs;
      const inProgress = d.key === scenario.inProgress;
      this.deployments.push({
        id: scenarioDeploymentId(scenario, d.key, seed),
        cause: d.cause,
        phase: d.phase,
        failure: d.failure ?? null,
        createdAtMs,
        // A moving rollout takes its next step one interval after the start; finished and stuck
        // ones last changed a few minutes after they were created.
        updatedAtMs: inProgress && d.moving ? now : createdAtMs + Math.min(d.ageMs, 3 * MINUTE),
        stepsDone: d.stepsDone,
        stepsTotal: d.stepsTotal,
        spec: this.spec,
      });
      if (inProgress) {
        this.progress = {
          fromMs: now,
          fromSteps: d.stepsDone,
          durationMs: d.moving ? this.rolloutStepMs * (d.stepsTotal - d.stepsDone) : null,
          rolls: null,
        };
      }
    }
    const idOf = (key: string | null | undefined) => (key ? scenarioDeploymentId(scenario, key, seed) : null);
    this.activeId = idOf(scenario.active);
    this.inProgressId = idOf(scenario.inProgress);
    this.pendingId = idOf(scenario.pending);
    const types = new Map(runningComponents(this.spec).map((c) => [c.name, c.type]));
    this.instances = initialInstances(scenario, seed).map((i) => ({
      name: i.instanceId,
      component: i.component,
      type: types.get(i.component) ?? 'SERVICE',
      deploymentId: i.deploymentId,
      startedBy: i.deploymentId,
      ready: i.ready,
      serving: i.serving,
    }));
  }

  /** The state now. */
  snapshot(): AppSnapshot {
    this.advance(this.clock.now());
    return structuredClone({
      appId: this.appId,
      createdAtMs: this.createdAtMs,
      updatedAtMs: this.updatedAtMs,
      spec: this.spec,
      deployments: this.deployments,
      activeId: this.activeId,
      inProgressId: this.inProgressId,
      pendingId: this.pendingId,
      instances: this.instances,
      reportedReady: this.scenario.reportedReady ?? {},
    });
  }

  /** One agent per running instance now, for a demo that keeps its agents in step. */
  agents(): SimulatedAgent[] {
    return this.snapshot().instances.map((i) => ({
      instanceId: i.name,
      component: i.component,
      deploymentId: i.startedBy,
      serving: i.serving,
    }));
  }

  /** POST /restart: a rolling restart of the named components (all when empty). */
  restart(components: readonly string[]): DeploymentRecord {
    this.advance(this.clock.now());
    const known = new Set(runningComponents(this.spec).map((c) => c.name));
    const unknown = components.filter((c) => !known.has(c));
    if (unknown.length > 0) {
      throw new SimulatedApiError(400, 'bad_request', `no service or worker named ${unknown.join(', ')}`);
    }
    return this.startDeployment('manual restart', components.length > 0 ? [...components] : null);
  }

  /** POST /deployments: a new deployment of the current spec. */
  createDeployment(forceBuild: boolean): DeploymentRecord {
    this.advance(this.clock.now());
    return this.startDeployment(forceBuild ? 'manual deployment (force build)' : 'manual deployment', null);
  }

  /**
   * PUT /v2/apps/{id}: takes the whole spec; what it leaves out is deleted when it deploys.
   * Returns the deployment it started.
   */
  updateSpec(raw: unknown): DeploymentRecord {
    const now = this.clock.now();
    this.advance(now);
    const spec = normalizeSpec(raw, this.spec.region);
    if (typeof spec === 'string') throw new SimulatedApiError(422, 'unprocessable_entity', spec);
    this.spec = spec;
    this.updatedAtMs = now;
    return this.startDeployment('app spec updated', null);
  }

  /** The spec's app name now (an update may rename the app). */
  appName(): string {
    return this.spec.name;
  }

  /** Changes how the API misbehaves from the next request on; null for not at all. */
  setFault(fault: FaultSpec | null): void {
    this.requests.setFault(fault);
  }

  /** How the API treats the caller's token and app id now. */
  access(): AccessKind {
    return this.currentAccess;
  }

  /** Changes it from the next request on (a token revoked, a scope granted). */
  setAccess(access: AccessKind): void {
    this.currentAccess = access;
  }

  /**
   * Counts an authorised request and says which fault, if any, it gets: the first
   * `afterRequests` are answered normally, then every `every`-th.
   */
  admit(route: string): FaultSpec | null {
    return this.requests.admit(route);
  }

  /** Authorised requests about this app so far, to one route (e.g. `GET /v2/apps/{id}`) or all. */
  requestCount(route?: string): number {
    return this.requests.requestCount(route);
  }

  private startDeployment(cause: string, rolls: string[] | null): DeploymentRecord {
    const now = this.clock.now();
    // A new deployment supersedes the one still in progress and the one queued, as on the real
    // platform.
    for (const id of [this.inProgressId, this.pendingId]) {
      const previous = id ? this.find(id) : null;
      if (previous) {
        previous.phase = 'CANCELED';
        previous.updatedAtMs = now;
      }
    }
    this.pendingId = null;
    const deployment: MutableDeployment = {
      id: uuidFromSeed(`${this.appId}/deployment/${this.deployments.length}/${now}`),
      cause,
      phase: 'DEPLOYING',
      failure: null,
      createdAtMs: now,
      updatedAtMs: now,
      stepsDone: 0,
      stepsTotal: stepCount(this.spec),
      spec: this.spec,
    };
    this.deployments.push(deployment);
    this.inProgressId = deployment.id;
    this.progress = { fromMs: now, fromSteps: 0, durationMs: this.transitionDelayMs, rolls };
    this.advance(now);
    return { ...deployment };
  }

  /** Applies the steps (and the completions, a queued deployment's included) that are due by `now`. */
  private advance(now: number): void {
    for (;;) {
      const deployment = this.inProgressId ? this.find(this.inProgressId) : null;
      const progress = this.progress;
      if (!deployment || !progress || progress.durationMs === null) return;
      const left = deployment.stepsTotal - progress.fromSteps;
      const elapsed = now - progress.fromMs;
      // Whole steps done by now, in integer arithmetic so a step is never lost to rounding.
      const steps =
        progress.durationMs <= 0 ? left : Math.min(left, Math.floor((elapsed * left) / progress.durationMs));
      if (progress.fromSteps + steps > deployment.stepsDone) {
        deployment.stepsDone = progress.fromSteps + steps;
        deployment.updatedAtMs =
          progress.fromMs + Math.ceil((steps * progress.durationMs) / Math.max(1, left));
      }
      if (deployment.stepsDone < deployment.stepsTotal) return;
      this.complete(deployment, progress.rolls);
    }
  }

  /** The queued deployment starts where the one before it completed, at the scenario's step pace. */
  private startPending(atMs: number): void {
    const pending = this.pendingId ? this.find(this.pendingId) : null;
    this.pendingId = null;
    if (!pending) return;
    pending.phase = 'DEPLOYING';
    pending.updatedAtMs = atMs;
    this.inProgressId = pending.id;
    this.progress = {
      fromMs: atMs,
      fromSteps: pending.stepsDone,
      durationMs: this.rolloutStepMs * (pending.stepsTotal - pending.stepsDone),
      rolls: null,
    };
  }

  private complete(deployment: MutableDeployment, rolls: readonly string[] | null): void {
    const previous = this.activeId ? this.find(this.activeId) : null;
    if (previous) {
      previous.phase = 'SUPERSEDED';
      previous.updatedAtMs = deployment.updatedAtMs;
    }
    deployment.phase = 'ACTIVE';
    this.activeId = deployment.id;
    this.inProgressId = null;
    this.progress = null;

    const running = runningComponents(this.spec);
    const inSpec = new Set(componentNames(this.spec));
    const rolled = new Set(rolls ?? running.map((c) => c.name));
    const kept = this.instances
      // A component deleted from the spec loses its instances when the spec deploys.
      .filter((i) => inSpec.has(i.component) && !rolled.has(i.component))
      .map((i) => (i.deploymentId === previous?.id ? { ...i, deploymentId: deployment.id } : i));
    const fresh = running
      .filter((c) => rolled.has(c.name))
      .flatMap((c) => {
        const hash = templateHash(deployment.id, c.name);
        return Array.from({ length: c.desired }, () => ({
          name: instanceName(c.name, hash, `${this.appId}/${deployment.id}/${this.serial++}`),
          component: c.name,
          type: c.type,
          deploymentId: deployment.id,
          startedBy: deployment.id,
          ready: true,
          serving: true,
        }));
      });
    this.instances = [...kept, ...fresh];
    this.startPending(deployment.updatedAtMs);
  }

  private find(id: string): MutableDeployment | null {
    return this.deployments.find((d) => d.id === id) ?? null;
  }
}
