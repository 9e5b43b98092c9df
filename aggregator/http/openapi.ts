/**
 * The OpenAPI 3.0 description of the aggregator's own HTTP API, served at GET /openapi.json.
 * Schemas mirror reconcile/report.ts field for field (snake_case, the binding contract); the
 * enums come from the code's own constants, so they cannot drift. test/integration/openapi.test.ts
 * validates real responses against this document with every object closed to unknown fields.
 */
import { APPLY_OUTCOMES } from '../collector/registry';
import { HISTORY_DEFAULTS } from '../history/history-store';
import type { ComponentKind, PlatformStatus } from '../model';
import { PLATFORM_FAILURE_KINDS, PLATFORM_KINDS } from '../model';
import type { FindingCode } from '../reconcile/report';
import { FINDING_CODES, INSTANCE_STATES, SEVERITIES, VERDICTS } from '../reconcile/report';
import { AUDIT_DEFAULTS } from '../remediate/audit-trail';
import type { DecisionKind } from '../remediate/types';
import { REMEDIATION_MODES, SKIP_REASONS } from '../remediate/types';
import { z } from 'zod';
import { BATCH_REFUSAL_REASONS, MAX_BATCH_BYTES, MAX_BATCH_ITEMS } from './heartbeat-batch';
import {
  containerSchema,
  heartbeatSchema,
  MAX_HEARTBEAT_BYTES,
  REJECT_REASONS,
} from '../../shared/heartbeat';

type Schema = Record<string, unknown>;

// Records, not arrays: the compiler then insists that every member of the union is listed.
const COMPONENT_KINDS: Record<ComponentKind, true> = {
  service: true,
  worker: true,
  job: true,
  static_site: true,
  unknown: true,
};
const DECISION_KINDS: Record<DecisionKind, true> = { act: true, 'dry-run': true, skip: true };
const PLATFORM_STATUSES: Record<PlatformStatus, true> = {
  ok: true,
  stale: true,
  unavailable: true,
  not_configured: true,
};

/** One line per finding code (docs/replica-monitoring.md has a section for each). */
const FINDING_MEANINGS: Record<FindingCode, string> = {
  ORPHANED_INSTANCES: 'live instances on a deployment other than the active one',
  STALE_HEARTBEATS: 'instances stopped heartbeating without a goodbye (info)',
  ROLLOUT_IN_PROGRESS: 'a deployment is rolling out (info)',
  ROLLOUT_STUCK: "a deployment's phase and steps have not moved for ROLLOUT_GRACE_MS (critical)",
  PLATFORM_COUNT_MISMATCH: "the platform's ready count or instance list disagrees with the heartbeats",
  NOT_SERVING: 'live instances whose serving probe fails',
  MISSING_INSTANCES: 'fewer live instances than desired',
  SURPLUS_INSTANCES: 'more live instances than desired',
  UNREPORTED_INSTANCES:
    'listed instances with no live heartbeat; a `left` one listed beyond DRAIN_GRACE_MS is a zombie',
  DATA_DEGRADED:
    'the aggregator cannot see part of the truth (heartbeats, or the platform view: never fetched, 401, 403, ' +
    '404); names the cause and the variable to fix',
  DEPLOYMENT_FAILED:
    'the newest deployment ended ERROR or CANCELED, or a rollout has error steps: the app still runs the ' +
    'previous one (warning)',
  CLOCK_SKEW:
    "an instance's clock is off the aggregator's by more than CLOCK_SKEW_MAX_MS; it names the instance and " +
    'the offset, and the instance is still counted',
};

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: Schema): Schema => ({ ...schema, nullable: true });
/**
 * A reference that may be null. OpenAPI 3.0 ignores the siblings of a `$ref`, `nullable` among
 * them, so the reference is wrapped in an `allOf` that the `nullable` and description can sit beside.
 */
const nullableRef = (name: string, description: string): Schema => ({
  allOf: [ref(name)],
  nullable: true,
  description,
});
const string: Schema = { type: 'string' };
const count: Schema = { type: 'integer', minimum: 0 };
const usd: Schema = { type: 'number', minimum: 0 };
const dateTime: Schema = { type: 'string', format: 'date-time' };
const strings: Schema = { type: 'array', items: string };
const enumOf = (values: readonly string[]): Schema => ({ type: 'string', enum: [...values] });

/** An object whose listed properties are all required except `optional`. */
function object(properties: Record<string, Schema>, optional: readonly string[] = []): Schema {
  return {
    type: 'object',
    required: Object.keys(properties).filter((key) => !optional.includes(key)),
    properties,
  };
}

/**
 * The heartbeat, generated from its one definition (shared/heartbeat.ts) rather than written
 * again here: its limits, name pattern and enums come with it. zod's `openapi-3.0` target writes
 * the 3.0 dialect itself (`nullable: true` where 2020-12 has a null union, `enum: [1]` for the
 * literal `v`, no `$schema`), so nothing is post-processed. `io: 'input'` describes what an
 * agent may send: objects stay open, as the ingest ignores unknown fields (the output side would
 * close them with `additionalProperties: false`).
 */
const HEARTBEAT_OPENAPI: Schema = z.toJSONSchema(heartbeatSchema, { target: 'openapi-3.0', io: 'input' });
/** The container part of a heartbeat's stats, as the instance list repeats it. */
const CONTAINER_OPENAPI: Schema = z.toJSONSchema(containerSchema, { target: 'openapi-3.0', io: 'output' });

const json = (schema: Schema) => ({ 'application/json': { schema } });
const errorResponse = (description: string) => ({ description, content: json(ref('Error')) });

/** `/api/*` needs the bearer token only when AGGREGATOR_API_TOKEN is set: both are listed. */
const optionalBearer = [{}, { bearerAuth: [] }];

const schemas: Record<string, Schema> = {
  Error: object({ error: string }),
  FindingTrend: object({
    direction: enumOf(['worsening']),
    from: count,
    to: count,
    since: dateTime,
    window_ms: count,
  }),
  Finding: object(
    {
      code: {
        ...enumOf(FINDING_CODES),
        description: FINDING_CODES.map((code) => `${code}: ${FINDING_MEANINGS[code]}.`).join(' '),
      },
      severity: enumOf(SEVERITIES),
      message: string,
      instances: {
        ...strings,
        description: 'Instance ids (platform instance names for UNREPORTED_INSTANCES).',
      },
      recommendation: {
        ...string,
        description: 'The concrete next step, with the real app id and component.',
      },
      deployment_ids: strings,
      trend: { ...ref('FindingTrend'), description: 'Set when a surplus or gap grew within the window.' },
    },
    ['trend'],
  ),
  DeploymentCount: object({
    deployment_id: nullable(string),
    live: count,
    active: { type: 'boolean' },
  }),
  ComponentReport: object(
    {
      name: string,
      kind: enumOf(Object.keys(COMPONENT_KINDS)),
      desired: nullable({
        ...count,
        description: "The spec's count; for an autoscaled component its minimum.",
      }),
      autoscaling: nullable(object({ min: count, max: count })),
      platform_ready: nullable({
        ...count,
        description: 'replicas_ready: what the platform dashboard shows.',
      }),
      platform_instances: nullable({ ...count, description: 'How many instances the platform lists.' }),
      live: { ...count, description: 'Instances heartbeating (live and suspect).' },
      serving: { ...count, description: 'Live instances not failing their serving probe.' },
      suspect: count,
      stale: { ...count, description: 'Instances whose heartbeats stopped without a goodbye.' },
      left: { ...count, description: 'Instances that said goodbye.' },
      orphaned: { ...count, description: 'Live instances on a deployment other than the active one.' },
      deployments: { type: 'array', items: ref('DeploymentCount') },
      verdict: enumOf(VERDICTS),
      findings: { type: 'array', items: ref('Finding') },
      note: nullable({
        ...string,
        description:
          'Why the component is treated specially (jobs, static sites; no agents report for the app).',
      }),
      app: { ...string, description: "The app the component belongs to (the report's `app`)." },
      instance_size_slug: nullable({
        ...string,
        description: '`instance_size_slug` from the spec, e.g. `apps-s-1vcpu-1gb`; null when unknown.',
      }),
      usd_per_month: nullable({
        ...usd,
        description: 'What one instance of that size costs a month (USD); null when unknown.',
      }),
      surplus_instances: nullable({
        ...count,
        description:
          "Instances running beyond the most the spec allows: the live count, or the platform's instance list " +
          'when no agents report for the app. 0 while rolling and for jobs and static sites; null when unknown ' +
          '(no desired count, the collector or the platform view blind).',
      }),
      estimated_monthly_waste_usd: nullable({
        ...usd,
        description:
          'surplus_instances × usd_per_month, computed in cents; 0 without surplus; null when the surplus is ' +
          'unknown, or there is one and the price is unknown.',
      }),
    },
    ['note'],
  ),
  InstanceReport: object(
    {
      instance_id: string,
      component: string,
      deployment_id: nullable(string),
      version: nullable(string),
      state: enumOf(INSTANCE_STATES),
      last_seen: dateTime,
      age_ms: count,
      started_at: dateTime,
      serving: nullable({
        type: 'boolean',
        description: 'The probe result; null when the agent has no probe.',
      }),
      orphaned: { type: 'boolean' },
      region: nullable(string),
      node_name: nullable(string),
      cpu_usage: nullable({ type: 'number', minimum: 0, maximum: 1 }),
      rss_bytes: nullable({ type: 'number', minimum: 0 }),
      mem_used_bytes: nullable({ type: 'number', minimum: 0 }),
      mem_total_bytes: nullable({ type: 'number', minimum: 0 }),
      clock_offset_ms: {
        type: 'number',
        description:
          "The instance's clock minus the recording clock (Redis, or the aggregator on the HTTP transport), " +
          'from its latest heartbeat: positive when its clock is ahead; includes the transport delay. ' +
          'Liveness never depends on it; beyond CLOCK_SKEW_MAX_MS it raises CLOCK_SKEW.',
      },
      draining: {
        type: 'boolean',
        description:
          'A `left` instance (it said goodbye) that the platform still lists, within DRAIN_GRACE_MS of its ' +
          'goodbye: shutting down, counted neither as live nor as an orphan.',
      },
      container: nullableRef(
        'ContainerStats',
        "The container's own memory limit and use and CPU quota and use, from its cgroup (the fields " +
          "above are the host's); null when the agent read no cgroup or is older.",
      ),
      app: {
        ...string,
        description:
          'The app it runs in: present in the report of every app at once (no `app` asked of an aggregator of many).',
      },
    },
    ['app'],
  ),
  PlatformErrorReport: object({
    kind: {
      ...enumOf(PLATFORM_FAILURE_KINDS),
      description:
        'unauthorized (401: DO_API_TOKEN wrong or revoked), forbidden (403: the token lacks the scope) and ' +
        'not_found (404: DO_APP_ID names no app the token sees) leave the aggregator blind; the others are ' +
        'transient (the last good view is kept).',
    },
    message: { ...string, description: 'What failed, naming the call and the app id; never a secret.' },
    http_status: nullable({
      type: 'integer',
      description: 'The HTTP status of the failed call; null when no answer came (network, timeout).',
    }),
    request_id: nullable({ ...string, description: "DigitalOcean's request_id, to quote to their support." }),
    since: { ...dateTime, description: 'Since when the refreshes have been failing.' },
    fix_variable: nullable({
      ...string,
      description:
        'The setting to fix (DO_APP_ID, DO_API_TOKEN); null when the failure is not one of configuration.',
    }),
  }),
  DeploymentReport: object({
    id: string,
    phase: {
      ...string,
      description:
        'The App Platform phase: PENDING_BUILD, BUILDING, PENDING_DEPLOY, DEPLOYING, ACTIVE, ERROR…',
    },
    created_at: nullable(dateTime),
  }),
  ReportSummary: object({
    configured_replicas: { ...count, description: "Sum of the components' desired counts." },
    active_instances: { ...count, description: "Sum of the components' live counts." },
    serving_instances: count,
    discrepancy: { type: 'boolean' },
    verdict: {
      ...enumOf(VERDICTS),
      description:
        "The worst of the components' verdicts; never `ok` while the platform view the report needs is missing " +
        '(never fetched, 401, 403, 404) or no desired count is known: `degraded` then.',
    },
    do_api_status: {
      ...enumOf(Object.keys(PLATFORM_STATUSES)),
      description:
        'ok: fresh; stale: the last good view, a refresh failed; unavailable: never fetched; ' +
        'not_configured: static source.',
    },
    platform_data_age_ms: nullable({
      ...count,
      description: 'Age of the platform data; null when there is none.',
    }),
    do_api_error: nullableRef(
      'PlatformErrorReport',
      'Why the platform data is missing or old (the last refresh failed); null while the last refresh succeeded.',
    ),
    agentless: {
      type: 'boolean',
      description:
        'No agent reports for this app (none was ever seen): it is judged from the platform alone, and ' +
        'PLATFORM_COUNT_MISMATCH compares the spec, the ready count and the instance list with each other.',
    },
    surplus_instances: nullable({
      ...count,
      description: "Sum of the components' surplus_instances; null when any is unknown.",
    }),
    estimated_monthly_waste_usd: nullable({
      ...usd,
      description:
        "Sum of the components' estimated_monthly_waste_usd, exact to the cent; null when any is unknown.",
    }),
  }),
  Report: object(
    {
      generated_at: dateTime,
      app: string,
      platform: enumOf(PLATFORM_KINDS),
      app_id: nullable(string),
      app_name: nullable({
        ...string,
        description: "The app's name in its spec (`spec.name`); null when unknown.",
      }),
      active_deployment_id: nullable(string),
      in_progress_deployment: nullableRef(
        'DeploymentReport',
        'The deployment rolling out now; null when none.',
      ),
      pending_deployment: nullableRef(
        'DeploymentReport',
        'A deployment queued behind the one in progress (`pending_deployment`); null when none.',
      ),
      summary: ref('ReportSummary'),
      components: { type: 'array', items: ref('ComponentReport') },
      instances: {
        type: 'array',
        items: ref('InstanceReport'),
        description: 'Left out with ?instances=false.',
      },
      recommendations: strings,
      degraded: {
        type: 'boolean',
        description:
          'True while the aggregator cannot see: the heartbeats (Redis down), the platform view it needs ' +
          '(never fetched, 401, 403, 404), or no desired count is known. The verdict is then `degraded`, never `ok`.',
      },
    },
    ['instances'],
  ),
  InstancesResponse: object({
    generated_at: dateTime,
    degraded: { type: 'boolean' },
    instances: { type: 'array', items: ref('InstanceReport') },
  }),
  Heartbeat: HEARTBEAT_OPENAPI,
  ContainerStats: CONTAINER_OPENAPI,
  HeartbeatAccepted: object({ status: enumOf(['accepted']), outcome: enumOf(APPLY_OUTCOMES) }),
  HeartbeatRejected: object({ error: string, reason: enumOf(REJECT_REASONS), detail: string }),
  BatchRejected: object({
    error: enumOf(['batch rejected']),
    reason: {
      ...enumOf(BATCH_REFUSAL_REASONS),
      description:
        'malformed_json: not a JSON array (unclosed, or more after it); empty_batch: no item; ' +
        `too_many_items: more than MAX_BATCH_ITEMS (${MAX_BATCH_ITEMS}); too_large: over MAX_BATCH_BYTES (${MAX_BATCH_BYTES} bytes).`,
    },
    detail: { ...string, description: 'What is wrong, naming the limit (MAX_BATCH_ITEMS, MAX_BATCH_BYTES).' },
  }),
  HeartbeatItemResult: object(
    {
      index: {
        ...count,
        description: "The item's position in the batch (0-based; NDJSON: blank lines not counted).",
      },
      status: {
        type: 'integer',
        enum: [202, 400, 401, 429],
        description:
          'What a single POST of this item would have answered: 202 accepted; 400 refused (reason, detail); ' +
          '401 without the token, its signature did not verify; 429 past INGEST_RATE_LIMIT_PER_S (not judged).',
      },
      outcome: { ...enumOf(APPLY_OUTCOMES), description: 'With 202: what it changed in the registry.' },
      error: { ...string, description: "With 400, 401, 429: the single POST's `error`." },
      reason: { ...enumOf(REJECT_REASONS), description: 'With 400: why it was refused.' },
      detail: { ...string, description: "With 400, 401, 429: the single POST's `detail`." },
    },
    ['outcome', 'error', 'reason', 'detail'],
  ),
  HeartbeatBatchResult: object({
    accepted: { ...count, description: 'Items answered 202.' },
    rejected: { ...count, description: 'Items answered otherwise.' },
    results: {
      type: 'array',
      items: ref('HeartbeatItemResult'),
      description: 'One per item, in item order.',
    },
  }),
  RateLimited: object({
    error: string,
    detail: { ...string, description: 'Names INGEST_RATE_LIMIT_PER_S.' },
  }),
  Livez: object({ status: enumOf(['ok']) }),
  Readyz: object(
    {
      status: enumOf(['ready']),
      degraded: { type: 'boolean' },
      generated_at: dateTime,
      leader: {
        type: 'boolean',
        description: 'Whether this aggregator leads the app (alerts and remediates); absent without a lease.',
      },
      apps: {
        type: 'integer',
        minimum: 0,
        description: 'How many apps it watches; only on an aggregator of many.',
      },
    },
    ['leader', 'apps'],
  ),
  AppRefusal: object(
    {
      error: string,
      parameter: enumOf(['app']),
      apps: { ...strings, description: 'Some of the apps this aggregator watches (at most 20).' },
      shard: {
        ...count,
        description:
          "The app belongs to another shard: that shard's SHARD (GET /api/v1/apps lists every app with its shard).",
      },
      host: {
        ...string,
        description:
          "That shard's pod (`<name>-<shard>` of a StatefulSet), when this aggregator took its SHARD from its " +
          'host name (SHARD_FROM_HOSTNAME).',
      },
    },
    ['parameter', 'apps', 'shard', 'host'],
  ),
  FleetApp: object({
    app: { ...string, description: 'The app as `?app=` names it: its id, or AGGREGATOR_APP.' },
    app_id: nullable(string),
    name: nullable({ ...string, description: "The spec's app name." }),
    verdict: enumOf(VERDICTS),
    configured_replicas: nullable(count),
    active_instances: nullable({
      ...count,
      description: 'Heartbeating instances; null when the app has no agents.',
    }),
    platform_ready: nullable({
      ...count,
      description: "The dashboard's ready count, summed over components.",
    }),
    platform_instances: nullable({ ...count, description: 'The instances the platform lists.' }),
    finding_codes: { type: 'array', items: enumOf(FINDING_CODES) },
    worst_severity: nullable(enumOf(SEVERITIES)),
    surplus_instances: nullable({
      ...count,
      description: 'Instances beyond the most the spec allows; null when unknown.',
    }),
    estimated_monthly_waste_usd: nullable({
      type: 'number',
      minimum: 0,
      description:
        "The surplus times the usd_per_month of each component's instance_size_slug " +
        '(GET /v2/apps/tiers/instance_sizes); null when unknown, never 0 for unknown.',
    }),
    agentless: { type: 'boolean', description: 'No agent reports: judged from the platform alone.' },
    degraded: { type: 'boolean' },
    platform_data_age_ms: nullable(count),
    shard: { type: 'integer', minimum: 0, description: 'The shard that owns the app (SHARD; 0 unsharded).' },
    generated_at: nullable({ ...dateTime, description: 'Its report; null before its first reconcile.' }),
    summary_written_at: nullable({
      ...dateTime,
      description:
        "When the owning shard last wrote the row to Redis (rw:{fleet}:summaries): set on other shards' apps; " +
        "null on this aggregator's own apps (live) and on an app no shard has written.",
    }),
    summary_stale: {
      type: 'boolean',
      description:
        "Another shard's app whose summary is older than shards.stale_after_ms, or that has none: nothing " +
        'current is known, so its counts are null and its verdict `degraded`. False on the own apps.',
    },
  }),
  ShardState: object({
    shard: count,
    apps: { ...count, description: 'The rows of the fleet this shard owns.' },
    written_at: nullable({
      ...dateTime,
      description:
        "Its newest summary in Redis (this aggregator's: its last write); null when none was seen.",
    }),
  }),
  ShardsState: object({
    shard: { ...count, description: "This aggregator's SHARD." },
    total: { type: 'integer', minimum: 1, description: 'TOTAL_SHARDS.' },
    stale_after_ms: {
      ...count,
      description: 'A summary older than this is stale: its app is shown unknown (`degraded`).',
    },
    read_status: nullable({
      ...enumOf(['ok', 'failing', 'pending']),
      description:
        "How reading the other shards' summaries goes (failing: their rows are the last read, aging into " +
        'stale; pending: not read yet); null unsharded.',
    }),
    by_shard: { type: 'array', items: ref('ShardState'), description: 'One per shard, 0 to TOTAL_SHARDS-1.' },
  }),
  DiscoveryState: object({
    status: enumOf(['ok', 'failing', 'pending']),
    listed_at: nullable(dateTime),
    error: nullable(string),
  }),
  FleetView: object({
    generated_at: dateTime,
    apps: {
      type: 'array',
      items: ref('FleetApp'),
      description:
        "Worst first: every app of the fleet, this shard's live, the other shards' from their summaries.",
    },
    totals: object({
      apps: count,
      by_verdict: object(Object.fromEntries(VERDICTS.map((v) => [v, count]))),
      surplus_instances: nullable({ ...count, description: 'Over the apps whose surplus is known.' }),
      estimated_monthly_waste_usd: nullable({
        type: 'number',
        minimum: 0,
        description: 'Over the apps whose waste is known.',
      }),
      unknown_waste_apps: count,
    }),
    discovery: nullableRef(
      'DiscoveryState',
      'How the apps were last listed (DO_APP_ID=*); null when they are configured.',
    ),
    shards: ref('ShardsState'),
  }),
  QueryError: object({
    error: string,
    parameter: { ...string, description: 'The query parameter at fault.' },
  }),
  HistoryPoint: object({
    at: dateTime,
    component: string,
    desired: nullable(count),
    platform_ready: nullable(count),
    platform_instances: nullable(count),
    live: count,
    serving: count,
    orphaned: count,
    stale: count,
    verdict: enumOf(VERDICTS),
  }),
  HistoryResponse: object({
    component: nullable({ ...string, description: 'The component asked for; null for every component.' }),
    since: dateTime,
    points: { type: 'array', items: ref('HistoryPoint'), description: 'Oldest first.' },
  }),
  RestartCall: object({
    method: enumOf(['POST']),
    path: string,
    body: object({ components: strings }),
  }),
  AuditEntry: object({
    id: string,
    at: dateTime,
    component: string,
    decision: enumOf(Object.keys(DECISION_KINDS)),
    reason: nullable(enumOf(SKIP_REASONS)),
    detail: string,
    mode: enumOf(REMEDIATION_MODES),
    triggers: { type: 'array', items: enumOf(FINDING_CODES) },
    call: nullableRef('RestartCall', 'The platform call made (act) or that would have been (dry-run).'),
    outcome: nullable(enumOf(['ok', 'error'])),
    deployment_id: nullable(string),
    error: nullable(string),
    until: nullable({ ...dateTime, description: 'When the skip reason ends by itself.' }),
    fencing_token: nullable({ type: 'integer' }),
  }),
  AuditResponse: object({
    entries: { type: 'array', items: ref('AuditEntry'), description: 'Newest first.' },
  }),
};

/** `?app=`: every per-app route takes it. */
const APP_PARAMETER = {
  name: 'app',
  in: 'query',
  required: false,
  description:
    'The app (as GET /api/v1/apps names it). May be left out on an aggregator of one app; on one of ' +
    'many, the report routes then answer for every app at once (each component and instance carrying ' +
    'its `app`) and the others answer 400.',
  schema: string,
};

/** How a request naming an app the aggregator does not watch (or none, where one is needed) is refused. */
const APP_REFUSALS = {
  '400': { description: 'The app parameter is malformed', content: json(ref('AppRefusal')) },
  '404': {
    description:
      'This aggregator watches no such app; when another shard owns it, `shard` names that shard (and `host` its pod)',
    content: json(ref('AppRefusal')),
  },
} as const;

/** The document served at GET /openapi.json. */
export const OPENAPI_DOCUMENT = {
  openapi: '3.0.3',
  info: {
    title: 'replica-watch aggregator',
    version: '1.0.0',
    description:
      'How many instances of each App Platform component really run, serve, and on which deployment; ' +
      'why the counts disagree. Every read is served from the latest reconciliation: no request waits ' +
      'on Redis or the platform API.',
  },
  tags: [
    { name: 'report', description: 'The reconciled report' },
    { name: 'ingest', description: "The agents' HTTP transport" },
    { name: 'operations', description: 'Probes, metrics and this document' },
  ],
  paths: {
    '/api/v1/monitoring/replicas': {
      get: {
        tags: ['report'],
        operationId: 'getReplicaReport',
        summary: 'The report: summary, components with findings, instances, recommendations',
        security: optionalBearer,
        parameters: [
          APP_PARAMETER,
          {
            name: 'instances',
            in: 'query',
            required: false,
            description: '`false` leaves the instance list out (a smaller body for large fleets).',
            schema: enumOf(['true', 'false']),
          },
          {
            name: 'If-None-Match',
            in: 'header',
            required: false,
            description: 'The ETag of a previous answer: 304 while the report is unchanged.',
            schema: string,
          },
        ],
        responses: {
          '200': {
            description: 'The latest report',
            headers: {
              ETag: { description: 'Strong ETag of this body', schema: string },
              'Cache-Control': { schema: enumOf(['no-cache']) },
            },
            content: json(ref('Report')),
          },
          '304': { description: 'Unchanged since the ETag given in If-None-Match' },
          '401': errorResponse('AGGREGATOR_API_TOKEN is set and the bearer token is missing or wrong'),
          ...APP_REFUSALS,
          '503': errorResponse('No report yet: the first reconciliation has not run'),
        },
      },
    },
    '/api/v1/apps': {
      get: {
        tags: ['report'],
        operationId: 'listApps',
        summary: 'The fleet: one row per watched app, worst first, with the surplus and what it costs',
        security: optionalBearer,
        responses: {
          '200': {
            description: "Every app of the fleet: this aggregator's own, and the other shards' from Redis",
            headers: { ETag: { description: 'Strong ETag of this body', schema: string } },
            content: json(ref('FleetView')),
          },
          '304': { description: 'Unchanged since the ETag given in If-None-Match' },
          '401': errorResponse('AGGREGATOR_API_TOKEN is set and the bearer token is missing or wrong'),
        },
      },
    },
    '/api/v1/health/instances': {
      get: {
        tags: ['report'],
        operationId: 'listInstances',
        summary:
          'Every known instance with its state (live, suspect, gone, left), deployment, serving and stats',
        security: optionalBearer,
        parameters: [APP_PARAMETER],
        responses: {
          '200': {
            description: 'The instances of the latest report',
            content: json(ref('InstancesResponse')),
          },
          '401': errorResponse('AGGREGATOR_API_TOKEN is set and the bearer token is missing or wrong'),
          ...APP_REFUSALS,
          '503': errorResponse('No report yet'),
        },
      },
    },
    '/api/v1/heartbeats': {
      post: {
        tags: ['ingest'],
        operationId: 'postHeartbeat',
        summary: 'Ingest of one heartbeat or goodbye, or of a batch of them',
        description:
          `One heartbeat: a JSON object of at most ${MAX_HEARTBEAT_BYTES} bytes, answered 202. A batch: a JSON ` +
          'array of heartbeats (`application/json`, the body starting with `[`) or NDJSON ' +
          '(`application/x-ndjson`, one heartbeat a line, blank lines ignored), answered 200 with one result ' +
          `per item in item order; at most MAX_BATCH_ITEMS (${MAX_BATCH_ITEMS}) items and MAX_BATCH_BYTES ` +
          `(${MAX_BATCH_BYTES}) bytes, each item at most ${MAX_HEARTBEAT_BYTES} bytes. Each item is judged as a ` +
          'single POST of it would be; one bad item never loses the others. Bodies declared over the cap are ' +
          'refused unread (413). Unknown fields are ignored, so newer agents can add fields. The ingest may be ' +
          'authorised by the heartbeat signature (HEARTBEAT_SECRET) instead of the bearer token: in a batch each ' +
          'item is verified on its own. INGEST_RATE_LIMIT_PER_S counts heartbeats (a batch spends one per item).',
        security: optionalBearer,
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                anyOf: [
                  ref('Heartbeat'),
                  {
                    type: 'array',
                    items: ref('Heartbeat'),
                    minItems: 1,
                    maxItems: MAX_BATCH_ITEMS,
                    description: 'A batch.',
                  },
                ],
              },
            },
            'application/x-ndjson': {
              schema: { type: 'string', description: 'A batch: one Heartbeat as JSON per line.' },
            },
          },
        },
        responses: {
          '200': { description: 'A batch, judged item by item', content: json(ref('HeartbeatBatchResult')) },
          '202': { description: 'Accepted', content: json(ref('HeartbeatAccepted')) },
          '400': {
            description: 'Refused: not a valid heartbeat of this app; a batch that is no array, or empty',
            content: json({ anyOf: [ref('HeartbeatRejected'), ref('BatchRejected')] }),
          },
          '401': errorResponse('AGGREGATOR_API_TOKEN is set and neither the token nor a signature is valid'),
          '413': {
            description: `Larger than ${MAX_HEARTBEAT_BYTES} bytes (one heartbeat), or than a batch's limits`,
            content: json({ anyOf: [ref('HeartbeatRejected'), ref('BatchRejected')] }),
          },
          '429': {
            description: 'Past INGEST_RATE_LIMIT_PER_S heartbeats this second from this address',
            content: json(ref('RateLimited')),
          },
        },
      },
    },
    '/api/v1/history': {
      get: {
        tags: ['report'],
        operationId: 'getHistory',
        summary: 'Counts per component over time, one point per reconciliation',
        security: optionalBearer,
        parameters: [
          APP_PARAMETER,
          {
            name: 'component',
            in: 'query',
            required: false,
            description: 'Only this component; absent or empty for every component.',
            schema: string,
          },
          {
            name: 'since',
            in: 'query',
            required: false,
            description:
              'Points at or after this time: ms since the epoch, or ISO 8601 with a time zone. ' +
              `Default: the last ${HISTORY_DEFAULTS.defaultWindowMs / 60_000} minutes.`,
            schema: string,
          },
        ],
        responses: {
          '200': {
            description: `At most ${HISTORY_DEFAULTS.maxPoints} points, the newest ones, oldest first`,
            content: json(ref('HistoryResponse')),
          },
          '400': {
            description: 'A bad query parameter, or no app named on an aggregator of many',
            content: json(ref('QueryError')),
          },
          '401': errorResponse('AGGREGATOR_API_TOKEN is set and the bearer token is missing or wrong'),
          '404': APP_REFUSALS['404'],
          '503': errorResponse('The history store cannot be read now'),
        },
      },
    },
    '/api/v1/audit': {
      get: {
        tags: ['report'],
        operationId: 'getAudit',
        summary: 'Remediation decisions (acted, dry run, skipped and why), newest first',
        security: optionalBearer,
        parameters: [
          APP_PARAMETER,
          {
            name: 'limit',
            in: 'query',
            required: false,
            description: `How many entries (default ${AUDIT_DEFAULTS.defaultLimit}).`,
            schema: { type: 'integer', minimum: 1, maximum: AUDIT_DEFAULTS.maxLimit },
          },
        ],
        responses: {
          '200': { description: 'The newest entries', content: json(ref('AuditResponse')) },
          '400': {
            description: 'A bad query parameter, or no app named on an aggregator of many',
            content: json(ref('QueryError')),
          },
          '401': errorResponse('AGGREGATOR_API_TOKEN is set and the bearer token is missing or wrong'),
          '404': APP_REFUSALS['404'],
          '503': errorResponse('The audit trail cannot be read now'),
        },
      },
    },
    '/api/v1/events': {
      get: {
        tags: ['report'],
        operationId: 'streamReports',
        summary: 'The report as server-sent events, one per reconciliation (the dashboard uses it)',
        description:
          'Each event is `event: report` with one `data:` line holding a Report as JSON (without ' +
          '`instances` for large fleets). Comment lines keep idle proxies from closing the stream.',
        security: optionalBearer,
        parameters: [APP_PARAMETER],
        responses: {
          '200': {
            description: 'An endless text/event-stream',
            content: { 'text/event-stream': { schema: string } },
          },
          '400': { description: 'No app named on an aggregator of many', content: json(ref('AppRefusal')) },
          '401': errorResponse('AGGREGATOR_API_TOKEN is set and the bearer token is missing or wrong'),
          '404': APP_REFUSALS['404'],
          '503': errorResponse('Too many open streams, or shutting down'),
        },
      },
    },
    '/metrics': {
      get: {
        tags: ['operations'],
        operationId: 'getMetrics',
        summary: 'Prometheus metrics (replica_watch_*)',
        responses: {
          '200': {
            description: 'The Prometheus text exposition format',
            content: { 'text/plain': { schema: string } },
          },
        },
      },
    },
    '/livez': {
      get: {
        tags: ['operations'],
        operationId: 'getLivez',
        summary: 'Liveness: the process answers',
        responses: { '200': { description: 'Alive', content: json(ref('Livez')) } },
      },
    },
    '/readyz': {
      get: {
        tags: ['operations'],
        operationId: 'getReadyz',
        summary: 'Readiness: a first report exists',
        parameters: [APP_PARAMETER],
        responses: {
          '200': { description: 'Ready', content: json(ref('Readyz')) },
          '503': errorResponse('No report yet'),
        },
      },
    },
    '/openapi.json': {
      get: {
        tags: ['operations'],
        operationId: 'getOpenApi',
        summary: 'This document',
        responses: {
          '200': { description: 'OpenAPI 3.0', content: json({ type: 'object' }) },
        },
      },
    },
    '/': {
      get: {
        tags: ['operations'],
        operationId: 'getDashboard',
        summary: 'The live dashboard (one page, nothing fetched from elsewhere)',
        responses: { '200': { description: 'HTML', content: { 'text/html': { schema: string } } } },
      },
    },
  },
  components: {
    securitySchemes: {
      bearerAuth: {
        type: 'http',
        scheme: 'bearer',
        description: 'AGGREGATOR_API_TOKEN; only required when the aggregator has one configured.',
      },
    },
    schemas,
  },
} as const;
