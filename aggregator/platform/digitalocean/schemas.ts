/**
 * zod schemas of the App Platform responses the client reads. Lenient by design: only the
 * fields replica-watch uses are declared, everything else is ignored (zod strips unknown keys),
 * and a field the OpenAPI does not require may be missing or null: one answer without, say, an
 * instance name must not fail the whole refresh (view.ts decides what an absent value means).
 * Field names follow DigitalOcean's official OpenAPI description of App Platform (the apps.yaml of
 * digitalocean/openapi); the contract tests check every name against it.
 *
 * The API is generated from protobuf, whose JSON mapping leaves out fields at their zero value:
 * an absent count is 0, not unknown.
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
  /** What one instance costs (GET /v2/apps/tiers/instance_sizes names the price). */
  instance_size_slug: z.string().min(1).nullish(),
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

/**
 * One step of a deployment's progress (`apps_deployment_progress_step`). Its child steps are
 * only `type: object` in the OpenAPI, and a step is information, never worth failing a refresh
 * for: steps are kept unparsed in the response and read one by one with readProgressSteps().
 */
export const progressStepSchema = z.object({
  name: z.string().nullish(),
  /** UNKNOWN, PENDING, RUNNING, ERROR or SUCCESS; a string, so that a new one breaks nothing. */
  status: z.string().nullish(),
  component_name: z.string().nullish(),
  reason: z.object({ code: z.string().nullish(), message: z.string().nullish() }).nullish(),
  steps: z.array(z.unknown()).nullish(),
});

/** The steps of a list that fit progressStepSchema, in order; the others are skipped. */
export function readProgressSteps(steps: readonly unknown[] | null | undefined): ProgressStep[] {
  return (steps ?? []).flatMap((step) => {
    const parsed = progressStepSchema.safeParse(step);
    return parsed.success ? [parsed.data] : [];
  });
}

const progressSchema = z.object({
  success_steps: count.nullish(),
  total_steps: count.nullish(),
  pending_steps: count.nullish(),
  running_steps: count.nullish(),
  error_steps: count.nullish(),
  steps: z.array(z.unknown()).nullish(),
});

const deploymentSchema = z.object({
  /** Not required by the OpenAPI; a deployment without one cannot be told apart and is left out. */
  id: z.string().nullish(),
  /** A string, not an enum: a phase added by DigitalOcean later must not break the source. */
  phase: z.string().nullish(),
  progress: progressSchema.nullish(),
  cause: z.string().nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
});

const appSchema = z.object({
  /** Not required by the OpenAPI: the id the app was asked by stands in. */
  id: z.string().nullish(),
  spec: appSpecSchema,
  active_deployment: deploymentSchema.nullish(),
  in_progress_deployment: deploymentSchema.nullish(),
  pending_deployment: deploymentSchema.nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
});

/** GET /v2/apps/{id}, and PUT /v2/apps/{id}. */
export const appResponseSchema = z.object({ app: appSchema });

/** The links of one page of a list: `links.pages.next` says there is another. */
const pageLinksSchema = z.object({ pages: z.object({ next: z.string().nullish() }).nullish() }).nullish();

/** GET /v2/apps/{app_id}/deployments: one page; `links.pages.next` says there is another. */
export const deploymentsResponseSchema = z.object({
  deployments: z.array(deploymentSchema).nullish(),
  links: pageLinksSchema,
});

/** GET /v2/apps/{app_id}/deployments/{deployment_id}, POST …/deployments and POST …/restart. */
export const deploymentResponseSchema = z.object({ deployment: deploymentSchema });

/** None of the fields is required by the OpenAPI: view.ts leaves out what it cannot attribute. */
const instanceSchema = z.object({
  component_name: z.string().nullish(),
  /** SERVICE, WORKER or JOB. */
  component_type: z.string().nullish(),
  instance_name: z.string().nullish(),
  instance_alias: z.string().nullish(),
});

/** GET /v2/apps/{app_id}/instances. */
export const instancesResponseSchema = z.object({ instances: z.array(instanceSchema).nullish() });

const componentHealthSchema = z.object({
  /** Not required by the OpenAPI; an entry without a name cannot be attributed. */
  name: z.string().nullish(),
  replicas_desired: count.nullish(),
  /** The number the dashboard shows; left out by the API when it is 0. */
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

/**
 * One app of GET /v2/apps as the fleet listing reads it: its id and its name, nothing else (the
 * app itself is read with GET /v2/apps/{id}). A value of the wrong type reads as absent instead
 * of failing the whole list: an entry without an id is skipped (and counted) by the client, one
 * without a name is listed with none. An entry that is not an object at all fails the body.
 */
export const listedAppSchema = z.object({
  id: z.string().min(1).nullish().catch(null),
  spec: z.object({ name: z.string().min(1).nullish().catch(null) }).nullish(),
});

/**
 * GET /v2/apps: one page of the account's apps. The list must be there: a body without one is
 * not read as "no apps" (that would drop every app of the fleet at once), unless `meta.total`
 * says 0, which is how a protobuf-JSON API may answer an empty account (zero-value fields are
 * left out).
 */
export const appsResponseSchema = z
  .object({
    apps: z.array(listedAppSchema).nullish(),
    links: pageLinksSchema,
    meta: z.object({ total: count.nullish().catch(null) }).nullish(),
  })
  .superRefine((body, ctx) => {
    if (body.apps == null && body.meta?.total !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['apps'],
        message: 'no list of apps (and meta.total does not say 0)',
      });
    }
  });

/**
 * One size of GET /v2/apps/tiers/instance_sizes: its slug and its monthly price, a decimal
 * string (`"12.00"`) that instance-sizes.ts turns into cents. A value of the wrong type reads as
 * absent: a size without a slug is skipped, one without a readable price has an unknown one.
 */
const instanceSizeSchema = z.object({
  slug: z.string().min(1).nullish().catch(null),
  usd_per_month: z.union([z.string(), z.number()]).nullish().catch(null),
});

/** GET /v2/apps/tiers/instance_sizes: the whole list, unpaged. */
export const instanceSizesResponseSchema = z.object({ instance_sizes: z.array(instanceSizeSchema) });

export type AppSpec = z.infer<typeof appSpecSchema>;
export type ComponentSpec = z.infer<typeof componentSpecSchema>;
export type App = z.infer<typeof appSchema>;
export type Deployment = z.infer<typeof deploymentSchema>;
export type ProgressStep = z.infer<typeof progressStepSchema>;
export type DeploymentsPage = z.infer<typeof deploymentsResponseSchema>;
export type Instance = z.infer<typeof instanceSchema>;
export type ComponentHealth = z.infer<typeof componentHealthSchema>;
export type AppHealth = z.output<typeof healthResponseSchema>;
export type ListedAppEntry = z.infer<typeof listedAppSchema>;
export type AppsPage = z.output<typeof appsResponseSchema>;
export type InstanceSizeEntry = z.infer<typeof instanceSizeSchema>;
export type InstanceSizesPage = z.output<typeof instanceSizesResponseSchema>;
