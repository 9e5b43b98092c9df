/**
 * The Grafana dashboard's PromQL is valid: each query, with the dashboard variables filled in
 * as Grafana would, becomes a recording rule that `promtool check rules` parses.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { promtool } from '../support/promtool';
import { REPO_ROOT } from '../support/spawn';

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly targets?: { expr: string; refId: string }[];
}

const dashboard = JSON.parse(
  readFileSync(path.join(REPO_ROOT, 'deploy/grafana/replica-watch.json'), 'utf8'),
) as { panels: Panel[] };

/** What Grafana substitutes before sending a query (all apps and components selected). */
function interpolate(expr: string): string {
  return expr
    .replace(/\$__rate_interval/g, '1m')
    .replace(/\$app\b/g, '.*')
    .replace(/\$component\b/g, '.*');
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'grafana-promql-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('every dashboard query parses as PromQL', async () => {
  const rules = dashboard.panels.flatMap((panel, p) =>
    (panel.targets ?? []).map((target) => ({
      record: `dashboard:panel_${p}:${target.refId.toLowerCase()}`,
      expr: interpolate(target.expr),
    })),
  );
  expect(rules.length).toBeGreaterThanOrEqual(15);
  expect(rules.filter((rule) => rule.expr.includes('$'))).toEqual([]);
  const file = path.join(dir, 'dashboard-rules.yml');
  writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));

  const result = await promtool(['check', 'rules', file]);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  expect(result.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
});
