/** Picks the platform source the configuration names. */
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { AggregatorConfig } from '../config';
import type { PlatformSource } from './source';
import { createStaticSource } from './static';

export async function createPlatformSource(
  config: AggregatorConfig,
  _deps: { log: Logger; clock: Clock },
): Promise<PlatformSource> {
  switch (config.platform) {
    case 'static':
      return createStaticSource({
        desired: config.desiredReplicas,
        activeDeploymentId: config.activeDeploymentId,
        appId: config.doAppId,
      });
    default:
      throw new Error(`PLATFORM=${config.platform} is not available in this build`);
  }
}
