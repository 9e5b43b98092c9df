/**
 * deploy/: the Kubernetes manifests and the App Platform spec are well-formed, use only the
 * environment variables the config loaders read, and their example values pass those loaders.
 * Every app spec's check against DigitalOcean's own schema (../shared/do-openapi) is in
 * deploy-app-specs.test.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { parseAllDocuments } from 'yaml';
import { loadAgentConfig } from '../../agent/config';
import { createAgentMetrics } from '../../agent/metrics';
import { loadAggregatorConfig } from '../../aggregator/config';
import { createAggregatorMetrics } from '../../aggregator/metrics';
import { AGENT_NAMES, AGGREGATOR_NAMES } from '../support/config-names';
import { REPO_ROOT } from '../support/spawn';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const DEPLOY = path.join(REPO_ROOT, 'deploy');

/** Every document of a YAML file; a syntax error or warning fails. */
function yamlDocuments(file: string): JsonObject[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  return docs.map((doc) => {
    expect({ file, errors: doc.errors.map(String), warnings: doc.warnings.map(String) }).toEqual({
      file,
      errors: [],
      warnings: [],
    });
    return doc.toJS() as JsonObject;
  });
}

function filesUnder(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && ext.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Stand-ins for values the platform fills in (secrets, downward API, bindable variables). */
const SAMPLE_VALUES: Record<string, string> = {
  REDIS_URL: 'rediss://default:secret-password@db-valkey.example.com:25061',
  AGGREGATOR_URL: 'http://replica-watch:8080',
  AGGREGATOR_API_TOKEN: 'a-long-random-api-token',
  DO_API_TOKEN: 'dop_v1_0123456789abcdef',
  AGENT_INSTANCE_ID: 'backend-7f9c6d8b5-x2x7z',
  POD_NAME: 'backend-7f9c6d8b5-x2x7z',
  NODE_NAME: 'node-1',
  DEPLOYMENT_ID: '7f9c6d8b5',
};

function sampleFor(name: string): string {
  const value = SAMPLE_VALUES[name];
  if (value === undefined) throw new Error(`no sample value for ${name}: add one to SAMPLE_VALUES`);
  return value;
}

test('known names: the loaders read what the README documents', () => {
  expect([...AGENT_NAMES]).toEqual(
    expect.arrayContaining(['AGENT_ENABLED', 'AGENT_INSTANCE_ID', 'POD_NAME', 'NODE_NAME', 'REDIS_URL']),
  );
  expect([...AGGREGATOR_NAMES]).toEqual(
    expect.arrayContaining([
      'PORT',
      'REDIS_URL',
      'PLATFORM',
      'DO_API_TOKEN',
      'DO_APP_ID',
      'DESIRED_REPLICAS',
    ]),
  );
});

test('every YAML file under deploy/ parses cleanly and every JSON file is JSON', () => {
  const yamlFiles = filesUnder(DEPLOY, /\.ya?ml$/);
  expect(yamlFiles.length).toBeGreaterThanOrEqual(5);
  for (const file of yamlFiles) expect(yamlDocuments(file).length).toBeGreaterThan(0);
  for (const file of filesUnder(DEPLOY, /\.json$/))
    expect(() => JSON.parse(readFileSync(file, 'utf8'))).not.toThrow();
});

describe('kubernetes', () => {
  const dir = path.join(DEPLOY, 'kubernetes');
  const objects = readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .flatMap((name) => yamlDocuments(path.join(dir, name)));
  const ofKind = (kind: string) => objects.filter((o) => o.kind === kind);

  interface Container {
    name: string;
    image: string;
    env?: { name: string; value?: string; valueFrom?: JsonObject }[];
    ports?: { name?: string; containerPort: number }[];
    livenessProbe?: JsonObject;
    readinessProbe?: JsonObject;
  }
  const containers = (deployment: JsonObject): Container[] =>
    (((deployment.spec as JsonObject).template as JsonObject).spec as unknown as { containers: Container[] })
      .containers;
  const all = ofKind('Deployment').flatMap(containers);
  const agentContainer = all.find((c) => c.image.includes('replica-watch-agent'));
  const aggregatorContainer = all.find((c) => c.image.includes('replica-watch-aggregator'));

  /** Literal values as they are; references replaced by plausible values. */
  function envOf(container: Container): Record<string, string> {
    return Object.fromEntries(
      (container.env ?? []).map((e) => [e.name, e.value ?? sampleFor(e.name)] as const),
    );
  }
  const probePath = (probe: JsonObject | undefined) => (probe?.httpGet as JsonObject | undefined)?.path;

  test('every object has apiVersion, kind and a name', () => {
    expect(objects.length).toBeGreaterThanOrEqual(5);
    for (const o of objects) {
      expect(typeof o.apiVersion).toBe('string');
      expect(typeof o.kind).toBe('string');
      expect((o.metadata as JsonObject).name).toMatch(/^[a-z0-9-]+$/);
    }
  });

  test('the agent runs as a sidecar of the backend, identified through the downward API', () => {
    const backend = ofKind('Deployment').find((d) => containers(d).some((c) => c === agentContainer));
    expect(backend).toBeDefined();
    expect(containers(backend as JsonObject).length).toBe(2);
    const env = agentContainer?.env ?? [];
    const fieldOf = (name: string) =>
      (
        (env.find((e) => e.name === name)?.valueFrom as JsonObject | undefined)?.fieldRef as
          JsonObject | undefined
      )?.fieldPath;
    expect(fieldOf('AGENT_INSTANCE_ID')).toBe('metadata.name');
    expect(fieldOf('POD_NAME')).toBe('metadata.name');
    expect(fieldOf('NODE_NAME')).toBe('spec.nodeName');
    expect(envOf(agentContainer as Container).AGENT_ENABLED).toBe('true');
    expect(probePath(agentContainer?.livenessProbe)).toBe('/livez');
  });

  test('the agent uses only variables the agent reads, and its values load', () => {
    const env = envOf(agentContainer as Container);
    expect(Object.keys(env).filter((name) => !AGENT_NAMES.has(name))).toEqual([]);
    expect(loadAgentConfig(env, { hostname: 'unused' })).toMatchObject({
      enabled: true,
      instanceId: SAMPLE_VALUES.AGENT_INSTANCE_ID,
      podName: SAMPLE_VALUES.POD_NAME,
      nodeName: SAMPLE_VALUES.NODE_NAME,
    });
  });

  test('the aggregator uses only variables it reads, loads, has probes and a Service', () => {
    const env = envOf(aggregatorContainer as Container);
    expect(Object.keys(env).filter((name) => !AGGREGATOR_NAMES.has(name))).toEqual([]);
    const config = loadAggregatorConfig(env);
    expect(probePath(aggregatorContainer?.livenessProbe)).toBe('/livez');
    expect(probePath(aggregatorContainer?.readinessProbe)).toBe('/readyz');

    const deployment = ofKind('Deployment').find((d) =>
      containers(d).includes(aggregatorContainer as Container),
    );
    const podLabels = (((deployment?.spec as JsonObject).template as JsonObject).metadata as JsonObject)
      .labels as JsonObject;
    const service = ofKind('Service').find((s) =>
      Object.entries((s.spec as JsonObject).selector as JsonObject).every(([k, v]) => podLabels[k] === v),
    );
    expect(service).toBeDefined();
    const port = ((service?.spec as JsonObject).ports as JsonObject[])[0];
    expect(port?.port).toBe(config.port);
    // The agents' HTTP fallback points at that Service.
    const fallback = new URL(envOf(agentContainer as Container).AGGREGATOR_URL ?? '');
    expect([fallback.hostname, Number(fallback.port)]).toEqual([
      (service?.metadata as JsonObject).name,
      config.port,
    ]);
  });

  test('secret references name keys the example Secret defines', () => {
    const secrets = new Map(
      ofKind('Secret').map((s) => [(s.metadata as JsonObject).name, Object.keys(s.stringData as JsonObject)]),
    );
    const refs = all.flatMap((c) =>
      (c.env ?? []).flatMap((e) => {
        const ref = e.valueFrom?.secretKeyRef as JsonObject | undefined;
        return ref ? [[String(ref.name), String(ref.key)] as const] : [];
      }),
    );
    expect(refs.length).toBeGreaterThan(0);
    for (const [name, key] of refs) expect(secrets.get(name)).toContain(key);
  });
});

describe('digitalocean app spec', () => {
  const file = path.join(DEPLOY, 'digitalocean/app.yaml');
  const [spec] = yamlDocuments(file) as [JsonObject];
  interface Env_ {
    key: string;
    value?: string;
    type?: string;
    scope?: string;
  }
  interface Service {
    name: string;
    run_command?: string;
    envs: Env_[];
    health_check?: JsonObject;
    liveness_health_check?: JsonObject;
  }
  const services = spec.services as unknown as Service[];
  const databases = (spec.databases ?? []) as JsonObject[];
  const withAgent = services.filter((s) => s.envs.some((e) => e.key === 'AGENT_ENABLED'));
  const aggregator = services.find((s) => s.envs.some((e) => e.key === 'PLATFORM'));

  /** Literal values; secrets and bindable `${...}` references replaced by plausible values. */
  function envOf(service: Service): Record<string, string> {
    return Object.fromEntries(
      service.envs.map((e) => {
        const literal = e.value !== undefined && !/\$\{[^}]+\}/.test(e.value);
        return [e.key, literal ? (e.value as string) : sampleFor(e.key)] as const;
      }),
    );
  }

  test('the backend runs the agent through run-with-agent.sh, switched by AGENT_ENABLED', () => {
    expect(withAgent.length).toBe(1);
    const backend = withAgent[0] as Service;
    expect(backend.run_command).toMatch(/\/run-with-agent\.sh /);
    expect(existsSync(path.join(DEPLOY, 'digitalocean/run-with-agent.sh'))).toBe(true);
    expect(envOf(backend).AGENT_ENABLED).toBe('true');
  });

  test('the agent uses only variables the agent reads, and its values load', () => {
    const env = envOf(withAgent[0] as Service);
    expect(Object.keys(env).filter((name) => !AGENT_NAMES.has(name))).toEqual([]);
    expect(loadAgentConfig(env, { hostname: 'backend-7f9c6d8b5-x2x7z' })).toMatchObject({
      enabled: true,
      instanceId: 'backend-7f9c6d8b5-x2x7z',
    });
  });

  test('the aggregator uses only variables it reads, loads, has its probes, DO_API_TOKEN is a SECRET', () => {
    expect(aggregator).toBeDefined();
    const service = aggregator as Service;
    const env = envOf(service);
    expect(Object.keys(env).filter((name) => !AGGREGATOR_NAMES.has(name))).toEqual([]);
    expect(loadAggregatorConfig(env)).toMatchObject({ platform: 'digitalocean' });
    expect(service.health_check?.http_path).toBe('/readyz');
    expect(service.liveness_health_check?.http_path).toBe('/livez');
    // Secrets are SECRET and carry no value in the repository.
    for (const s of services)
      for (const e of s.envs.filter((e) => /TOKEN|SECRET/.test(e.key)))
        expect({ service: s.name, key: e.key, type: e.type, value: e.value }).toEqual({
          service: s.name,
          key: e.key,
          type: 'SECRET',
          value: undefined,
        });
    // Agents and aggregator agree on the app.
    expect(env.AGGREGATOR_APP).toBe(envOf(withAgent[0] as Service).AGENT_APP);
  });

  test('bindable variables name components and databases of this spec', () => {
    const names = new Set([...services.map((s) => s.name), ...databases.map((d) => String(d.name))]);
    const refs = services.flatMap((s) =>
      s.envs.flatMap((e) => [...(e.value ?? '').matchAll(/\$\{([a-z0-9-]+)\.[A-Z_]+\}/g)].map((m) => m[1])),
    );
    expect(refs.length).toBeGreaterThan(0);
    expect(refs.filter((ref) => !names.has(ref ?? ''))).toEqual([]);
  });
});

test('the metrics deploy/README.md lists are ones the code defines', async () => {
  const registry = new Registry();
  createAggregatorMetrics(registry);
  createAgentMetrics(registry);
  const defined = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
  const readme = readFileSync(path.join(DEPLOY, 'README.md'), 'utf8');
  const listed = [...readme.matchAll(/^\| `(replica_watch_[a-z_]+)`/gm)].map((m) => m[1] ?? '');
  expect(listed.length).toBeGreaterThanOrEqual(20);
  expect(listed.filter((name) => !defined.has(name))).toEqual([]);
});
