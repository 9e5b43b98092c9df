/**
 * The aggregator's OpenAPI document: well-formed, its schemas list exactly the fields of the
 * report types, the reconciler's output in many shapes validates, and every route the HTTP app
 * registers is documented.
 */
import { embeddedIngest, soloApp } from '../support/http-deps';
import type { Router } from 'express';
import { Registry } from 'prom-client';
import { InstanceRegistry } from '../../aggregator/collector';
import type {
  DiscoveryState,
  FleetApp,
  FleetView,
  ShardState,
  ShardsState,
} from '../../aggregator/fleet/fleet-view';
import type { HistoryPoint } from '../../aggregator/history';
import type { AppRefusalBody } from '../../aggregator/http/app-directory';
import { MemoryHistoryStore } from '../../aggregator/history';
import { createHttpApp } from '../../aggregator/http/app';
import { ReportEventStream } from '../../aggregator/http/events';
import { OPENAPI_DOCUMENT } from '../../aggregator/http/openapi';
import type {
  ComponentReport,
  DeploymentCount,
  DeploymentReport,
  Finding,
  FindingTrend,
  InstanceReport,
  PlatformErrorReport,
  Report,
  ReportSummary,
} from '../../aggregator/reconcile/report';
import type { ReconcileInput } from '../../aggregator/reconcile';
import { reconcile } from '../../aggregator/reconcile';
import type { AuditEntry } from '../../aggregator/remediate';
import { MemoryAuditTrail } from '../../aggregator/remediate';
import { ReportStore } from '../../aggregator/report-store';
import { systemClock } from '../../shared/clock';
import type { Heartbeat } from '../../shared/heartbeat';
import { silentLogger } from '../../shared/logger';
import { AggregatorApiValidator, aggregatorOpenApi } from '../support/aggregator-openapi';
import { goodbyeOf, makeHeartbeat } from '../support/heartbeats';
import {
  autoscaled,
  component,
  deployment,
  fixed,
  listed,
  notFoundView,
  platformError,
  view,
} from '../support/platform';
import { fullReport, input } from '../support/reconcile-io';
import { blindSince, instance, instances, NOW } from '../support/records';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const doc = aggregatorOpenApi();
const schemas = (doc.components as JsonObject).schemas as Record<string, JsonObject>;
const validator = new AggregatorApiValidator();

function propertiesOf(name: string): string[] {
  const schema = schemas[name];
  if (!schema) throw new Error(`no schema ${name}`);
  return Object.keys(schema.properties as JsonObject).sort();
}

// Records keyed by the types' fields: the compiler fails when a field is added to a type and
// not here, and the test fails when the document does not list it.
const FIELDS: Record<string, string[]> = {
  Report: Object.keys({
    generated_at: 1,
    app: 1,
    platform: 1,
    app_id: 1,
    active_deployment_id: 1,
    in_progress_deployment: 1,
    pending_deployment: 1,
    summary: 1,
    components: 1,
    instances: 1,
    recommendations: 1,
    degraded: 1,
    app_name: 1,
  } satisfies Record<keyof Report, 1>),
  ReportSummary: Object.keys({
    configured_replicas: 1,
    active_instances: 1,
    serving_instances: 1,
    discrepancy: 1,
    verdict: 1,
    do_api_status: 1,
    platform_data_age_ms: 1,
    do_api_error: 1,
    agentless: 1,
    surplus_instances: 1,
    estimated_monthly_waste_usd: 1,
  } satisfies Record<keyof ReportSummary, 1>),
  PlatformErrorReport: Object.keys({
    kind: 1,
    message: 1,
    http_status: 1,
    request_id: 1,
    since: 1,
    fix_variable: 1,
  } satisfies Record<keyof PlatformErrorReport, 1>),
  DeploymentReport: Object.keys({ id: 1, phase: 1, created_at: 1 } satisfies Record<
    keyof DeploymentReport,
    1
  >),
  ComponentReport: Object.keys({
    name: 1,
    kind: 1,
    desired: 1,
    autoscaling: 1,
    platform_ready: 1,
    platform_instances: 1,
    live: 1,
    serving: 1,
    suspect: 1,
    stale: 1,
    left: 1,
    orphaned: 1,
    deployments: 1,
    verdict: 1,
    findings: 1,
    note: 1,
    app: 1,
    instance_size_slug: 1,
    usd_per_month: 1,
    surplus_instances: 1,
    estimated_monthly_waste_usd: 1,
  } satisfies Record<keyof ComponentReport, 1>),
  Finding: Object.keys({
    code: 1,
    severity: 1,
    message: 1,
    instances: 1,
    recommendation: 1,
    deployment_ids: 1,
    trend: 1,
  } satisfies Record<keyof Finding, 1>),
  FindingTrend: Object.keys({
    direction: 1,
    from: 1,
    to: 1,
    since: 1,
    window_ms: 1,
  } satisfies Record<keyof FindingTrend, 1>),
  DeploymentCount: Object.keys({ deployment_id: 1, live: 1, active: 1 } satisfies Record<
    keyof DeploymentCount,
    1
  >),
  InstanceReport: Object.keys({
    instance_id: 1,
    component: 1,
    deployment_id: 1,
    version: 1,
    state: 1,
    last_seen: 1,
    age_ms: 1,
    started_at: 1,
    serving: 1,
    orphaned: 1,
    region: 1,
    node_name: 1,
    cpu_usage: 1,
    rss_bytes: 1,
    mem_used_bytes: 1,
    mem_total_bytes: 1,
    clock_offset_ms: 1,
    draining: 1,
    container: 1,
    app: 1,
  } satisfies Record<keyof InstanceReport, 1>),
  HistoryPoint: Object.keys({
    at: 1,
    component: 1,
    desired: 1,
    platform_ready: 1,
    platform_instances: 1,
    live: 1,
    serving: 1,
    orphaned: 1,
    stale: 1,
    verdict: 1,
  } satisfies Record<keyof HistoryPoint, 1>),
  AuditEntry: Object.keys({
    id: 1,
    at: 1,
    component: 1,
    decision: 1,
    reason: 1,
    detail: 1,
    mode: 1,
    triggers: 1,
    call: 1,
    outcome: 1,
    deployment_id: 1,
    error: 1,
    until: 1,
    fencing_token: 1,
  } satisfies Record<keyof AuditEntry, 1>),
  FleetApp: Object.keys({
    app: 1,
    app_id: 1,
    name: 1,
    verdict: 1,
    configured_replicas: 1,
    active_instances: 1,
    platform_ready: 1,
    platform_instances: 1,
    finding_codes: 1,
    worst_severity: 1,
    surplus_instances: 1,
    estimated_monthly_waste_usd: 1,
    agentless: 1,
    degraded: 1,
    platform_data_age_ms: 1,
    shard: 1,
    generated_at: 1,
    summary_written_at: 1,
    summary_stale: 1,
  } satisfies Record<keyof FleetApp, 1>),
  FleetView: Object.keys({
    generated_at: 1,
    apps: 1,
    totals: 1,
    discovery: 1,
    shards: 1,
  } satisfies Record<keyof FleetView, 1>),
  DiscoveryState: Object.keys({ status: 1, listed_at: 1, error: 1 } satisfies Record<
    keyof DiscoveryState,
    1
  >),
  ShardsState: Object.keys({
    shard: 1,
    total: 1,
    stale_after_ms: 1,
    read_status: 1,
    by_shard: 1,
  } satisfies Record<keyof ShardsState, 1>),
  ShardState: Object.keys({ shard: 1, apps: 1, written_at: 1 } satisfies Record<keyof ShardState, 1>),
  AppRefusal: Object.keys({
    error: 1,
    parameter: 1,
    apps: 1,
    shard: 1,
    host: 1,
  } satisfies Record<keyof AppRefusalBody, 1>),
  Heartbeat: Object.keys({
    v: 1,
    type: 1,
    app: 1,
    component: 1,
    instance_id: 1,
    deployment_id: 1,
    version: 1,
    region: 1,
    pod_name: 1,
    node_name: 1,
    boot_id: 1,
    seq: 1,
    sent_at: 1,
    started_at: 1,
    interval_ms: 1,
    ttl_ms: 1,
    serving: 1,
    stats: 1,
    sig: 1,
  } satisfies Record<keyof Heartbeat, 1>),
};

describe('the document', () => {
  test('is OpenAPI 3.0 with unique operation ids, responses everywhere and every $ref resolvable', () => {
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    const operations: JsonObject[] = [];
    for (const item of Object.values(doc.paths as JsonObject)) {
      for (const [method, op] of Object.entries(item as JsonObject)) {
        expect(['get', 'post', 'put', 'patch', 'delete', 'head', 'options']).toContain(method);
        operations.push(op as JsonObject);
      }
    }
    const ids = operations.map((op) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const op of operations) expect(Object.keys(op.responses as JsonObject).length).toBeGreaterThan(0);

    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(refs.length).toBeGreaterThan(10);
    expect(refs.filter((name) => name === undefined || !(name in schemas))).toEqual([]);
  });

  test('every /api/ operation names the optional bearer token; the probes and metrics do not', () => {
    for (const [path, item] of Object.entries(doc.paths as JsonObject)) {
      for (const op of Object.values(item as JsonObject)) {
        const security = (op as JsonObject).security;
        if (path.startsWith('/api/'))
          expect({ path, security }).toEqual({ path, security: [{}, { bearerAuth: [] }] });
        else expect({ path, security }).toEqual({ path, security: undefined });
      }
    }
    expect((doc.components as JsonObject).securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
  });

  test.each(Object.keys(FIELDS))('schema %s lists exactly the fields of its type', (name) => {
    expect(propertiesOf(name)).toEqual([...(FIELDS[name] ?? [])].sort());
  });

  test('serializes to the JSON GET /openapi.json serves', () => {
    expect(JSON.parse(JSON.stringify(OPENAPI_DOCUMENT))).toEqual(doc);
  });
});

describe('reconciler output validates against the Report schema', () => {
  const scenarios: [string, Partial<ReconcileInput>][] = [
    ['no platform data, no instances', { platform: view({ status: 'not_configured', fetchedAtMs: null }) }],
    [
      'the incident: orphans, not serving, dashboard over-counting, unreported instances',
      {
        platform: view({
          components: [
            component('backend', {
              desired: fixed(2),
              ready: 6,
              listed: [listed('new-1'), listed('new-2'), listed('zombie-1')],
            }),
            component('api', { desired: autoscaled(2, 4) }),
            component('migrate', { kind: 'job', desired: null }),
          ],
          activeDeployment: deployment('dep-new'),
        }),
        instances: [
          instance('new-1', { deploymentId: 'dep-new', serving: false }),
          instance('new-2', { deploymentId: 'dep-new', serving: true }),
          ...instances('old', 4, { deploymentId: 'dep-old', serving: true }),
          instance('gone-1', { deploymentId: 'dep-new', lastSeenMs: NOW - 120_000 }),
          instance('left-1', { deploymentId: 'dep-new', leftAtMs: NOW - 5_000, lastSeenMs: NOW - 5_000 }),
          instance('api-1', { component: 'api', heartbeat: { stats: null } }),
        ],
      },
    ],
    [
      'a rollout in progress',
      {
        platform: view({
          components: [component('backend', { desired: fixed(2), ready: 2 })],
          activeDeployment: deployment('dep-1'),
          inProgressDeployment: deployment('dep-2', {
            phase: 'DEPLOYING',
            progress: { stepsDone: 2, stepsTotal: 5, errorSteps: 0 },
          }),
        }),
        instances: instances('backend', 3, { deploymentId: 'dep-1' }),
      },
    ],
    [
      'a blind collector and stale platform data',
      {
        collector: blindSince(NOW - 60_000),
        platform: view({
          status: 'stale',
          fetchedAtMs: NOW - 900_000,
          error: platformError('HTTP 503'),
          components: [component('backend')],
        }),
        instances: instances('backend', 2),
      },
    ],
    [
      'blind: DO_APP_ID answered 404, never fetched, agents running',
      {
        platform: notFoundView('4d9f2c1e-aa10-4b7e-9d2a-5e3b7c8f1a22'),
        instances: instances('backend', 2),
      },
    ],
    [
      'an unreachable API over a last good view: a failure without a status or request id',
      {
        platform: view({
          status: 'stale',
          fetchedAtMs: NOW - 600_000,
          error: platformError('GET /v2/apps/app-123: connect ECONNREFUSED', {
            kind: 'unreachable',
            httpStatus: null,
          }),
          components: [component('backend', { desired: fixed(2), ready: 2 })],
        }),
        instances: instances('backend', 2),
      },
    ],
    [
      'a deployment rolling out and one queued behind it; a skewed clock; a draining instance',
      {
        platform: view({
          components: [
            component('backend', {
              desired: fixed(2),
              ready: 2,
              listed: [listed('backend-1'), listed('backend-2'), listed('backend-drain')],
            }),
          ],
          activeDeployment: deployment('dep-1'),
          inProgressDeployment: deployment('dep-2', {
            phase: 'DEPLOYING',
            progress: { stepsDone: 1, stepsTotal: 5, errorSteps: 0 },
          }),
          pendingDeployment: deployment('dep-3', { phase: 'PENDING_BUILD', createdAtMs: null }),
        }),
        instances: [
          instance('backend-1', { deploymentId: 'dep-1', clockOffsetMs: -62_000 }),
          instance('backend-2', { deploymentId: 'dep-1', clockOffsetMs: 1_500 }),
          instance('backend-drain', {
            deploymentId: 'dep-1',
            leftAtMs: NOW - 5_000,
            lastSeenMs: NOW - 5_000,
          }),
        ],
      },
    ],
  ];

  test.each(scenarios)('%s', (_name, given) => {
    const report = fullReport(reconcile(input(given)));
    // The new fields carry values here, not only nulls (the schemas of their objects are exercised).
    if (given.platform?.error) expect(report.summary.do_api_error).not.toBeNull();
    if (given.platform?.pendingDeployment) expect(report.pending_deployment).not.toBeNull();
    expect(validator.responseErrors('get', '/api/v1/monitoring/replicas', 200, report)).toEqual([]);
    const { instances: _omitted, ...withoutInstances } = report;
    expect(validator.responseErrors('get', '/api/v1/monitoring/replicas', 200, withoutInstances)).toEqual([]);
  });

  test('the scenarios cover every verdict and finding code the schema can carry', () => {
    const reports = scenarios.map(([, given]) => fullReport(reconcile(input(given))));
    const codes = new Set(reports.flatMap((r) => r.components.flatMap((c) => c.findings.map((f) => f.code))));
    expect(codes.size).toBeGreaterThanOrEqual(8);
    const verdicts = new Set(reports.flatMap((r) => r.components.map((c) => c.verdict)));
    expect([...verdicts].sort()).toEqual(['degraded', 'discrepancy', 'ok', 'rolling']);
  });

  test('the nullable objects accept null and their own shape only', () => {
    const report = fullReport(reconcile(input()));
    const errors = (patch: Record<string, unknown>) =>
      validator.responseErrors('get', '/api/v1/monitoring/replicas', 200, { ...report, ...patch });
    expect(errors({ pending_deployment: null, in_progress_deployment: null })).toEqual([]);
    expect(errors({ pending_deployment: { id: 'dep-4', phase: 'PENDING_BUILD', created_at: null } })).toEqual(
      [],
    );
    expect(errors({ pending_deployment: { id: 'dep-4' } })).not.toEqual([]);
    const summary = (do_api_error: unknown) => errors({ summary: { ...report.summary, do_api_error } });
    const failure = {
      kind: 'not_found',
      message: 'GET /v2/apps/app-123: HTTP 404',
      http_status: 404,
      request_id: null,
      since: new Date(NOW).toISOString(),
      fix_variable: 'DO_APP_ID',
    };
    expect(summary(failure)).toEqual([]);
    expect(summary({ ...failure, kind: 'teapot' })).not.toEqual([]);
    expect(summary({ ...failure, token: 'x' })).toContainEqual(expect.stringContaining('(token)'));
  });

  test('a report with a field the document lacks fails (the closed check works)', () => {
    const report = fullReport(reconcile(input()));
    expect(
      validator.responseErrors('get', '/api/v1/monitoring/replicas', 200, { ...report, surprise: 1 }),
    ).toEqual([expect.stringContaining('surprise')]);
  });
});

describe('request bodies', () => {
  test('heartbeats and goodbyes as the agents send them validate against Heartbeat', () => {
    const heartbeat = makeHeartbeat();
    expect(validator.schemaErrors('Heartbeat', heartbeat)).toEqual([]);
    expect(validator.schemaErrors('Heartbeat', goodbyeOf(heartbeat))).toEqual([]);
    expect(validator.schemaErrors('Heartbeat', { ...heartbeat, serving: null, sig: 'abc' })).toEqual([]);
    expect(validator.schemaErrors('Heartbeat', { ...heartbeat, v: 2 })).not.toEqual([]);
  });

  // Heartbeat is generated from the zod schema (z.toJSONSchema): it must come out as an OpenAPI
  // 3.0 Schema Object, not JSON Schema 2020-12 (`const`, `$schema`, `type: "null"`, `prefixItems`).
  test('Heartbeat, generated from the zod schema, is in the OpenAPI 3.0 dialect and open to new fields', () => {
    const OPENAPI_30_KEYWORDS = new Set(
      (
        'title multipleOf maximum exclusiveMaximum minimum exclusiveMinimum maxLength minLength pattern ' +
        'maxItems minItems uniqueItems maxProperties minProperties required enum type allOf oneOf anyOf not ' +
        'items properties additionalProperties description format default nullable discriminator readOnly ' +
        'writeOnly xml externalDocs example deprecated'
      ).split(' '),
    );
    const problems: string[] = [];
    const walk = (node: JsonObject, at: string): void => {
      for (const key of Object.keys(node)) if (!OPENAPI_30_KEYWORDS.has(key)) problems.push(`${at}: ${key}`);
      if (typeof node.type !== 'string') problems.push(`${at}: type ${JSON.stringify(node.type)}`);
      if (node.type === 'null') problems.push(`${at}: type null`);
      if (node.additionalProperties === false) problems.push(`${at}: closed`);
      for (const [name, child] of Object.entries((node.properties as JsonObject | undefined) ?? {}))
        walk(child as JsonObject, `${at}.${name}`);
      if (node.items) walk(node.items as JsonObject, `${at}[]`);
    };
    walk(schemas.Heartbeat as JsonObject, 'Heartbeat');
    expect(problems).toEqual([]);
  });
});

describe('routes', () => {
  function routesOf(router: Router, into: Set<string>): Set<string> {
    for (const layer of router.stack) {
      const route = layer.route as { path: string; methods: Record<string, boolean> } | undefined;
      if (route) {
        for (const method of Object.keys(route.methods)) into.add(`${method.toUpperCase()} ${route.path}`);
      } else {
        const nested = (layer.handle as Partial<Router>).stack;
        if (Array.isArray(nested)) routesOf(layer.handle as Router, into);
      }
    }
    return into;
  }

  test('every route the HTTP app registers is documented (dashboard assets aside)', () => {
    const store = new ReportStore();
    const registry = new InstanceRegistry();
    const events = new ReportEventStream({ store, log: silentLogger() });
    const app = createHttpApp({
      apps: soloApp({
        app: 'default',
        store,
        events,
        history: new MemoryHistoryStore(),
        audit: new MemoryAuditTrail(),
      }),
      ingest: embeddedIngest('default', { registry }),
      metricsRegistry: new Registry(),
      clock: systemClock,
      log: silentLogger(),
      onRejected: () => undefined,
    });
    const registered = [...routesOf(app.router as unknown as Router, new Set())]
      // The page's own script and stylesheet: part of GET /, not an API.
      .filter((route) => !route.startsWith('GET /dashboard/'))
      .sort();
    events.close();
    const documented = Object.entries(doc.paths as JsonObject)
      .flatMap(([path, item]) => Object.keys(item as JsonObject).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(registered.filter((route) => !documented.includes(route))).toEqual([]);
    expect(registered.length).toBeGreaterThanOrEqual(11);
  });
});
