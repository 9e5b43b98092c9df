/**
 * The App Platform contract, judged by DigitalOcean's own OpenAPI (../shared/do-openapi/apps.yaml):
 * every response the simulated platform serves, in every scenario, fits the operation's response
 * schema; the client's schemas parse every example of those operations; and every field the
 * client reads exists, under that name, in the OpenAPI.
 */
import { request } from 'undici';
import type { z } from 'zod';
import {
  appResponseSchema,
  deploymentResponseSchema,
  deploymentsResponseSchema,
  healthResponseSchema,
  instancesResponseSchema,
} from '../../aggregator/platform/digitalocean/schemas';
import type { FaultSpec, ScenarioName, SimulatedPlatform } from '../../aggregator/platform/simulated';
import { SCENARIO_NAMES, SCENARIOS, startSimulatedPlatform } from '../../aggregator/platform/simulated';
import type { OpenApiDocument } from '../support/openapi';
import {
  ResponseValidator,
  appsOpenApiPath,
  loadAppsOpenApi,
  resolve,
  responseExamples,
} from '../support/openapi';

const TOKEN = 'contract-test-token';

/** The operations replica-watch uses, with the client schema that reads each one's answer. */
const OPERATIONS: readonly { method: string; path: string; schema: z.ZodType }[] = [
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

let api: OpenApiDocument;
let validator: ResponseValidator;

beforeAll(() => {
  api = loadAppsOpenApi();
  validator = new ResponseValidator(api);
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
    // The fault scenarios are checked on their good answers here, and on their faults below.
    platform = await startSimulatedPlatform({
      scenario: name as ScenarioName,
      fault: null,
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

  it('answers auth failures, unknown apps and refused specs with DigitalOcean error bodies', async () => {
    platform = await startSimulatedPlatform({ scenario: name as ScenarioName, fault: null });
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

    expect(problems).toEqual([]);
    expect([unauthorised.status, missing.status, refused.status]).toEqual([401, 404, 422]);
  });

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
    return candidates(properties[key]).some(
      (list) => list.items !== undefined && openApiHasPath(list.items, rest),
    );
  });
}

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
