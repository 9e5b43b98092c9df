/**
 * The account the simulated App Platform serves: several apps, each with its own state (spec,
 * deployments, instances, fault, access, request counts), listed in the order they were
 * created. Apps can be created and deleted while the server runs, so that discovery (GET
 * /v2/apps) can be tested.
 *
 * Ids: an app takes the id it is given; otherwise the first app of a scenario takes the
 * scenario's own id (scenarioAppId, what a one-app platform always used) and every later one a
 * distinct id derived from the scenario and its use (`<scenario>/app/<n>`), with its deployment
 * ids and instance names derived from that seed too, so the same scenario twice never collides.
 * Uses are counted for the life of the account: an app created after one was deleted does not
 * take the deleted one's id.
 */
import type { Clock } from '../../../shared/clock';
import { SimulatedAppState } from './app-state';
import { uuidFromSeed } from './ids';
import type { AccessKind, FaultSpec, Scenario, ScenarioName } from './scenarios';
import { SCENARIOS, scenarioAppId } from './scenarios';
import { isValidName } from './spec';

/** One app of the account, as the caller describes it. */
export interface SimulatedAppSpec {
  /** A scenario name, or a scenario of the caller's own. */
  readonly scenario: ScenarioName | Scenario;
  /** Default: derived from the scenario (see the module comment). */
  readonly appId?: string;
  /** The spec's app name instead of the scenario's; it must fit the API's app-name pattern. */
  readonly name?: string;
  /**
   * Changes the scenario's fault: the fields given replace the scenario's (a scenario without
   * one starts from 500s on every request); null: no fault.
   */
  readonly fault?: Partial<FaultSpec> | null;
  /** Replaces the scenario's access (what the caller's token may do with this app). */
  readonly access?: AccessKind;
}

/** One app of the running account. */
export interface SimulatedAccountApp {
  readonly appId: string;
  /** The spec's app name now. */
  readonly name: string;
  /** The scenario it started from, its `appName` the name it was created with. */
  readonly scenario: Scenario;
  /** Its live state: agents(), requestCount(), setFault(), setAccess()… */
  readonly state: SimulatedAppState;
}

/** What every app of the account shares. */
export interface SimulatedAccountOptions {
  readonly clock: Clock;
  readonly transitionDelayMs?: number;
  readonly rolloutStepMs?: number;
}

/** The fault a partial fault override starts from when its scenario has none. */
export const DEFAULT_FAULT: FaultSpec = Object.freeze({
  kind: 'server_error',
  afterRequests: 0,
  every: 1,
  retryAfterSeconds: 5,
  delayMs: 12_000,
});

/** The fault a scenario runs with after the caller's override (see SimulatedAppSpec.fault). */
export function resolveFault(
  base: FaultSpec | null | undefined,
  override: Partial<FaultSpec> | null | undefined,
): FaultSpec | null {
  if (override === null) return null;
  if (override === undefined) return base ?? null;
  return { ...DEFAULT_FAULT, ...base, ...override };
}

/** The apps of the simulated account. Not pure (apps come and go); every time comes from the clock. */
export class SimulatedAccount {
  // Map order is insertion order: the listing order, stable for paging.
  private readonly byId = new Map<string, SimulatedAccountApp>();
  private readonly uses = new Map<string, number>();

  constructor(private readonly options: SimulatedAccountOptions) {}

  /** Creates an app now; throws on an unknown scenario, a bad name or an id already taken. */
  add(spec: SimulatedAppSpec): SimulatedAccountApp {
    const base = typeof spec.scenario === 'string' ? SCENARIOS[spec.scenario] : spec.scenario;
    if (!base) throw new Error(`unknown scenario "${String(spec.scenario)}"`);
    if (spec.name !== undefined && !isValidName(spec.name)) {
      throw new Error(
        `app name "${spec.name}" does not fit the API's pattern: lowercase letters, digits and "-", ` +
          '2 to 32 characters, starting with a letter and not ending with "-"',
      );
    }
    if (spec.appId !== undefined && this.byId.has(spec.appId)) {
      throw new Error(`the account already has an app with id ${spec.appId}`);
    }
    const scenario = spec.name === undefined ? base : { ...base, appName: spec.name };
    const { appId, seed } = this.identity(base, spec.appId);
    const state = new SimulatedAppState(scenario, {
      appId,
      seed,
      clock: this.options.clock,
      transitionDelayMs: this.options.transitionDelayMs,
      rolloutStepMs: this.options.rolloutStepMs,
      fault: resolveFault(base.fault, spec.fault),
      access: spec.access,
    });
    const app = accountApp(appId, scenario, state);
    this.byId.set(appId, app);
    return app;
  }

  /** Deletes an app: from now on it is not listed and every call about it answers 404. */
  remove(appId: string): boolean {
    return this.byId.delete(appId);
  }

  get(appId: string): SimulatedAccountApp | null {
    const app = this.byId.get(appId);
    return app ? accountApp(app.appId, app.scenario, app.state) : null;
  }

  /** The apps, oldest first: the order GET /v2/apps lists them in. */
  list(): readonly SimulatedAccountApp[] {
    return [...this.byId.values()].map((app) => accountApp(app.appId, app.scenario, app.state));
  }

  /**
   * Whether the token is refused account-wide: every app (there is at least one) rejects it, as
   * a one-app account of the token-invalid scenario does. Then the account's own routes answer
   * 401 too; otherwise only the routes of the apps that reject it do.
   */
  rejectsToken(): boolean {
    const apps = [...this.byId.values()];
    return apps.length > 0 && apps.every((app) => app.state.access() === 'token_rejected');
  }

  /** The id and seed of the next app of `scenario` (see the module comment). */
  private identity(scenario: Scenario, given: string | undefined): { appId: string; seed: string } {
    for (;;) {
      const use = this.uses.get(scenario.name) ?? 0;
      this.uses.set(scenario.name, use + 1);
      const seed = use === 0 ? scenario.name : `${scenario.name}/app/${use}`;
      if (given !== undefined) return { appId: given, seed };
      const appId = use === 0 ? scenarioAppId(scenario) : uuidFromSeed(seed);
      // An id given to an earlier app may be the one this use would derive: take the next.
      if (!this.byId.has(appId)) return { appId, seed };
    }
  }
}

function accountApp(appId: string, scenario: Scenario, state: SimulatedAppState): SimulatedAccountApp {
  return { appId, name: state.appName(), scenario, state };
}
