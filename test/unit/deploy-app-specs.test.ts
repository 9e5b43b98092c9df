/**
 * Every App Platform app spec under deploy/: valid against the official `app_spec` schema of
 * DigitalOcean's OpenAPI (../shared/do-openapi/apps.yaml; missing, the helper fails loudly)
 * with no key the schema does not name, secrets as SECRET with no value, bindable variables
 * that name this spec's components, and the replica-watch parts wired as their code reads them:
 * agents through run-with-agent.sh from the agent image's layout, Python clients with only the
 * client's variables, aggregators loading, agreeing on the app and the secret, and guarded when
 * an ingress rule exposes them. The Python examples' Dockerfile and buildpack spec are what the
 * README says.
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadAgentConfig } from '../../agent/config';
import { loadAggregatorConfig, soleApp } from '../../aggregator/config';
import { loadAppsOpenApi, resolve } from '../support/openapi';
import { AGENT_NAMES, AGGREGATOR_NAMES } from '../support/config-names';
import { REPO_ROOT } from '../support/spawn';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const DEPLOY = path.join(REPO_ROOT, 'deploy');
const PYTHON_CLIENT = path.join(REPO_ROOT, 'examples/python/replica_watch_heartbeat.py');

/** Where the agent image puts the executable and its wrapper (Dockerfile.agent). */
const AGENT_HOME = '/opt/replica-watch/';
const RUN_WITH_AGENT = `${AGENT_HOME}run-with-agent.sh`;

/** The contract's secrets (docs/contract.md): never a plain value in a spec. */
const SECRETS = [
  'DO_API_TOKEN',
  'HEARTBEAT_SECRET',
  'AGGREGATOR_API_TOKEN',
  'METRICS_TOKEN',
  'ALERT_WEBHOOK_SECRET',
  'SLACK_WEBHOOK_URL',
];

/** App-wide bindable variables App Platform defines (no component prefix). */
const APP_WIDE_BINDABLES = new Set(['APP_URL', 'APP_DOMAIN', 'APP_ID']);

/** Stand-ins for what the platform fills in: secrets and bindable variables. */
const SAMPLE_VALUES: Record<string, string> = {
  REDIS_URL: 'rediss://default:secret-password@db-valkey.example.com:25061',
  AGGREGATOR_URL: 'http://replica-watch:8080',
  AGGREGATOR_API_TOKEN: 'a-long-random-api-token',
  HEARTBEAT_SECRET: 'a-long-random-heartbeat-secret',
  METRICS_TOKEN: 'a-long-random-metrics-token',
  DO_API_TOKEN: 'dop_v1_0123456789abcdef',
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/XXXX',
  ALERT_WEBHOOK_SECRET: 'a-long-random-webhook-secret',
  PUBLIC_URL: 'https://shop-abc12.ondigitalocean.app/replica-watch',
};

interface EnvVar {
  key: string;
  value?: string;
  type?: string;
  scope?: string;
}

interface Component {
  name: string;
  run_command?: string;
  envs?: EnvVar[];
  image?: JsonObject;
  github?: JsonObject;
  dockerfile_path?: string;
  environment_slug?: string;
  health_check?: JsonObject;
  liveness_health_check?: JsonObject;
}

interface SpecFile {
  readonly file: string;
  readonly relative: string;
  readonly spec: JsonObject;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const COMPONENT_KINDS = ['services', 'workers', 'jobs', 'static_sites'] as const;

/** Every YAML document under deploy/ that is an app spec (a name and components, no `kind`). */
function appSpecs(): SpecFile[] {
  return readdirSync(DEPLOY, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => ({
        file,
        relative: path.relative(REPO_ROOT, file),
        spec: doc.toJS() as JsonObject,
      })),
    )
    .filter(
      ({ spec }) =>
        isObject(spec) &&
        typeof spec.name === 'string' &&
        spec.kind === undefined &&
        COMPONENT_KINDS.some((kind) => Array.isArray(spec[kind])),
    );
}

function componentsOf(spec: JsonObject): Component[] {
  return COMPONENT_KINDS.flatMap((kind) => (spec[kind] ?? []) as unknown as Component[]);
}

const envKeys = (c: Component) => new Set((c.envs ?? []).map((e) => e.key));
const isAggregator = (c: Component) => envKeys(c).has('AGGREGATOR_APP') || envKeys(c).has('PLATFORM');
const runsAgent = (c: Component) => (c.run_command ?? '').includes('run-with-agent.sh');
/** A component that reports heartbeats without the agent: the Python client. */
const runsPythonClient = (c: Component) => !runsAgent(c) && !isAggregator(c) && envKeys(c).has('AGENT_APP');

/** Literal values as they are; secrets and `${...}` references replaced by plausible values. */
function envOf(component: Component): Record<string, string> {
  return Object.fromEntries(
    (component.envs ?? []).map((e) => {
      const literal = e.value !== undefined && !/\$\{[^}]+\}/.test(e.value);
      if (literal) return [e.key, e.value as string] as const;
      const sample = SAMPLE_VALUES[e.key];
      if (sample === undefined) throw new Error(`no sample value for ${e.key}: add one to SAMPLE_VALUES`);
      return [e.key, sample] as const;
    }),
  );
}

/** ENV_VARIABLES of the Python client, read from its source (the integration test holds it to the agent's rules). */
function pythonClientNames(): Set<string> {
  const source = readFileSync(PYTHON_CLIENT, 'utf8');
  const tuple = /^ENV_VARIABLES = \(([^)]*)\)/m.exec(source)?.[1] ?? '';
  return new Set([...tuple.matchAll(/"([A-Z_]+)"/g)].map((m) => m[1] ?? ''));
}

const SPECS = appSpecs();

test('finds the app specs: the Node example and both Python examples', () => {
  expect(SPECS.map((s) => s.relative).sort()).toEqual(
    expect.arrayContaining([
      'deploy/digitalocean/app.yaml',
      'deploy/digitalocean/python-buildpack/app.yaml',
      'deploy/digitalocean/python-docker/app.yaml',
    ]),
  );
});

describe.each(SPECS.map((s) => [s.relative, s] as const))('%s', (_relative, { spec }) => {
  const components = componentsOf(spec);
  const aggregators = components.filter(isAggregator);
  const sources = components.filter((c) => runsAgent(c) || runsPythonClient(c));

  test('validates against the app_spec schema of DigitalOcean’s OpenAPI, with no unknown field', () => {
    const api = loadAppsOpenApi();
    const id = 'https://replica-watch.test/do-apps-spec.json';
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    for (const format of ['int32', 'int64', 'uint32', 'uint64', 'float', 'double'])
      ajv.addFormat(format, true);
    const anchored = JSON.parse(
      JSON.stringify({ $id: id, components: api.doc.components }).replace(/"\$ref":"#/g, `"$ref":"${id}#`),
    ) as object;
    ajv.addSchema(anchored);
    const validate = ajv.compile({ $ref: `${id}#/components/schemas/app_spec` });
    expect(validate(spec) ? [] : validate.errors).toEqual([]);

    /** Keys the schema does not name, anywhere in the spec (a typo would otherwise pass silently). */
    function unknownKeys(schemaNode: Json | undefined, value: unknown, at: string): string[] {
      const schema = resolve(api.doc, schemaNode);
      if (!isObject(schema)) return [];
      if (Array.isArray(value))
        return value.flatMap((item, i) => unknownKeys(schema.items, item, `${at}[${i}]`));
      if (!isObject(value)) return [];
      const properties = new Map<string, Json>();
      const collect = (node: Json | undefined): void => {
        const s = resolve(api.doc, node);
        if (!isObject(s)) return;
        if (isObject(s.properties)) for (const [k, v] of Object.entries(s.properties)) properties.set(k, v);
        for (const part of ['allOf', 'oneOf', 'anyOf'] as const) {
          const parts = s[part];
          if (Array.isArray(parts)) parts.forEach(collect);
        }
      };
      collect(schema);
      if (properties.size === 0) return [];
      return Object.entries(value).flatMap(([key, child]) =>
        properties.has(key) ? unknownKeys(properties.get(key), child, `${at}.${key}`) : [`${at}.${key}`],
      );
    }
    const schemas = (api.doc.components as JsonObject).schemas as JsonObject;
    expect(unknownKeys(schemas.app_spec, spec, 'spec')).toEqual([]);
  });

  test('secrets are SECRET and carry no value', () => {
    const secretEnvs = components.flatMap((c) =>
      (c.envs ?? [])
        .filter((e) => SECRETS.includes(e.key) || /TOKEN|SECRET/.test(e.key))
        .map((e) => ({ component: c.name, key: e.key, type: e.type, value: e.value })),
    );
    expect(secretEnvs).toEqual(secretEnvs.map((e) => ({ ...e, type: 'SECRET', value: undefined })));
  });

  test('bindable variables name components and databases of this spec, or the app itself', () => {
    const names = new Set([
      ...components.map((c) => c.name),
      ...((spec.databases ?? []) as JsonObject[]).map((d) => String(d.name)),
    ]);
    const refs = components.flatMap((c) =>
      (c.envs ?? []).flatMap((e) => [...(e.value ?? '').matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1] ?? '')),
    );
    const bad = refs.filter((ref) => {
      const dotted = /^([a-z0-9-]+)\.[A-Z_]+$/.exec(ref);
      return dotted ? !names.has(dotted[1] ?? '') : !APP_WIDE_BINDABLES.has(ref);
    });
    expect(bad).toEqual([]);
  });

  test('one aggregator, which loads, has its probes, and agrees with every heartbeat source on app and secret', () => {
    expect(aggregators.length).toBe(1);
    const aggregator = aggregators[0] as Component;
    const env = envOf(aggregator);
    expect([...envKeys(aggregator)].filter((name) => !AGGREGATOR_NAMES.has(name))).toEqual([]);
    const config = loadAggregatorConfig(env);
    expect(aggregator.health_check?.http_path).toBe('/readyz');
    expect(aggregator.liveness_health_check?.http_path).toBe('/livez');
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      const keys = envKeys(source);
      expect({ source: source.name, app: envOf(source).AGENT_APP }).toEqual({
        source: source.name,
        app: soleApp(config)?.app,
      });
      // A signing side without a verifying one (or the reverse) refuses every heartbeat.
      expect({ source: source.name, signs: keys.has('HEARTBEAT_SECRET') }).toEqual({
        source: source.name,
        signs: config.heartbeatSecret !== null,
      });
      // Heartbeats reach this aggregator: over HTTP at its private URL, or through Redis.
      const url = source.envs?.find((e) => e.key === 'AGGREGATOR_URL')?.value;
      expect(url === `\${${aggregator.name}.PRIVATE_URL}` || keys.has('REDIS_URL')).toBe(true);
    }
  });

  test('an aggregator an ingress rule exposes guards its API, its metrics and its ingest', () => {
    const rules = (((spec.ingress ?? {}) as JsonObject).rules ?? []) as JsonObject[];
    const routed = new Set(rules.map((r) => String(((r.component ?? {}) as JsonObject).name)));
    for (const aggregator of aggregators.filter((c) => routed.has(c.name))) {
      expect([...envKeys(aggregator)]).toEqual(
        expect.arrayContaining(['AGGREGATOR_API_TOKEN', 'METRICS_TOKEN', 'HEARTBEAT_SECRET']),
      );
    }
    expect(rules.length === 0 || routed.size > 0).toBe(true);
  });

  test('agents run through run-with-agent.sh of the agent image, switched on, with only the variables the agent reads', () => {
    for (const component of components.filter(runsAgent)) {
      expect(component.run_command?.startsWith(`${RUN_WITH_AGENT} `)).toBe(true);
      const env = envOf(component);
      expect(env.AGENT_ENABLED).toBe('true');
      expect([...envKeys(component)].filter((name) => !AGENT_NAMES.has(name))).toEqual([]);
      expect(loadAgentConfig(env, { hostname: 'api-7f9c6d8b5-x2x7z' })).toMatchObject({
        enabled: true,
        instanceId: 'api-7f9c6d8b5-x2x7z',
      });
    }
  });

  test('Python clients have only the variables the client reads, and their values load', () => {
    const clientNames = pythonClientNames();
    expect(clientNames.size).toBeGreaterThanOrEqual(15);
    for (const component of components.filter(runsPythonClient)) {
      expect([...envKeys(component)].filter((name) => !clientNames.has(name))).toEqual([]);
      // The client reads them by the agent's rules (test/integration/python-client-wire.test.ts).
      const env = { AGENT_ENABLED: 'true', ...envOf(component) };
      expect(loadAgentConfig(env, { hostname: 'api-7f9c6d8b5-x2x7z' })).toMatchObject({
        instanceId: 'api-7f9c6d8b5-x2x7z',
      });
    }
  });
});

describe('the Python examples', () => {
  const dir = path.join(DEPLOY, 'digitalocean');
  const specOf = (relative: string) =>
    (SPECS.find((s) => s.relative === `deploy/digitalocean/${relative}`) as SpecFile).spec;

  test('Dockerfile: a bookworm Python base, the agent image in one COPY --from, non-root, run through run-with-agent.sh', () => {
    const text = readFileSync(path.join(dir, 'python-docker/Dockerfile'), 'utf8');
    const instructions = text
      .replace(/\\\r?\n/g, ' ')
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    const from = instructions.filter((line) => /^FROM /i.test(line));
    expect(from).toEqual([expect.stringMatching(/^FROM python:3\.\d+-slim-bookworm$/)]);
    expect(instructions).toContainEqual(
      expect.stringMatching(
        /^COPY --from=\S+\/replica-watch-agent:\S+ \/opt\/replica-watch\/ \/opt\/replica-watch\/$/,
      ),
    );
    const user = instructions.filter((line) => /^USER /.test(line)).pop();
    expect(user).toBeDefined();
    expect(['USER root', 'USER 0']).not.toContain(user);
    const cmd = instructions.find((line) => /^CMD /.test(line)) ?? '';
    const argv = JSON.parse(cmd.slice(4)) as string[];
    expect(argv[0]).toBe(RUN_WITH_AGENT);
    // The spec's run_command is the same command.
    const api = componentsOf(specOf('python-docker/app.yaml')).find(runsAgent);
    expect(api?.run_command).toBe(argv.join(' '));
    // What the Dockerfile copies is there.
    for (const file of ['requirements.txt', 'main.py'])
      expect(existsSync(path.join(dir, 'python-docker', file))).toBe(true);
  });

  test('buildpack: no Dockerfile, the python environment, the client started in the app and not the agent', () => {
    const api = componentsOf(specOf('python-buildpack/app.yaml')).find(runsPythonClient);
    expect(api).toMatchObject({ environment_slug: 'python' });
    expect(api?.dockerfile_path).toBeUndefined();
    expect(api?.image).toBeUndefined();
    expect(api?.run_command).not.toMatch(/run-with-agent/);
    expect(existsSync(path.join(dir, 'python-buildpack/Dockerfile'))).toBe(false);
    const main = readFileSync(path.join(dir, 'python-buildpack/main.py'), 'utf8');
    expect(main).toMatch(/^import replica_watch_heartbeat$/m);
    expect(main).toMatch(/replica_watch_heartbeat\.start_from_env\(\)/);
    expect(main).toMatch(/heartbeats\.stop/);
    expect(existsSync(path.join(dir, 'python-buildpack/requirements.txt'))).toBe(true);
  });
});
