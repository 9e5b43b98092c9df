/** Picks the platform source the configuration names. */
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { AggregatorConfig } from '../config';
import type { CallOutcome, Endpoint } from './digitalocean';
import { DigitalOceanClient, DigitalOceanSource } from './digitalocean';
import { startSimulatedPlatform } from './simulated';
import type { PlatformSource } from './source';
import { createStaticSource } from './static';

export interface PlatformSourceDeps {
  readonly log: Logger;
  readonly clock: Clock;
  /** Every platform API call's endpoint and outcome (for metrics). */
  readonly onApiCall?: (endpoint: Endpoint, outcome: CallOutcome) => void;
}

/** A token the simulated platform accepts; it is not a secret. */
const SIMULATED_TOKEN = 'simulated-platform-token';

export async function createPlatformSource(
  config: AggregatorConfig,
  deps: PlatformSourceDeps,
): Promise<PlatformSource> {
  const log = deps.log.child({ part: 'platform' });
  const digitalOcean = (baseUrl: string, token: string, appId: string, kind: 'digitalocean' | 'simulated') =>
    new DigitalOceanSource({
      client: new DigitalOceanClient({ baseUrl, token, log, clock: deps.clock, onCall: deps.onApiCall }),
      appId,
      cacheTtlMs: config.platformCacheTtlMs,
      kind,
      clock: deps.clock,
      log,
    });

  switch (config.platform) {
    case 'static':
      return createStaticSource({
        desired: config.desiredReplicas,
        activeDeploymentId: config.activeDeploymentId,
        appId: config.doAppId,
      });
    case 'digitalocean':
      // Config validation guarantees both for this platform.
      return digitalOcean(config.doApiBaseUrl, config.doApiToken ?? '', config.doAppId ?? '', 'digitalocean');
    case 'simulated': {
      // The fake App Platform runs in-process on loopback, and the real client reads it over HTTP.
      const simulator = await startSimulatedPlatform({
        scenario: config.simulatedScenario,
        clock: deps.clock,
      });
      log.info('simulated App Platform started', { scenario: config.simulatedScenario, url: simulator.url });
      const source = digitalOcean(simulator.url, SIMULATED_TOKEN, simulator.appId, 'simulated');
      return {
        kind: source.kind,
        actions: source.actions,
        current: () => source.current(),
        start: () => source.start(),
        close: async () => {
          await source.close();
          await simulator.close();
        },
      };
    }
  }
}
