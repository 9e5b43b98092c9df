/**
 * The chart of the counts over time (GET api/v1/history): one inline SVG per component, a step
 * line per count and a bar of the verdict under it; or a note saying why there is no chart.
 */
import type { HistoryPoint } from '../../history/history-point';
import type { Verdict } from '../../reconcile/report';
import { append, h, replace, svg } from './dom.js';
import { clock, duration, num, type PageReport } from './text.js';
import type { Badge } from './vocabulary';

/** Where the history stands: not asked yet, drawn, not recorded by this aggregator (404), failing. */
export type HistoryStatus = 'loading' | 'ok' | 'missing' | 'failed';

export interface HistoryView {
  readonly status: HistoryStatus;
  /** Why there is no chart, when `status` is missing or failed. */
  readonly detail: string;
  readonly points: readonly HistoryPoint[];
}

type SeriesKey = keyof Pick<
  HistoryPoint,
  'desired' | 'platform_ready' | 'platform_instances' | 'live' | 'serving'
>;

/** What a chart reads of a point: a history point, or a component of the report streamed since. */
type ChartPoint = Pick<HistoryPoint, 'at' | 'component' | 'verdict' | SeriesKey>;

const SERIES: readonly { readonly key: SeriesKey; readonly label: string }[] = [
  { key: 'desired', label: 'Desired (spec)' },
  { key: 'platform_ready', label: 'Dashboard ready' },
  { key: 'platform_instances', label: 'Listed' },
  { key: 'live', label: 'Live (heartbeats)' },
  { key: 'serving', label: 'Serving' },
];
// Thick lines first so thin dashed ones stay visible where the counts agree.
const DRAW_ORDER: readonly SeriesKey[] = [
  'live',
  'serving',
  'platform_instances',
  'platform_ready',
  'desired',
];

/** A time axis spans at least this much, so a first point is not a line of zero width. */
const MIN_SPAN_MS = 60_000;

/** Renders the history of `report`'s components into `target`. */
export function renderHistory(
  target: HTMLElement,
  history: HistoryView,
  report: PageReport | null,
  verdicts: Readonly<Record<Verdict, Badge>>,
): void {
  if (history.status === 'loading') return;
  if (history.status !== 'ok') {
    replace(
      target,
      h('p', { class: 'empty', 'data-history': history.status }, [
        `No chart: ${history.detail}. The counts above are live.`,
      ]),
    );
    return;
  }
  const groups = new Map<string, ChartPoint[]>();
  for (const c of report?.components ?? []) groups.set(c.name, []);
  for (const p of history.points) {
    // The answer of another process: a malformed point is left out, not drawn.
    if (!p || typeof p.component !== 'string' || !Number.isFinite(Date.parse(p.at))) continue;
    const group = groups.get(p.component);
    if (group) group.push(p);
    else groups.set(p.component, [p]);
  }
  // The stream is newer than the last fetch: its counts extend each line up to now.
  if (report) {
    const at = Date.parse(report.generated_at);
    for (const c of report.components) {
      const group = groups.get(c.name) ?? [];
      const last = group[group.length - 1];
      if (last === undefined || Date.parse(last.at) >= at) continue;
      group.push({ ...c, at: report.generated_at, component: c.name });
    }
  }
  const drawn = [...groups].filter(([, points]) => points.length > 0);
  if (drawn.length === 0) {
    replace(
      target,
      h('p', { class: 'empty', 'data-history': 'empty' }, 'No history recorded in the last hour yet.'),
    );
    return;
  }
  const figures = drawn.map(([name]) =>
    h('figure', { class: 'chart', 'data-component': name }, h('figcaption', null, h('span', null, name))),
  );
  replace(target, [legend(verdicts), h('div', { class: 'charts' }, figures)]);
  // Drawn at the figure's real width, so axis text keeps its size on a phone and a wide screen.
  const reportAtMs = report ? Date.parse(report.generated_at) : 0;
  drawn.forEach(([name, points], i) => {
    const figure = figures[i];
    if (figure) drawChart(figure, name, points, reportAtMs);
  });
}

function legend(verdicts: Readonly<Record<Verdict, Badge>>): HTMLElement {
  const lines = SERIES.map((s) =>
    h('li', null, [
      svg(
        'svg',
        { viewBox: '0 0 28 10', 'aria-hidden': 'true' },
        svg('line', { x1: 1, y1: 5, x2: 27, y2: 5, class: `series sr-${s.key}` }),
      ),
      s.label,
    ]),
  );
  const bands = Object.entries(verdicts).map(([verdict, badge]) =>
    h('li', null, [
      svg(
        'svg',
        { viewBox: '0 0 28 10', 'aria-hidden': 'true' },
        svg('rect', { x: 1, y: 1, width: 26, height: 8, rx: 2, class: `band-${verdict}` }),
      ),
      badge.label,
    ]),
  );
  return h('div', { class: 'legends' }, [
    h('ul', { class: 'legend', 'aria-label': 'Lines: counts' }, lines),
    h('ul', { class: 'legend', 'aria-label': 'Bar under each chart: the verdict' }, [
      h('li', { class: 'legend-title' }, 'Verdict bar:'),
      bands,
    ]),
  ]);
}

function drawChart(figure: HTMLElement, name: string, raw: readonly ChartPoint[], reportAtMs: number): void {
  const points = raw.map((p) => ({ p, t: Date.parse(p.at) })).sort((a, b) => a.t - b.t);
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined) return;
  const W = Math.max(260, Math.round(figure.clientWidth - 28));
  const H = W < 420 ? 170 : 200;
  const [L, R, T, B] = [30, 8, 10, 42];
  const t1 = Math.max(last.t, reportAtMs);
  const t0 = Math.min(first.t, t1 - MIN_SPAN_MS);
  let max = 1;
  for (const x of points) {
    for (const s of SERIES) {
      const v = x.p[s.key];
      if (typeof v === 'number' && v > max) max = v;
    }
  }
  const step = Math.max(1, Math.ceil(max / 4));
  const yMax = step * Math.ceil((max + 0.5) / step);
  const plotW = W - L - R;
  const plotH = H - T - B;
  const xOf = (t: number): number => L + ((t - t0) / (t1 - t0)) * plotW;
  const yOf = (v: number): number => T + plotH - (v / yMax) * plotH;
  const endOf = (j: number): number => points[j + 1]?.t ?? t1;
  const nodes: SVGElement[] = [];
  for (let v = 0; v <= yMax; v += step) {
    nodes.push(svg('line', { x1: L, x2: W - R, y1: yOf(v), y2: yOf(v), class: 'grid' }));
    nodes.push(svg('text', { x: L - 6, y: yOf(v) + 4, 'text-anchor': 'end', class: 'axis' }, String(v)));
  }
  const span = t1 - t0;
  const ticks = W < 420 ? 2 : 4;
  for (let i = 0; i <= ticks; i++) {
    const t = t0 + (span * i) / ticks;
    const label = span < 600_000 ? clock(new Date(t)) : clock(new Date(t)).slice(0, 5);
    const anchor = i === 0 ? 'start' : i === ticks ? 'end' : 'middle';
    nodes.push(svg('text', { x: xOf(t), y: H - 4, 'text-anchor': anchor, class: 'axis' }, label));
  }
  // The verdict band under the plot: one bar per run of the same verdict.
  let runStart = first.t;
  points.forEach((x, j) => {
    const next = points[j + 1];
    if (next && next.p.verdict === x.p.verdict) return;
    const to = endOf(j);
    const title = `${x.p.verdict} from ${clock(new Date(runStart))} to ${clock(new Date(to))}`;
    nodes.push(
      svg(
        'rect',
        {
          x: xOf(runStart),
          y: H - B + 10,
          width: Math.max(1, xOf(to) - xOf(runStart)),
          height: 9,
          class: `band-${x.p.verdict}`,
          'shape-rendering': 'crispEdges',
        },
        svg('title', null, title),
      ),
    );
    if (next) runStart = next.t;
  });
  for (const key of DRAW_ORDER) {
    let d = '';
    let open = false;
    points.forEach((x, j) => {
      const value = x.p[key];
      if (typeof value !== 'number') {
        open = false;
        return;
      }
      const y = yOf(value).toFixed(1);
      if (!open) {
        d += `M${xOf(x.t).toFixed(1)} ${y}`;
        open = true;
      } else d += `V${y}`;
      d += `H${xOf(endOf(j)).toFixed(1)}`;
    });
    if (d) nodes.push(svg('path', { d, class: `series sr-${key}`, 'data-series': key }));
  }
  const now = SERIES.map((s) => `${s.label.replace(/ \(.*\)/, '').toLowerCase()} ${num(last.p[s.key])}`).join(
    ', ',
  );
  const caption = figure.querySelector('figcaption');
  if (caption) append(caption, h('span', { class: 'now' }, `now: ${now}`));
  figure.appendChild(
    svg(
      'svg',
      {
        viewBox: `0 0 ${W} ${H}`,
        width: W,
        height: H,
        role: 'img',
        'aria-label': `${name}, last ${duration(span)}: now ${now}, verdict ${last.p.verdict}.`,
      },
      nodes,
    ),
  );
}
