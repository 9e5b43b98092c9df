/**
 * The heartbeat's wire basics, apart from its validator: what the agent needs to write a
 * heartbeat without loading the schema library (the agent's memory budget is tight). Only type
 * imports of ./heartbeat here: it loads zod. The version and the limits live in
 * ./heartbeat-limits, which loads nothing either.
 */
import type { Heartbeat } from './heartbeat';

/** Re-exported for the agent, which writes it into every heartbeat (see ./heartbeat-limits). */
export { HEARTBEAT_SCHEMA_VERSION } from './heartbeat-limits';

/** The wire form. Fields are written in schema order so that equal heartbeats give equal bytes. */
export function serializeHeartbeat(heartbeat: Heartbeat): string {
  return JSON.stringify(heartbeat);
}
