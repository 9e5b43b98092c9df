/**
 * DigitalOceanSource's schedule, with a stub API and a clock whose sleeps are recorded and end
 * only when woken: when the next refresh is due, and that an action brings it forward.
 */
import type { AppPlatformApi } from '../../aggregator/platform/digitalocean/source';
import { PlatformSchemaError } from '../../aggregator/platform/digitalocean/errors';
import { DigitalOceanSource } from '../../aggregator/platform/digitalocean/source';
import type { Clock } from '../../shared/clock';
import { RetryableError } from '../../shared/retry';
import { waitFor } from '../support/wait';

const APP = 'app-1';
const NOW = Date.parse('2026-03-01T12:00:00Z');

/** Sleeps are recorded and last until their signal aborts: time passes only on purpose. */
function heldClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => NOW,
    sleep: (ms, signal) => {
      sleeps.push(ms);
      return new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    },
  };
}

function stubApi(failure: Error | null): AppPlatformApi & { calls: string[] } {
  const calls: string[] = [];
  const answer = <T>(name: string, value: T) => {
    calls.push(name);
    return failure ? Promise.reject(failure) : Promise.resolve(value);
  };
  return {
    calls,
    getApp: () => answer('getApp', { id: APP, spec: { name: 'shop', services: [{ name: 'backend' }] } }),
    listDeployments: () => answer('listDeployments', []),
    listInstances: () => answer('listInstances', []),
    getHealth: () => answer('getHealth', []),
    restart: () => {
      calls.push('restart');
      return Promise.resolve({ id: 'd9', phase: 'PENDING_DEPLOY' });
    },
    createDeployment: () => Promise.resolve({ id: 'd10' }),
    close: () => Promise.resolve(),
  };
}

describe('DigitalOceanSource schedule', () => {
  it('refreshes again one cache TTL after a success', async () => {
    const clock = heldClock();
    const source = new DigitalOceanSource({ client: stubApi(null), appId: APP, cacheTtlMs: 60_000, clock });
    await source.start();
    await waitFor(() => clock.sleeps.length > 0, { what: 'the first sleep' });
    expect(source.current().status).toBe('ok');
    expect(clock.sleeps).toEqual([60_000]);
    await source.close();
  });

  it('waits for a rate limit that resets after the TTL, at most five TTLs', async () => {
    const soon = heldClock();
    const a = new DigitalOceanSource({
      client: stubApi(new RetryableError('rate limited', 150_000)),
      appId: APP,
      cacheTtlMs: 60_000,
      clock: soon,
    });
    const late = heldClock();
    const b = new DigitalOceanSource({
      client: stubApi(new RetryableError('rate limited', 3_600_000)),
      appId: APP,
      cacheTtlMs: 60_000,
      clock: late,
    });
    await Promise.all([a.start(), b.start()]);
    await waitFor(() => soon.sleeps.length > 0 && late.sleeps.length > 0, { what: 'both sleeps' });
    expect([soon.sleeps, late.sleeps]).toEqual([[150_000], [300_000]]);
    expect(a.current()).toMatchObject({
      status: 'unavailable',
      error: { kind: 'rate_limited', message: 'rate limited' },
    });
    await Promise.all([a.close(), b.close()]);
  });

  it('refreshes at once after an action instead of waiting out the TTL', async () => {
    const clock = heldClock();
    const api = stubApi(null);
    const source = new DigitalOceanSource({ client: api, appId: APP, cacheTtlMs: 60_000, clock });
    await source.start();
    await waitFor(() => clock.sleeps.length === 1, { what: 'the first sleep' });
    const deployment = await source.actions.restart(['backend']);
    expect(deployment).toMatchObject({ id: 'd9', phase: 'PENDING_DEPLOY' });
    await waitFor(() => clock.sleeps.length === 2, { what: 'the second sleep' });
    expect(api.calls.filter((c) => c === 'getApp')).toHaveLength(2);
    await source.close();
  });

  it('names the view by the configured app id when the app names none', async () => {
    const api = stubApi(null);
    const source = new DigitalOceanSource({
      client: { ...api, getApp: () => Promise.resolve({ spec: { name: 'shop' } }) },
      appId: APP,
      clock: heldClock(),
    });
    expect(await source.refresh()).toMatchObject({ status: 'ok', appId: APP });
    await source.close();
  });

  it('refuses an action answer that names no deployment, naming the call', async () => {
    const api = stubApi(null);
    const source = new DigitalOceanSource({
      client: { ...api, restart: () => Promise.resolve({ phase: 'PENDING_DEPLOY' }) },
      appId: APP,
      clock: heldClock(),
    });
    const err: unknown = await source.actions.restart(['backend']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformSchemaError);
    expect((err as Error).message).toBe(
      `POST /v2/apps/${APP}/restart: response does not fit the schema at deployment.id: ` +
        "the answer names no deployment; the action may have started: see the app's deployments",
    );
    await source.close();
  });

  it('closes idempotently, closing the client once', async () => {
    const api = stubApi(null);
    let closes = 0;
    const source = new DigitalOceanSource({
      client: { ...api, close: () => Promise.resolve(void closes++) },
      appId: APP,
      clock: heldClock(),
    });
    await source.start();
    await Promise.all([source.close(), source.close()]);
    await source.close();
    expect(closes).toBe(1);
    const callsAtClose = api.calls.length;
    expect(await source.refresh()).toBe(source.current());
    expect(api.calls).toHaveLength(callsAtClose);
  });
});
