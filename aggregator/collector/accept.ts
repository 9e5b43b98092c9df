/** The admission check every path applies before a heartbeat reaches the registry. */
import type { HeartbeatParseResult } from '../../shared/heartbeat';
import { parseHeartbeat, reject } from '../../shared/heartbeat';

/**
 * Parses a heartbeat (never throws) and refuses one of another app as `wrong_app`: an
 * aggregator watches one app, and a stray agent must not add instances to it.
 */
export function parseForApp(raw: string | Buffer, app: string): HeartbeatParseResult {
  const parsed = parseHeartbeat(raw);
  if (parsed.ok && parsed.heartbeat.app !== app) {
    return reject(
      'wrong_app',
      `app ${JSON.stringify(parsed.heartbeat.app)}; this aggregator reads ${JSON.stringify(app)}`,
    );
  }
  return parsed;
}
