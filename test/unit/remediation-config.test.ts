/** REMEDIATION_* configuration: safe defaults, and every bad value named in the one error. */
import { loadAggregatorConfig } from '../../aggregator/config';
import { ConfigError } from '../../shared/config';

describe('remediation configuration', () => {
  test('defaults: off, a 30-minute cooldown, 5 minutes of firing before an action', () => {
    expect(loadAggregatorConfig({})).toMatchObject({
      remediationMode: 'off',
      remediationCooldownMs: 1_800_000,
      remediationMinFiringMs: 300_000,
    });
  });

  test('reads the mode and the times', () => {
    expect(
      loadAggregatorConfig({
        REMEDIATION_MODE: 'dry-run',
        REMEDIATION_COOLDOWN_MS: '60000',
        REMEDIATION_MIN_FIRING_MS: '0',
      }),
    ).toMatchObject({ remediationMode: 'dry-run', remediationCooldownMs: 60_000, remediationMinFiringMs: 0 });
  });

  test('names every bad value', () => {
    let problems: readonly string[] = [];
    try {
      loadAggregatorConfig({
        REMEDIATION_MODE: 'yes',
        REMEDIATION_COOLDOWN_MS: '10',
        REMEDIATION_MIN_FIRING_MS: '-1',
      });
    } catch (err) {
      if (err instanceof ConfigError) problems = err.problems;
    }
    expect(problems.map((p) => p.split('=')[0]).sort()).toEqual([
      'REMEDIATION_COOLDOWN_MS',
      'REMEDIATION_MIN_FIRING_MS',
      'REMEDIATION_MODE',
    ]);
    expect(problems.find((p) => p.startsWith('REMEDIATION_MODE'))).toContain('off, dry-run, on');
  });
});
