import { UNKNOWN_APP_ID } from '../../aggregator/reconcile/commands';
import { parseDesiredReplicas } from '../../aggregator/config';
import type { StaticDesired } from '../../aggregator/config';
import { createStaticSource, staticView } from '../../aggregator/platform/static';
import { reconcile } from '../../aggregator/reconcile';
import { fullReport, input } from '../support/reconcile-io';
import { instances } from '../support/records';

function desired(text: string): StaticDesired {
  const parsed = parseDesiredReplicas(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

describe('static platform source', () => {
  test('per-component counts become service components, sorted by name', () => {
    const view = staticView({
      desired: desired('worker=1,backend=2-4'),
      activeDeploymentId: null,
      appId: null,
    });
    expect(view.components).toEqual([
      {
        name: 'backend',
        kind: 'service',
        instanceSize: null,
        desired: { min: 2, max: 4, autoscaling: true },
        ready: null,
        listed: null,
      },
      {
        name: 'worker',
        kind: 'service',
        instanceSize: null,
        desired: { min: 1, max: 1, autoscaling: false },
        ready: null,
        listed: null,
      },
    ]);
    expect(view.defaultDesired).toBeNull();
  });

  test('a bare count is the default for every component', () => {
    const view = staticView({ desired: desired('2'), activeDeploymentId: null, appId: 'app-9' });
    expect(view).toMatchObject({
      source: 'static',
      appId: 'app-9',
      status: 'not_configured',
      fetchedAtMs: null,
      error: null,
      components: [],
      defaultDesired: { min: 2, max: 2, autoscaling: false },
      activeDeployment: null,
      inProgressDeployment: null,
      pendingDeployment: null,
      deployments: [],
    });
  });

  test('ACTIVE_DEPLOYMENT_ID becomes the active deployment', () => {
    const view = staticView({ desired: null, activeDeploymentId: 'dep-7', appId: null });
    const active = {
      id: 'dep-7',
      phase: 'ACTIVE',
      progress: null,
      failedStep: null,
      cause: null,
      createdAtMs: null,
      updatedAtMs: null,
    };
    expect(view.activeDeployment).toEqual(active);
    expect(view.deployments).toEqual([active]);
    expect(view.components).toEqual([]);
    expect(view.defaultDesired).toBeNull();
  });

  test('current() is one frozen constant view; start and close are no-ops, close is idempotent', async () => {
    const source = createStaticSource({
      desired: desired('backend=2'),
      activeDeploymentId: 'd1',
      appId: null,
    });
    expect(source.kind).toBe('static');
    await expect(source.start()).resolves.toBeUndefined();
    const first = source.current();
    expect(source.current()).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.components)).toBe(true);
    expect(Object.isFrozen(first.components[0])).toBe(true);
    await expect(source.close()).resolves.toBeUndefined();
    await expect(source.close()).resolves.toBeUndefined();
    expect(source.current()).toBe(first);
  });

  test('the view does not change when the options object does', () => {
    const options = { desired: desired('backend=2'), activeDeploymentId: null, appId: null };
    const source = createStaticSource(options);
    (options.desired.byComponent as Record<string, unknown>).worker = { min: 5, max: 5, autoscaling: false };
    expect(source.current().components.map((c) => c.name)).toEqual(['backend']);
  });

  describe('through the reconciler', () => {
    test('DESIRED_REPLICAS=2 with nothing reporting expects a backend', () => {
      const view = staticView({ desired: desired('2'), activeDeploymentId: null, appId: null });
      const report = fullReport(reconcile(input({ app: 'shop', platform: view })));
      expect(report.components.map((c) => [c.name, c.desired, c.verdict])).toEqual([
        ['backend', 2, 'discrepancy'],
      ]);
      expect(report.components[0]?.findings.map((f) => [f.code, f.severity])).toEqual([
        ['MISSING_INSTANCES', 'critical'],
      ]);
      expect(report.summary).toMatchObject({ do_api_status: 'not_configured', platform_data_age_ms: null });
      // The app's name is no DigitalOcean app id: the command says to fill one in.
      expect(report.recommendations[0]).toContain(
        `doctl apps restart ${UNKNOWN_APP_ID} --components backend`,
      );
      expect(report.recommendations.join(' ')).not.toMatch(/doctl apps \S+ shop\b/);
    });

    test('backend=2 with two reporting is ok, and ACTIVE_DEPLOYMENT_ID finds orphans', () => {
      const view = staticView({ desired: desired('backend=2'), activeDeploymentId: 'd2', appId: 'app-1' });
      const ok = fullReport(
        reconcile(input({ platform: view, instances: instances('b', 2, { deploymentId: 'd2' }) })),
      );
      expect(ok.summary).toMatchObject({
        configured_replicas: 2,
        active_instances: 2,
        verdict: 'ok',
        discrepancy: false,
      });
      const orphaned = fullReport(
        reconcile(
          input({
            platform: view,
            instances: [
              ...instances('b', 2, { deploymentId: 'd2' }),
              ...instances('o', 1, { deploymentId: 'd1' }),
            ],
          }),
        ),
      );
      expect(orphaned.components[0]?.findings.map((f) => f.code)).toEqual([
        'ORPHANED_INSTANCES',
        'SURPLUS_INSTANCES',
      ]);
    });
  });
});
