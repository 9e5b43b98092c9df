/**
 * The aggregator's configuration reaches the reconciler: an aggregator started in-process (it
 * listens on a port, hence this tier) hands the reconciler the policy its environment set.
 * (The parsing itself: test/unit/aggregator-config.test.ts.)
 */
import { startAggregator } from '../../aggregator/app';
import { loadAggregatorConfig } from '../../aggregator/config';
import type { ReconcileInput } from '../../aggregator/reconcile';
import { reconcile } from '../../aggregator/reconcile';

// The reconciler itself, watched: what policy the aggregator hands it.
jest.mock('../../aggregator/reconcile', () => {
  const actual = jest.requireActual('../../aggregator/reconcile');
  return { ...actual, reconcile: jest.fn(actual.reconcile) };
});

describe('the configuration reaches the reconciler', () => {
  test('CLOCK_SKEW_MAX_MS, DRAIN_GRACE_MS, ALERT_FOR_MS, ROLLOUT_GRACE_MS are in its policy', async () => {
    const calls = jest.mocked(reconcile).mock.calls;
    calls.length = 0;
    const aggregator = await startAggregator(
      loadAggregatorConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        CLOCK_SKEW_MAX_MS: '7000',
        DRAIN_GRACE_MS: '45000',
        ALERT_FOR_MS: '90000',
        ROLLOUT_GRACE_MS: '600000',
      }),
    );
    await aggregator.stop();
    expect(calls.length).toBeGreaterThan(0);
    const input = calls[0]?.[0] as ReconcileInput;
    expect(input.policy).toMatchObject({
      clockSkewMaxMs: 7_000,
      drainGraceMs: 45_000,
      alertForMs: 90_000,
      rolloutGraceMs: 600_000,
    });
  });
});
