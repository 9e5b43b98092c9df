/** A RedisCollector for tests against a real Redis (see redis-rig.ts). */
import { InstanceRegistry, RedisCollector, type RedisCollectorOptions } from '../../aggregator/collector';
import { systemClock } from '../../shared/clock';
import { silentLogger } from '../../shared/logger';
import { serverEngine } from '../../shared/redis-engine';

/**
 * A collector of `app` reading the Redis at `url` into a fresh registry, with no logs, the
 * system clock, 200 ms blocking reads and a resync only once a minute (so the feed is what a
 * test sees); override any option. The caller starts and closes it.
 */
export function testRedisCollector(
  url: string,
  app: string,
  overrides: Partial<RedisCollectorOptions> = {},
): RedisCollector {
  return new RedisCollector({
    engine: serverEngine(url),
    app,
    registry: new InstanceRegistry(),
    log: silentLogger(),
    clock: systemClock,
    resyncIntervalMs: 60_000,
    blockMs: 200,
    ...overrides,
  });
}
