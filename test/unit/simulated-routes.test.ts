/**
 * Which operation a request to the simulated App Platform is, and which app it is about: the
 * account's own routes (GET /v2/apps, /v2/apps/tiers/instance_sizes…) are never read as an app
 * id, and every other /v2/apps/<id>… path is about that app, known operation or not.
 */
import { matchRoute } from '../../aggregator/platform/simulated/routes';

describe('matchRoute', () => {
  it.each([
    ['GET', '/v2/apps', { scope: 'account', name: 'GET /v2/apps' }],
    ['GET', '/v2/apps/', { scope: 'account', name: 'GET /v2/apps' }],
    ['GET', '/v2/apps/tiers/instance_sizes', { scope: 'account', name: 'GET /v2/apps/tiers/instance_sizes' }],
    [
      'GET',
      '/v2/apps/tiers/instance_sizes/apps-s-1vcpu-1gb',
      { scope: 'account', name: 'GET /v2/apps/tiers/instance_sizes/{slug}', slug: 'apps-s-1vcpu-1gb' },
    ],
    ['POST', '/v2/apps', { scope: 'account', name: null }],
    ['POST', '/v2/apps/tiers/instance_sizes', { scope: 'account', name: null }],
    ['GET', '/v2/apps/tiers/instance_sizes/a/b', { scope: 'account', name: null }],
    ['GET', '/v2/droplets', { scope: 'account', name: null }],
  ] as const)('%s %s is the account’s', (method, path, expected) => {
    expect(matchRoute(method, path)).toEqual(expected);
  });

  it.each([
    ['GET', '/v2/apps/a1', 'GET /v2/apps/{id}'],
    ['PUT', '/v2/apps/a1', 'PUT /v2/apps/{id}'],
    ['GET', '/v2/apps/a1/deployments', 'GET /v2/apps/{app_id}/deployments'],
    ['POST', '/v2/apps/a1/deployments', 'POST /v2/apps/{app_id}/deployments'],
    ['GET', '/v2/apps/a1/instances', 'GET /v2/apps/{app_id}/instances'],
    ['GET', '/v2/apps/a1/health', 'GET /v2/apps/{app_id}/health'],
    ['POST', '/v2/apps/a1/restart', 'POST /v2/apps/{app_id}/restart'],
    ['DELETE', '/v2/apps/a1', null],
    ['GET', '/v2/apps/a1/restart', null],
    ['GET', '/v2/apps/a1/nothing', null],
    ['GET', '/v2/apps/a1/instances/extra', null],
    // Not an account route: an app that happens to be called tiers.
    ['GET', '/v2/apps/tiers', 'GET /v2/apps/{id}'],
  ] as const)('%s %s is about the app', (method, path, name) => {
    const appId = path.split('/')[3];
    expect(matchRoute(method, path)).toEqual({ scope: 'app', appId, name });
  });

  it('reads a deployment id and decodes the ids', () => {
    expect(matchRoute('GET', '/v2/apps/a%201/deployments/d%2F2')).toEqual({
      scope: 'app',
      appId: 'a 1',
      name: 'GET /v2/apps/{app_id}/deployments/{deployment_id}',
      deploymentId: 'd/2',
    });
    expect(matchRoute('POST', '/v2/apps/a1/deployments/d2')).toEqual({
      scope: 'app',
      appId: 'a1',
      name: null,
    });
  });
});
