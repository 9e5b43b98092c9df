/** The simulated App Platform: a fake App Platform API server with scenarios. */
export type {
  AppSnapshot,
  DeploymentPhase,
  DeploymentRecord,
  InstanceRecord,
  SimulatedAppOptions,
} from './app-state';
export { SIMULATED_APP_DEFAULTS, SimulatedApiError, SimulatedAppState } from './app-state';
export type {
  AccessKind,
  FaultKind,
  FaultSpec,
  InitialInstance,
  Scenario,
  ScenarioComponent,
  ScenarioDeployment,
  ScenarioInstances,
  ScenarioName,
  SimulatedAgent,
  StepFailure,
} from './scenarios';
export {
  SCENARIO_NAMES,
  SCENARIOS,
  initialInstances,
  scenarioAgents,
  scenarioAppId,
  scenarioDeploymentId,
} from './scenarios';
export type { SimulatedPlatform, SimulatedPlatformOptions, SimulatedRequest } from './server';
export { startSimulatedPlatform } from './server';
