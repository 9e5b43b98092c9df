/**
 * docs/replica-monitoring.md, the runbook: a section for every finding code, the traps of the
 * manual fix, troubleshooting for Redis, the agents and the API; every link inside it and every
 * runbook link of the Prometheus rules lands on a heading; the log lines and metrics it quotes
 * exist in the code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { createAgentMetrics } from '../../agent/metrics';
import { createAggregatorMetrics } from '../../aggregator/metrics';
import { FINDING_CODES } from '../../aggregator/reconcile/report';
import { REPO_ROOT } from '../support/spawn';

const RUNBOOK = readFileSync(path.join(REPO_ROOT, 'docs/replica-monitoring.md'), 'utf8');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_\- ]/gu, '')
    .replace(/ /g, '-');
}

const headings = [...RUNBOOK.matchAll(/^(#{1,6}) (.+)$/gm)].map((m) => ({
  level: (m[1] ?? '').length,
  text: m[2] ?? '',
}));
const anchors = new Set(headings.map((h) => slug(h.text)));

/** The text under a heading, up to the next heading of the same or a higher level. */
function section(title: string): string {
  const lines = RUNBOOK.split('\n');
  const start = lines.findIndex((line) => /^#{1,6} /.test(line) && line.replace(/^#+ /, '') === title);
  if (start < 0) return '';
  const level = (/^#+/.exec(lines[start] ?? '')?.[0] ?? '').length;
  const end = lines.findIndex(
    (line, i) => i > start && /^#{1,6} /.test(line) && (/^#+/.exec(line)?.[0] ?? '').length <= level,
  );
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

function sourceText(dir: string): string {
  return readdirSync(path.join(REPO_ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => readFileSync(path.join(entry.parentPath, entry.name), 'utf8'))
    .join('\n');
}

test.each([...FINDING_CODES])('has a section for %s saying what it means and what to do', (code) => {
  const text = section(code);
  expect(text).toMatch(/\*\*Meaning\.\*\*/);
  expect(text).toMatch(/\*\*What to do\.\*\*/);
  expect(text.length).toBeGreaterThan(300);
});

test('names the traps of the manual fix and shows how to verify the count by hand', () => {
  const traps = section('Traps of the manual fix');
  expect(traps).toMatch(/minimum of 1/);
  expect(traps).toMatch(/WHOLE spec/);
  const verify = section('Verify the count by hand');
  for (const command of [
    'doctl apps spec get',
    'doctl apps list-instances',
    '/health',
    'replica-watch status',
    'replica-watch diagnose',
    '/api/v1/monitoring/replicas',
  ])
    expect(verify).toContain(command);
});

test('has troubleshooting for Redis, the agents and the DigitalOcean API', () => {
  for (const title of [
    'Troubleshooting Redis',
    'Troubleshooting the agents',
    'Troubleshooting the DigitalOcean API',
  ])
    expect(section(title).length).toBeGreaterThan(500);
});

test('every link inside the runbook lands on one of its headings', () => {
  const links = [...RUNBOOK.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1] ?? '');
  expect(links.length).toBeGreaterThan(20);
  expect(links.filter((anchor) => !anchors.has(anchor))).toEqual([]);
});

test('every runbook link of the Prometheus rules lands on a heading', () => {
  const rules = parse(readFileSync(path.join(REPO_ROOT, 'deploy/prometheus/rules.yml'), 'utf8')) as {
    groups: { rules: { alert?: string; annotations?: { runbook?: string } }[] }[];
  };
  const links = rules.groups.flatMap((g) => g.rules.map((r) => r.annotations?.runbook ?? ''));
  expect(links.length).toBeGreaterThan(5);
  for (const link of links) {
    const [file, anchor = ''] = link.split('#');
    expect({ link, file, known: anchors.has(anchor) }).toEqual({
      link,
      file: 'docs/replica-monitoring.md',
      known: true,
    });
  }
});

test('the log lines it quotes are ones the code writes', () => {
  const code = [sourceText('aggregator'), sourceText('agent')].join('\n');
  const quoted = [
    'collector cannot read heartbeats from redis; data is degraded',
    'collector reads heartbeats from redis again',
    'heartbeat send failed',
    'heartbeat transport failing over',
    'platform refresh failing; keeping the last good view',
    'platform refresh recovered',
    'sink failed',
    'sink delivers again',
  ];
  for (const line of quoted) {
    expect(RUNBOOK).toContain(line);
    expect({ line, inCode: code.includes(`'${line}'`) }).toEqual({ line, inCode: true });
  }
});

test('the metrics it names exist', async () => {
  const registry = new Registry();
  createAggregatorMetrics(registry);
  createAgentMetrics(registry);
  const defined = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
  const named = new Set([...RUNBOOK.matchAll(/replica_watch_[a-z_]+/g)].map((m) => m[0]));
  expect(named.size).toBeGreaterThanOrEqual(4);
  expect([...named].filter((name) => !defined.has(name))).toEqual([]);
});
