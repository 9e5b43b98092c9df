/**
 * The pure part of listing the account's apps: what the GET /v2/apps and instance size schemas
 * accept, what a page adds to the listing, and the error past MAX_LISTED_APPS. The paging over
 * HTTP is in test/integration/do-client.test.ts.
 */
import {
  APPS_PER_PAGE,
  AppListing,
  MAX_APP_PAGES,
  MAX_LISTED_APPS,
  tooManyApps,
} from '../../aggregator/platform/digitalocean/app-list';
import { ENDPOINTS } from '../../aggregator/platform/digitalocean/client';
import { PlatformSchemaError } from '../../aggregator/platform/digitalocean/errors';
import {
  appsResponseSchema,
  instanceSizesResponseSchema,
} from '../../aggregator/platform/digitalocean/schemas';

describe('appsResponseSchema', () => {
  it('reads the id and the name of each entry, a value of the wrong type as absent', () => {
    const parsed = appsResponseSchema.parse({
      apps: [
        { id: 'a1', spec: { name: 'shop', services: [{ name: 'web' }] }, region: { slug: 'fra' } },
        { id: 42, spec: { name: 7 } },
        { spec: { name: '' } },
        { id: 'a3' },
      ],
      links: { pages: { next: 'https://api.digitalocean.com/v2/apps?page=2' } },
      meta: { total: 4 },
    });
    expect(parsed).toEqual({
      apps: [
        { id: 'a1', spec: { name: 'shop' } },
        { id: null, spec: { name: null } },
        { spec: { name: null } },
        { id: 'a3' },
      ],
      links: { pages: { next: 'https://api.digitalocean.com/v2/apps?page=2' } },
      meta: { total: 4 },
    });
  });

  it('takes a body without a list as an empty account only when meta.total says 0', () => {
    expect(appsResponseSchema.safeParse({ meta: { total: 0 } }).success).toBe(true);
    expect(appsResponseSchema.safeParse({ apps: [], links: {} }).success).toBe(true);
    const refused = [
      {},
      { meta: { total: 3 } },
      { links: {} },
      { apps: null },
      { apps: 'many' },
      { apps: [null] },
      [],
    ];
    expect(
      refused.map((body) => {
        const result = appsResponseSchema.safeParse(body);
        return result.success ? 'accepted' : result.error.issues[0]?.path.join('.');
      }),
    ).toEqual(['apps', 'apps', 'apps', 'apps', 'apps', 'apps.0', '']);
  });
});

describe('instanceSizesResponseSchema', () => {
  it('needs the list; in it, a slug or a price of the wrong type reads as absent', () => {
    expect(instanceSizesResponseSchema.safeParse({}).success).toBe(false);
    expect(
      instanceSizesResponseSchema.parse({
        instance_sizes: [
          { slug: 'apps-s-1vcpu-1gb', usd_per_month: '12.00', cpus: '1' },
          { slug: 3, usd_per_month: {} },
        ],
        discount_percent: 2.5,
      }),
    ).toEqual({
      instance_sizes: [
        { slug: 'apps-s-1vcpu-1gb', usd_per_month: '12.00' },
        { slug: null, usd_per_month: null },
      ],
    });
  });
});

describe('AppListing', () => {
  it('keeps the first copy of each id in order, counts the entries without one, and says what a page added', () => {
    const listing = new AppListing();
    expect(
      listing.add([
        { id: 'a1', spec: { name: 'shop' } },
        { id: null, spec: { name: 'ghost' } },
        { id: 'a2' },
      ]),
    ).toBe(2);
    expect(
      listing.add([{ id: 'a2', spec: { name: 'renamed' } }, { id: 'a3', spec: { name: null } }, {}]),
    ).toBe(1);
    expect(listing.add([{ id: 'a1' }, { id: 'a3' }])).toBe(0);
    expect({ apps: listing.apps, skipped: listing.skipped }).toEqual({
      apps: [
        { id: 'a1', name: 'shop' },
        { id: 'a2', name: null },
        { id: 'a3', name: null },
      ],
      skipped: 2,
    });
  });
});

describe('the listing limit', () => {
  it('is 10,000 apps: 50 pages of 200, the most the API gives a page', () => {
    expect({ MAX_LISTED_APPS, MAX_APP_PAGES, APPS_PER_PAGE }).toEqual({
      MAX_LISTED_APPS: 10_000,
      MAX_APP_PAGES: 50,
      APPS_PER_PAGE: 200,
    });
  });

  it('fails permanently, naming the call, the constant and its value', () => {
    const err = tooManyApps(ENDPOINTS.listApps, 'GET /v2/apps?page=50&per_page=200', 200);
    expect(err).toBeInstanceOf(PlatformSchemaError);
    expect({ call: err.call, status: err.status, endpoint: err.endpoint }).toEqual({
      call: 'GET /v2/apps?page=50&per_page=200',
      status: 200,
      endpoint: 'GET /v2/apps',
    });
    expect(err.message).toMatch(
      /^GET \/v2\/apps\?page=50&per_page=200: .*more apps than replica-watch lists \(MAX_LISTED_APPS = 10,000: at most 50 pages of 200\)/,
    );
  });
});
