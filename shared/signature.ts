/**
 * Heartbeat signatures: with HEARTBEAT_SECRET set, an agent signs every heartbeat and the
 * aggregator refuses any heartbeat whose signature does not verify, so that whoever can reach
 * Redis or the ingest endpoint cannot add, alter or resurrect instances without the secret.
 *
 * The signed content is the heartbeat's canonical form: every field except the top-level `sig`,
 * serialized as JSON with the keys of every object sorted (by UTF-16 code units), no whitespace,
 * numbers and strings as JSON.stringify writes them; fields whose value is undefined are left
 * out, as JSON.stringify leaves them out. That is RFC 8785 (JSON Canonicalization Scheme) for
 * the values a heartbeat holds. It is computed over the decoded JSON as received, unknown fields
 * included, so a newer agent's extra fields are covered too and survive an older aggregator.
 * `sig` is the lowercase hex HMAC-SHA256 of that text (UTF-8) under the secret. `boot_id`, `seq`
 * and `sent_at` are part of the content, so what the replay guard judges (the aggregator's
 * collector/replay-guard.ts) cannot be changed either.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The field that carries the signature; the only one left out of the signed content. */
export const SIGNATURE_FIELD = 'sig';

/** The signature's length in hex characters (32 bytes of HMAC-SHA256). */
export const SIGNATURE_HEX_LENGTH = 64;

const HEX = /^[0-9a-f]+$/;

/**
 * The canonical text of a heartbeat (see the module comment): what is signed. `value` is a
 * decoded JSON object (or a heartbeat about to be serialized).
 */
export function canonicalHeartbeatContent(value: object): string {
  return canonical(value, true);
}

function canonical(value: unknown, topLevel: boolean): string {
  if (value === null || typeof value !== 'object') {
    // Strings, finite numbers and booleans as JSON writes them; NaN and ±Infinity become null.
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : canonical(item, false))).join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    if (topLevel && key === SIGNATURE_FIELD) continue;
    const item = record[key];
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    parts.push(`${JSON.stringify(key)}:${canonical(item, false)}`);
  }
  return `{${parts.join(',')}}`;
}

/** The signature of a heartbeat (any `sig` it already has is ignored): lowercase hex. */
export function signatureOf(heartbeat: object, secret: string): string {
  return createHmac('sha256', secret).update(canonicalHeartbeatContent(heartbeat), 'utf8').digest('hex');
}

/** The heartbeat with its `sig` set (replacing any). Used by the agent before each send. */
export function signHeartbeat<T extends object>(heartbeat: T, secret: string): T & { sig: string } {
  return { ...heartbeat, [SIGNATURE_FIELD]: signatureOf(heartbeat, secret) } as T & { sig: string };
}

/** Whether a signature verifies, and if not, why (never the expected value). */
export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly detail: string };

/**
 * Verifies the `sig` of a decoded heartbeat against its content, in constant time (the
 * comparison does not stop at the first differing byte, so its duration says nothing about
 * how close a guess was).
 */
export function verifyHeartbeatSignature(value: object, secret: string): SignatureCheck {
  const given: unknown = (value as Record<string, unknown>)[SIGNATURE_FIELD];
  if (given === undefined)
    return { ok: false, detail: 'unsigned: HEARTBEAT_SECRET is set here, so every heartbeat must carry sig' };
  if (typeof given !== 'string' || given.length !== SIGNATURE_HEX_LENGTH || !HEX.test(given)) {
    return { ok: false, detail: `sig is not ${SIGNATURE_HEX_LENGTH} lowercase hex characters` };
  }
  const expected = createHmac('sha256', secret).update(canonicalHeartbeatContent(value), 'utf8').digest();
  if (!timingSafeEqual(expected, Buffer.from(given, 'hex'))) {
    return {
      ok: false,
      detail: 'sig does not match the content: altered, or signed with another HEARTBEAT_SECRET',
    };
  }
  return { ok: true };
}
