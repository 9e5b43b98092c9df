/**
 * The simulated App Platform as an account of several apps ("many apps, one fleet"): GET
 * /v2/apps paged by links.pages, ids that never collide, apps created and deleted while it runs,
 * each app with its own access, fault and request counts (an app_not_found app listed but 404,
 * a token_rejected one listed but 401, the others answering), the instance sizes at
 * /v2/apps/tiers/…, and the fleet preset of the demo served whole.
 */
import { request } from 'undici';
import { DigitalOceanClient } from '../../aggregator/platform/digitalocean/client';
import { DigitalOceanSource } from '../../aggregator/platform/digitalocean/source';
import type {
  SimulatedAccountPlatformOptions,
  SimulatedAppSpec,
  SimulatedPlatform,
} from '../../aggregator/platform/simulated';
import {
  SCENARIOS,
  instanceSizeMonthlyCents,
  scenarioAgents,
  scenarioAppId,
  scenarioDeploymentId,
  simulatedFleet,
  startSimulatedPlatform,
} from '../../aggregator/platform/simulated';
import { uuidFromSeed } from '../../aggregator/platform/simulated/ids';

const platforms: SimulatedPlatform[] = [];

afterEach(async () => {
  await Promise.all(platforms.splice(0).map((p) => p.close()));
});

async function account(
  apps: readonly SimulatedAppSpec[],
  options: Omit<SimulatedAccountPlatformOptions, 'apps'> = {},
): Promise<SimulatedPlatform> {
  const fake = await startSimulatedPlatform({ apps, ...options });
  platforms.push(fake);
  return fake;
}

interface Reply<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

async function get<T = Record<string, unknown>>(
  fake: SimulatedPlatform,
  path: string,
  authorization: string | null = 'Bearer anything',
): Promise<Reply<T>> {
  const response = await request(`${fake.url}${path}`, {
    headers: authorization === null ? {} : { authorization },
  });
  return { status: response.statusCode, headers: response.headers, body: (await response.body.json()) as T };
}

interface ListedApp {
  id: string;
  project_id?: string;
  spec: { name: string; services: { name: string; instance_size_slug?: string }[] };
}
interface AppsPage {
  apps: ListedApp[];
  links: { pages: Record<string, string> };
  meta: { total: number };
}

/** Every page of GET /v2/apps from `path` on, following links.pages.next. */
async function allPages(fake: SimulatedPlatform, path: string): Promise<AppsPage[]> {
  const pages: AppsPage[] = [];
  for (let next: string | undefined = path; next !== undefined && pages.length < 50;) {
    const reply: Reply<AppsPage> = await get<AppsPage>(fake, next);
    expect(reply.status).toBe(200);
    pages.push(reply.body);
    next = reply.body.links.pages.next?.slice(fake.url.length);
  }
  return pages;
}

const listedIds = async (fake: SimulatedPlatform) =>
  (await allPages(fake, '/v2/apps?per_page=200')).flatMap((p) => p.apps.map((a) => a.id));

const FIVE: readonly SimulatedAppSpec[] = [
  { scenario: 'steady', name: 'storefront' },
  { scenario: 'orphans-356' },
  { scenario: 'dashboard-overcount', name: 'billing-api' },
  { scenario: 'rollout-in-progress', name: 'checkout-web' },
  { scenario: 'steady', name: 'search-api' },
];

describe('GET /v2/apps', () => {
  it('pages 5 apps 2 at a time: 3 pages, every app once, no next on the last page', async () => {
    const fake = await account(FIVE);
    const pages = await allPages(fake, '/v2/apps?per_page=2');
    const link = (n: number) => `${fake.url}/v2/apps?page=${n}&per_page=2`;

    expect(pages.map((p) => p.apps.length)).toEqual([2, 2, 1]);
    expect(pages.map((p) => p.links.pages)).toEqual([
      { next: link(2), last: link(3) },
      { first: link(1), prev: link(1), next: link(3), last: link(3) },
      { first: link(1), prev: link(2) },
    ]);
    expect(pages.map((p) => p.meta.total)).toEqual([5, 5, 5]);
    const ids = pages.flatMap((p) => p.apps.map((a) => a.id));
    expect(ids).toEqual(fake.apps().map((a) => a.appId));
    expect(new Set(ids).size).toBe(5);
    expect(pages.flatMap((p) => p.apps.map((a) => a.spec.name))).toEqual([
      'storefront',
      'replica-demo',
      'billing-api',
      'checkout-web',
      'search-api',
    ]);
  });

  it('takes 20 a page by default and at most 200, and answers an empty page past the last', async () => {
    const fake = await account(simulatedFleet(20));
    const whole = await get<AppsPage>(fake, '/v2/apps');
    const capped = await get<AppsPage>(fake, '/v2/apps?per_page=500&page=0');
    const past = await get<AppsPage>(fake, '/v2/apps?page=4&per_page=10');

    expect([whole.body.apps.length, whole.body.links.pages, whole.body.meta.total]).toEqual([20, {}, 20]);
    expect(capped.body.apps.length).toBe(20);
    expect(past.body.apps).toEqual([]);
    expect(Object.keys(past.body.links.pages).sort()).toEqual(['first', 'prev']);
    expect(past.body.links.pages.prev).toBe(`${fake.url}/v2/apps?page=2&per_page=10`);
  });

  it('keeps with_projects in its links and gives each app its project_id when asked', async () => {
    const fake = await account(FIVE);
    const page = await get<AppsPage>(fake, '/v2/apps?per_page=2&with_projects=true');
    const plain = await get<AppsPage>(fake, '/v2/apps');
    expect(page.body.links.pages.next).toBe(`${fake.url}/v2/apps?page=2&per_page=2&with_projects=true`);
    expect(page.body.apps.map((a) => a.project_id)).toEqual([expect.any(String), expect.any(String)]);
    expect(plain.body.apps.some((a) => 'project_id' in a)).toBe(false);
  });

  it('wants a Bearer token and sends the ratelimit headers, counting one quota for the account', async () => {
    const fake = await account(FIVE);
    const refused = await get(fake, '/v2/apps', null);
    const first = await get(fake, '/v2/apps');
    const second = await get(fake, `/v2/apps/${fake.appId}`);
    expect([refused.status, refused.body.id, first.status]).toEqual([401, 'unauthorized', 200]);
    expect([first.headers['ratelimit-remaining'], second.headers['ratelimit-remaining']]).toEqual([
      '4998',
      '4997',
    ]);
    expect([fake.requestCount(), fake.requestCount('GET /v2/apps'), fake.state.requestCount()]).toEqual([
      2, 1, 1,
    ]);
  });
});

describe('the apps of the account', () => {
  it('never collide: the same scenario twice gets a second id, deployments and instances of its own', async () => {
    const fake = await account([{ scenario: 'steady' }, { scenario: 'steady' }, { scenario: 'steady' }]);
    const [one, two, three] = fake.apps();
    const steady = SCENARIOS.steady;

    expect([one?.appId, two?.appId, three?.appId]).toEqual([
      scenarioAppId(steady),
      uuidFromSeed('steady/app/1'),
      uuidFromSeed('steady/app/2'),
    ]);
    expect([fake.appId, fake.state]).toEqual([one?.appId, one?.state]);
    // The first is the scenario exactly as a one-app platform serves it.
    expect(one?.state.agents()).toEqual(scenarioAgents('steady'));
    const instances = fake.apps().flatMap((a) => a.state.agents().map((i) => i.instanceId));
    const deployments = fake.apps().flatMap((a) => a.state.snapshot().deployments.map((d) => d.id));
    expect(new Set(instances).size).toBe(6);
    expect(new Set(deployments).size).toBe(6);
    expect(two?.state.snapshot().activeId).not.toBe(scenarioDeploymentId(steady, 'D2'));
    expect(await listedIds(fake)).toEqual(fake.apps().map((a) => a.appId));
  });

  it('take the id and name given, and refuse a taken id, a bad name, an unknown scenario and no app', async () => {
    const fake = await account([{ scenario: 'steady', appId: 'my-app', name: 'storefront' }]);
    const app = await get<{ app: ListedApp }>(fake, '/v2/apps/my-app');
    expect([app.status, app.body.app.id, app.body.app.spec.name]).toEqual([200, 'my-app', 'storefront']);
    expect(fake.apps().map((a) => [a.appId, a.name, a.scenario.name])).toEqual([
      ['my-app', 'storefront', 'steady'],
    ]);

    expect(() => fake.addApp({ scenario: 'steady', appId: 'my-app' })).toThrow(
      /already has an app with id my-app/,
    );
    expect(() => fake.addApp({ scenario: 'steady', name: 'Not_A_Name' })).toThrow(
      /does not fit the API's pattern/,
    );
    expect(() => fake.addApp({ scenario: 'no-such' as 'steady' })).toThrow(/unknown scenario "no-such"/);
    await expect(startSimulatedPlatform({ apps: [] })).rejects.toThrow(/at least one app/);
    expect(fake.apps()).toHaveLength(1);
  });

  it('come and go while it runs: addApp lists the new app last, removeApp unlists it and its calls answer 404', async () => {
    const fake = await account([{ scenario: 'steady', name: 'storefront' }, { scenario: 'orphans-356' }]);
    const before = await listedIds(fake);
    const added = fake.addApp({ scenario: 'dashboard-overcount', name: 'billing-api' });
    const withNew = await listedIds(fake);
    const newApp = await get<{ app: ListedApp }>(fake, `/v2/apps/${added.appId}/health`);

    const removed = fake.apps()[1]?.appId ?? '';
    expect(fake.removeApp(removed)).toBe(true);
    expect(fake.removeApp(removed)).toBe(false);
    const without = await listedIds(fake);
    const gone = await get(fake, `/v2/apps/${removed}`);
    // A new app of the deleted one's scenario does not take its id.
    const again = fake.addApp({ scenario: 'orphans-356', name: 'replica-demo-2' });

    expect(withNew).toEqual([...before, added.appId]);
    expect(newApp.status).toBe(200);
    expect(without).toEqual([before[0], added.appId]);
    expect([gone.status, gone.body.id]).toEqual([404, 'not_found']);
    expect(again.appId).not.toBe(removed);
    expect(await listedIds(fake)).toEqual([before[0], added.appId, again.appId]);
    expect(fake.app(removed)).toBeNull();
    expect(fake.app(again.appId)?.name).toBe('replica-demo-2');
  });

  it('lists an app_not_found app, whose calls answer 404, while the others answer 200', async () => {
    const fake = await account([
      { scenario: 'steady', name: 'storefront' },
      { scenario: 'orphans-356', access: 'app_not_found' },
      { scenario: 'dashboard-overcount', name: 'billing-api' },
    ]);
    const [storefront, missing, billing] = fake.apps().map((a) => a.appId);
    const listed = await listedIds(fake);
    const statuses = [];
    for (const id of [storefront, missing, billing]) {
      for (const path of ['', '/instances', '/health', '/deployments']) {
        statuses.push((await get(fake, `/v2/apps/${id}${path}`)).status);
      }
    }
    expect(listed).toEqual([storefront, missing, billing]);
    expect(statuses).toEqual([200, 200, 200, 200, 404, 404, 404, 404, 200, 200, 200, 200]);
  });

  it('lists a token_rejected app, whose calls answer 401, and refuses the account only when every app rejects the token', async () => {
    const fake = await account([
      { scenario: 'steady', name: 'storefront' },
      { scenario: 'token-invalid', name: 'locked-out' },
    ]);
    const [storefront, locked] = fake.apps().map((a) => a.appId);
    const replies = [
      await get(fake, `/v2/apps/${storefront}`),
      await get(fake, `/v2/apps/${locked}`),
      await get(fake, `/v2/apps/${locked}/restart`),
      await get(fake, '/v2/apps'),
    ];
    expect(replies.map((r) => r.status)).toEqual([200, 401, 401, 200]);
    expect(await listedIds(fake)).toEqual([storefront, locked]);
    expect(fake.app(locked ?? '')?.state.requestCount()).toBe(0);

    fake.app(storefront ?? '')?.state.setAccess('token_rejected');
    expect((await get(fake, '/v2/apps')).status).toBe(401);
    expect((await get(fake, '/v2/apps/tiers/instance_sizes')).status).toBe(401);
    // A one-app account of token-invalid is a wrong token: every call answers 401, as always.
    const single = await startSimulatedPlatform({ scenario: 'token-invalid' });
    platforms.push(single);
    expect((await get(single, '/v2/apps')).status).toBe(401);
  });

  it('misbehave one by one: each app its own fault and count, the account routes theirs', async () => {
    const fake = await account(
      [
        { scenario: 'steady', name: 'storefront' },
        { scenario: 'rate-limited', name: 'throttled', fault: { afterRequests: 1 } },
      ],
      { accountFault: { kind: 'server_error', afterRequests: 2 } },
    );
    const [storefront, throttled] = fake.apps();
    const statuses = async (path: string) => {
      const out = [];
      for (let i = 0; i < 3; i++) out.push((await get(fake, path)).status);
      return out;
    };
    expect(await statuses(`/v2/apps/${storefront?.appId}/instances`)).toEqual([200, 200, 200]);
    expect(await statuses(`/v2/apps/${throttled?.appId}/instances`)).toEqual([200, 429, 429]);
    expect(await statuses('/v2/apps')).toEqual([200, 200, 500]);
    expect([storefront?.state.requestCount(), throttled?.state.requestCount()]).toEqual([3, 3]);
    expect([fake.requestCount(), fake.requestCount('GET /v2/apps/{app_id}/instances')]).toEqual([9, 6]);
    fake.setAccountFault(null);
    expect((await get(fake, '/v2/apps')).status).toBe(200);
  });

  it('each read by its own DigitalOcean source: a 404 on one app degrades that app only', async () => {
    const fake = await account([
      { scenario: 'steady', name: 'storefront' },
      { scenario: 'orphans-356', access: 'app_not_found' },
      { scenario: 'dashboard-overcount', name: 'billing-api' },
    ]);
    const sources = fake.apps().map(
      (app) =>
        new DigitalOceanSource({
          client: new DigitalOceanClient({ baseUrl: fake.url, token: 'simulated-token' }),
          appId: app.appId,
        }),
    );
    try {
      const views = await Promise.all(sources.map((s) => s.refresh()));
      expect(views.map((v) => v.status)).toEqual(['ok', 'unavailable', 'ok']);
      expect(views[1]?.error).toMatchObject({ kind: 'not_found', httpStatus: 404 });
      expect(views.map((v) => v.appName)).toEqual(['storefront', null, 'billing-api']);
    } finally {
      await Promise.all(sources.map((s) => s.close()));
    }
  });
});

describe('the instance sizes', () => {
  it('are served at /v2/apps/tiers/…, which is not an app called tiers', async () => {
    const fake = await account(FIVE);
    const sizes = await get<{ instance_sizes: { slug: string; usd_per_month: string }[] }>(
      fake,
      '/v2/apps/tiers/instance_sizes',
    );
    const one = await get<{ instance_size: { slug: string } }>(
      fake,
      '/v2/apps/tiers/instance_sizes/apps-s-1vcpu-1gb',
    );
    const unknown = await get(fake, '/v2/apps/tiers/instance_sizes/no-such-size');
    const tiers = await get(fake, '/v2/apps/tiers');

    expect(sizes.status).toBe(200);
    expect(sizes.body.instance_sizes.find((s) => s.slug === 'apps-s-1vcpu-1gb')?.usd_per_month).toBe('12.00');
    expect([one.status, one.body.instance_size.slug, unknown.status, tiers.status]).toEqual([
      200,
      'apps-s-1vcpu-1gb',
      404,
      404,
    ]);
    expect(fake.apps().map((a) => a.state.requestCount())).toEqual([0, 0, 0, 0, 0]);
    expect(fake.requestCount('GET /v2/apps/tiers/instance_sizes')).toBe(1);
  });

  it('price the #356 orphans: 4 surplus backends of apps-s-1vcpu-1gb waste 48.00 USD a month', async () => {
    const fake = await account(simulatedFleet(3));
    const demo = fake.apps().find((a) => a.name === 'replica-demo');
    const app = await get<{ app: ListedApp }>(fake, `/v2/apps/${demo?.appId}`);
    const [backend] = app.body.app.spec.services;
    const running = demo?.state.agents().length ?? 0;
    const wanted = demo?.state.snapshot().spec.services[0]?.instance_count ?? 0;

    expect(backend?.instance_size_slug).toBe('apps-s-1vcpu-1gb');
    expect([running, wanted]).toEqual([6, 2]);
    expect((running - wanted) * (instanceSizeMonthlyCents(backend?.instance_size_slug ?? '') ?? 0)).toBe(
      4800,
    );
    // The other apps keep the default size.
    const others = (await get<AppsPage>(fake, '/v2/apps')).body.apps.filter((a) => a.id !== demo?.appId);
    expect(others.flatMap((a) => a.spec.services.map((s) => s.instance_size_slug))).toEqual([
      'apps-s-1vcpu-0.5gb',
      'apps-s-1vcpu-0.5gb',
    ]);
  });
});

describe('the demo fleet', () => {
  it('is served whole: 20 apps with distinct ids and names, each listed and readable', async () => {
    const fleet = simulatedFleet(20);
    const fake = await account(fleet);
    const listed = (await get<AppsPage>(fake, '/v2/apps?per_page=200')).body.apps;
    expect(listed.map((a) => a.spec.name)).toEqual(fleet.map((a) => a.name));
    expect(new Set(listed.map((a) => a.id)).size).toBe(20);
    const statuses = [];
    for (const app of listed) statuses.push((await get(fake, `/v2/apps/${app.id}/instances`)).status);
    expect(new Set(statuses)).toEqual(new Set([200]));
    const instances = fake.apps().flatMap((a) => a.state.agents().map((i) => i.instanceId));
    expect(new Set(instances).size).toBe(instances.length);
  });
});
