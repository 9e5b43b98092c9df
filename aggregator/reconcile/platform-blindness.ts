/**
 * Blind is never green: when the platform view the report needs cannot be had (never fetched, or
 * refused with 401, 403 or 404), the aggregator says so, names the cause and the setting to fix.
 * A transient failure (5xx, 429, network) keeps the last good view and is not blindness.
 */
import type { PlatformFailure, PlatformFailureKind, PlatformView } from '../model';
import { isBlindingFailure } from '../model';

export interface PlatformBlindness {
  /** What cannot be seen and why, e.g. "DO_APP_ID 8f3c… not found (HTTP 404)". */
  readonly reason: string;
  /** What to do about it, naming the variable. */
  readonly fix: string;
  /** Since when the refreshes have failed; null while the API has not answered yet. */
  readonly sinceMs: number | null;
}

/** The setting an operator fixes for a failure of this kind; null when it is not one of configuration. */
export function fixVariableOf(kind: PlatformFailureKind): string | null {
  if (kind === 'unauthorized' || kind === 'forbidden') return 'DO_API_TOKEN';
  if (kind === 'not_found') return 'DO_APP_ID';
  return null;
}

/** null while the platform view can be judged (fresh, stale from a transient failure, or static). */
export function platformBlindness(view: PlatformView): PlatformBlindness | null {
  if (view.source === 'static') return null;
  const { error } = view;
  if (view.status === 'unavailable') {
    if (error === null) {
      return {
        reason: `The DigitalOcean API has not answered yet for app ${view.appId ?? '(no DO_APP_ID)'}`,
        fix: 'Wait for the first refresh; if it does not come, check DO_API_BASE_URL and the network to it',
        sinceMs: null,
      };
    }
    return describe(error, view.appId);
  }
  if (view.status === 'stale' && error !== null && isBlindingFailure(error.kind))
    return describe(error, view.appId);
  return null;
}

function describe(error: PlatformFailure, appId: string | null): PlatformBlindness {
  const app = appId ?? '(no DO_APP_ID)';
  const support =
    error.requestId === null ? '' : ` (request_id ${error.requestId}: quote it to DigitalOcean support)`;
  const said = `: ${error.message}${support}`;
  switch (error.kind) {
    case 'unauthorized':
      return {
        reason: `DO_API_TOKEN was refused (HTTP 401): wrong, expired or revoked${said}`,
        fix: 'Set DO_API_TOKEN to a valid DigitalOcean API token (Control Panel → API → Tokens)',
        sinceMs: error.sinceMs,
      };
    case 'forbidden':
      return {
        reason: `DO_API_TOKEN may not read app ${app} (HTTP 403): the token lacks the scope${said}`,
        fix: 'Give DO_API_TOKEN read access to App Platform (a token with the app:read scope, or full access)',
        sinceMs: error.sinceMs,
      };
    case 'not_found':
      return {
        reason: `DO_APP_ID ${app} not found (HTTP 404): no app with that id is visible to this token${said}`,
        fix: "Set DO_APP_ID to the app's id, not its name (doctl apps list shows the ids)",
        sinceMs: error.sinceMs,
      };
    default:
      return {
        reason: `The DigitalOcean API has never been read for app ${app}${said}`,
        fix: 'Check DO_API_BASE_URL and the network to it; the aggregator keeps retrying',
        sinceMs: error.sinceMs,
      };
  }
}
