/**
 * deploy/prometheus: `promtool check rules` and `promtool test rules` must pass, every alert must
 * have a unit test in which it fires, and every replica_watch_* name the rules use must exist in
 * the /metrics output of a real aggregator (a renamed metric would silently disable an alert).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { startAggregator } from '../../aggregator/app';
import { loadAggregatorConfig } from '../../aggregator/config';
import { promtool } from '../support/promtool';
import { REPO_ROOT } from '../support/spawn';

const DIR = path.join(REPO_ROOT, 'deploy/prometheus');

interface Rule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

interface RuleTest {
  readonly alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[];
}

function rules(): Rule[] {
  const doc = parse(readFileSync(path.join(DIR, 'rules.yml'), 'utf8')) as { groups: { rules: Rule[] }[] };
  return doc.groups.flatMap((group) => group.rules);
}

/** Histogram and summary series carry suffixes their family name does not. */
function familyOf(series: string): string {
  return series.replace(/_(bucket|sum|count)$/, '');
}

test('promtool check rules accepts rules.yml', async () => {
  const result = await promtool(['check', 'rules', 'rules.yml'], '', DIR);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  expect(result.stdout).toMatch(/SUCCESS: \d+ rules found/);
});

test('promtool test rules passes rules.test.yml', async () => {
  const result = await promtool(['test', 'rules', 'rules.test.yml'], '', DIR);
  expect({ code: result.code, output: result.stdout + result.stderr }).toEqual({
    code: 0,
    output: expect.stringContaining('SUCCESS'),
  });
});

test('every alert has a severity, a runbook link and a test in which it fires', () => {
  const tests = (parse(readFileSync(path.join(DIR, 'rules.test.yml'), 'utf8')) as { tests: RuleTest[] })
    .tests;
  const firing = new Set(
    tests.flatMap((t) =>
      (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
    ),
  );
  const alerts = rules().filter((rule) => rule.alert !== undefined);
  expect(alerts.length).toBeGreaterThanOrEqual(6);
  for (const rule of alerts) {
    expect({ alert: rule.alert, severity: rule.labels?.severity }).toEqual({
      alert: rule.alert,
      severity: expect.stringMatching(/^(warning|critical)$/),
    });
    expect(rule.annotations?.runbook).toMatch(/^docs\/replica-monitoring\.md#[a-z0-9_-]+$/);
    expect({ alert: rule.alert, tested: firing.has(rule.alert ?? '') }).toEqual({
      alert: rule.alert,
      tested: true,
    });
  }
});

test('every replica_watch_* metric the rules use exists in a running aggregator', async () => {
  const aggregator = await startAggregator(
    loadAggregatorConfig({ PORT: '0', HOST: '127.0.0.1', DESIRED_REPLICAS: 'backend=2' }),
  );
  let exposition: string;
  try {
    const res = await fetch(`${aggregator.url}/metrics`);
    expect(res.status).toBe(200);
    exposition = await res.text();
  } finally {
    await aggregator.stop();
  }
  const exported = new Set([...exposition.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
  const used = new Set(
    rules().flatMap((rule) => [...rule.expr.matchAll(/replica_watch_[a-z_]+/g)].map((m) => m[0])),
  );
  expect(used.size).toBeGreaterThanOrEqual(8);
  expect([...used].filter((name) => !exported.has(familyOf(name))).sort()).toEqual([]);
});
