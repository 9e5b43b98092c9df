/**
 * The stdlib Python client (examples/python/replica_watch_heartbeat.py) held to the TypeScript
 * that defines the wire: its canonical JSON and signature are shared/signature.ts's for any JSON
 * value (numbers and strings as JavaScript writes them), what it sends passes the aggregator's
 * admission (fast path, schema, signature, replay guard), it reads the agent's variables with
 * the agent's defaults and refusals, and it reads the container's cgroup (v1 and v2, fake trees).
 * docs/heartbeat-protocol.md is held to the same code: its worked example, limits, fields and
 * refusal reasons.
 * python3 runs for real; nothing is mocked.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { loadAgentConfig } from '../../agent/config';
import { admitHeartbeat, oneApp } from '../../aggregator/collector/accept';
import { ReplayGuard } from '../../aggregator/collector/replay-guard';
import { ConfigError } from '../../shared/config';
import {
  CONTAINER_FIELDS,
  HEARTBEAT_FIELDS,
  REJECT_REASONS,
  SERVING_FIELDS,
  STATS_FIELDS,
  validateHeartbeat,
} from '../../shared/heartbeat';
import * as limits from '../../shared/heartbeat-limits';
import { canonicalHeartbeatContent, signatureOf, verifyHeartbeatSignature } from '../../shared/signature';
import { REPO_ROOT } from '../support/spawn';

const CLIENT_DIR = path.join(REPO_ROOT, 'examples/python');
const CLIENT = path.join(CLIENT_DIR, 'replica_watch_heartbeat.py');
const SECRET = 'python-wire-secret-0123';

/** Runs python3 with the client importable as `rw`; returns stdout (fails the test on a non-zero exit). */
function python(code: string, options: { input?: string; env?: Record<string, string> } = {}): string {
  const result = spawnSync(
    'python3',
    ['-c', `import sys, json\nimport replica_watch_heartbeat as rw\n${code}`],
    {
      input: options.input ?? '',
      env: {
        PATH: process.env.PATH ?? '',
        PYTHONPATH: CLIENT_DIR,
        PYTHONIOENCODING: 'utf-8',
        ...options.env,
      },
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`python3 exited ${result.status}:\n${result.stderr}`);
  return result.stdout;
}

/** Python's canonical text and signature of each JSON text (each wrapped as {"v": <value>, "sig": …}). */
function pythonCanonical(texts: readonly string[]): [string, string][] {
  const out = python(
    `secret = ${JSON.stringify(SECRET)}
rows = []
for text in json.loads(sys.stdin.read()):
    value = {"v": json.loads(text), "sig": "left out"}
    rows.append([rw.canonical_json(value), rw.signature_of(value, secret)])
sys.stdout.write(json.dumps(rows))`,
    { input: JSON.stringify(texts) },
  );
  return JSON.parse(out) as [string, string][];
}

function typescriptCanonical(text: string): [string, string] {
  const value = { v: JSON.parse(text) as unknown, sig: 'left out' };
  return [canonicalHeartbeatContent(value), signatureOf(value, SECRET)];
}

describe('canonical JSON and signature match shared/signature.ts', () => {
  test('for the numbers and strings where Python and JavaScript write JSON differently', () => {
    // Texts any client may send; both sides decode the same text and canonicalize what they got.
    const texts = [
      '5.0',
      '-0',
      '-0.0',
      '1E2',
      '0.1e1',
      '1e21',
      '1e-7',
      '1e16',
      '123e-20',
      '0.000001',
      '0.0000001',
      '12345678901234567890',
      '9007199254740993',
      '1e400',
      '-1e400',
      '5e-324',
      '1.7976931348623157e308',
      '[1.5,2.0,1e300,-2.5e-8]',
      '"\\u2028\\u2029\\u007f\\u0000\\u001f\\"\\\\/"',
      '"\\ud800 lone and \\udfff too"',
      '"emoji 😀 and é"',
      '{"\\uffff":1,"😀":2,"a":3,"Z":4,"":5,"é":6}',
      '{"nested":{"b":[{"z":null,"y":true}],"a":false},"sig":"kept below the top level"}',
    ];
    const python = pythonCanonical(texts);
    texts.forEach((text, i) =>
      expect({ text, ...toObject(python[i]) }).toEqual({ text, ...toObject(typescriptCanonical(text)) }),
    );
  });

  test('for arbitrary JSON values (fast-check), full Unicode and doubles included', () => {
    const values = fc.sample(fc.jsonValue({ maxDepth: 3, stringUnit: 'binary', depthSize: 'small' }), {
      numRuns: 400,
      seed: 12,
    });
    const doubles = fc.sample(fc.double({ noNaN: true, noDefaultInfinity: true }), {
      numRuns: 400,
      seed: 34,
    });
    const texts = [...values, ...doubles].map((value) => JSON.stringify(value));
    const python = pythonCanonical(texts);
    const mismatches = texts.filter(
      (text, i) => JSON.stringify(python[i]) !== JSON.stringify(typescriptCanonical(text)),
    );
    expect(mismatches).toEqual([]);
  });
});

function toObject(row: [string, string] | undefined): { canonical?: string; sig?: string } {
  return { canonical: row?.[0], sig: row?.[1] };
}

describe('what the client sends', () => {
  const env = {
    AGGREGATOR_URL: 'http://127.0.0.1:9/',
    AGENT_APP: 'py-app',
    AGENT_COMPONENT: 'api',
    AGENT_INSTANCE_ID: 'api-7f9c6d8b5-x2x7z',
    DEPLOYMENT_ID: 'dep-1',
    APP_VERSION: '1.2.3 ünïcode',
    HEARTBEAT_SECRET: SECRET,
  };

  test('--print-heartbeat: a signed heartbeat the aggregator admits (fast path, schema, signature, replay guard)', () => {
    const result = spawnSync('python3', [CLIENT, '--print-heartbeat'], {
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    const raw = result.stdout.trim();
    const value = JSON.parse(raw) as Record<string, unknown>;
    expect(verifyHeartbeatSignature(value, SECRET)).toEqual({ ok: true });
    const parsed = validateHeartbeat(value);
    expect(parsed).toMatchObject({
      ok: true,
      heartbeat: {
        v: 1,
        type: 'heartbeat',
        app: 'py-app',
        component: 'api',
        instance_id: 'api-7f9c6d8b5-x2x7z',
        deployment_id: 'dep-1',
        version: '1.2.3 ünïcode',
        seq: 0,
        interval_ms: 10_000,
        ttl_ms: 30_000,
        serving: null,
      },
    });
    // The wire form is its own canonical form with `sig` added: the bytes the aggregator re-verifies.
    // Nested, `sig` is not left out: the canonical text of the whole heartbeat, signature included.
    expect(raw).toBe(canonicalHeartbeatContent({ x: value }).slice('{"x":'.length, -1));
    const guard = new ReplayGuard(() => undefined);
    const admitted = admitHeartbeat(
      raw,
      { apps: oneApp('py-app'), heartbeatSecret: SECRET },
      Date.now(),
      guard,
    );
    expect(admitted.ok).toBe(true);
    expect(
      admitHeartbeat(
        raw,
        { apps: oneApp('py-app'), heartbeatSecret: 'another-secret-0123' },
        Date.now(),
        guard,
      ),
    ).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
    const stats = (value.stats ?? {}) as Record<string, unknown>;
    expect(stats.node_version).toMatch(/^python-3\.\d+/);
    expect(stats.platform).toMatch(/^[a-z0-9]+-[a-z0-9_]+$/);
  });

  test('a heartbeat sequence and its goodbye: seq grows, the goodbye carries no stats nor serving', () => {
    const out = python(
      `config = rw.config_from_env()
hb = rw.Heartbeats(config, single_sender=False)
first = hb.preview()
second = hb.preview()
bye = hb._build("goodbye", None, None)
sys.stdout.write(json.dumps([rw.serialize(x).decode("utf-8") for x in (first, second, bye)]))`,
      { env },
    );
    const [first, second, goodbye] = (JSON.parse(out) as string[]).map((raw) => {
      const value = JSON.parse(raw) as Record<string, unknown>;
      expect(verifyHeartbeatSignature(value, SECRET)).toEqual({ ok: true });
      const parsed = validateHeartbeat(value);
      if (!parsed.ok) throw new Error(`${parsed.reason}: ${parsed.detail}`);
      return parsed.heartbeat;
    });
    expect([first?.seq, second?.seq, goodbye?.seq]).toEqual([0, 1, 2]);
    expect(new Set([first?.boot_id, second?.boot_id, goodbye?.boot_id]).size).toBe(1);
    expect(goodbye).toMatchObject({
      type: 'goodbye',
      stats: null,
      serving: null,
      started_at: first?.started_at,
    });
  });

  test('the probe reports an unreachable health URL as not serving, with a reason', () => {
    const out = python(
      `sys.stdout.write(json.dumps(rw.probe("http://127.0.0.1:9/health", 0.5, lambda: 1700000000000)))`,
    );
    expect(JSON.parse(out)).toMatchObject({
      ok: false,
      status: null,
      latency_ms: null,
      checked_at: 1_700_000_000_000,
    });
    expect((JSON.parse(out) as { error: string }).error).toMatch(/refused|unreachable|Errno/i);
  });
});

describe("the agent's variables, defaults and refusals", () => {
  /** The Python config as the agent's field names, or the variables it refused. */
  function pythonConfig(env: Record<string, string>): Record<string, unknown> {
    const out = python(
      `env = json.loads(sys.stdin.read())
try:
    c = rw.config_from_env(env, hostname="host-fallback")
    sys.stdout.write(json.dumps({"instanceId": c.instance_id, "app": c.app, "component": c.component,
        "deploymentId": c.deployment_id, "intervalMs": c.interval_ms, "ttlMs": c.ttl_ms,
        "probeUrl": c.probe_url, "probeTimeoutMs": c.probe_timeout_ms, "aggregatorUrl": c.aggregator_url,
        "aggregatorToken": c.api_token, "heartbeatSecret": c.heartbeat_secret}))
except rw.ConfigError as err:
    sys.stdout.write(json.dumps({"problems": err.problems, "message": str(err)}))`,
      { input: JSON.stringify(env) },
    );
    return JSON.parse(out) as Record<string, unknown>;
  }

  function agentConfig(env: Record<string, string>): Record<string, unknown> {
    try {
      const c = loadAgentConfig({ AGENT_ENABLED: 'true', ...env }, { hostname: 'host-fallback' });
      return {
        instanceId: c.instanceId,
        app: c.app,
        component: c.component,
        deploymentId: c.deploymentId,
        intervalMs: c.intervalMs,
        ttlMs: c.ttlMs,
        probeUrl: c.probeUrl,
        probeTimeoutMs: c.probeTimeoutMs,
        aggregatorUrl: c.aggregatorUrl,
        aggregatorToken: c.aggregatorToken,
        heartbeatSecret: c.heartbeatSecret ?? null,
      };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return { problems: err.problems };
    }
  }

  const variables = (problems: unknown): string[] =>
    ((problems ?? []) as string[]).map((p) => p.replace(/[=:].*$/, '')).sort();

  test.each<[string, Record<string, string>]>([
    ['defaults', { AGGREGATOR_URL: 'http://aggregator:8080' }],
    ['HOSTNAME is the instance id', { AGGREGATOR_URL: 'http://a:8080', HOSTNAME: 'backend-abc-1' }],
    [
      'DO_APP_ID is the app',
      { AGGREGATOR_URL: 'http://a:8080', DO_APP_ID: 'a1b2c3d4-0000-4000-8000-000000000000' },
    ],
    [
      'everything set',
      {
        AGGREGATOR_URL: 'https://replica-watch.internal:8443/base/',
        AGGREGATOR_API_TOKEN: 'token-0123456789',
        HEARTBEAT_SECRET: SECRET,
        AGENT_INSTANCE_ID: 'api-1',
        AGENT_APP: 'shop',
        AGENT_COMPONENT: 'api',
        DEPLOYMENT_ID: 'dep-9',
        AGENT_INTERVAL_MS: '500',
        AGENT_TTL_MS: '1500',
        AGENT_PROBE_URL: 'http://127.0.0.1:8080/health',
      },
    ],
    [
      'a short interval shrinks the probe timeout',
      { AGGREGATOR_URL: 'http://a:8080', AGENT_INTERVAL_MS: '1000', AGENT_TTL_MS: '3000' },
    ],
  ])('%s: the same config as the agent', (_name, env) => {
    expect(pythonConfig(env)).toEqual(agentConfig(env));
  });

  test.each<[string, Record<string, string>]>([
    [
      'TTL not above the interval',
      { AGGREGATOR_URL: 'http://a:8080', AGENT_INTERVAL_MS: '5000', AGENT_TTL_MS: '5000' },
    ],
    ['interval below 100 ms', { AGGREGATOR_URL: 'http://a:8080', AGENT_INTERVAL_MS: '50' }],
    [
      'a bad name and a long label',
      { AGGREGATOR_URL: 'http://a:8080', AGENT_APP: 'my app', DEPLOYMENT_ID: 'x'.repeat(300) },
    ],
    [
      'short secrets',
      { AGGREGATOR_URL: 'http://a:8080', HEARTBEAT_SECRET: 'short', AGGREGATOR_API_TOKEN: 'tiny' },
    ],
    ['a bad URL and probe timeout', { AGGREGATOR_URL: 'ftp://a', AGENT_PROBE_TIMEOUT_MS: '20000' }],
  ])('%s: refused, naming the same variables as the agent', (_name, env) => {
    const py = pythonConfig(env);
    expect(variables(py.problems).length).toBeGreaterThan(0);
    expect(variables(py.problems)).toEqual(variables(agentConfig(env).problems));
  });

  test('AGGREGATOR_URL is required (the agent has Redis as well; this client only HTTP), and errors hide secrets', () => {
    const py = pythonConfig({
      HEARTBEAT_SECRET: 'short',
      AGGREGATOR_URL: 'ftp://user:hunter2-password@host/',
    });
    expect(variables(py.problems)).toEqual(['AGGREGATOR_URL', 'HEARTBEAT_SECRET']);
    expect(String(py.message)).not.toMatch(/short|hunter2/);
    expect(pythonConfig({})).toMatchObject({
      problems: [expect.stringMatching(/^AGGREGATOR_URL: is not set/)],
    });
  });
});

describe('container stats from a fake cgroup tree', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rw-py-cgroup-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function write(files: Record<string, string>): void {
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
  }

  /** Two samples 200 ms apart, the cgroup's CPU counter moving by `usage` between them. */
  function samples(rewrite: Record<string, string>): [unknown, unknown] {
    const out = python(
      `import os, time
d = ${JSON.stringify(dir)}
s = rw.StatsSampler(proc_root=os.path.join(d, "proc"), cgroup_root=os.path.join(d, "cgroup"))
first = s.sample()["container"]
time.sleep(0.2)
for name, text in json.loads(${JSON.stringify(JSON.stringify(rewrite))}).items():
    with open(os.path.join(d, name), "w") as f:
        f.write(text)
second = s.sample()
sys.stdout.write(json.dumps([first, second["container"], second]))`,
    );
    const [first, second, stats] = JSON.parse(out) as [unknown, unknown, Record<string, unknown>];
    // Whatever the tree holds, the stats stay valid heartbeat stats.
    expect(validateHeartbeat({ ...minimalHeartbeat(), stats })).toMatchObject({ ok: true });
    return [first, second];
  }

  test('v2: memory.max, memory.current, cpu.max and cpu.stat of the directory /proc/self/cgroup names', () => {
    write({
      'proc/self/cgroup': '0::/app.slice/backend\n',
      'cgroup/app.slice/backend/cgroup.controllers': 'cpu memory\n',
      'cgroup/app.slice/backend/memory.max': '1073741824\n',
      'cgroup/app.slice/backend/memory.current': '268435456\n',
      'cgroup/app.slice/backend/cpu.max': '150000 100000\n',
      'cgroup/app.slice/backend/cpu.stat': 'usage_usec 5000000\nuser_usec 4000000\n',
    });
    const [first, second] = samples({ 'cgroup/app.slice/backend/cpu.stat': 'usage_usec 5100000\n' });
    expect(first).toEqual({
      cgroup_version: 2,
      memory_limit_bytes: 1_073_741_824,
      memory_used_bytes: 268_435_456,
      cpu_quota_cores: 1.5,
      cpu_usage_cores: null,
    });
    // 0.1 s of CPU in ~0.2 s of wall time: about half a core.
    expect((second as { cpu_usage_cores: number }).cpu_usage_cores).toBeGreaterThan(0.2);
    expect((second as { cpu_usage_cores: number }).cpu_usage_cores).toBeLessThan(0.55);
  });

  test('v2 without limits: "max" is null, never 0', () => {
    write({
      'proc/self/cgroup': '0::/\n',
      'cgroup/cgroup.controllers': 'cpu memory\n',
      'cgroup/memory.max': 'max\n',
      'cgroup/memory.current': '1000\n',
      'cgroup/cpu.max': 'max 100000\n',
      'cgroup/cpu.stat': 'usage_usec 1\n',
    });
    expect(samples({})[0]).toEqual({
      cgroup_version: 2,
      memory_limit_bytes: null,
      memory_used_bytes: 1000,
      cpu_quota_cores: null,
      cpu_usage_cores: null,
    });
  });

  test('v1: per-controller files; the huge "no limit" and a quota of -1 are null', () => {
    write({
      'proc/self/cgroup': '5:memory:/\n4:cpu,cpuacct:/\n',
      'cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n',
      'cgroup/memory/memory.usage_in_bytes': '52428800\n',
      'cgroup/cpu/cpu.cfs_quota_us': '-1\n',
      'cgroup/cpu/cpu.cfs_period_us': '100000\n',
      'cgroup/cpuacct/cpuacct.usage': '1000000000\n',
    });
    const [first, second] = samples({ 'cgroup/cpuacct/cpuacct.usage': '1050000000\n' });
    expect(first).toEqual({
      cgroup_version: 1,
      memory_limit_bytes: null,
      memory_used_bytes: 52_428_800,
      cpu_quota_cores: null,
      cpu_usage_cores: null,
    });
    expect((second as { cpu_usage_cores: number }).cpu_usage_cores).toBeGreaterThan(0);
  });

  test('no cgroup at all: container is null', () => {
    write({ 'proc/self/cgroup': '' });
    expect(samples({})[0]).toBeNull();
  });
});

function minimalHeartbeat(): Record<string, unknown> {
  return {
    v: 1,
    type: 'heartbeat',
    app: 'a',
    component: 'c',
    instance_id: 'i',
    deployment_id: null,
    version: null,
    region: null,
    pod_name: null,
    node_name: null,
    boot_id: 'b',
    seq: 0,
    sent_at: 1,
    started_at: 1,
    interval_ms: 1000,
    ttl_ms: 3000,
    serving: null,
    stats: null,
  };
}

describe('docs/heartbeat-protocol.md', () => {
  const doc = readFileSync(path.join(REPO_ROOT, 'docs/heartbeat-protocol.md'), 'utf8');

  test('the worked example: both implementations give its canonical content and signature', () => {
    const marker = /<!-- signature-example secret="([^"]+)" -->/.exec(doc);
    expect(marker).not.toBeNull();
    const secret = marker?.[1] ?? '';
    const after = doc.slice(marker?.index ?? 0);
    const blocks = [...after.matchAll(/```(\w+)\n([\s\S]*?)\n```/g)]
      .slice(0, 3)
      .map((m) => [m[1], m[2] ?? '']);
    expect(blocks.map(([lang]) => lang)).toEqual(['json', 'text', 'text']);
    const [[, json], [, canonical], [, sig]] = blocks as [
      [string, string],
      [string, string],
      [string, string],
    ];
    const heartbeat = JSON.parse(json ?? '') as Record<string, unknown>;
    expect(validateHeartbeat(heartbeat)).toMatchObject({ ok: true });
    expect(canonicalHeartbeatContent(heartbeat)).toBe(canonical);
    expect(signatureOf(heartbeat, secret)).toBe(sig);
    const fromPython = python(
      `value = json.loads(sys.stdin.read())
sys.stdout.write(json.dumps([rw.canonical_json(value), rw.signature_of(value, ${JSON.stringify(secret)})]))`,
      { input: json },
    );
    expect(JSON.parse(fromPython)).toEqual([canonical, sig]);
  });

  test('names every field of the schema, the limits of shared/heartbeat-limits.ts and every refusal reason', () => {
    const documented = new Set([...doc.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]));
    const fields = [...HEARTBEAT_FIELDS, ...SERVING_FIELDS, ...STATS_FIELDS, ...CONTAINER_FIELDS];
    expect(fields.filter((field) => !documented.has(field))).toEqual([]);
    expect(REJECT_REASONS.filter((reason) => !documented.has(reason))).toEqual([]);
    expect(doc).toContain(`\`${limits.NAME_PATTERN.source}\``);
    expect(doc).toContain(`at most ${limits.MAX_HEARTBEAT_BYTES} bytes`);
    expect(doc).toContain(`at most ${limits.LABEL_MAX_LENGTH} characters`);
    expect(doc).toContain(`string ≤ ${limits.PROBE_ERROR_MAX_LENGTH}`);
    expect(doc).toContain(`${limits.BOOT_ID_MIN_LENGTH}–${limits.BOOT_ID_MAX_LENGTH} characters`);
    expect(doc).toContain(`≤ ${limits.SIG_MAX_LENGTH} characters`);
    expect(doc).toContain(`integer 0–${limits.HTTP_STATUS_MAX}`);
    expect(doc).toContain(`| \`v\`             | \`${limits.HEARTBEAT_SCHEMA_VERSION}\``);
  });
});
