/** The admission check every path applies before a heartbeat reaches the registry. */
import type { HeartbeatParseResult } from '../../shared/heartbeat';
import { reject } from '../../shared/heartbeat';
import type { DecodedHeartbeatResult } from './fast-parse';
import { decodeHeartbeatFast } from './fast-parse';
import { verifyHeartbeatSignature } from '../../shared/signature';
import type { ReplayGuard } from './replay-guard';

/** The apps a path admits heartbeats of: a collector reads one app's keys, the ingest serves every watched app. */
export interface AppScope {
  has(app: string): boolean;
  /** What it admits, for a refusal: `"shop"`, or `one of "a", "b"`. */
  describe(): string;
}

/** The scope of one app. */
export function oneApp(app: string): AppScope {
  const text = JSON.stringify(app);
  return { has: (candidate) => candidate === app, describe: () => text };
}

/**
 * Parses a heartbeat (never throws) and refuses one of another app as `wrong_app`: a stray
 * agent must not add instances to an app it does not run in.
 */
export function parseForApp(raw: string | Buffer, apps: AppScope): HeartbeatParseResult {
  const parsed = decodeForApp(raw, apps);
  return parsed.ok ? { ok: true, heartbeat: parsed.heartbeat } : parsed;
}

/** parseForApp, with the decoded value kept for the signature check. */
function decodeForApp(raw: string | Buffer, apps: AppScope): DecodedHeartbeatResult {
  const parsed = decodeHeartbeatFast(raw);
  if (parsed.ok && !apps.has(parsed.heartbeat.app)) {
    return reject(
      'wrong_app',
      `app ${JSON.stringify(parsed.heartbeat.app)}; this aggregator reads ${apps.describe()}`,
    );
  }
  return parsed;
}

/** What every path admits: heartbeats of the apps in scope, signed with HEARTBEAT_SECRET when it is set. */
export interface AdmissionPolicy {
  readonly apps: AppScope;
  /** HEARTBEAT_SECRET; null or absent: heartbeats are not authenticated (nothing is verified). */
  readonly heartbeatSecret?: string | null;
}

/**
 * parseForApp, then with a secret: the signature must verify (`bad_signature`: unsigned, altered
 * or signed with another key) and the replay guard must admit the copy (`replayed`; see
 * replay-guard.ts). `recordedAtMs` is when this copy was recorded: the receive time on HTTP, the
 * Redis time of the feed entry or of the index entry on a resync, so that a resync re-reading a
 * current heartbeat is judged by when it was written, not by now. Never throws.
 */
export function admitHeartbeat(
  raw: string | Buffer,
  policy: AdmissionPolicy,
  recordedAtMs: number,
  guard: Pick<ReplayGuard, 'judge'> | null,
): HeartbeatParseResult {
  const parsed = decodeForApp(raw, policy.apps);
  if (!parsed.ok) return parsed;
  const admitted: HeartbeatParseResult = { ok: true, heartbeat: parsed.heartbeat };
  const secret = policy.heartbeatSecret;
  if (!secret) return admitted;
  // The signature covers the fields as sent, unknown ones included, which the schema's output
  // leaves out: it is checked on the value as decoded, not on the heartbeat.
  const check = verifyHeartbeatSignature(parsed.decoded, secret);
  if (!check.ok) return reject('bad_signature', check.detail);
  const replay = guard?.judge(parsed.heartbeat, recordedAtMs) ?? null;
  return replay === null ? admitted : reject('replayed', replay);
}
