/** Puts a fleet into Redis at once: one heartbeat per instance, through the agents' Lua path. */
import type { RedisEngine } from '../../shared/redis-engine';
import type { FleetOptions } from '../loadgen/fleet';
import { SimulatedFleet } from '../loadgen/fleet';
import { createRedisWriter } from '../loadgen/writers';

/** What fillFleet writes: the same instance ids the load generator uses for the same size. */
export interface FillOptions
  extends
    Pick<FleetOptions, 'app' | 'apps' | 'instances' | 'intervalMs' | 'ttlMs'>,
    Partial<Pick<FleetOptions, 'components' | 'deployments' | 'oldShare'>> {
  readonly redis: RedisEngine;
}

/** One heartbeat of each instance, 500 in flight at a time. */
export async function fillFleet(options: FillOptions): Promise<void> {
  const fleet = new SimulatedFleet({
    instances: options.instances,
    app: options.app,
    apps: options.apps,
    // The load generator's defaults, unless the caller runs it otherwise.
    components: options.components ?? ['backend', 'worker', 'api'],
    deployments: options.deployments ?? 2,
    oldShare: options.oldShare ?? 0.01,
    intervalMs: options.intervalMs,
    ttlMs: options.ttlMs,
    startedAtMs: Date.now() - 60_000,
  });
  const writer = await createRedisWriter(options.redis, 4);
  try {
    const nowMs = Date.now();
    for (let i = 0; i < fleet.size; i += 500) {
      const batch = fleet.instances.slice(i, i + 500).map((_, j) => fleet.heartbeat(i + j, nowMs));
      await Promise.all(batch.map(({ heartbeat, json }) => writer.write(heartbeat, json)));
    }
  } finally {
    await writer.close();
  }
}
