/** The alerting and HA variables of the aggregator's configuration. */
import { alertExpiryMs, configuredSinks } from '../../aggregator/alerting';
import { AGGREGATOR_DEFAULTS, loadAggregatorConfig } from '../../aggregator/config';
import { problemsOf as problemsOfLoad } from '../support/config-problems';

const problemsOf = (env: Record<string, string>) => problemsOfLoad(loadAggregatorConfig, env);

describe('alerting configuration', () => {
  test('defaults', () => {
    const config = loadAggregatorConfig({});
    expect(config).toMatchObject({
      alertConfirmations: 2,
      alertForMs: 60_000,
      alertRepeatMs: 4 * 3_600_000,
      rolloutGraceMs: 900_000,
      alertWebhookUrl: null,
      alertWebhookSecret: null,
      slackWebhookUrl: null,
      alertmanagerUrl: null,
      publicUrl: null,
      leaderLeaseMs: 15_000,
      selfPreservationThreshold: 0.5,
    });
    expect(AGGREGATOR_DEFAULTS.leaderLeaseMs).toBe(15_000);
    expect(configuredSinks(config)).toEqual([]);
  });

  test('every variable is read, and every sink configured is built', () => {
    const config = loadAggregatorConfig({
      ALERT_CONFIRMATIONS: '3',
      ALERT_FOR_MS: '0',
      ALERT_REPEAT_MS: '3600000',
      ROLLOUT_GRACE_MS: '120000',
      ALERT_WEBHOOK_URL: 'https://hooks.example.com/rw',
      ALERT_WEBHOOK_SECRET: 'a-long-secret',
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/X',
      ALERTMANAGER_URL: 'http://alertmanager:9093',
      PUBLIC_URL: 'https://rw.example.com',
      LEADER_LEASE_MS: '1500',
      SELF_PRESERVATION_THRESHOLD: '0.75',
    });
    expect(config).toMatchObject({
      alertConfirmations: 3,
      alertForMs: 0,
      alertRepeatMs: 3_600_000,
      rolloutGraceMs: 120_000,
      alertWebhookSecret: 'a-long-secret',
      publicUrl: 'https://rw.example.com',
      leaderLeaseMs: 1_500,
      selfPreservationThreshold: 0.75,
    });
    expect(configuredSinks(config).map((s) => s.name)).toEqual(['webhook', 'slack', 'alertmanager']);
    // endsAt outlasts a few reconciles and a leader handover.
    expect(alertExpiryMs(config)).toBe(Math.max(40_000, 1_500 + 20_000));
  });

  test('bad values are all named in one error; secrets are not echoed', () => {
    const problems = problemsOf({
      ALERT_CONFIRMATIONS: '0',
      ALERT_FOR_MS: '-1',
      ALERT_REPEAT_MS: 'often',
      ROLLOUT_GRACE_MS: '5',
      ALERT_WEBHOOK_URL: 'ftp://x',
      ALERT_WEBHOOK_SECRET: 'short',
      SLACK_WEBHOOK_URL: 'not a url with TOKEN123',
      ALERTMANAGER_URL: 'alertmanager:9093',
      PUBLIC_URL: 'rw.example.com',
      LEADER_LEASE_MS: '10',
      SELF_PRESERVATION_THRESHOLD: '1.5',
    });
    expect(problems.map((p) => p.split(/[=:]/)[0]).sort()).toEqual([
      'ALERTMANAGER_URL',
      'ALERT_CONFIRMATIONS',
      'ALERT_FOR_MS',
      'ALERT_REPEAT_MS',
      'ALERT_WEBHOOK_SECRET',
      'ALERT_WEBHOOK_URL',
      'LEADER_LEASE_MS',
      'PUBLIC_URL',
      'ROLLOUT_GRACE_MS',
      'SELF_PRESERVATION_THRESHOLD',
      'SLACK_WEBHOOK_URL',
    ]);
    expect(problems.join('\n')).not.toContain('TOKEN123');
    expect(problems.join('\n')).not.toContain('short');
  });
});
