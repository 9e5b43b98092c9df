/**
 * zod schemas of the App Platform responses the client reads. Lenient by design: only the
 * fields replica-watch uses are declared, everything else is ignored (zod strips unknown keys),
 * and optional fields may be missing or null. Field names follow DigitalOcean's OpenAPI
 * (../shared/do-openapi/apps.yaml); the contract tests check every name against it.
 */
import { z } from 'zod';

/**
 * An integer that may also arrive as a decimal string: int64 fields are strings in the
 * protobuf JSON mapping that the API is generated from, and a proxy or a newer API version
 * switching to that must not break the source.
 */
const integer = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d{1,15}$/)
    .transform(Number),
]);
const count = integer.pipe(z.number().min(0));

const autoscalingSchema = z.object({
  min_instance_count: count.nullish(),
  max_instance_count: count.nullish(),
});

/** A service or worker in the spec: the fields that say how many instances it wants. */
const componentSpecSchema = z.object({
  name: z.string().min(1),
  /** Default 1; must not be set together with autoscaling. */
  instance_count: count.nullish(),
  autoscaling: autoscalingSchema.nullish(),
});

/** Jobs and static sites keep no standing instances: only their names matter. */
const namedSpecSchema = z.object({ name: z.string().min(1) });

const appSpecSchema = z.object({
  name: z.string(),
  services: z.array(componentSpecSchema).nullish(),
  workers: z.array(componentSpecSchema).nullish(),
  jobs: z.array(namedSpecSchema).nullish(),
  static_sites: z.array(namedSpecSchema).nullish(),
});

const progressSchema = z.object({
  success_steps: count.nullish(),
  total_steps: count.nullish(),
  pending_steps: count.nullish(),
  running_steps: count.nullish(),
  error_steps: count.nullish(),
});

const deploymentSchema = z.object({
  id: z.string().min(1),
  /** A string, not an enum: a phase added by DigitalOcean later must not break the source. */
  phase: z.string().nullish(),
  progress: progressSchema.nullish(),
  cause: z.string().nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
});

const appSchema = z.object({
  id: z.string().min(1),
  spec: appSpecSchema,
  active_deployment: deploymentSchema.nullish(),
  in_progress_deployment: deploymentSchema.nullish(),
  pending_deployment: deploymentSchema.nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
});

/** GET /v2/apps/{id}, and PUT /v2/apps/{id}. */
export const appResponseSchema = z.object({ app: appSchema });

/** GET /v2/apps/{app_id}/deployments: one page. */
export const deploymentsResponseSchema = z.object({
  deployments: z.array(deploymentSchema).nullish(),
  links: z
    .object({
      pages: z.object({ next: z.string().nullish(), last: z.string().nullish() }).nullish(),
    })
    .nullish(),
  meta: z.object({ total: count.nullish() }).nullish(),
});

/** GET /v2/apps/{app_id}/deployments/{deployment_id}, POST …/deployments and POST …/restart. */
export const deploymentResponseSchema = z.object({ deployment: deploymentSchema });

const instanceSchema = z.object({
  component_name: z.string().min(1),
  /** SERVICE, WORKER or JOB. */
  component_type: z.string().nullish(),
  instance_name: z.string().min(1),
  instance_alias: z.string().nullish(),
});

/** GET /v2/apps/{app_id}/instances. */
export const instancesResponseSchema = z.object({ instances: z.array(instanceSchema).nullish() });

const componentHealthSchema = z.object({
  name: z.string().min(1),
  replicas_desired: count.nullish(),
  /** The number the dashboard shows. */
  replicas_ready: count.nullish(),
  /** UNKNOWN, HEALTHY or UNHEALTHY. */
  state: z.string().nullish(),
});

const healthComponentsSchema = z.array(componentHealthSchema).nullish();

/**
 * GET /v2/apps/{app_id}/health. The schema nests the components under `app_health`, but the
 * example in apps.yaml has them at the top level; both are accepted and give one list.
 */
export const healthResponseSchema = z
  .object({
    app_health: z.object({ components: healthComponentsSchema }).nullish(),
    components: healthComponentsSchema,
  })
  .transform((body) => ({ components: body.app_health?.components ?? body.components ?? [] }));

export type AppSpec = z.infer<typeof appSpecSchema>;
export type ComponentSpec = z.infer<typeof componentSpecSchema>;
export type App = z.infer<typeof appSchema>;
export type Deployment = z.infer<typeof deploymentSchema>;
export type DeploymentsPage = z.infer<typeof deploymentsResponseSchema>;
export type Instance = z.infer<typeof instanceSchema>;
export type ComponentHealth = z.infer<typeof componentHealthSchema>;
export type AppHealth = z.output<typeof healthResponseSchema>;
