/**
 * `replica-watch fix restart|scale`: the manual fix done right, straight against the
 * DigitalOcean API (DO_API_TOKEN, DO_APP_ID or --app, DO_API_BASE_URL).
 *
 * - restart: the rolling restart of one component (POST /v2/apps/{id}/restart): every instance
 *   is replaced from the active spec, orphans included; the spec is not touched.
 * - scale: GET the WHOLE spec, change only that component's instance_count, show the diff, PUT
 *   the whole spec back. Never a partial spec (it would delete the components it leaves out),
 *   never a count below 1 (the API's minimum: "scale to 0 and back" does not work).
 *
 * Both ask for confirmation on a terminal; `--yes` confirms up front; without a terminal and
 * without `--yes` they refuse before any API call. A failed call is told in words, with the
 * setting to change and DigitalOcean's request id (failure-text.ts).
 */
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { DigitalOceanClient } from '../platform/digitalocean/client';
import { AppSpecApi } from './app-spec-api';
import type { PlatformCallContext } from './failure-text';
import { explainPlatformFailure } from './failure-text';
import type { CliIo } from './io';
import { countProblem, formatChanges, instanceCountOf, locate, scaleComponent } from './spec-edit';

/** Exit codes of `fix`: done (or nothing to do), declined at the prompt, refused, API failure. */
export const FIX_EXIT = { done: 0, declined: 1, refused: 2, failed: 3 } as const;

/** `fix` takes the CLI's io. */
export type FixIo = CliIo;

export const FIX_USAGE = `usage: replica-watch fix restart --component NAME [--app ID] [--yes]
       replica-watch fix scale --component NAME --count N [--app ID] [--yes]

  restart   rolling restart of one component (POST /v2/apps/{id}/restart): replaces every
            instance, orphans included, without touching the spec
  scale     sets one component's instance_count (N ≥ 1) by a whole-spec update: GET the spec,
            change that one field, show the diff, PUT the whole spec back

options:
  --component NAME  the service or worker
  --count N         the new instance_count (scale; at least 1)
  --app ID          the app (default: $DO_APP_ID)
  --yes             do not ask for confirmation (needed without a terminal)

environment:
  DO_API_TOKEN      a token with write scope (never taken from the command line)
  DO_APP_ID         the app, unless --app is given
  DO_API_BASE_URL   default https://api.digitalocean.com

exit codes: 0 done (or nothing to change), 1 declined at the prompt, 2 refused (bad usage,
a count below 1, no confirmation), 3 the API call failed (the message says why: a wrong app id,
a wrong or read-only token, no answer; with DigitalOcean's request id when there is one)`;

interface FixTarget {
  readonly baseUrl: string;
  readonly token: string;
  readonly appId: string;
  readonly appIdFrom: PlatformCallContext['appIdFrom'];
  readonly component: string;
  readonly yes: boolean;
}

/** Runs `fix …` (argv without the word `fix`); returns the exit code. */
export async function runFix(argv: readonly string[], io: FixIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        component: { type: 'string' },
        count: { type: 'string' },
        app: { type: 'string' },
        yes: { type: 'boolean', short: 'y', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return refuse(io, `${(err as Error).message}\n\n${FIX_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(`${FIX_USAGE}\n`);
    return FIX_EXIT.done;
  }
  const [action, ...extra] = positionals;
  if ((action !== 'restart' && action !== 'scale') || extra.length > 0) {
    const what = action === undefined ? 'no fix given' : `unknown fix "${positionals.join(' ')}"`;
    return refuse(io, `${what}\n\n${FIX_USAGE}`);
  }
  if (values.component === undefined || values.component.trim() === '') {
    return refuse(io, `--component NAME is required\n\n${FIX_USAGE}`);
  }
  let count: number | null = null;
  if (action === 'scale') {
    if (values.count === undefined) return refuse(io, `--count N is required for scale\n\n${FIX_USAGE}`);
    count = /^-?\d+$/.test(values.count.trim()) ? Number(values.count) : NaN;
    const problem = countProblem(count);
    if (problem !== null) return refuse(io, `--count ${values.count}: refused: ${problem}`);
  } else if (values.count !== undefined) {
    return refuse(io, '--count belongs to scale; a restart keeps the count');
  }

  const token = io.env.DO_API_TOKEN?.trim() ?? '';
  const appId = (values.app ?? io.env.DO_APP_ID ?? '').trim();
  const baseUrl = io.env.DO_API_BASE_URL?.trim() || 'https://api.digitalocean.com';
  if (token === '') return refuse(io, 'DO_API_TOKEN is not set: a token with write scope is needed');
  if (appId === '') return refuse(io, 'no app: set DO_APP_ID or pass --app ID');
  try {
    new URL(baseUrl);
  } catch {
    return refuse(io, `DO_API_BASE_URL ${JSON.stringify(baseUrl)} is not a URL`);
  }
  if (!values.yes && !(io.interactive === true && io.ask !== undefined)) {
    return refuse(
      io,
      `refusing to change app ${appId} without confirmation: there is no terminal to ask on. ` +
        'Re-run with --yes to confirm.',
    );
  }
  const target: FixTarget = {
    baseUrl,
    token,
    appId,
    appIdFrom: values.app === undefined ? 'DO_APP_ID' : '--app',
    component: values.component.trim(),
    yes: values.yes,
  };
  return count === null ? restart(target, io) : scale(target, count, io);
}

async function restart(target: FixTarget, io: FixIo): Promise<number> {
  const client = new DigitalOceanClient({ baseUrl: target.baseUrl, token: target.token });
  let write = false;
  try {
    const app = await client.getApp(target.appId);
    const running = [...(app.spec.services ?? []), ...(app.spec.workers ?? [])];
    const component = running.find((c) => c.name === target.component);
    if (component === undefined) {
      const names = running.map((c) => c.name).join(', ') || 'none';
      return refuse(
        io,
        `app ${target.appId} has no service or worker named "${target.component}" (it has: ${names})`,
      );
    }
    const body = JSON.stringify({ components: [target.component] });
    io.out(
      `Rolling restart of ${target.component} in app ${target.appId}: every instance is replaced, one at a time, ` +
        'from the active spec (orphans included); the spec and the instance count stay as they are.\n' +
        `  POST /v2/apps/${target.appId}/restart ${body}\n`,
    );
    if (!(await confirmed(target, io))) return declined(io);
    write = true;
    const deployment = await client.restart(target.appId, [target.component]);
    io.out(
      `Restart requested: deployment ${deployment.id} (${deployment.phase ?? 'phase unknown'}). ` +
        `Follow it: doctl apps get-deployment ${target.appId} ${deployment.id}\n`,
    );
    return FIX_EXIT.done;
  } catch (err) {
    return failed(io, err, callContext(target, write));
  } finally {
    await client.close();
  }
}

async function scale(target: FixTarget, count: number, io: FixIo): Promise<number> {
  const api = new AppSpecApi({ baseUrl: target.baseUrl, token: target.token });
  let write = false;
  try {
    const spec = await api.getSpec(target.appId);
    const result = scaleComponent(spec, target.component, count);
    if (!result.ok) return refuse(io, `cannot scale ${target.component}: ${result.reason}`);
    if (result.changes.length === 0) {
      // The spec's count is not what runs: say which one already matches, and what runs.
      io.out(alreadyAsked(target, count, await api.listedInstances(target.appId, target.component)));
      return FIX_EXIT.done;
    }
    // The promise of this command: the one field and nothing else.
    const located = locate(spec, target.component);
    const expected = located === null ? '' : `${located.section}[${located.index}].instance_count`;
    if (result.changes.length !== 1 || result.changes[0]?.path !== expected) {
      return failed(io, new Error(`the edit would change more than ${expected}; nothing sent`), null);
    }
    const current = located === null ? null : instanceCountOf(located.component);
    io.out(
      `Update of app ${target.appId}: ${target.component} from ${String(current)} to ${count} instance(s).\n` +
        `PUT /v2/apps/${target.appId} with the whole spec; this is the only change:\n` +
        `${formatChanges(spec, result.changes)}\n`,
    );
    if (!(await confirmed(target, io))) return declined(io);
    // Someone may have changed the spec while we asked: sending ours would undo their change.
    const again = await api.getSpec(target.appId);
    if (!isDeepStrictEqual(again, spec)) {
      return failed(
        io,
        new Error('the spec changed since it was read; nothing was sent. Run the command again'),
        null,
      );
    }
    write = true;
    const { deploymentId } = await api.putSpec(target.appId, result.spec);
    io.out(
      `Spec updated: ${target.component} now asks for ${count} instance(s)` +
        (deploymentId === null ? '.\n' : `; deployment ${deploymentId} rolls it out.\n`),
    );
    return FIX_EXIT.done;
  } catch (err) {
    return failed(io, err, callContext(target, write));
  } finally {
    await api.close();
  }
}

/**
 * `fix scale` to the count the spec already asks for. The count that runs may differ (orphans of
 * an older deployment are not in the spec): changing the spec cannot remove them, a rolling
 * restart replaces every instance from it.
 */
function alreadyAsked(target: FixTarget, count: number, listed: number | null): string {
  const instances = (n: number) => `${n} instance${n === 1 ? '' : 's'}`;
  const restart =
    `replica-watch fix restart --component ${target.component}` +
    (target.appIdFrom === '--app' ? ` --app ${target.appId}` : '');
  const head = `The spec of app ${target.appId} already asks for ${instances(count)} of ${target.component}: nothing to change.\n`;
  if (listed !== null && listed > count) {
    return (
      head +
      `The platform lists ${instances(listed)} of ${target.component}, ${listed - count} more than the spec asks for. ` +
      'A spec update does not remove them; a rolling restart replaces every running instance from the spec ' +
      `and ends the extra ones: ${restart}\n`
    );
  }
  if (listed !== null && listed < count) {
    return (
      head +
      `The platform lists ${instances(listed)} of ${target.component}, fewer than the spec asks for: ` +
      'see why with replica-watch diagnose\n'
    );
  }
  return (
    head +
    (listed === null
      ? ''
      : `The platform lists ${instances(listed)} of ${target.component}, as the spec asks. `) +
    `If more than ${count} run (e.g. orphans of an older deployment), a rolling restart, not a spec update, ` +
    `removes the extra ones: ${restart}\n`
  );
}

function callContext(target: FixTarget, write: boolean): PlatformCallContext {
  return { appId: target.appId, appIdFrom: target.appIdFrom, write, baseUrl: target.baseUrl };
}

async function confirmed(target: FixTarget, io: FixIo): Promise<boolean> {
  if (target.yes) return true;
  const answer = (await io.ask?.('Proceed? [y/N] ')) ?? '';
  return /^y(es)?$/i.test(answer.trim());
}

function refuse(io: FixIo, message: string): number {
  io.err(`${message}\n`);
  return FIX_EXIT.refused;
}

function declined(io: FixIo): number {
  io.err('Aborted: nothing was changed.\n');
  return FIX_EXIT.declined;
}

/** An API failure in words (failure-text.ts); `context` null: an error of our own, whose message says it all. */
function failed(io: FixIo, err: unknown, context: PlatformCallContext | null): number {
  const lines =
    context === null
      ? [err instanceof Error ? err.message : String(err)]
      : explainPlatformFailure(err, context);
  io.err(`fix failed: ${lines.join('\n')}\n`);
  return FIX_EXIT.failed;
}
