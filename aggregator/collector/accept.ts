/** The admission check every path applies before a heartbeat reaches the registry. */
import type { HeartbeatParseResult } from '../../shared/heartbeat';
import { reject } from '../../shared/heartbeat';
import { parseHeartbeatFast } from './fast-parse';
import { verifyHeartbeatSignature } from '../../shared/signature';
import type { ReplayGuard } from './replay-guard';

/**
 * Parses a heartbeat (never throws) and refuses one of another app as `wrong_app`: an
 * aggregator watches one app, and a stray agent must not add instances to it.
 */
export function parseForApp(raw: string | Buffer, app: string): HeartbeatParseResult {
  const parsed = parseHeartbeatFast(raw);
  if (parsed.ok && parsed.heartbeat.app !== app) {
    return reject(
      'wrong_app',
      `app ${JSON.stringify(parsed.heartbeat.app)}; this aggregator reads ${JSON.stringify(app)}`,
    );
  }
  return parsed;
}

/** What every path admits: heartbeats of one app, signed with HEARTBEAT_SECRET when it is set. */
export interface AdmissionPolicy {
  /** The app this aggregator watches. */
  readonly app: string;
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
  guard: ReplayGuard | null,
): HeartbeatParseResult {
  const parsed = parseForApp(raw, policy.app);
  const secret = policy.heartbeatSecret;
  if (!parsed.ok || !secret) return parsed;
  // Decoded once more as it came: the signature covers the fields as sent, unknown ones
  // included, and the schema's output leaves those out. It parsed a moment ago, so it parses.
  const value = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8')) as object;
  const check = verifyHeartbeatSignature(value, secret);
  if (!check.ok) return reject('bad_signature', check.detail);
  const replay = guard?.judge(parsed.heartbeat, recordedAtMs) ?? null;
  return replay === null ? parsed : reject('replayed', replay);
}
