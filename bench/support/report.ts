/** The results section of docs/benchmarks.md, rendered from the saved results files. */
import type { MachineInfo } from './machine';
import type { SuiteResult } from '../suites/types';

export const BEGIN_MARKER =
  '<!-- bench-results:begin (written by `npm run bench`; edit the text around it) -->';
export const END_MARKER = '<!-- bench-results:end -->';

interface Saved extends SuiteResult {
  readonly quick: boolean;
  readonly startedAt: string;
  readonly machine: MachineInfo;
  readonly seconds: number;
}

function cell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return String(value).replace(/\|/g, '\\|');
}

function table(rows: SuiteResult['rows']): string {
  const first = rows[0];
  if (!first) return '_no rows_';
  const keys = Object.keys(first);
  const lines = [`| ${keys.join(' | ')} |`, `| ${keys.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${keys.map((k) => cell(row[k])).join(' | ')} |`);
  return lines.join('\n');
}

/** Every suite's targets, table and method, newest run of each. */
export function renderResults(results: readonly Saved[]): string {
  const out: string[] = [];
  const targets = results.flatMap((r) => r.targets.map((t) => ({ ...t, suite: r.name })));
  out.push('### Targets', '');
  out.push('| target | measured | met | suite |', '| --- | --- | --- | --- |');
  for (const t of targets)
    out.push(`| ${cell(t.target)} | ${cell(t.measured)} | ${t.met ? 'yes' : '**no**'} | ${t.suite} |`);
  out.push('');
  for (const r of results) {
    const m = r.machine;
    out.push(`### ${r.title} (\`${r.name}\`)`, '');
    out.push(
      `_${r.quick ? 'quick' : 'full'} run of ${r.startedAt}, ${r.seconds} s; ${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, ` +
        `node ${m.node}, redis ${m.redis}, load average ${m.loadAverage} at start._`,
      '',
    );
    out.push(r.method, '');
    out.push(table(r.rows), '');
  }
  return out.join('\n');
}

/** Replaces the text between the markers (or appends the section with its markers). */
export function replaceSection(doc: string, section: string): string {
  const begin = doc.indexOf(BEGIN_MARKER);
  const end = doc.indexOf(END_MARKER);
  const block = `${BEGIN_MARKER}\n\n${section}\n${END_MARKER}`;
  if (begin < 0 || end < begin) return `${doc.trimEnd()}\n\n${block}\n`;
  return doc.slice(0, begin) + block + doc.slice(end + END_MARKER.length);
}
