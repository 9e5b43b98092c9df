/**
 * deploy/kubernetes/aggregator-shards.yaml: a StatefulSet of aggregator shards whose TOTAL_SHARDS
 * is its replica count, each pod taking its SHARD from its host name (SHARD_FROM_HOSTNAME); every
 * pod's environment loads as the shard of its ordinal (and one pod past the count is refused); a
 * headless Service gives each pod its name; the probes, the non-root security context and the
 * secrets are as the other manifests have them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadAggregatorConfig } from '../../aggregator/config';
import { ConfigError } from '../../shared/config';
import { AGGREGATOR_NAMES } from '../support/config-names';
import { REPO_ROOT } from '../support/spawn';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const DIR = path.join(REPO_ROOT, 'deploy/kubernetes');
const FILE = path.join(DIR, 'aggregator-shards.yaml');

function documentsOf(file: string): JsonObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => {
    expect({ file, errors: doc.errors.map(String), warnings: doc.warnings.map(String) }).toEqual({
      file,
      errors: [],
      warnings: [],
    });
    return doc.toJS() as JsonObject;
  });
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  image: string;
  env: EnvVar[];
  livenessProbe?: { httpGet?: { path?: string } };
  readinessProbe?: { httpGet?: { path?: string } };
  securityContext?: JsonObject;
}
interface StatefulSet {
  metadata: { name: string };
  spec: {
    replicas: number;
    serviceName: string;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { securityContext?: JsonObject; containers: Container[] };
    };
  };
}

const objects = documentsOf(FILE);
const sets = objects.filter((o) => o.kind === 'StatefulSet') as unknown as StatefulSet[];
const [set] = sets;
const container = set?.spec.template.spec.containers.find((c) =>
  c.image.includes('replica-watch-aggregator'),
);
const env = container?.env ?? [];
const valueOf = (name: string) => env.find((e) => e.name === name)?.value;

/** The environment a pod of ordinal `ordinal` runs with: secrets as plausible values, HOSTNAME its name. */
function podEnv(ordinal: number): Record<string, string> {
  const samples: Record<string, string> = {
    REDIS_URL: 'rediss://default:secret-password@db-valkey.example.com:25061',
    DO_API_TOKEN: 'dop_v1_0123456789abcdef',
  };
  return {
    ...Object.fromEntries(env.map((e) => [e.name, e.value ?? samples[e.name] ?? `no sample for ${e.name}`])),
    // Kubernetes sets HOSTNAME to the pod's name: the StatefulSet's name and the ordinal.
    HOSTNAME: `${set?.metadata.name}-${ordinal}`,
  };
}

test('one StatefulSet of the aggregator image', () => {
  expect(sets).toHaveLength(1);
  expect(container).toBeDefined();
});

test('TOTAL_SHARDS is the replica count and SHARD comes from the host name (no fixed SHARD)', () => {
  expect(Number(valueOf('TOTAL_SHARDS'))).toBe(set?.spec.replicas);
  expect(set?.spec.replicas).toBeGreaterThan(1);
  expect(valueOf('SHARD_FROM_HOSTNAME')).toBe('true');
  expect(env.some((e) => e.name === 'SHARD')).toBe(false);
  expect(valueOf('DO_APP_ID')).toBe('*');
});

test('uses only variables the aggregator reads; HOSTNAME is left to Kubernetes', () => {
  const names = env.map((e) => e.name);
  expect(names.filter((name) => !AGGREGATOR_NAMES.has(name))).toEqual([]);
  expect(names).not.toContain('HOSTNAME');
});

test('every pod loads as the shard of its ordinal; one past the count is refused', () => {
  const replicas = set?.spec.replicas ?? 0;
  for (let ordinal = 0; ordinal < replicas; ordinal++) {
    const config = loadAggregatorConfig(podEnv(ordinal));
    expect(config.shard).toEqual({ index: ordinal, total: replicas, hostPrefix: `${set?.metadata.name}-` });
    expect(config.apps).toEqual({ kind: 'discovered', intervalMs: expect.any(Number) });
    expect(config.redis).not.toBeNull();
  }
  expect(() => loadAggregatorConfig(podEnv(replicas))).toThrow(ConfigError);
});

test('REDIS_URL and DO_API_TOKEN come from Secrets, whose keys the manifests define', () => {
  const secrets = new Map(
    readdirSync(DIR)
      .filter((name) => /\.ya?ml$/.test(name))
      .flatMap((name) => documentsOf(path.join(DIR, name)))
      .filter((o) => o.kind === 'Secret')
      .map((s) => [
        String((s.metadata as JsonObject).name),
        Object.keys((s.stringData as JsonObject | undefined) ?? {}),
      ]),
  );
  for (const name of ['REDIS_URL', 'DO_API_TOKEN']) {
    const ref = env.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
    expect({ name, ref: ref !== undefined }).toEqual({ name, ref: true });
    expect(secrets.get(ref?.name ?? '')).toContain(ref?.key);
  }
});

test('probes /livez and /readyz; non-root by number, no privilege escalation, read-only root', () => {
  expect(container?.livenessProbe?.httpGet?.path).toBe('/livez');
  expect(container?.readinessProbe?.httpGet?.path).toBe('/readyz');
  const pod = set?.spec.template.spec.securityContext ?? {};
  expect(pod.runAsNonRoot).toBe(true);
  expect(typeof pod.runAsUser === 'number' && pod.runAsUser > 0).toBe(true);
  expect(container?.securityContext).toMatchObject({
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  });
});

test("a headless Service named by serviceName selects the StatefulSet's pods", () => {
  const service = objects.find(
    (o) => o.kind === 'Service' && (o.metadata as JsonObject).name === set?.spec.serviceName,
  );
  expect(service).toBeDefined();
  const spec = service?.spec as JsonObject;
  expect(spec.clusterIP).toBe('None');
  const labels = set?.spec.template.metadata.labels ?? {};
  expect(Object.entries(spec.selector as Record<string, string>).every(([k, v]) => labels[k] === v)).toBe(
    true,
  );
  expect(Object.entries(set?.spec.selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v)).toBe(true);
  expect(((spec.ports as JsonObject[])[0] as JsonObject).port).toBe(8080);
});
