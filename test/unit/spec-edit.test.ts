/**
 * The whole-spec edit behind `replica-watch fix scale`: exactly one field changes, every other
 * field and component is kept as it came, counts below 1 and autoscaled or instance-less
 * components are refused with the reason.
 */
import { countProblem, diffJson, formatChanges, scaleComponent } from '../../aggregator/cli/spec-edit';

/** A spec with more than replica-watch reads: env vars, routes, sizes, a worker, a job, a site. */
function spec(): Record<string, unknown> {
  return {
    name: 'shop',
    region: 'ams',
    services: [
      {
        name: 'backend',
        instance_size_slug: 'apps-s-1vcpu-0.5gb',
        instance_count: 2,
        http_port: 8080,
        envs: [{ key: 'DATABASE_URL', scope: 'RUN_TIME', type: 'SECRET', value: 'EV[1:abc]' }],
        routes: [{ path: '/api' }],
      },
      { name: 'api', autoscaling: { min_instance_count: 2, max_instance_count: 5 } },
    ],
    workers: [{ name: 'mailer', instance_size_slug: 'apps-s-1vcpu-1gb' }],
    jobs: [{ name: 'migrate', kind: 'PRE_DEPLOY' }],
    static_sites: [{ name: 'docs', source_dir: '/docs' }],
    ingress: { rules: [{ match: { path: { prefix: '/' } }, component: { name: 'backend' } }] },
  };
}

describe('scaleComponent', () => {
  test('changes only the instance_count, keeping everything else as it came', () => {
    const before = spec();
    const result = scaleComponent(before, 'backend', 3);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.changes).toEqual([{ path: 'services[0].instance_count', from: 2, to: 3 }]);
    const expected = spec();
    (expected.services as Record<string, unknown>[])[0]!.instance_count = 3;
    expect(result.spec).toEqual(expected);
    // The input is not modified.
    expect(before).toEqual(spec());
  });

  test('a worker without instance_count (default 1) gets the field', () => {
    const result = scaleComponent(spec(), 'mailer', 2);
    expect(result.ok && result.changes).toEqual([
      { path: 'workers[0].instance_count', from: undefined, to: 2 },
    ]);
  });

  test('the same count changes nothing, an absent instance_count counting as 1', () => {
    expect(scaleComponent(spec(), 'backend', 2)).toEqual({ ok: true, spec: spec(), changes: [] });
    expect(scaleComponent(spec(), 'mailer', 1)).toEqual({ ok: true, spec: spec(), changes: [] });
  });

  test.each<[string, string, number, RegExp]>([
    ['a count of 0', 'backend', 0, /instance_count minimum is 1/],
    ['a negative count', 'backend', -1, /instance_count minimum is 1/],
    ['a fractional count', 'backend', 1.5, /instance_count minimum is 1/],
    ['an autoscaled component', 'api', 3, /api autoscales \(2-5\).*min_instance_count/],
    ['a job', 'migrate', 2, /migrate is in jobs: it runs no standing instances/],
    ['a static site', 'docs', 2, /docs is in static_sites/],
    [
      'an unknown component',
      'frontend',
      2,
      /no component named "frontend" in the spec \(services: backend, api; workers: mailer; jobs: migrate; static_sites: docs\)/,
    ],
  ])('refuses %s', (_name, component, count, reason) => {
    const result = scaleComponent(spec(), component, count);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  test('countProblem names the API minimum and the right fix', () => {
    expect(countProblem(1)).toBeNull();
    expect(countProblem(0)).toMatch(/instance_count minimum is 1.*fix restart/);
  });
});

describe('diffJson and formatChanges', () => {
  test('lists every differing leaf with its path', () => {
    const changes = diffJson({ a: 1, b: [1, { c: 2 }], d: 'x' }, { a: 1, b: [1, { c: 3 }, 4], e: null });
    expect(changes).toEqual([
      { path: 'b[1].c', from: 2, to: 3 },
      { path: 'b[2]', from: undefined, to: 4 },
      { path: 'd', from: 'x', to: undefined },
      { path: 'e', from: undefined, to: null },
    ]);
  });

  test('names the component a change is in', () => {
    const text = formatChanges(spec(), [{ path: 'services[0].instance_count', from: 2, to: 3 }]);
    expect(text).toBe('  services[0].instance_count (backend): 2 → 3');
    expect(formatChanges(spec(), [{ path: 'workers[0].instance_count', from: undefined, to: 2 }])).toBe(
      '  workers[0].instance_count (mailer): (absent) → 2',
    );
  });
});
