/**
 * Which app a request means (aggregator/http/app-directory.ts): `?app=` names one; an aggregator
 * of one app also answers without it; an aggregator of many answers the report routes for every
 * app at once and asks the other routes which app is meant; an app not watched is a 404 naming
 * some that are, and `app` given twice (or empty) a 400. Sharded, another shard's app is a 404
 * naming the shard that owns it, and its pod when the shard came from the host name.
 */
import type { FleetView } from '../../aggregator/fleet/fleet-view';
import type { AppDirectory, AppEndpoints, AppRefusal } from '../../aggregator/http/app-directory';
import { chooseApp, isRefusal, reportFor } from '../../aggregator/http/app-directory';
import type { PublishedReport } from '../../aggregator/report-store';
import { publishedOf } from '../../aggregator/report-store';
import type { ShardAssignment } from '../../shared/shard';
import { UNSHARDED } from '../../shared/shard';
import { soloApp } from '../support/http-deps';
import { componentReport, sampleReport } from '../support/published-reports';

function published(app: string): PublishedReport {
  const { instances, ...report } = sampleReport({ app, components: [componentReport({ app })] });
  return publishedOf({ report, instances: () => instances });
}

function endpoints(app: string, report: PublishedReport | null = published(app)): AppEndpoints {
  return { app, store: { current: () => report } };
}

const COMBINED = published('*');

/** A directory of many apps (as Fleet is for DO_APP_ID=* or a list). */
function many(apps: AppEndpoints[]): AppDirectory {
  return {
    multiApp: true,
    get: (app) => apps.find((e) => e.app === app),
    list: () => apps,
    names: () => apps.map((e) => e.app),
    combined: () => COMBINED,
    view: () => ({}) as FleetView,
    shard: UNSHARDED,
    ownerOf: (app) => (apps.some((e) => e.app === app) ? 0 : null),
  };
}

const shop = endpoints('shop');
const billing = endpoints('billing');
const fleet = many([billing, shop]);
const solo = soloApp(shop);

function refusalOf(choice: ReturnType<typeof chooseApp>): AppRefusal {
  if (choice.kind !== 'refused') throw new Error(`expected a refusal, got ${choice.kind}`);
  return choice.refusal;
}

describe('chooseApp on an aggregator of one app', () => {
  test.each([true, false])('answers without ?app= (mayBeAll %p) with its one app', (mayBeAll) => {
    expect(chooseApp(solo, {}, mayBeAll)).toEqual({ kind: 'app', endpoints: shop });
  });

  test('answers ?app= naming it', () => {
    expect(chooseApp(solo, { app: 'shop' }, false)).toEqual({ kind: 'app', endpoints: shop });
  });

  test('refuses another app with 404, naming its app', () => {
    const refusal = refusalOf(chooseApp(solo, { app: 'billing' }, true));
    expect(refusal.status).toBe(404);
    expect(refusal.body.parameter).toBe('app');
    expect(refusal.body.apps).toEqual(['shop']);
    expect(refusal.body.error).toContain('"billing"');
  });

  test('with no app at all: 503, not a made-up answer', () => {
    const empty: AppDirectory = { ...solo, list: () => [], names: () => [] };
    expect(refusalOf(chooseApp(empty, {}, true)).status).toBe(503);
  });
});

describe('chooseApp on an aggregator of many apps', () => {
  test('finds the app ?app= names', () => {
    expect(chooseApp(fleet, { app: 'shop' }, false)).toEqual({ kind: 'app', endpoints: shop });
    expect(chooseApp(fleet, { app: 'billing' }, true)).toEqual({ kind: 'app', endpoints: billing });
  });

  test('an app not watched: 404 with the apps that are and the parameter named', () => {
    const refusal = refusalOf(chooseApp(fleet, { app: 'nope' }, true));
    expect(refusal).toEqual({
      status: 404,
      body: { error: expect.stringContaining('"nope"'), parameter: 'app', apps: ['billing', 'shop'] },
    });
    expect(refusal.body.error).toContain('GET /api/v1/apps');
  });

  test('app given twice (?app=a&app=b): 400 naming the parameter', () => {
    const refusal = refusalOf(chooseApp(fleet, { app: ['shop', 'billing'] }, true));
    expect(refusal.status).toBe(400);
    expect(refusal.body.parameter).toBe('app');
    expect(refusal.body.apps).toEqual(['billing', 'shop']);
  });

  test.each<[string, unknown]>([
    ['empty', ''],
    ['a structure', { x: 'shop' }],
  ])('app %s: 400', (_what, app) => {
    expect(refusalOf(chooseApp(fleet, { app }, true)).status).toBe(400);
  });

  test('no ?app= on a route that may answer for all: all', () => {
    expect(chooseApp(fleet, {}, true)).toEqual({ kind: 'all' });
  });

  test('no ?app= on any other route: 400 naming the parameter and the apps', () => {
    const refusal = refusalOf(chooseApp(fleet, {}, false));
    expect(refusal.status).toBe(400);
    expect(refusal.body.parameter).toBe('app');
    expect(refusal.body.apps).toEqual(['billing', 'shop']);
    expect(refusal.body.error).toContain('?app=');
  });

  test('other query parameters do not matter', () => {
    expect(chooseApp(fleet, { instances: 'false', app: 'shop' }, true)).toEqual({
      kind: 'app',
      endpoints: shop,
    });
  });
});

describe('chooseApp on a shard', () => {
  /** Shard `shard` of 3 watching shop; billing is shard 2's, `stray` no shard's. */
  function shard(assignment: ShardAssignment): AppDirectory {
    return {
      ...many([shop]),
      shard: assignment,
      ownerOf: (app) => ({ shop: assignment.index, billing: 2 })[app] ?? null,
    };
  }

  test("another shard's app: 404 naming the owner's SHARD, the error saying how to reach it", () => {
    const refusal = refusalOf(chooseApp(shard({ index: 0, total: 3 }), { app: 'billing' }, true));
    expect(refusal).toEqual({
      status: 404,
      body: {
        error:
          'app "billing" belongs to shard 2 of 3, and this aggregator is shard 0: ask the aggregator with ' +
          'SHARD=2 (GET /api/v1/apps lists every app with its shard)',
        parameter: 'app',
        apps: ['shop'],
        shard: 2,
      },
    });
  });

  test('with SHARD_FROM_HOSTNAME the owner is named by its pod, <name>-<shard>', () => {
    const refusal = refusalOf(
      chooseApp(shard({ index: 1, total: 3, hostPrefix: 'replica-watch-' }), { app: 'billing' }, false),
    );
    expect(refusal.status).toBe(404);
    expect(refusal.body).toMatchObject({ shard: 2, host: 'replica-watch-2', parameter: 'app' });
    expect(refusal.body.error).toContain('ask replica-watch-2');
  });

  test('an app no shard is known to own: the plain 404, no shard named', () => {
    const refusal = refusalOf(chooseApp(shard({ index: 0, total: 3 }), { app: 'stray' }, true));
    expect(refusal.status).toBe(404);
    expect(refusal.body.shard).toBeUndefined();
    expect(refusal.body.error).toContain('is not watched by this aggregator');
  });

  test('its own app is answered as ever', () => {
    expect(chooseApp(shard({ index: 0, total: 3 }), { app: 'shop' }, false)).toEqual({
      kind: 'app',
      endpoints: shop,
    });
  });
});

describe('reportFor', () => {
  test('one app: its report without ?app=, and with it', () => {
    expect(reportFor(solo, {})).toBe(shop.store.current());
    expect(reportFor(solo, { app: 'shop' })).toBe(shop.store.current());
  });

  test('many apps: the named app’s report, or every app’s without ?app=', () => {
    expect(reportFor(fleet, { app: 'billing' })).toBe(billing.store.current());
    expect(reportFor(fleet, {})).toBe(COMBINED);
  });

  test('an app not reconciled yet: null (no report yet), not a refusal', () => {
    const pending = many([endpoints('fresh', null), shop]);
    const found = reportFor(pending, { app: 'fresh' });
    expect(found).toBeNull();
    expect(isRefusal(found)).toBe(false);
  });

  test.each<[string, Record<string, unknown>, number]>([
    ['an app not watched', { app: 'nope' }, 404],
    ['app given twice', { app: ['shop', 'shop'] }, 400],
  ])('%s: the refusal', (_what, query, status) => {
    const found = reportFor(fleet, query);
    expect(isRefusal(found)).toBe(true);
    expect(isRefusal(found) && found.status).toBe(status);
  });

  test('isRefusal tells a report from a refusal', () => {
    expect(isRefusal(published('shop'))).toBe(false);
    expect(isRefusal(null)).toBe(false);
    expect(isRefusal({ status: 404, body: { error: 'x' } })).toBe(true);
  });
});
