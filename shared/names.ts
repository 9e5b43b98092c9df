/**
 * What an app, component or instance name may look like. Kept apart from the heartbeat schema
 * so that code which only checks names (config, key building) does not load the validator.
 */

/**
 * Names end up inside Redis keys (`rw:{<app>}:hb:<instance>`) and metric labels, so they are
 * restricted to the characters of hostnames, UUIDs and App Platform component names: no braces
 * (they would break the Cluster hash tag), no colons, no whitespace.
 */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
