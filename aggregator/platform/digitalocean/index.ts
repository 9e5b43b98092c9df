/**
 * The `digitalocean` platform source: App Platform API client, response schemas, view mapping,
 * source, the account's app listing and the instance size price catalog.
 */
export type { ListedApp } from './app-list';
export { APPS_PER_PAGE, MAX_APP_PAGES, MAX_LISTED_APPS } from './app-list';
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
export type { InstanceSizeCatalogOptions, InstanceSizePrice } from './instance-sizes';
export {
  INSTANCE_SIZE_CATALOG_DEFAULTS,
  InstanceSizeCatalog,
  instanceSizePrices,
  usdToCents,
} from './instance-sizes';
export type {
  App,
  AppHealth,
  AppsPage,
  AppSpec,
  ComponentHealth,
  ComponentSpec,
  Deployment,
  DeploymentsPage,
  Instance,
  InstanceSizeEntry,
  InstanceSizesPage,
  ListedAppEntry,
  ProgressStep,
} from './schemas';
export {
  appResponseSchema,
  appsResponseSchema,
  deploymentResponseSchema,
  deploymentsResponseSchema,
  healthResponseSchema,
  instanceSizesResponseSchema,
  instancesResponseSchema,
  listedAppSchema,
  progressStepSchema,
  readProgressSteps,
} from './schemas';
export type { AppPlatformApi, DigitalOceanSourceOptions } from './source';
export { DIGITALOCEAN_SOURCE_DEFAULTS, DigitalOceanSource } from './source';
export type { DigitalOceanSnapshot } from './view';
export { desiredOf, toDeploymentInfo, toPlatformView } from './view';
