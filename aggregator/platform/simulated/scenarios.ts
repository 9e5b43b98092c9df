/**
 * The simulated App Platform's scenarios: each a named, pure description of an app (spec,
 * deployments, running instances, what the health endpoint claims, how the API misbehaves).
 * Ids and instance names derive from the scenario, so a scenario always looks the same; the
 * demo reads `scenarioAgents()` to start one agent per instance.
 */
import { instanceName, templateHash, uuidFromSeed } from './ids';

export const SCENARIO_NAMES = [
  'steady',
  'orphans-356',
  'rollout-in-progress',
  'rollout-stuck',
  'dashboard-overcount',
  'rate-limited',
  'server-errors',
  'slow',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface ScenarioComponent {
  readonly name: string;
  readonly kind: 'service' | 'worker' | 'job' | 'static_site';
  /** Services and workers; omitted means the API's default, 1. */
  readonly instanceCount?: number;
  readonly autoscaling?: { readonly min: number; readonly max: number };
}

export interface ScenarioDeployment {
  /** A short name within the scenario (`D1`); the UUID is derived from it. */
  readonly key: string;
  readonly phase: 'ACTIVE' | 'SUPERSEDED' | 'DEPLOYING' | 'ERROR' | 'CANCELED';
  readonly cause: string;
  /** Created this long before the simulation starts. */
  readonly ageMs: number;
  readonly stepsDone: number;
  readonly stepsTotal: number;
  /** In progress only: false when its steps never move (a stuck rollout). */
  readonly moving?: boolean;
}

/** A group of running instances of one component from one deployment. */
export interface ScenarioInstances {
  readonly component: string;
  /** The key of the deployment that started them. */
  readonly deployment: string;
  readonly count: number;
  /** Counted as ready by the health endpoint. */
  readonly ready: boolean;
  /** Its backend answers its own health probe (what its agent reports). */
  readonly serving: boolean;
}

export type FaultKind = 'rate_limit' | 'server_error' | 'slow';

/** How the API misbehaves. */
export interface FaultSpec {
  readonly kind: FaultKind;
  /** Requests answered normally first: one full refresh is four, so a client gets a good view. */
  readonly afterRequests: number;
  /** Then every n-th request is faulty; 1 = all of them. */
  readonly every: number;
  /** rate_limit: seconds until the limit resets (Retry-After and ratelimit-reset). */
  readonly retryAfterSeconds: number;
  /** slow: how long each answer is held back; past the client's 10 s timeout by default. */
  readonly delayMs: number;
}

export interface Scenario {
  readonly name: ScenarioName;
  readonly summary: string;
  /** The spec's app name. */
  readonly appName: string;
  readonly components: readonly ScenarioComponent[];
  /** Oldest first. */
  readonly deployments: readonly ScenarioDeployment[];
  /** Key of the active deployment. */
  readonly active: string;
  /** Key of the deployment in progress, if any. */
  readonly inProgress: string | null;
  readonly instances: readonly ScenarioInstances[];
  /** Where the health endpoint's replicas_ready is wrong (a display bug): component → count. */
  readonly reportedReady?: Readonly<Record<string, number>>;
  readonly fault?: FaultSpec;
}

/** What an agent-spawning demo needs to start one agent per running instance. */
export interface SimulatedAgent {
  /** The instance name, `<component>-<hash>-<suffix>`: the agent's AGENT_INSTANCE_ID. */
  readonly instanceId: string;
  readonly component: string;
  /** The deployment that started it: the agent's DEPLOYMENT_ID. */
  readonly deploymentId: string;
  /** Whether its backend answers the health probe. */
  readonly serving: boolean;
}

/** An instance at the start of a scenario. */
export interface InitialInstance extends SimulatedAgent {
  /** Counted as ready by the health endpoint. */
  readonly ready: boolean;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const backend = (instanceCount: number): ScenarioComponent => ({
  name: 'backend',
  kind: 'service',
  instanceCount,
});

/** The healthy app that the fault scenarios misreport. */
const steady: Scenario = {
  name: 'steady',
  summary: 'backend wants 2 and runs 2, all healthy; a pre-deploy job and a static site run nothing',
  appName: 'replica-demo',
  components: [backend(2), { name: 'migrate', kind: 'job' }, { name: 'docs', kind: 'static_site' }],
  deployments: [
    { key: 'D1', phase: 'SUPERSEDED', cause: 'app created', ageMs: 26 * HOUR, stepsDone: 6, stepsTotal: 6 },
    {
      key: 'D2',
      phase: 'ACTIVE',
      cause: 'commit 3f9a1c2 pushed',
      ageMs: 3 * HOUR,
      stepsDone: 6,
      stepsTotal: 6,
    },
  ],
  active: 'D2',
  inProgress: null,
  instances: [{ component: 'backend', deployment: 'D2', count: 2, ready: true, serving: true }],
};

const faulty = (
  name: ScenarioName,
  summary: string,
  fault: Partial<FaultSpec> & Pick<FaultSpec, 'kind'>,
) => ({
  ...steady,
  name,
  summary,
  fault: { afterRequests: 4, every: 1, retryAfterSeconds: 5, delayMs: 12_000, ...fault },
});

/** The scenarios by name. */
export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  steady,
  'orphans-356': {
    name: 'orphans-356',
    summary:
      'the reported problem: backend wants 2; deployment D2 runs 2, and 4 instances of the older D1 were ' +
      'never terminated (one of them no longer serves); the dashboard shows 6 ready',
    appName: 'replica-demo',
    components: [backend(2)],
    deployments: [
      {
        key: 'D1',
        phase: 'SUPERSEDED',
        cause: 'commit 8be1d07 pushed',
        ageMs: 50 * HOUR,
        stepsDone: 6,
        stepsTotal: 6,
      },
      {
        key: 'D2',
        phase: 'ACTIVE',
        cause: 'commit 3f9a1c2 pushed',
        ageMs: 20 * HOUR,
        stepsDone: 6,
        stepsTotal: 6,
      },
    ],
    active: 'D2',
    inProgress: null,
    instances: [
      { component: 'backend', deployment: 'D2', count: 2, ready: true, serving: true },
      { component: 'backend', deployment: 'D1', count: 3, ready: true, serving: true },
      { component: 'backend', deployment: 'D1', count: 1, ready: true, serving: false },
    ],
  },
  'rollout-in-progress': {
    name: 'rollout-in-progress',
    summary: 'D2 is deploying and moving: a surge instance of D2 runs beside the 2 of D1 until it completes',
    appName: 'replica-demo',
    components: [backend(2)],
    deployments: [
      {
        key: 'D1',
        phase: 'ACTIVE',
        cause: 'commit 8be1d07 pushed',
        ageMs: 20 * HOUR,
        stepsDone: 6,
        stepsTotal: 6,
      },
      {
        key: 'D2',
        phase: 'DEPLOYING',
        cause: 'commit 3f9a1c2 pushed',
        ageMs: 2 * MINUTE,
        stepsDone: 2,
        stepsTotal: 6,
        moving: true,
      },
    ],
    active: 'D1',
    inProgress: 'D2',
    instances: [
      { component: 'backend', deployment: 'D1', count: 2, ready: true, serving: true },
      { component: 'backend', deployment: 'D2', count: 1, ready: true, serving: true },
    ],
  },
  'rollout-stuck': {
    name: 'rollout-stuck',
    summary: 'D2 has been deploying for 40 minutes without a step: its one new instance never becomes ready',
    appName: 'replica-demo',
    components: [backend(2)],
    deployments: [
      {
        key: 'D1',
        phase: 'ACTIVE',
        cause: 'commit 8be1d07 pushed',
        ageMs: 20 * HOUR,
        stepsDone: 6,
        stepsTotal: 6,
      },
      {
        key: 'D2',
        phase: 'DEPLOYING',
        cause: 'commit 3f9a1c2 pushed',
        ageMs: 40 * MINUTE,
        stepsDone: 3,
        stepsTotal: 6,
        moving: false,
      },
    ],
    active: 'D1',
    inProgress: 'D2',
    instances: [
      { component: 'backend', deployment: 'D1', count: 2, ready: true, serving: true },
      { component: 'backend', deployment: 'D2', count: 1, ready: false, serving: false },
    ],
  },
  'dashboard-overcount': {
    name: 'dashboard-overcount',
    summary:
      'backend wants 2, 2 run and are listed, but the health endpoint (the dashboard) says 6 are ready',
    appName: 'replica-demo',
    components: [backend(2)],
    deployments: [
      {
        key: 'D1',
        phase: 'ACTIVE',
        cause: 'commit 3f9a1c2 pushed',
        ageMs: 20 * HOUR,
        stepsDone: 6,
        stepsTotal: 6,
      },
    ],
    active: 'D1',
    inProgress: null,
    instances: [{ component: 'backend', deployment: 'D1', count: 2, ready: true, serving: true }],
    reportedReady: { backend: 6 },
  },
  'rate-limited': faulty(
    'rate-limited',
    'the steady app behind an API that answers 429 after a first refresh',
    {
      kind: 'rate_limit',
    },
  ),
  'server-errors': faulty(
    'server-errors',
    'the steady app behind an API that answers 500 after a first refresh',
    {
      kind: 'server_error',
    },
  ),
  slow: faulty(
    'slow',
    'the steady app behind an API that answers after the client timeout, after a first refresh',
    {
      kind: 'slow',
    },
  ),
};

/** The app id a scenario runs under unless the caller names one. */
export function scenarioAppId(scenario: Scenario): string {
  return uuidFromSeed(`${scenario.name}/app`);
}

/** The UUID of a scenario deployment. */
export function scenarioDeploymentId(scenario: Scenario, key: string): string {
  return uuidFromSeed(`${scenario.name}/deployment/${key}`);
}

/** The instances running when the scenario starts, in a stable order. */
export function initialInstances(scenario: Scenario): InitialInstance[] {
  const out: InitialInstance[] = [];
  scenario.instances.forEach((group, groupIndex) => {
    const deploymentId = scenarioDeploymentId(scenario, group.deployment);
    const hash = templateHash(deploymentId, group.component);
    for (let i = 0; i < group.count; i++) {
      out.push({
        instanceId: instanceName(group.component, hash, `${scenario.name}/${groupIndex}/${i}`),
        component: group.component,
        deploymentId,
        serving: group.serving,
        ready: group.ready,
      });
    }
  });
  return out;
}

/** One agent per instance running when the scenario starts. */
export function scenarioAgents(name: ScenarioName): SimulatedAgent[] {
  return initialInstances(SCENARIOS[name]).map(({ instanceId, component, deploymentId, serving }) => ({
    instanceId,
    component,
    deploymentId,
    serving,
  }));
}
