/** Which environment variables the agent's and the aggregator's configuration loaders read. */
import { loadAgentConfig } from '../../agent/config';
import { loadAggregatorConfig } from '../../aggregator/config';
import type { Env } from '../../shared/config';

/** The variable names a loader reads: it is run over an environment that records each lookup. */
export function namesReadBy(load: (env: Env) => unknown): Set<string> {
  const names = new Set<string>();
  const env = new Proxy({} as Record<string, string | undefined>, {
    get(_target, key) {
      if (typeof key === 'string') names.add(key);
      return undefined;
    },
  });
  try {
    load(env);
  } catch {
    // Some variables are required; the names were recorded before the error.
  }
  return names;
}

/** Every variable the agent's loader reads. */
export const AGENT_NAMES = namesReadBy((env) => loadAgentConfig(env, { hostname: 'host-1' }));
/** Every variable the aggregator's loader reads. */
export const AGGREGATOR_NAMES = namesReadBy((env) => loadAggregatorConfig(env));
