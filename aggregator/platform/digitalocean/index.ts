/** The `digitalocean` platform source: App Platform API client, response schemas, view mapping, source. */
export type { CallOptions, CallOutcome, DigitalOceanClientOptions, Endpoint } from './client';
export { DIGITALOCEAN_CLIENT_DEFAULTS, DigitalOceanClient, ENDPOINTS } from './client';
export { PlatformHttpError, PlatformSchemaError } from './errors';
export type {
  App,
  AppHealth,
  AppSpec,
  ComponentHealth,
  ComponentSpec,
  Deployment,
  DeploymentsPage,
  Instance,
} from './schemas';
export {
  appResponseSchema,
  deploymentResponseSchema,
  deploymentsResponseSchema,
  healthResponseSchema,
  instancesResponseSchema,
} from './schemas';
export type { AppPlatformApi, DigitalOceanSourceOptions } from './source';
export { DIGITALOCEAN_SOURCE_DEFAULTS, DigitalOceanSource } from './source';
export type { DigitalOceanSnapshot } from './view';
export { desiredOf, toDeploymentInfo, toPlatformView } from './view';
