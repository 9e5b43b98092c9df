/**
 * App Platform names instances `<component>-<template hash>-<suffix>`
 * (e.g. `sample-golang-76b84c7fb8-6p8kq`). Instances of one deployment share the hash, so the
 * name alone tells an instance's generation when its agent has no DEPLOYMENT_ID.
 */

// Kubernetes writes the pod-template hash (up to 10 characters) and the 5-character random
// suffix in its "safe" alphabet, which has no vowels and no 0, 1 or 3 (so that no words form).
// Holding to it keeps ordinary hostnames such as `api-server-1a2b3` from passing as a generation.
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';
const INSTANCE_NAME = new RegExp(`^(.+)-(${SAFE}{5,10})-(${SAFE}{5})$`);

export interface InstanceName {
  readonly component: string;
  readonly generation: string;
  readonly suffix: string;
}

/** Splits an instance name; null when it does not have the `<component>-<hash>-<suffix>` form. */
export function parseInstanceName(name: string): InstanceName | null {
  const match = INSTANCE_NAME.exec(name);
  if (!match) return null;
  const [, component = '', generation = '', suffix = ''] = match;
  return { component, generation, suffix };
}

/** The generation (template hash) of an instance name, null when it has none. */
export function generationOf(name: string): string | null {
  return parseInstanceName(name)?.generation ?? null;
}
