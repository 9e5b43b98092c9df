/**
 * GET /openapi.json is kept true: real responses of a running aggregator — real agents sending
 * heartbeats over the HTTP transport, more heartbeats posted by hand, a platform with findings to
 * report — validate against the document, every object closed to undocumented fields.
 */
import type { RunningAgent } from '../../agent/app';
import { startAgent } from '../../agent/app';
import { loadAgentConfig } from '../../agent/config';
import type { RunningAggregator } from '../../aggregator/app';
import { startAggregator } from '../../aggregator/app';
import { loadAggregatorConfig } from '../../aggregator/config';
import { OPENAPI_DOCUMENT } from '../../aggregator/http/openapi';
import type { PlatformSource } from '../../aggregator/platform/source';
import type { PlatformView } from '../../aggregator/model';
import type { Report } from '../../aggregator/reconcile/report';
import type { Heartbeat } from '../../shared/heartbeat';
import { MAX_HEARTBEAT_BYTES, serializeHeartbeat } from '../../shared/heartbeat';
import { AggregatorApiValidator } from '../support/aggregator-openapi';
import { goodbyeOf, makeHeartbeat } from '../support/heartbeats';
import { waitFor } from '../support/wait';

const APP = 'openapi-app';
const validator = new AggregatorApiValidator();

let aggregator: RunningAggregator;
const agents: RunningAgent[] = [];
let view: PlatformView;

/** A platform that says what the test tells it, fetched "now" (never, while it is unavailable). */
const platform: PlatformSource = {
  kind: 'digitalocean',
  actions: null,
  current: () => ({ ...view, fetchedAtMs: view.status === 'unavailable' ? null : Date.now() - 2_000 }),
  start: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

const deployment = (id: string, phase = 'ACTIVE') => ({
  id,
  phase,
  progress: phase === 'ACTIVE' ? null : { stepsDone: 2, stepsTotal: 5, errorSteps: 0 },
  failedStep: null,
  cause: null,
  createdAtMs: Date.now() - 3_600_000,
  updatedAtMs: null,
});

function listed(name: string) {
  const [, generation = null] = /^backend-([a-z0-9]+)-/.exec(name) ?? [];
  return { name, alias: null, generation };
}

beforeAll(async () => {
  view = {
    source: 'digitalocean',
    appId: APP,
    appName: 'replica-demo',
    status: 'ok',
    fetchedAtMs: null,
    error: null,
    components: [
      {
        name: 'backend',
        kind: 'service',
        instanceSize: { slug: 'apps-s-1vcpu-1gb', monthlyCents: 1200 },
        desired: { min: 2, max: 2, autoscaling: false },
        ready: 4,
        listed: ['backend-new7f-a1', 'backend-new7f-a2', 'backend-old5d-o1', 'backend-new7f-zz'].map(listed),
      },
      {
        name: 'worker',
        kind: 'worker',
        instanceSize: null,
        desired: { min: 1, max: 3, autoscaling: true },
        ready: 0,
        listed: [],
      },
    ],
    defaultDesired: null,
    pendingDeployment: null,
    activeDeployment: deployment('dep-2'),
    inProgressDeployment: null,
    deployments: [deployment('dep-2')],
  };
  aggregator = await startAggregator(
    loadAggregatorConfig({ PORT: '0', HOST: '127.0.0.1', AGGREGATOR_APP: APP, RECONCILE_INTERVAL_MS: '100' }),
    { platform },
  );
  // Two real agents on the active deployment, heartbeating through the HTTP transport.
  for (const id of ['backend-new7f-a1', 'backend-new7f-a2']) {
    agents.push(
      await startAgent(
        loadAgentConfig(
          {
            AGENT_ENABLED: 'true',
            AGGREGATOR_URL: aggregator.url,
            AGENT_APP: APP,
            AGENT_INSTANCE_ID: id,
            DEPLOYMENT_ID: 'dep-2',
            APP_VERSION: '2.0.0',
            AGENT_INTERVAL_MS: '1000', // suspect only after 2 s without one: a loaded machine stalls for less
            AGENT_TTL_MS: '5000',
            AGENT_PORT: '0',
            AGENT_HOST: '127.0.0.1',
          },
          { hostname: 'test-host' },
        ),
      ),
    );
  }
  const now = Date.now();
  const hb = (instance_id: string, overrides: Partial<Heartbeat> = {}) =>
    makeHeartbeat({ app: APP, instance_id, sent_at: now, started_at: now - 600_000, ...overrides });
  // An orphan of the old deployment, failing its probe; one that said goodbye.
  expect(
    await postHeartbeat(
      serializeHeartbeat(
        hb('backend-old5d-o1', {
          deployment_id: 'dep-1',
          serving: { ok: false, status: 503, latency_ms: 12, error: null, checked_at: now },
        }),
      ),
    ),
  ).toMatchObject({ status: 202 });
  expect(
    await postHeartbeat(serializeHeartbeat(goodbyeOf(hb('backend-new7f-l1', { deployment_id: 'dep-2' })))),
  ).toMatchObject({ status: 202 });

  await waitFor(
    async () => {
      aggregator.reconcileNow();
      const backend = aggregator.store.current()?.report.components.find((c) => c.name === 'backend');
      return backend?.live === 3;
    },
    { what: 'both agents live' },
  );
});

afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.stop()));
  await aggregator?.stop();
});

async function postHeartbeat(body: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${aggregator.url}/api/v1/heartbeats`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return { status: res.status, json: await res.json() };
}

async function getJson(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${aggregator.url}${path}`, { headers });
  const text = await res.text();
  return { res, json: text.length > 0 ? (JSON.parse(text) as unknown) : null };
}

describe('GET /api/v1/monitoring/replicas', () => {
  test('the full report validates and carries the findings of this fleet', async () => {
    const { res, json } = await getJson('/api/v1/monitoring/replicas');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(validator.responseErrors('get', '/api/v1/monitoring/replicas', 200, json)).toEqual([]);

    const report = json as Report;
    const codes = report.components.flatMap((c) => c.findings.map((f) => f.code));
    expect(codes).toEqual(
      expect.arrayContaining([
        'ORPHANED_INSTANCES',
        'NOT_SERVING',
        'SURPLUS_INSTANCES',
        'PLATFORM_COUNT_MISMATCH',
        'UNREPORTED_INSTANCES',
        'MISSING_INSTANCES',
      ]),
    );
    expect(report.instances.map((i) => i.state).sort()).toEqual(['left', 'live', 'live', 'live']);
    expect(report.components.find((c) => c.name === 'worker')?.autoscaling).toEqual({ min: 1, max: 3 });
  });

  test('?instances=false validates, has no instances; the ETag gives 304', async () => {
    const { res, json } = await getJson('/api/v1/monitoring/replicas?instances=false');
    expect(res.status).toBe(200);
    expect(json).not.toHaveProperty('instances');
    expect(validator.responseErrors('get', '/api/v1/monitoring/replicas', 200, json)).toEqual([]);

    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    const again = await fetch(`${aggregator.url}/api/v1/monitoring/replicas?instances=false`, {
      headers: { 'if-none-match': etag ?? '' },
    });
    // The report may have been recomputed in between (ages move): 304 or a fresh 200.
    expect([200, 304]).toContain(again.status);
    if (again.status === 304) expect(await again.text()).toBe('');
    else
      expect(validator.responseErrors('get', '/api/v1/monitoring/replicas', 200, await again.json())).toEqual(
        [],
      );
  });

  test('during a rollout the report validates too (rolling verdict, rollout finding)', async () => {
    view = { ...view, inProgressDeployment: deployment('dep-3', 'DEPLOYING') };
    try {
      aggregator.reconcileNow();
      const { json } = await getJson('/api/v1/monitoring/replicas');
      expect(validator.responseErrors('get', '/api/v1/monitoring/replicas', 200, json)).toEqual([]);
      const backend = (json as Report).components.find((c) => c.name === 'backend');
      expect(backend?.verdict).toBe('rolling');
      expect(backend?.findings.map((f) => f.code)).toContain('ROLLOUT_IN_PROGRESS');
    } finally {
      view = { ...view, inProgressDeployment: null };
      aggregator.reconcileNow();
    }
  });

  test('with a deployment queued behind the rolling one, both are in the report, which validates', async () => {
    view = {
      ...view,
      inProgressDeployment: deployment('dep-3', 'DEPLOYING'),
      pendingDeployment: { ...deployment('dep-4', 'PENDING_BUILD'), progress: null },
    };
    try {
      aggregator.reconcileNow();
      const { json } = await getJson('/api/v1/monitoring/replicas');
      expect(validator.responseErrors('get', '/api/v1/monitoring/replicas', 200, json)).toEqual([]);
      const report = json as Report;
      expect(report.in_progress_deployment).toEqual({
        id: 'dep-3',
        phase: 'DEPLOYING',
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(report.pending_deployment).toMatchObject({ id: 'dep-4', phase: 'PENDING_BUILD' });
      // Every instance carries its clock offset and whether it is draining.
      for (const i of report.instances) {
        expect(typeof i.clock_offset_ms).toBe('number');
        expect(typeof i.draining).toBe('boolean');
      }
    } finally {
      view = { ...view, inProgressDeployment: null, pendingDeployment: null };
      aggregator.reconcileNow();
    }
  });

  test('blind (DO_APP_ID answered 404, never fetched), the report validates and names the failure', async () => {
    const good = view;
    view = {
      ...view,
      status: 'unavailable',
      components: [],
      activeDeployment: null,
      deployments: [],
      error: {
        kind: 'not_found',
        message: `GET /v2/apps/${APP}: HTTP 404`,
        httpStatus: 404,
        requestId: '4d9f2c1e-aa10-4b7e-9d2a-5e3b7c8f1a22',
        sinceMs: Date.now() - 60_000,
      },
    };
    try {
      aggregator.reconcileNow();
      for (const path of ['/api/v1/monitoring/replicas', '/api/v1/monitoring/replicas?instances=false']) {
        const { json } = await getJson(path);
        expect(validator.responseErrors('get', '/api/v1/monitoring/replicas', 200, json)).toEqual([]);
        expect((json as Report).summary.do_api_error).toEqual({
          kind: 'not_found',
          message: `GET /v2/apps/${APP}: HTTP 404`,
          http_status: 404,
          request_id: '4d9f2c1e-aa10-4b7e-9d2a-5e3b7c8f1a22',
          since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          fix_variable: 'DO_APP_ID',
        });
      }
    } finally {
      view = good;
      aggregator.reconcileNow();
    }
  });
});

test('GET /api/v1/health/instances validates', async () => {
  const { res, json } = await getJson('/api/v1/health/instances');
  expect(res.status).toBe(200);
  expect(validator.responseErrors('get', '/api/v1/health/instances', 200, json)).toEqual([]);
  expect((json as { instances: unknown[] }).instances).toHaveLength(4);
});

describe('POST /api/v1/heartbeats', () => {
  test('202 for a heartbeat, 400 with a reason for junk, 413 when too large', async () => {
    const now = Date.now();
    const ok = await postHeartbeat(
      serializeHeartbeat(
        makeHeartbeat({ app: APP, instance_id: 'worker-abc12-w1', component: 'worker', sent_at: now }),
      ),
    );
    expect(ok.status).toBe(202);
    expect(validator.responseErrors('post', '/api/v1/heartbeats', 202, ok.json)).toEqual([]);

    const bad = await postHeartbeat('{"v":1,"type":"heartbeat"}');
    expect(bad.status).toBe(400);
    expect(validator.responseErrors('post', '/api/v1/heartbeats', 400, bad.json)).toEqual([]);

    const wrongApp = await postHeartbeat(serializeHeartbeat(makeHeartbeat({ app: 'other-app' })));
    expect(wrongApp).toMatchObject({ status: 400, json: { reason: 'wrong_app' } });
    expect(validator.responseErrors('post', '/api/v1/heartbeats', 400, wrongApp.json)).toEqual([]);

    const large = await postHeartbeat(`{"pad":"${'x'.repeat(MAX_HEARTBEAT_BYTES)}"}`);
    expect(large.status).toBe(413);
    expect(validator.responseErrors('post', '/api/v1/heartbeats', 413, large.json)).toEqual([]);
  });
});

test('GET /api/v1/events streams reports that validate as Report', async () => {
  const abort = new AbortController();
  const res = await fetch(`${aggregator.url}/api/v1/events`, { signal: abort.signal });
  try {
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(validator.responseErrors('get', '/api/v1/events', 200, '', 'text/event-stream')).toEqual([]);
    const reader = res.body!.getReader();
    let text = '';
    while (!/event: report\ndata: .*\n\n/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const data = /event: report\ndata: (.*)\n\n/.exec(text)?.[1];
    expect(data).toBeDefined();
    expect(validator.schemaErrors('Report', JSON.parse(data ?? 'null'))).toEqual([]);
  } finally {
    abort.abort();
  }
});

describe('GET /api/v1/history and /api/v1/audit', () => {
  test('the history validates, with points for the components reconciled so far', async () => {
    const all = await getJson('/api/v1/history');
    expect(all.res.status).toBe(200);
    expect(validator.responseErrors('get', '/api/v1/history', 200, all.json)).toEqual([]);
    const points = (all.json as { points: { component: string }[] }).points;
    expect(new Set(points.map((p) => p.component))).toEqual(new Set(['backend', 'worker']));

    const one = await getJson(
      `/api/v1/history?component=backend&since=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}`,
    );
    expect(one.res.status).toBe(200);
    expect(validator.responseErrors('get', '/api/v1/history', 200, one.json)).toEqual([]);
    expect((one.json as { component: string }).component).toBe('backend');

    const bad = await getJson('/api/v1/history?since=yesterday');
    expect(bad.res.status).toBe(400);
    expect(validator.responseErrors('get', '/api/v1/history', 400, bad.json)).toEqual([]);
  });

  test('the audit trail validates', async () => {
    const ok = await getJson('/api/v1/audit?limit=50');
    expect(ok.res.status).toBe(200);
    expect(validator.responseErrors('get', '/api/v1/audit', 200, ok.json)).toEqual([]);
    // The backend has orphans and a surplus, what a restart would fix: with remediation off, the
    // trail holds that decision (a skip, and why).
    const entries = (ok.json as { entries: { component: string; decision: string }[] }).entries;
    expect(entries).toEqual(
      expect.arrayContaining([expect.objectContaining({ component: 'backend', decision: 'skip' })]),
    );

    const bad = await getJson('/api/v1/audit?limit=0');
    expect(bad.res.status).toBe(400);
    expect(validator.responseErrors('get', '/api/v1/audit', 400, bad.json)).toEqual([]);
  });
});

describe('operations', () => {
  test('GET /livez and /readyz validate', async () => {
    const livez = await getJson('/livez');
    expect(livez.res.status).toBe(200);
    expect(validator.responseErrors('get', '/livez', 200, livez.json)).toEqual([]);
    const readyz = await getJson('/readyz');
    expect(readyz.res.status).toBe(200);
    expect(validator.responseErrors('get', '/readyz', 200, readyz.json)).toEqual([]);
  });

  test('GET /metrics is the Prometheus text format', async () => {
    const res = await fetch(`${aggregator.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const body = await res.text();
    expect(validator.responseErrors('get', '/metrics', 200, body, 'text/plain')).toEqual([]);
    expect(body).toMatch(/^# TYPE replica_watch_live_instances gauge$/m);
  });

  test('GET /openapi.json serves this document', async () => {
    const { res, json } = await getJson('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(json).toEqual(JSON.parse(JSON.stringify(OPENAPI_DOCUMENT)));
  });

  test('GET / is the HTML dashboard', async () => {
    const res = await fetch(`${aggregator.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(/<html/i);
  });

  test('every documented path answers (none is a 404)', async () => {
    for (const [path, item] of Object.entries(OPENAPI_DOCUMENT.paths)) {
      for (const method of Object.keys(item)) {
        const abort = new AbortController();
        const res = await fetch(`${aggregator.url}${path}`, {
          method: method.toUpperCase(),
          signal: abort.signal,
          ...(method === 'post' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}),
        });
        abort.abort();
        expect({ route: `${method.toUpperCase()} ${path}`, status: res.status }).not.toEqual({
          route: `${method.toUpperCase()} ${path}`,
          status: 404,
        });
      }
    }
  });
});
