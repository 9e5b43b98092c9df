/**
 * The App Platform contract, judged by DigitalOcean's own OpenAPI (../shared/do-openapi/apps.yaml):
 * every response the simulated platform serves, in every scenario and for every kind of access,
 * fits the operation's response schema; every request replica-watch sends (the DigitalOcean
 * client's, and the CLI's whole-spec update) uses only query parameters the operation declares,
 * with values their schemas allow, and bodies that fit its requestBody schema; the client's
 * schemas parse every example of those operations; and every field the client reads exists,
 * under that name, in the OpenAPI. Without apps.yaml the tests fail saying where they looked.
 */
import Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { request } from 'undici';
import type { z } from 'zod';
import { AppSpecApi } from '../../aggregator/cli/app-spec-api';
import { DigitalOceanClient } from '../../aggregator/platform/digitalocean/client';
import {
  appResponseSchema,
  appsResponseSchema,
  deploymentResponseSchema,
  deploymentsResponseSchema,
  healthResponseSchema,
  instanceSizesResponseSchema,
  instancesResponseSchema,
  progressStepSchema,
} from '../../aggregator/platform/digitalocean/schemas';
import { DigitalOceanSource } from '../../aggregator/platform/digitalocean/source';
import type {
  FaultSpec,
  ScenarioName,
  SimulatedAppSpec,
  SimulatedPlatform,
  SimulatedRequest,
} from '../../aggregator/platform/simulated';
import {
  INSTANCE_SIZES,
  SCENARIO_NAMES,
  SCENARIOS,
  startSimulatedPlatform,
} from '../../aggregator/platform/simulated';
import { systemClock } from '../../shared/clock';
import type { OpenApiDocument } from '../support/openapi';
import {
  ResponseValidator,
  appsOpenApiPath,
  loadAppsOpenApi,
  operation,
  resolve,
  responseExamples,
} from '../support/openapi';

const TOKEN = 'contract-test-token';

/** The operations replica-watch uses, with the client schema that reads each one's answer. */
const OPERATIONS: readonly { method: string; path: string; schema: z.ZodType }[] = [
  { method: 'get', path: '/v2/apps', schema: appsResponseSchema },
  { method: 'get', path: '/v2/apps/tiers/instance_sizes', schema: instanceSizesResponseSchema },
  { method: 'get', path: '/v2/apps/{id}', schema: appResponseSchema },
  { method: 'put', path: '/v2/apps/{id}', schema: appResponseSchema },
  { method: 'get', path: '/v2/apps/{app_id}/deployments', schema: deploymentsResponseSchema },
  { method: 'post', path: '/v2/apps/{app_id}/deployments', schema: deploymentResponseSchema },
  { method: 'get', path: '/v2/apps/{app_id}/deployments/{deployment_id}', schema: deploymentResponseSchema },
  { method: 'get', path: '/v2/apps/{app_id}/instances', schema: instancesResponseSchema },
  { method: 'get', path: '/v2/apps/{app_id}/health', schema: healthResponseSchema },
  { method: 'post', path: '/v2/apps/{app_id}/restart', schema: deploymentResponseSchema },
];

interface Exchange {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}

async function call(
  platform: SimulatedPlatform,
  method: string,
  path: string,
  body?: unknown,
  token = TOKEN,
) {
  const response = await request(`${platform.url}${path}`, {
    method: method.toUpperCase() as 'GET',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    headers: response.headers,
    body: JSON.parse(text) as unknown,
  } as Exchange;
}

type Json = Parameters<typeof resolve>[1];

/** OpenAPI 3.0 → JSON Schema for ajv: `nullable: true` becomes a `null` alternative. */
function jsonSchemaOf(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(jsonSchemaOf);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    // Examples are data, not schemas.
    out[key] = key === 'example' || key === 'examples' ? value : jsonSchemaOf(value);
  }
  if (out.nullable !== true) return out;
  delete out.nullable;
  return { anyOf: [out, { type: 'null' }] };
}

const REQUEST_DOCUMENT = 'https://replica-watch.test/do-apps-requests.json';

/**
 * Holds a request to its operation in the OpenAPI: every query parameter is one the operation
 * declares (`in: query`) and its value fits the parameter's schema; the body fits the
 * requestBody's JSON schema, and is there when the requestBody is required.
 */
class RequestValidator {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(private readonly document: OpenApiDocument) {
    addFormats(this.ajv);
    for (const format of ['int32', 'int64', 'uint32', 'uint64', 'float', 'double'])
      this.ajv.addFormat(format, true);
    this.ajv.addSchema({ $id: REQUEST_DOCUMENT, components: jsonSchemaOf(document.doc.components ?? {}) });
  }

  /** What is wrong with `seen` as a request of `method path` ([] when it fits). */
  problems(method: string, path: string, seen: Pick<SimulatedRequest, 'query' | 'body'>): string[] {
    const op = operation(this.document, method, path) as Record<string, Json>;
    const label = `${method.toUpperCase()} ${path}`;
    const declared = ((op.parameters ?? []) as Json[])
      .map((p) => resolve(this.document.doc, p) as Record<string, Json>)
      .filter((p) => p.in === 'query');
    const problems: string[] = [];
    for (const [name, value] of seen.query) {
      const parameter = declared.find((p) => p.name === name);
      if (!parameter) {
        problems.push(`${label}: query parameter ${name} is not declared`);
        continue;
      }
      const validate = this.compile(`${label} ?${name}`, parameter.schema ?? {});
      if (!validate(queryValue(value, parameter.schema))) {
        problems.push(`${label}: query parameter ${name}=${value} ${this.ajv.errorsText(validate.errors)}`);
      }
    }
    const body = resolve(this.document.doc, op.requestBody) as Record<string, Json> | undefined;
    if (body === undefined) {
      if (seen.body !== undefined) problems.push(`${label}: sends a body the operation does not take`);
      return problems;
    }
    if (seen.body === undefined) {
      if (body.required === true) problems.push(`${label}: the required body is missing`);
      return problems;
    }
    const content = body.content as Record<string, Record<string, Json>> | undefined;
    const schema = content?.['application/json']?.schema;
    if (schema === undefined) return [...problems, `${label}: declares no JSON body`];
    const validate = this.compile(`${label} body`, schema);
    if (!validate(seen.body)) problems.push(`${label}: body ${this.ajv.errorsText(validate.errors)}`);
    return problems;
  }

  private compile(key: string, schema: Json): ValidateFunction {
    let validate = this.cache.get(key);
    if (!validate) {
      // Local $refs point into the components registered above.
      const anchored = JSON.parse(
        JSON.stringify(jsonSchemaOf(schema)).replace(/"\$ref":"#/g, `"$ref":"${REQUEST_DOCUMENT}#`),
      ) as object;
      validate = this.ajv.compile(anchored);
      this.cache.set(key, validate);
    }
    return validate;
  }
}

/** A query string's value as the parameter's schema types it (an integer, a boolean, a list). */
function queryValue(value: string, schema: Json | undefined): unknown {
  const type =
    typeof schema === 'object' && schema !== null && !Array.isArray(schema) ? schema.type : undefined;
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  if (type === 'array') return [value];
  return value;
}

let api: OpenApiDocument;
let validator: ResponseValidator;
let requests: RequestValidator;

beforeAll(() => {
  api = loadAppsOpenApi();
  validator = new ResponseValidator(api);
  requests = new RequestValidator(api);
});

describe('the OpenAPI document', () => {
  it(`is found at ${appsOpenApiPath()} and declares every operation replica-watch uses`, () => {
    expect(api.path).toBe(appsOpenApiPath());
    for (const op of OPERATIONS) {
      expect(validator.schemaRef(op.method, op.path, 200)).not.toBeNull();
    }
  });
});

/**
 * Checks one exchange against the operation's schema for its status (and, as the schemas allow
 * any extra property, that every field it serves is one the OpenAPI declares), and the
 * ratelimit headers.
 */
function expectConforms(method: string, path: string, exchange: Exchange, problems: string[]): void {
  problems.push(...validator.errors(method, path, exchange.status, exchange.body));
  const schema = validator.schemaRef(method, path, exchange.status);
  for (const field of jsonFieldPaths(exchange.body)) {
    if (!openApiHasPath(schema, field.split('.'))) {
      problems.push(`${method.toUpperCase()} ${path} ${exchange.status}: serves undeclared field ${field}`);
    }
  }
  for (const name of ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']) {
    const value = exchange.headers[name];
    if (typeof value !== 'string' || !/^\d+$/.test(value)) {
      problems.push(
        `${method.toUpperCase()} ${path} ${exchange.status}: header ${name} is not an integer (${String(value)})`,
      );
    }
  }
}

/** Calls every endpoint (every deployments page, every deployment) and checks each answer. */
async function checkAllReads(
  platform: SimulatedPlatform,
  problems: string[],
  statuses: number[],
): Promise<void> {
  const app = platform.appId;
  const record = (method: string, template: string, exchange: Exchange) => {
    statuses.push(exchange.status);
    expectConforms(method, template, exchange, problems);
    return exchange;
  };
  record('get', '/v2/apps/{id}', await call(platform, 'get', `/v2/apps/${app}`));
  record('get', '/v2/apps/{app_id}/instances', await call(platform, 'get', `/v2/apps/${app}/instances`));
  record('get', '/v2/apps/{app_id}/health', await call(platform, 'get', `/v2/apps/${app}/health`));
  record('get', '/v2/apps/{app_id}/deployments', await call(platform, 'get', `/v2/apps/${app}/deployments`));
  const ids: string[] = [];
  for (let page = 1; page <= 20; page++) {
    const exchange = record(
      'get',
      '/v2/apps/{app_id}/deployments',
      await call(platform, 'get', `/v2/apps/${app}/deployments?page=${page}&per_page=1`),
    );
    const body = exchange.body as { deployments?: { id: string }[]; links?: { pages?: { next?: string } } };
    ids.push(...(body.deployments ?? []).map((d) => d.id));
    if (!body.links?.pages?.next) break;
  }
  for (const id of ids) {
    record(
      'get',
      '/v2/apps/{app_id}/deployments/{deployment_id}',
      await call(platform, 'get', `/v2/apps/${app}/deployments/${id}`),
    );
  }
}

describe.each(SCENARIO_NAMES.map((name) => [name]))('the simulated platform in scenario %s', (name) => {
  const scenario = SCENARIOS[name as ScenarioName];
  let platform: SimulatedPlatform;

  afterEach(() => platform?.close());

  it('serves responses that fit the OpenAPI on every endpoint, before and after actions', async () => {
    // The fault and access scenarios are checked on their good answers here, and on their
    // faults and refusals below.
    platform = await startSimulatedPlatform({
      scenario: name as ScenarioName,
      fault: null,
      access: 'read_write',
      transitionDelayMs: 0,
    });
    const problems: string[] = [];
    const statuses: number[] = [];
    await checkAllReads(platform, problems, statuses);

    const app = platform.appId;
    const restart = await call(platform, 'post', `/v2/apps/${app}/restart`, { components: ['backend'] });
    statuses.push(restart.status);
    expectConforms('post', '/v2/apps/{app_id}/restart', restart, problems);
    await checkAllReads(platform, problems, statuses);

    const deploy = await call(platform, 'post', `/v2/apps/${app}/deployments`, { force_build: true });
    statuses.push(deploy.status);
    expectConforms('post', '/v2/apps/{app_id}/deployments', deploy, problems);

    const current = (await call(platform, 'get', `/v2/apps/${app}`)).body as {
      app: { spec: Record<string, unknown> };
    };
    const services = (current.app.spec.services as { name: string }[]).map((s) => ({
      ...s,
      instance_count: 3,
    }));
    const update = await call(platform, 'put', `/v2/apps/${app}`, {
      spec: { ...current.app.spec, services },
    });
    statuses.push(update.status);
    expectConforms('put', '/v2/apps/{id}', update, problems);
    await checkAllReads(platform, problems, statuses);

    expect(problems).toEqual([]);
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(scenario.name).toBe(name);
  });

  it('answers auth failures, unknown apps, refused writes and refused specs with DigitalOcean error bodies', async () => {
    platform = await startSimulatedPlatform({
      scenario: name as ScenarioName,
      fault: null,
      access: 'read_write',
    });
    const problems: string[] = [];
    const unauthorised = await call(platform, 'get', `/v2/apps/${platform.appId}`, undefined, '');
    expectConforms('get', '/v2/apps/{id}', unauthorised, problems);
    const missing = await call(platform, 'get', '/v2/apps/00000000-0000-4000-8000-000000000000/instances');
    expectConforms('get', '/v2/apps/{app_id}/instances', missing, problems);
    const current = (await call(platform, 'get', `/v2/apps/${platform.appId}`)).body as {
      app: { spec: { services: object[] } };
    };
    // The trap of the usual manual fix: "scale to 0 and back" is refused.
    const zero = current.app.spec.services.map((s) => ({ ...s, instance_count: 0 }));
    const refused = await call(platform, 'put', `/v2/apps/${platform.appId}`, {
      spec: { ...current.app.spec, services: zero },
    });
    expectConforms('put', '/v2/apps/{id}', refused, problems);
    platform.state.setAccess('read_only');
    const app = platform.appId;
    const forbidden = [
      ['post', '/v2/apps/{app_id}/restart', await call(platform, 'post', `/v2/apps/${app}/restart`, {})],
      [
        'post',
        '/v2/apps/{app_id}/deployments',
        await call(platform, 'post', `/v2/apps/${app}/deployments`, {}),
      ],
      ['put', '/v2/apps/{id}', await call(platform, 'put', `/v2/apps/${app}`, { spec: current.app.spec })],
    ] as const;
    for (const [method, path, exchange] of forbidden) expectConforms(method, path, exchange, problems);

    expect(problems).toEqual([]);
    expect([
      unauthorised.status,
      missing.status,
      refused.status,
      ...forbidden.map(([, , e]) => e.status),
    ]).toEqual([401, 404, 422, 403, 403, 403]);
    for (const exchange of [unauthorised, missing, refused, ...forbidden.map(([, , e]) => e)]) {
      expect(exchange.body).toMatchObject({ request_id: expect.any(String) });
    }
  });

  if (scenario.access !== undefined && scenario.access !== 'read_write') {
    const access = scenario.access;
    it(`answers every call refused by its access (${access}) in the OpenAPI's shape`, async () => {
      platform = await startSimulatedPlatform({ scenario: name as ScenarioName, fault: null });
      const problems: string[] = [];
      const statuses: number[] = [];
      await checkAllReads(platform, problems, statuses);
      const restart = await call(platform, 'post', `/v2/apps/${platform.appId}/restart`, {});
      expectConforms('post', '/v2/apps/{app_id}/restart', restart, problems);

      expect(problems).toEqual([]);
      const reads = { read_only: 200, token_rejected: 401, app_not_found: 404 }[access];
      const write = { read_only: 403, token_rejected: 401, app_not_found: 404 }[access];
      expect([new Set(statuses), restart.status]).toEqual([new Set([reads]), write]);
    });
  }

  if (scenario.fault) {
    const fault = scenario.fault;
    it(`answers its ${fault.kind} fault in the OpenAPI's shape`, async () => {
      const override: Partial<FaultSpec> = { afterRequests: 2, delayMs: 20 };
      platform = await startSimulatedPlatform({ scenario: name as ScenarioName, fault: override });
      const problems: string[] = [];
      const statuses: number[] = [];
      await checkAllReads(platform, problems, statuses);

      expect(problems).toEqual([]);
      const expected = { rate_limit: 429, server_error: 500, slow: 200 }[fault.kind];
      expect(statuses.slice(0, 2)).toEqual([200, 200]);
      expect(new Set(statuses.slice(2))).toEqual(new Set([expected]));
    });
  }
});

/**
 * The account's own routes: GET /v2/apps over apps of every scenario and every access (an app
 * the token may not read is listed all the same), paged and whole, each listed app exactly as
 * GET /v2/apps/{id} shows it; the instance sizes, whole and one by one.
 */
describe('the simulated account', () => {
  const START = Date.parse('2026-03-01T12:00:00Z');
  // Time stands still, so that a listing and the app's own answer show the same moment.
  const frozen = { now: () => START, sleep: systemClock.sleep };
  // Every scenario once, on its own access, without its fault (faults are checked below), and
  // steady once more under a name of its own.
  const APPS: readonly SimulatedAppSpec[] = [
    ...SCENARIO_NAMES.map((scenario) => ({ scenario, fault: null })),
    { scenario: 'steady', name: 'second-steady', fault: null },
  ];
  let platform: SimulatedPlatform;
  const seen: SimulatedRequest[] = [];

  beforeEach(async () => {
    seen.length = 0;
    platform = await startSimulatedPlatform({ apps: APPS, clock: frozen, onRequest: (r) => seen.push(r) });
  });
  afterEach(() => platform.close());

  it('lists every app in the OpenAPI shape, page by page and whole, each as GET /v2/apps/{id} shows it', async () => {
    const problems: string[] = [];
    const listed: { id: string; spec: { name: string } }[] = [];
    let path: string | null = '/v2/apps?per_page=4';
    let pages = 0;
    while (path !== null && pages < 20) {
      const exchange = await call(platform, 'get', path);
      expectConforms('get', '/v2/apps', exchange, problems);
      const body = exchange.body as {
        apps: { id: string; spec: { name: string } }[];
        links: { pages: { next?: string } };
        meta: { total: number };
      };
      expect(body.meta.total).toBe(APPS.length);
      listed.push(...body.apps);
      const next: string | undefined = body.links.pages.next;
      path = next === undefined ? null : next.slice(platform.url.length);
      pages++;
    }
    const whole = await call(platform, 'get', '/v2/apps');
    const projects = await call(platform, 'get', '/v2/apps?with_projects=true&per_page=200');
    const past = await call(platform, 'get', '/v2/apps?page=9&per_page=4');
    for (const exchange of [whole, projects, past]) expectConforms('get', '/v2/apps', exchange, problems);

    const readable = new Set(['read_write', 'read_only']);
    const expectedReads: number[] = [];
    const reads: number[] = [];
    for (const app of platform.apps()) {
      const own = await call(platform, 'get', `/v2/apps/${app.appId}`);
      expectConforms('get', '/v2/apps/{id}', own, problems);
      reads.push(own.status);
      const access = app.state.access();
      expectedReads.push(readable.has(access) ? 200 : access === 'app_not_found' ? 404 : 401);
      const entry = listed.find((a) => a.id === app.appId);
      if (own.status === 200) expect(entry).toEqual((own.body as { app: unknown }).app);
      else expect(entry?.spec.name).toBe(app.name);
    }

    expect(problems).toEqual([]);
    expect([pages, listed.length, new Set(listed.map((a) => a.id)).size]).toEqual([
      Math.ceil(APPS.length / 4),
      APPS.length,
      APPS.length,
    ]);
    expect((whole.body as { apps: unknown[] }).apps).toEqual(listed);
    expect(
      (projects.body as { apps: { project_id?: string }[] }).apps.map((a) => typeof a.project_id),
    ).toEqual(APPS.map(() => 'string'));
    expect((past.body as { apps: unknown[] }).apps).toEqual([]);
    expect(reads).toEqual(expectedReads);
    expect(new Set(reads)).toEqual(new Set([200, 401, 404]));
    // The requests sent here fit the operation's parameters too.
    const requestProblems = seen
      .filter((r) => r.route === 'GET /v2/apps')
      .flatMap((r) => requests.problems('get', '/v2/apps', r));
    expect(requestProblems).toEqual([]);
  });

  it('lists the instance sizes in the OpenAPI shape, exactly the example of apps.yaml', async () => {
    const problems: string[] = [];
    const sizes = await call(platform, 'get', '/v2/apps/tiers/instance_sizes');
    expectConforms('get', '/v2/apps/tiers/instance_sizes', sizes, problems);
    const one = await call(platform, 'get', '/v2/apps/tiers/instance_sizes/apps-s-1vcpu-1gb');
    const none = await call(platform, 'get', '/v2/apps/tiers/instance_sizes/apps-s-64vcpu-1tb');
    for (const exchange of [one, none]) {
      expectConforms('get', '/v2/apps/tiers/instance_sizes/{slug}', exchange, problems);
    }

    expect(problems).toEqual([]);
    const examples = responseExamples(api, 'get', '/v2/apps/tiers/instance_sizes', 200);
    expect(examples.map((e) => e.name)).toEqual(['instance_sizes']);
    expect({ instance_sizes: INSTANCE_SIZES }).toEqual(examples[0]?.value);
    expect(sizes.body).toEqual(examples[0]?.value);
    expect([sizes.status, one.status, none.status]).toEqual([200, 200, 404]);
    expect(one.body).toEqual({
      instance_size: expect.objectContaining({ slug: 'apps-s-1vcpu-1gb', usd_per_month: '12.00' }),
    });
  });

  it("answers the account's routes without a token 401, and their faults, in the OpenAPI's shape", async () => {
    const problems: string[] = [];
    const refused = [
      ['/v2/apps', await call(platform, 'get', '/v2/apps', undefined, '')],
      [
        '/v2/apps/tiers/instance_sizes',
        await call(platform, 'get', '/v2/apps/tiers/instance_sizes', undefined, ''),
      ],
    ] as const;
    for (const [path, exchange] of refused) expectConforms('get', path, exchange, problems);
    platform.setAccountFault({
      kind: 'rate_limit',
      afterRequests: 0,
      every: 1,
      retryAfterSeconds: 3,
      delayMs: 0,
    });
    const limited = await call(platform, 'get', '/v2/apps');
    expectConforms('get', '/v2/apps', limited, problems);
    platform.setAccountFault({
      kind: 'server_error',
      afterRequests: 0,
      every: 1,
      retryAfterSeconds: 3,
      delayMs: 0,
    });
    const failed = await call(platform, 'get', '/v2/apps/tiers/instance_sizes');
    expectConforms('get', '/v2/apps/tiers/instance_sizes', failed, problems);

    expect(problems).toEqual([]);
    expect([...refused.map(([, e]) => e.status), limited.status, failed.status]).toEqual([
      401, 401, 429, 500,
    ]);
  });
});

/** Every query parameter and body replica-watch sends, against the operation in the OpenAPI. */
describe.each([['steady'], ['deployment-pending']] as const)(
  'the requests replica-watch sends (%s)',
  (name) => {
    let platform: SimulatedPlatform;
    const seen: SimulatedRequest[] = [];

    beforeEach(async () => {
      seen.length = 0;
      platform = await startSimulatedPlatform({
        scenario: name,
        transitionDelayMs: 0,
        onRequest: (r) => seen.push(r),
      });
    });
    afterEach(() => platform.close());

    it('use only declared query parameters with allowed values, and bodies that fit the requestBody', async () => {
      // Pages of one, so that paging (page, per_page) is exercised.
      const client = new DigitalOceanClient({ baseUrl: platform.url, token: TOKEN, deploymentsPerPage: 1 });
      const source = new DigitalOceanSource({ client, appId: platform.appId });
      const cli = new AppSpecApi({ baseUrl: platform.url, token: TOKEN });
      try {
        const view = await source.refresh();
        expect(view.status).toBe('ok');
        for (const deployment of view.deployments) await client.getDeployment(platform.appId, deployment.id);
        await client.restart(platform.appId, ['backend']);
        await client.restart(platform.appId, []);
        await client.createDeployment(platform.appId, { forceBuild: true });
        await client.createDeployment(platform.appId);
        await source.actions.restart([]);
        const spec = await cli.getSpec(platform.appId);
        await cli.putSpec(platform.appId, spec);
        // The default page size too.
        await new DigitalOceanClient({ baseUrl: platform.url, token: TOKEN }).listDeployments(platform.appId);
        // The account's own reads: the apps (discovery) and the sizes' prices.
        expect((await client.listApps()).map((a) => a.id)).toEqual([platform.appId]);
        expect((await client.listInstanceSizes()).length).toBe(INSTANCE_SIZES.length);
      } finally {
        await source.close();
        await cli.close();
      }

      const routes = new Set(seen.map((r) => r.route));
      expect([...routes].sort()).toEqual([
        'GET /v2/apps',
        'GET /v2/apps/tiers/instance_sizes',
        'GET /v2/apps/{app_id}/deployments',
        'GET /v2/apps/{app_id}/deployments/{deployment_id}',
        'GET /v2/apps/{app_id}/health',
        'GET /v2/apps/{app_id}/instances',
        'GET /v2/apps/{id}',
        'POST /v2/apps/{app_id}/deployments',
        'POST /v2/apps/{app_id}/restart',
        'PUT /v2/apps/{id}',
      ]);
      expect(seen.filter((r) => r.route === 'GET /v2/apps/{app_id}/deployments').length).toBeGreaterThan(2);
      const problems = seen.flatMap((r) => {
        const [method = '', path = ''] = r.route.split(' ');
        return requests.problems(method.toLowerCase(), path, r);
      });
      expect(problems).toEqual([]);
    });
  },
);

describe('the request check', () => {
  it('finds an undeclared parameter, a value out of range, a body of another shape and a missing body', () => {
    const problems = [
      ...requests.problems('get', '/v2/apps/{app_id}/deployments', {
        query: [
          ['pages', '2'],
          ['per_page', '500'],
        ],
        body: undefined,
      }),
      ...requests.problems('post', '/v2/apps/{app_id}/restart', {
        query: [],
        body: { components: 'backend' },
      }),
      ...requests.problems('post', '/v2/apps/{app_id}/deployments', { query: [], body: undefined }),
      ...requests.problems('put', '/v2/apps/{id}', { query: [], body: { spec: { services: [] } } }),
      ...requests.problems('get', '/v2/apps/{id}', { query: [], body: {} }),
      ...requests.problems('get', '/v2/apps', {
        query: [
          ['per_page', '201'],
          ['with_projects', 'yes'],
        ],
        body: undefined,
      }),
    ];
    expect(problems).toEqual([
      'GET /v2/apps/{app_id}/deployments: query parameter pages is not declared',
      expect.stringMatching(
        /^GET \/v2\/apps\/\{app_id\}\/deployments: query parameter per_page=500 .*<= 200/,
      ),
      expect.stringMatching(/^POST \/v2\/apps\/\{app_id\}\/restart: body .*components must be array/),
      'POST /v2/apps/{app_id}/deployments: the required body is missing',
      expect.stringMatching(/^PUT \/v2\/apps\/\{id\}: body .*must have required property 'name'/),
      'GET /v2/apps/{id}: sends a body the operation does not take',
      expect.stringMatching(/^GET \/v2\/apps: query parameter per_page=201 .*<= 200/),
      expect.stringMatching(/^GET \/v2\/apps: query parameter with_projects=yes .*boolean/),
    ]);
  });
});

describe('the client schemas', () => {
  it.each(OPERATIONS.map((op) => [`${op.method.toUpperCase()} ${op.path}`, op]))(
    'parse every example of %s in apps.yaml',
    (_label, op) => {
      const examples = responseExamples(api, op.method, op.path, 200);
      expect(examples.length).toBeGreaterThan(0);
      for (const example of examples) {
        const result = op.schema.safeParse(example.value);
        expect({ example: example.name, issues: result.success ? [] : result.error.issues }).toEqual({
          example: example.name,
          issues: [],
        });
      }
    },
  );

  it('read the health example, whose components sit at the top level, as the components', () => {
    const [example] = responseExamples(api, 'get', '/v2/apps/{app_id}/health', 200);
    const parsed = healthResponseSchema.parse(example?.value);
    expect(parsed.components).toEqual([
      expect.objectContaining({ name: 'sample-expressjs', replicas_desired: 1, replicas_ready: 2 }),
    ]);
  });

  it.each(OPERATIONS.map((op) => [`${op.method.toUpperCase()} ${op.path}`, op]))(
    'name only fields that the OpenAPI declares for %s',
    (_label, op) => {
      const schema = validator.schemaRef(op.method, op.path, 200);
      const missing = zodFieldPaths(op.schema).filter((field) => !openApiHasPath(schema, field.split('.')));
      // The one deliberate extra: health components also read from the top level, where the
      // example puts them; the schema has them under app_health.
      const expected = op.path.endsWith('/health')
        ? missing.filter(
            (field) =>
              field.startsWith('components') && openApiHasPath(schema, `app_health.${field}`.split('.')),
          )
        : [];
      expect(missing).toEqual(expected);
    },
  );
});

describe('the progress step schema', () => {
  it('names only fields that apps_deployment_progress_step declares', () => {
    const fields = zodFieldPaths(progressStepSchema);
    expect(fields).toEqual(expect.arrayContaining(['name', 'status', 'reason.message', 'steps']));
    expect(fields.filter((field) => !openApiHasPath(PROGRESS_STEP, field.split('.')))).toEqual([]);
    // Child steps are held to the step's own fields, not let through as any object.
    expect(openApiHasPath(PROGRESS_STEP, ['steps[]', 'steps[]', 'reason', 'code'])).toBe(true);
    expect(openApiHasPath(PROGRESS_STEP, ['steps[]', 'no_such_field'])).toBe(false);
  });
});

/** Every field path of a JSON value, like `app.spec.services[].name`. */
function jsonFieldPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) {
    return [...new Set(value.flatMap((item) => jsonFieldPaths(item, `${prefix.slice(0, -1)}[].`)))];
  }
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [
    `${prefix}${key}`,
    ...jsonFieldPaths(child, `${prefix}${key}.`),
  ]);
}

/** Every field path a zod schema reads, like `app.spec.services[].instance_count`. */
function zodFieldPaths(schema: z.ZodType, prefix = ''): string[] {
  const node = unwrap(schema);
  const def = (node as unknown as { def: { type: string } }).def;
  if (def.type === 'object') {
    const shape = (node as unknown as { shape: Record<string, z.ZodType> }).shape;
    return Object.entries(shape).flatMap(([key, child]) => [
      `${prefix}${key}`,
      ...zodFieldPaths(child, `${prefix}${key}.`),
    ]);
  }
  if (def.type === 'array') {
    const element = (node as unknown as { element: z.ZodType }).element;
    return zodFieldPaths(element, `${prefix.slice(0, -1)}[].`);
  }
  return [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let node = schema as unknown as { def: { type: string; innerType?: unknown; in?: unknown } };
  for (;;) {
    const { type } = node.def;
    if ((type === 'optional' || type === 'nullable' || type === 'default') && node.def.innerType) {
      node = node.def.innerType as typeof node;
    } else if (type === 'pipe' && node.def.in) {
      node = node.def.in as typeof node;
    } else return node as unknown as z.ZodType;
  }
}

/** Whether the OpenAPI schema declares the property path (`spec`, `services[]`, `instance_count`). */
function openApiHasPath(schema: unknown, path: readonly string[]): boolean {
  if (path.length === 0) return true;
  const [head = '', ...rest] = path;
  const array = head.endsWith('[]');
  const key = array ? head.slice(0, -2) : head;
  return candidates(schema).some((node) => {
    const properties = node.properties as Record<string, unknown> | undefined;
    if (!properties || !(key in properties)) return false;
    if (!array) return openApiHasPath(properties[key], rest);
    // A progress step's child steps are typed only `object`, but they are steps (the OpenAPI's
    // own deployment examples nest whole steps): they are held to the step's schema.
    if (key === 'steps' && node === resolve(api.doc, PROGRESS_STEP as never))
      return openApiHasPath(node, rest);
    return candidates(properties[key]).some(
      (list) => list.items !== undefined && openApiHasPath(list.items, rest),
    );
  });
}

const PROGRESS_STEP = { $ref: '#/components/schemas/apps_deployment_progress_step' };

/** A schema node and everything it is composed of (allOf/anyOf/oneOf), $refs resolved. */
function candidates(schema: unknown): Record<string, unknown>[] {
  const node = resolve(api.doc, schema as never) as unknown;
  if (typeof node !== 'object' || node === null) return [];
  const record = node as Record<string, unknown>;
  const parts = ['allOf', 'anyOf', 'oneOf'].flatMap((k) =>
    Array.isArray(record[k]) ? (record[k] as unknown[]) : [],
  );
  return [record, ...parts.flatMap(candidates)];
}
