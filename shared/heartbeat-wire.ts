/**
 * The heartbeat's wire basics, apart from its validator: what the agent needs to write a
 * heartbeat without loading the schema library (the agent's memory budget is tight).
 */
import type { Heartbeat } from './heartbeat';

export const HEARTBEAT_SCHEMA_VERSION = 1;

/** The wire form. Fields are written in schema order so that equal heartbeats give equal bytes. */
export function serializeHeartbeat(heartbeat: Heartbeat): string {
  return JSON.stringify(heartbeat);
}
