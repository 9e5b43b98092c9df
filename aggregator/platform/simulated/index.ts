/** The simulated App Platform: a fake App Platform API server with scenarios, for one app or an account of many. */
export type { SimulatedAccountApp, SimulatedAppSpec } from './account';
export type {
  AppSnapshot,
  DeploymentPhase,
  DeploymentRecord,
  InstanceRecord,
  SimulatedAppOptions,
} from './app-state';
export { SIMULATED_APP_DEFAULTS, SimulatedApiError, SimulatedAppState } from './app-state';
export type { SimulatedFleetApp } from './fleet';
export { SIMULATED_FLEET, SIMULATED_FLEET_MAX, simulatedFleet } from './fleet';
export type { InstanceSizeJson } from './instance-sizes';
export { INSTANCE_SIZES, instanceSize, instanceSizeMonthlyCents } from './instance-sizes';
export type { AccountRouteName, AppRouteName } from './routes';
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
export type {
  SimulatedAccountPlatformOptions,
  SimulatedPlatform,
  SimulatedPlatformBaseOptions,
  SimulatedPlatformOptions,
  SimulatedRequest,
  SimulatedScenarioPlatformOptions,
} from './server';
export { startSimulatedPlatform } from './server';
export { DEFAULT_INSTANCE_SIZE_SLUG } from './spec';
