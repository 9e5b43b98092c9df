/** Puts a fleet into Redis at once: one heartbeat per instance, through the agents' Lua path. */
import { serverEngine } from '../../shared/redis-engine';
import { SimulatedFleet } from '../loadgen/fleet';
import { createRedisWriter } from '../loadgen/writers';

/** What fillFleet writes: the same instance ids the load generator uses for the same size. */
export interface FillOptions {
  readonly url: string;
  readonly app: string;
  readonly instances: number;
  readonly intervalMs: number;
  readonly ttlMs: number;
}

/** One heartbeat of each instance, 500 in flight at a time. */
export async function fillFleet(options: FillOptions): Promise<void> {
  const fleet = new SimulatedFleet({
    instances: options.instances,
    app: options.app,
    components: ['backend', 'worker', 'api'],
    deployments: 2,
    oldShare: 0.01,
    intervalMs: options.intervalMs,
    ttlMs: options.ttlMs,
    startedAtMs: Date.now() - 60_000,
  });
  const writer = await createRedisWriter(serverEngine(options.url), 4);
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
