/**
 * The committed results of an earlier full run (bench/results/full/<suite>.json, which `npm run
 * bench` never writes): the baseline a figure is compared with when the run cannot measure one.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SuiteResult } from '../suites/types';
import { DIST } from './processes';

type Row = SuiteResult['rows'][number];

/** One committed row and where it came from, for a table cell. */
export interface CommittedRow {
  readonly row: Row;
  /** e.g. "bench/results/full/aggregator.json, full run of 2026-11-28". */
  readonly source: string;
}

/** The first row of the committed full run of `suite` that `match` accepts; null if none. */
export function committedRow(suite: string, match: (row: Row) => boolean): CommittedRow | null {
  const file = path.join('bench', 'results', 'full', `${suite}.json`);
  let saved: SuiteResult & { startedAt?: string; quick?: boolean };
  try {
    saved = JSON.parse(readFileSync(path.join(DIST, '..', file), 'utf8')) as typeof saved;
  } catch {
    return null;
  }
  const row = saved.rows.find(match);
  if (!row) return null;
  const when = saved.startedAt
    ? `, ${saved.quick ? 'quick' : 'full'} run of ${saved.startedAt.slice(0, 10)}`
    : '';
  return { row, source: `${file}${when}` };
}
