/**
 * The aggregator against a server that answers only with DigitalOcean's own examples from
 * apps.yaml (the app, its deployments, instances and health, and the account's app list and
 * instance sizes): it must read them without an error and report the example spec's components
 * with their counts.
 */
import type { Server } from 'node:http';
import { startAggregator, type RunningAggregator } from '../../aggregator/app';
import { loadAggregatorConfig } from '../../aggregator/config';
import type { Report } from '../../aggregator/reconcile/report';
import { closeServer, listen } from '../../aggregator/http/listen';
import { loadAppsOpenApi, responseExamples } from '../support/openapi';
import { publishedReport } from '../support/reconcile-io';
import { waitFor } from '../support/wait';

const api = loadAppsOpenApi();
const example = (path: string) => {
  const [first] = responseExamples(api, 'get', path, 200);
  if (!first) throw new Error(`apps.yaml has no example for GET ${path}`);
  return first.value;
};
// The account's own routes (the app list, the instance sizes) first: `tiers` is no app id.
const ROUTES: [RegExp, unknown][] = [
  [/^\/v2\/apps(\?.*)?$/, example('/v2/apps')],
  [/^\/v2\/apps\/tiers\/instance_sizes(\?.*)?$/, example('/v2/apps/tiers/instance_sizes')],
  [/^\/v2\/apps\/[^/]+\/deployments(\?.*)?$/, example('/v2/apps/{app_id}/deployments')],
  [/^\/v2\/apps\/[^/]+\/instances(\?.*)?$/, example('/v2/apps/{app_id}/instances')],
  [/^\/v2\/apps\/[^/]+\/health(\?.*)?$/, example('/v2/apps/{app_id}/health')],
  [/^\/v2\/apps\/[^/?]+(\?.*)?$/, example('/v2/apps/{id}')],
];
const appExample = example('/v2/apps/{id}') as {
  app: {
    id: string;
    spec: { services?: { name: string; instance_count?: number }[]; workers?: { name: string }[] };
  };
};

describe('the aggregator against the official examples', () => {
  let server: Server;
  let aggregator: RunningAggregator;

  beforeAll(async () => {
    const bound = await listen(
      (req, res) => {
        const body = ROUTES.find(([pattern]) => pattern.test(req.url ?? ''))?.[1];
        res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body ?? { id: 'not_found', message: 'no example for this path' }));
      },
      '127.0.0.1',
      0,
    );
    server = bound.server;
    aggregator = await startAggregator(
      loadAggregatorConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        DO_API_TOKEN: 'example-token-not-secret',
        DO_APP_ID: appExample.app.id,
        DO_API_BASE_URL: `http://127.0.0.1:${bound.port}`,
      }),
    );
  });

  afterAll(async () => {
    await aggregator?.stop();
    if (server) await closeServer(server);
  });

  test('reports every service and worker of the example spec with its desired count, and no error', async () => {
    const report = await waitFor(async () => publishedReport(aggregator.reconcileNow()), {
      until: (r: Report) => r.summary.do_api_status !== 'unavailable',
    });
    expect(report.summary.do_api_status).toBe('ok');
    expect(report.platform).toBe('digitalocean');
    expect(report.app_id).toBe(appExample.app.id);
    const expected = [...(appExample.app.spec.services ?? []), ...(appExample.app.spec.workers ?? [])];
    expect(expected.length).toBeGreaterThan(0);
    for (const component of expected) {
      const reported = report.components.find((c) => c.name === component.name);
      expect(reported).toMatchObject({
        name: component.name,
        desired: (component as { instance_count?: number }).instance_count ?? 1,
      });
    }
    const codes = report.components.flatMap((c) => c.findings.map((f) => f.code));
    expect(codes).not.toContain('DATA_DEGRADED');
    // The examples list instances and a health count, but no agent runs: the app is judged from
    // the platform alone, and its own numbers (spec, health, instance list) disagree.
    expect(report.summary.agentless).toBe(true);
    expect(codes).toContain('PLATFORM_COUNT_MISMATCH');
    expect(codes).not.toContain('UNREPORTED_INSTANCES');
  });
});
