/**
 * App Platform names instances `<component>-<template hash>-<suffix>`
 * (e.g. `sample-golang-76b84c7fb8-6p8kq`). Instances of one deployment share the hash, so the
 * name alone tells an instance's generation when its agent has no DEPLOYMENT_ID.
 */

// Kubernetes pod-template hashes are 5-10 characters of [a-z0-9]; the random suffix is 5.
const INSTANCE_NAME = /^(.+)-([a-z0-9]{5,10})-([a-z0-9]{5})$/;

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
