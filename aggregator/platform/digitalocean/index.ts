/** The `digitalocean` platform source: App Platform API client, response schemas, view mapping, source. */
export type { CallOptions, CallOutcome, DigitalOceanClientOptions, Endpoint } from './client';
export {
  DEPLOYMENT_HISTORY_LIMIT,
  DIGITALOCEAN_CLIENT_DEFAULTS,
  DigitalOceanClient,
  ENDPOINTS,
} from './client';
export type { CallFailureFacts } from './errors';
export { PlatformHttpError, PlatformRetryableError, PlatformSchemaError } from './errors';
export { platformFailure } from './failure';
export type {
  App,
  AppHealth,
  AppSpec,
  ComponentHealth,
  ComponentSpec,
  Deployment,
  DeploymentsPage,
  Instance,
  ProgressStep,
} from './schemas';
export {
  appResponseSchema,
  deploymentResponseSchema,
  deploymentsResponseSchema,
  healthResponseSchema,
  instancesResponseSchema,
  progressStepSchema,
  readProgressSteps,
} from './schemas';
export type { AppPlatformApi, DigitalOceanSourceOptions } from './source';
export { DIGITALOCEAN_SOURCE_DEFAULTS, DigitalOceanSource } from './source';
export type { DigitalOceanSnapshot } from './view';
export { desiredOf, toDeploymentInfo, toPlatformView } from './view';
