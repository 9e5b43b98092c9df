/**
 * The platform as the whole aggregator sees it: one account (one token) whose apps each get a
 * PlatformSource. What the apps share lives here: one API client (one connection pool), one
 * request budget (refresh-pacer.ts), one instance-size price list, and for PLATFORM=simulated
 * the fake App Platform server itself.
 */
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { AggregatorConfig, WatchedApp } from '../config';
import type { PlatformKind } from '../model';
import type { AppPlatformApi, CallOutcome, Endpoint } from './digitalocean';
import { DigitalOceanClient, DigitalOceanSource, InstanceSizeCatalog } from './digitalocean';
import { DIGITALOCEAN_RATE_BUDGET, RefreshPacer } from './refresh-pacer';
import { startSimulatedPlatform } from './simulated';
import type { PlatformSource } from './source';
import { createStaticSource } from './static';

/** An app the account lists (DO_APP_ID=*). */
export interface ListedApp {
  readonly id: string;
  readonly name: string | null;
}

export interface PlatformAccount {
  readonly kind: PlatformKind;
  /** A source for one app; the caller starts and closes it. */
  sourceFor(app: WatchedApp): PlatformSource;
  /** Every app the token can list; null when the platform has no listing (static). Throws on failure. */
  readonly listApps: ((signal?: AbortSignal) => Promise<readonly ListedApp[]>) | null;
  /** Idempotent: the shared client, price list and simulator. */
  close(): Promise<void>;
}

export interface PlatformAccountDeps {
  readonly log: Logger;
  readonly clock: Clock;
  /** Every platform API call's endpoint and outcome (for metrics). */
  readonly onApiCall?: (endpoint: Endpoint, outcome: CallOutcome) => void;
}

/** A token the simulated platform accepts; it is not a secret. */
const SIMULATED_TOKEN = 'simulated-platform-token';

/**
 * How long the start waits for the price list before the first refreshes: long enough for an
 * answering API, short enough that a slow one never holds the start up (the prices then come
 * with a later refresh).
 */
const PRICES_WAIT_MS = 3_000;

/** The shared client as one source uses it: closing the source leaves it open for the others. */
function borrowed(client: DigitalOceanClient): AppPlatformApi {
  return {
    getApp: (...args) => client.getApp(...args),
    listDeployments: (...args) => client.listDeployments(...args),
    listInstances: (...args) => client.listInstances(...args),
    getHealth: (...args) => client.getHealth(...args),
    restart: (...args) => client.restart(...args),
    createDeployment: (...args) => client.createDeployment(...args),
    close: () => Promise.resolve(),
  };
}

/** The account the configuration names, its shared parts started. */
export async function createPlatformAccount(
  config: AggregatorConfig,
  deps: PlatformAccountDeps,
): Promise<PlatformAccount> {
  const log = deps.log.child({ part: 'platform' });
  if (config.platform === 'static') {
    return {
      kind: 'static',
      sourceFor: (app) =>
        createStaticSource({
          desired: config.desiredReplicas,
          activeDeploymentId: config.activeDeploymentId,
          appId: app.appId,
        }),
      listApps: null,
      close: () => Promise.resolve(),
    };
  }
  let simulator: Awaited<ReturnType<typeof startSimulatedPlatform>> | null = null;
  if (config.platform === 'simulated') {
    const scenarios = config.simulatedScenarios;
    // The fake App Platform runs in-process on loopback, and the real client reads it over HTTP.
    simulator = await startSimulatedPlatform(
      scenarios.length === 1 && scenarios[0] !== undefined
        ? { scenario: scenarios[0], clock: deps.clock }
        : { apps: scenarios.map((scenario) => ({ scenario })), clock: deps.clock },
    );
    log.info('simulated App Platform started', { scenarios, url: simulator.url });
  }
  const baseUrl = simulator?.url ?? config.doApiBaseUrl;
  const kind = config.platform;
  const client = new DigitalOceanClient({
    baseUrl,
    token: simulator ? SIMULATED_TOKEN : (config.doApiToken ?? ''),
    log,
    clock: deps.clock,
    onCall: deps.onApiCall,
  });
  // Every shard spends the one token: each gets its part of the budget (all of it unsharded).
  const budget = { ...DIGITALOCEAN_RATE_BUDGET, share: DIGITALOCEAN_RATE_BUDGET.share / config.shard.total };
  const pacer = new RefreshPacer({ floorMs: config.platformCacheTtlMs, clock: deps.clock, budget });
  const prices = new InstanceSizeCatalog({ client, clock: deps.clock, log });
  await prices.start();
  await prices.ready(PRICES_WAIT_MS);
  const soleId = simulator?.appId ?? null;
  let closing: Promise<void> | undefined;
  return {
    kind,
    sourceFor: (app) =>
      new DigitalOceanSource({
        client: borrowed(client),
        // Config validation gives every app of the API an id, but the simulated single app's.
        appId: app.appId ?? soleId ?? '',
        cacheTtlMs: config.platformCacheTtlMs,
        kind,
        clock: deps.clock,
        log,
        pacer,
        monthlyCentsOf: (slug) => prices.monthlyCents(slug),
      }),
    listApps: (signal) => client.listApps({ signal }),
    close: () =>
      (closing ??= (async () => {
        await prices.close();
        await client.close();
        await simulator?.close();
      })()),
  };
}
