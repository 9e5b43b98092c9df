/**
 * How the pages ask the API: the bearer token the visitor typed (kept in this tab only) and the
 * headers every request carries. (Which app a request is about: app-url.ts.)
 */

/** The sessionStorage key of the API token; the fleet and the per-app page share it. */
const TOKEN_KEY = 'replica-watch-token';

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function token(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function saveToken(value: string): void {
  try {
    sessionStorage.setItem(TOKEN_KEY, value);
  } catch {
    // Private mode: asked again next time.
  }
}

/** Accept, and the bearer token when one was given. */
export function headers(
  accept: string,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const t = token();
  return t ? { ...extra, Accept: accept, Authorization: `Bearer ${t}` } : { ...extra, Accept: accept };
}

/** A GET for JSON, never answered from the browser's cache. */
export function api(path: string, extra: Readonly<Record<string, string>> = {}): Promise<Response> {
  return fetch(path, { headers: headers('application/json', extra), cache: 'no-store' });
}

/** The `error` of a JSON error body, or null (the body is not JSON, or names none). */
export async function errorOf(res: Response): Promise<string | null> {
  try {
    const body = (await res.json()) as { error?: unknown } | null;
    return body && typeof body.error === 'string' ? body.error : null;
  } catch {
    return null;
  }
}
