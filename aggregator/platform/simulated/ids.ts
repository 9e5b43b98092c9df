/**
 * Realistic identifiers for the simulated App Platform, derived from seeds so that a scenario
 * stays a pure description: the same scenario always yields the same ids and instance names.
 */
import { createHash } from 'node:crypto';

// The alphabet Kubernetes uses for pod-template hashes and pod suffixes: no vowels, so no words.
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function digest(seed: string): Buffer {
  return createHash('sha256').update(seed).digest();
}

/** A version-4-shaped UUID (like App Platform's app and deployment ids) from a seed. */
export function uuidFromSeed(seed: string): string {
  const bytes = digest(seed).subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function safeString(seed: string, length: number): string {
  const bytes = digest(seed);
  let out = '';
  for (let i = 0; i < length; i++) out += SAFE_ALPHABET[(bytes[i] ?? 0) % SAFE_ALPHABET.length];
  return out;
}

/** The pod-template hash of one component in one deployment: 10 characters, like `76b84c7fb8`. */
export function templateHash(deploymentId: string, component: string): string {
  return safeString(`template/${deploymentId}/${component}`, 10);
}

/** `<component>-<template hash>-<5-character suffix>`, as App Platform names instances. */
export function instanceName(component: string, hash: string, seed: string): string {
  return `${component}-${hash}-${safeString(`suffix/${seed}`, 5)}`;
}

/** A 40-hex-digit commit hash from a seed. */
export function commitHash(seed: string): string {
  return createHash('sha1').update(`commit/${seed}`).digest('hex');
}
