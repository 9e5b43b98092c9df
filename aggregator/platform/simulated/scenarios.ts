/**
 * The simulated App Platform's scenarios: each a named, pure description of an app (spec,
 * deployments, running instances, what the health endpoint claims, how the API misbehaves,
 * what the caller's token may do).
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
  'deployment-failed',
  'rollout-failing',
  'deployment-pending',
  'none-ready',
  'token-invalid',
  'token-read-only',
  'app-not-found',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface ScenarioComponent {
  readonly name: string;
  readonly kind: 'service' | 'worker' | 'job' | 'static_site';
  /** Services and workers; omitted means the API's default, 1. */
  readonly instanceCount?: number;
  readonly autoscaling?: { readonly min: number; readonly max: number };
  /**
   * Services, workers and jobs: the spec's `instance_size_slug`, one of INSTANCE_SIZES (what an
   * instance costs); default DEFAULT_INSTANCE_SIZE_SLUG, apps-s-1vcpu-0.5gb.
   */
  readonly instanceSizeSlug?: string;
}

/** The `reason` of a failed progress step. */
export interface StepFailure {
  readonly code: string;
  readonly message: string;
}

export interface ScenarioDeployment {
  /** A short name within the scenario (`D1`); the UUID is derived from it. */
  readonly key: string;
  readonly phase: 'PENDING_BUILD' | 'ACTIVE' | 'SUPERSEDED' | 'DEPLOYING' | 'ERROR' | 'CANCELED';
  readonly cause: string;
  /** Created this long before the simulation starts. */
  readonly ageMs: number;
  readonly stepsDone: number;
  readonly stepsTotal: number;
  /** In progress only: false when its steps never move (a stuck rollout). */
  readonly moving?: boolean;
  /** Its step after the `stepsDone` ones failed, for this reason (an ERROR deployment, a failing rollout). */
  readonly failure?: StepFailure;
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

/**
 * What the API lets the caller do with an app, whatever Bearer token it sends. read_write:
 * everything; read_only: reads, and 403 on every write (POST restart, POST deployments, PUT app),
 * like a token without write scope; token_rejected: 401 on every call about the app, like a
 * wrong or revoked token (on the account's own routes too when every app of the account rejects
 * it); app_not_found: 404 on every call about the app, like a DO_APP_ID that names no app, yet
 * GET /v2/apps lists it, like an app deleted right after the listing.
 */
export type AccessKind = 'read_write' | 'read_only' | 'token_rejected' | 'app_not_found';

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
  /** Key of a deployment queued behind the one in progress (`pending_deployment`); it starts when that one completes. */
  readonly pending?: string | null;
  readonly instances: readonly ScenarioInstances[];
  /** Where the health endpoint's replicas_ready is wrong (a display bug): component → count. */
  readonly reportedReady?: Readonly<Record<string, number>>;
  readonly fault?: FaultSpec;
  /** Default read_write. */
  readonly access?: AccessKind;
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

/** The steady app, seen with a token or an app id that does not give full access. */
const restricted = (name: ScenarioName, summary: string, access: AccessKind): Scenario => ({
  ...steady,
  name,
  summary,
  access,
});

/** The active deployment of the rollout scenarios: D1, 20 hours old, running 2 backends. */
const activeD1: ScenarioDeployment = {
  key: 'D1',
  phase: 'ACTIVE',
  cause: 'commit 8be1d07 pushed',
  ageMs: 20 * HOUR,
  stepsDone: 6,
  stepsTotal: 6,
};

/** The #356 history: D1 superseded 50 hours ago by D2, active for 20 hours (its orphans are D1's). */
const history356: readonly ScenarioDeployment[] = [
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
];

/** The scenarios by name. */
export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  steady,
  'orphans-356': {
    name: 'orphans-356',
    summary:
      'the reported problem: backend wants 2; deployment D2 runs 2, and 4 instances of the older D1 were ' +
      'never terminated (one of them no longer serves); the dashboard shows 6 ready',
    appName: 'replica-demo',
    // A size with a price that makes the waste plain: 4 surplus instances at 12.00 USD a month
    // (the official instance-size example) are 48.00 USD a month.
    components: [{ ...backend(2), instanceSizeSlug: 'apps-s-1vcpu-1gb' }],
    deployments: history356,
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
  'deployment-failed': {
    name: 'deployment-failed',
    summary:
      'the newest deployment D3 ended in ERROR: its backend failed the health checks at deploy › components › ' +
      'backend › wait; the app still runs the 2 backends of D2',
    appName: 'replica-demo',
    components: [backend(2)],
    deployments: [
      ...history356,
      {
        key: 'D3',
        phase: 'ERROR',
        cause: 'commit 5d0e4b8 pushed',
        ageMs: 25 * MINUTE,
        stepsDone: 4,
        stepsTotal: 6,
        failure: {
          code: 'DeployHealthChecksFailed',
          message: 'Your deploy failed because your container did not pass its health checks.',
        },
      },
    ],
    active: 'D2',
    inProgress: null,
    instances: [{ component: 'backend', deployment: 'D2', count: 2, ready: true, serving: true }],
  },
  'rollout-failing': {
    name: 'rollout-failing',
    summary:
      'D2 is still deploying but has an error step (progress.error_steps 1): its one new backend exits at ' +
      'start and never becomes ready; the 2 of D1 keep serving',
    appName: 'replica-demo',
    components: [backend(2)],
    deployments: [
      activeD1,
      {
        key: 'D2',
        phase: 'DEPLOYING',
        cause: 'commit 3f9a1c2 pushed',
        ageMs: 6 * MINUTE,
        stepsDone: 3,
        stepsTotal: 6,
        moving: false,
        failure: {
          code: 'DeployContainerExitNonZero',
          message: 'Your deploy failed because your container exited with a non-zero exit code.',
        },
      },
    ],
    active: 'D1',
    inProgress: 'D2',
    instances: [
      { component: 'backend', deployment: 'D1', count: 2, ready: true, serving: true },
      { component: 'backend', deployment: 'D2', count: 1, ready: false, serving: false },
    ],
  },
  'deployment-pending': {
    name: 'deployment-pending',
    summary:
      'D2 is deploying and moving with a surge instance; D3 is queued behind it (pending_deployment, ' +
      'PENDING_BUILD) and starts when D2 completes',
    appName: 'replica-demo',
    components: [backend(2)],
    deployments: [
      activeD1,
      {
        key: 'D2',
        phase: 'DEPLOYING',
        cause: 'commit 3f9a1c2 pushed',
        ageMs: 2 * MINUTE,
        stepsDone: 2,
        stepsTotal: 6,
        moving: true,
      },
      {
        key: 'D3',
        phase: 'PENDING_BUILD',
        cause: 'commit 5d0e4b8 pushed',
        ageMs: MINUTE,
        stepsDone: 0,
        stepsTotal: 6,
      },
    ],
    active: 'D1',
    inProgress: 'D2',
    pending: 'D3',
    instances: [
      { component: 'backend', deployment: 'D1', count: 2, ready: true, serving: true },
      { component: 'backend', deployment: 'D2', count: 1, ready: true, serving: true },
    ],
  },
  'none-ready': {
    name: 'none-ready',
    summary:
      'backend wants 2 and 2 are listed, but neither is ready nor serves: the health endpoint leaves ' +
      'replicas_ready out, as protobuf JSON leaves out a 0',
    appName: 'replica-demo',
    components: [backend(2)],
    deployments: [activeD1],
    active: 'D1',
    inProgress: null,
    instances: [{ component: 'backend', deployment: 'D1', count: 2, ready: false, serving: false }],
  },
  'token-invalid': restricted(
    'token-invalid',
    'the steady app, but the API refuses the token: every call answers 401 unauthorized (a wrong or revoked DO_API_TOKEN)',
    'token_rejected',
  ),
  'token-read-only': restricted(
    'token-read-only',
    'the steady app with a read-only token: reads answer, every write (restart, deployment, spec update) answers 403 forbidden',
    'read_only',
  ),
  'app-not-found': restricted(
    'app-not-found',
    'the steady app runs, but the API knows no app by the id asked for: every call answers 404 not_found (a wrong DO_APP_ID)',
    'app_not_found',
  ),
};

/** The app id a scenario runs under unless the caller names one. */
export function scenarioAppId(scenario: Scenario): string {
  return uuidFromSeed(`${scenario.name}/app`);
}

/**
 * The UUID of a scenario deployment. `seed` (default: the scenario's name) is what the ids and
 * instance names of one app of the scenario derive from: a second app of the same scenario in
 * one account has another seed, so that its deployments and instances are its own.
 */
export function scenarioDeploymentId(scenario: Scenario, key: string, seed: string = scenario.name): string {
  return uuidFromSeed(`${seed}/deployment/${key}`);
}

/** The instances running when the scenario starts, in a stable order; `seed` as for scenarioDeploymentId. */
export function initialInstances(scenario: Scenario, seed: string = scenario.name): InitialInstance[] {
  const out: InitialInstance[] = [];
  scenario.instances.forEach((group, groupIndex) => {
    const deploymentId = scenarioDeploymentId(scenario, group.deployment, seed);
    const hash = templateHash(deploymentId, group.component);
    for (let i = 0; i < group.count; i++) {
      out.push({
        instanceId: instanceName(group.component, hash, `${seed}/${groupIndex}/${i}`),
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
