import { formatTick } from '../format.ts';
import { chartPalette, seriesColor, type ChartPalette, type ChartTheme } from './palette.ts';
import { linearScale, logScale, type Scale } from './scale.ts';
import { FONT, el, num, svgRoot, text, textWidth } from './svg.ts';

export interface LineSeries {
  name: string;
  /** One value per x position; null (or, on a log axis, ≤ 0) breaks the line. */
  values: (number | null)[];
  color?: string;
  dashed?: boolean;
  /** Written as `data-series` on each point; defaults to the series position. */
  key?: string;
  /**
   * The x position of each value, when this series has its own (runs compared with different
   * epochs); default the chart's `x`. Its positions must be among the chart's `x`.
   */
  xs?: number[];
  /** Written as `data-run` on each point (a compared run's id). */
  run?: string;
}

export interface LineChartOptions {
  x: number[];
  series: LineSeries[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Tick labels for the x positions (layer names); default the x values themselves. */
  xTickLabels?: string[];
  /** Default 'log'. */
  yScale?: 'log' | 'linear';
  /** Default 'linear'; 'log' needs positive x (epochs, steps). */
  xScale?: 'log' | 'linear';
  /** A vertical marker, e.g. the start of the terminal phase. */
  marker?: { x: number; label: string };
  /** Point index drawn highlighted (the epoch selected in the app). */
  selectedIndex?: number;
  width?: number;
  height?: number;
  /** Default 'light' (the report's); 'dark' for the app's dark theme. */
  theme?: ChartTheme;
}

const MARGIN = { left: 62, right: 18, top: 40, bottom: 44 };
const LEGEND_ROW = 16;

interface LegendItem {
  x: number;
  row: number;
  series: LineSeries;
  color: string;
}

/** Legend items flowed into rows across the plot width. */
function legendLayout(series: LineSeries[], width: number, theme?: ChartTheme): LegendItem[] {
  const items: LegendItem[] = [];
  let x = 0;
  let row = 0;
  series.forEach((s, i) => {
    const w = 30 + textWidth(s.name, FONT.legend) + 14;
    if (x > 0 && x + w > width) {
      x = 0;
      row++;
    }
    items.push({ x, row, series: s, color: s.color ?? seriesColor(i, theme) });
    x += w;
  });
  return items;
}

function yRange(opts: LineChartOptions, log: boolean): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of opts.series)
    for (const v of s.values) {
      if (v === null || !Number.isFinite(v) || (log && v <= 0)) continue;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  return lo <= hi ? [lo, hi] : null;
}

function xScaleOf(
  x: number[],
  plotLeft: number,
  plotRight: number,
  log = false,
): (v: number) => number {
  if (log && x.length > 0 && x.every((v) => v > 0)) {
    const sx = xScaleOf(
      x.map((v) => Math.log10(v)),
      plotLeft,
      plotRight,
    );
    return (v) => sx(Math.log10(v));
  }
  const lo = Math.min(...x);
  const hi = Math.max(...x);
  if (hi === lo) return () => (plotLeft + plotRight) / 2;
  const pad = (hi - lo) * 0.04;
  return (v) => plotLeft + ((v - lo + pad) / (hi - lo + 2 * pad)) * (plotRight - plotLeft);
}

/** X ticks: every x position when they fit, else every k-th so labels never overlap. */
function xTicks(opts: LineChartOptions, sx: (v: number) => number, p: ChartPalette): string {
  const labels = opts.x.map((v, i) => opts.xTickLabels?.[i] ?? formatTick(v));
  const widest = Math.max(...labels.map((l) => textWidth(l, FONT.tick))) + 6;
  const span = opts.x.length > 1 ? Math.abs(sx(opts.x[opts.x.length - 1]) - sx(opts.x[0])) : 1;
  const minGap = opts.x.length > 1 ? span / (opts.x.length - 1) : Infinity;
  let stride = 1;
  while (minGap * stride < widest && stride < opts.x.length) stride++;
  // Positions are spread unevenly (epochs 1, 5, 20, 80): also skip any label that would touch
  // the previous one.
  let out = '';
  let lastRight = -Infinity;
  opts.x.forEach((v, i) => {
    if (i % stride !== 0 && i !== opts.x.length - 1) return;
    const px = sx(v);
    const w = textWidth(labels[i], FONT.tick);
    if (px - w / 2 < lastRight + 4) return;
    lastRight = px + w / 2;
    out += text(px, 0, labels[i], {
      anchor: 'middle',
      size: FONT.tick,
      fill: p.axis,
      extra: { 'data-tick': i },
    });
  });
  return out;
}

function yAxis(scale: Scale, left: number, right: number, p: ChartPalette): string {
  let out = '';
  for (const t of scale.ticks) {
    const py = scale.map(t);
    out += el('line', { x1: left, x2: right, y1: py, y2: py, stroke: p.grid, 'stroke-width': 1 });
    out += text(left - 6, py + 3.5, formatTick(t), {
      anchor: 'end',
      size: FONT.tick,
      fill: p.axis,
    });
  }
  return out;
}

function markerLine(
  m: NonNullable<LineChartOptions['marker']>,
  sx: (v: number) => number,
  top: number,
  bottom: number,
  right: number,
  p: ChartPalette,
): string {
  const px = sx(m.x);
  // The label sits above the frame, clear of the lines (values near 1 run along the top).
  const nearRight = px + textWidth(m.label, FONT.note) > right;
  return (
    el('line', {
      x1: px,
      x2: px,
      y1: top,
      y2: bottom,
      stroke: p.guide,
      'stroke-width': 1.2,
      'stroke-dasharray': '5 3',
      'data-marker': 'terminal-phase',
    }) +
    text(nearRight ? px + 2 : px - 2, top - 5, m.label, {
      anchor: nearRight ? 'end' : 'start',
      size: FONT.note,
      fill: p.axis,
    })
  );
}

/** What one series' marks are drawn with: the series, its place and colour, the axes. */
interface SeriesMarksInput {
  series: LineSeries;
  /** Its index in the chart, the `data-series` key when it has no key of its own. */
  index: number;
  color: string;
  opts: LineChartOptions;
  sx: (v: number) => number;
  sy: Scale;
  /** The plot's bottom edge: where values off a log axis are marked. */
  floorY: number;
  palette: ChartPalette;
}

/** The polyline pieces of one series (broken at missing values) and its points. */
function seriesMarks({
  series: s,
  index,
  color,
  opts,
  sx,
  sy,
  floorY,
  palette: p,
}: SeriesMarksInput): string {
  const key = s.key ?? String(index);
  let lines = '';
  let points = '';
  let run: string[] = [];
  const flush = () => {
    if (run.length > 1)
      lines += el('polyline', {
        points: run.join(' '),
        fill: 'none',
        stroke: color,
        'stroke-width': 1.8,
        'stroke-dasharray': s.dashed ? '6 3' : undefined,
        'stroke-linejoin': 'round',
      });
    run = [];
  };
  const xs = s.xs ?? opts.x;
  s.values.forEach((v, i) => {
    const px = sx(xs[i]);
    const data = { 'data-index': i, 'data-series': key, 'data-x': xs[i], 'data-run': s.run };
    if (v === null || !Number.isFinite(v)) return flush();
    if (sy.log && v <= 0) {
      flush();
      // Off the log axis: an open triangle on the floor, so a zero is shown, not hidden.
      const d = `M${num(px - 4)} ${num(floorY - 7)}L${num(px + 4)} ${num(floorY - 7)}L${num(px)} ${num(floorY - 1)}Z`;
      points += el('path', {
        d,
        fill: p.background,
        stroke: color,
        'stroke-width': 1.3,
        ...data,
        'data-value': v,
      });
      return;
    }
    const py = sy.map(v);
    run.push(`${num(px)},${num(py)}`);
    const selected = opts.selectedIndex === i;
    points += el('circle', {
      cx: px,
      cy: py,
      r: selected ? 5 : 3.2,
      fill: s.dashed ? p.background : color,
      stroke: color,
      'stroke-width': selected ? 2.5 : 1.3,
      ...data,
      'data-value': v,
    });
  });
  flush();
  return lines + points;
}

function legend(
  items: LegendItem[],
  left: number,
  top: number,
  hasFloorPoints: boolean,
  p: ChartPalette,
): string {
  let out = '';
  for (const it of items) {
    const y = top + it.row * LEGEND_ROW;
    const x = left + it.x;
    out += el('line', {
      x1: x,
      x2: x + 22,
      y1: y,
      y2: y,
      stroke: it.color,
      'stroke-width': 2,
      'stroke-dasharray': it.series.dashed ? '6 3' : undefined,
    });
    out += el('circle', {
      cx: x + 11,
      cy: y,
      r: 3,
      fill: it.series.dashed ? p.background : it.color,
      stroke: it.color,
    });
    out += text(x + 28, y + 3.5, it.series.name, { size: FONT.legend, fill: p.ink });
  }
  if (hasFloorPoints) {
    const y = top + (Math.max(0, ...items.map((i) => i.row)) + 1) * LEGEND_ROW;
    out += text(left, y + 3.5, '▽ on the floor: value ≤ 0, off the log axis', {
      size: FONT.note,
      fill: p.axis,
    });
  }
  return out;
}

/**
 * A metric against epoch (or layer), one line per series (train solid, test dashed by
 * convention), log y-axis by default. Every point is a `circle` (or, for a value ≤ 0 on a log
 * axis, a triangle on the floor) carrying `data-index` (position in `x`), `data-series`,
 * `data-x` and `data-value`, so the app can add hover and click without re-rendering.
 */
export function lineChart(opts: LineChartOptions): string {
  const width = opts.width ?? 520;
  const height = opts.height ?? 300;
  const log = (opts.yScale ?? 'log') === 'log';
  const p = chartPalette(opts.theme);
  const plotLeft = MARGIN.left;
  const plotRight = width - MARGIN.right;
  const items = legendLayout(opts.series, plotRight - plotLeft, opts.theme);
  const hasFloor =
    log &&
    opts.series.some((s) => s.values.some((v) => v !== null && Number.isFinite(v) && v <= 0));
  const legendRows =
    (items.length ? Math.max(...items.map((i) => i.row)) + 1 : 0) + (hasFloor ? 1 : 0);
  const plotTop = MARGIN.top;
  const plotBottom = height - MARGIN.bottom - legendRows * LEGEND_ROW;
  const sx = xScaleOf(opts.x, plotLeft + 4, plotRight - 4, opts.xScale === 'log');

  let body = '';
  if (opts.title)
    body += text(plotLeft, 18, opts.title, { size: FONT.title, bold: true, fill: p.ink });
  const range = yRange(opts, log);
  if (range && opts.x.length > 0) {
    const sy = log
      ? logScale(range[0], range[1], [plotBottom, plotTop])
      : linearScale(range[0], range[1], [plotBottom, plotTop]);
    body += yAxis(sy, plotLeft, plotRight, p);
    body += el('g', { transform: `translate(0 ${num(plotBottom + 15)})` }, xTicks(opts, sx, p));
    const m = opts.marker;
    if (m && m.x >= Math.min(...opts.x) && m.x <= Math.max(...opts.x))
      body += markerLine(m, sx, plotTop, plotBottom, plotRight, p);
    opts.series.forEach((s, i) => {
      body += seriesMarks({
        series: s,
        index: i,
        color: items[i].color,
        opts,
        sx,
        sy,
        floorY: plotBottom,
        palette: p,
      });
    });
  } else {
    body += text((plotLeft + plotRight) / 2, (plotTop + plotBottom) / 2, 'no values to plot', {
      anchor: 'middle',
      size: FONT.label,
      fill: p.axis,
    });
  }
  body += el('rect', {
    x: plotLeft,
    y: plotTop,
    width: plotRight - plotLeft,
    height: plotBottom - plotTop,
    fill: 'none',
    stroke: p.axis,
    'stroke-width': 1,
  });
  if (opts.xLabel)
    body += text(
      (plotLeft + plotRight) / 2,
      plotBottom + 32,
      opts.xLabel + (opts.xScale === 'log' ? ' (log scale)' : ''),
      {
        anchor: 'middle',
        size: FONT.label,
        fill: p.ink,
      },
    );
  if (opts.yLabel)
    body += text(14, (plotTop + plotBottom) / 2, opts.yLabel + (log ? ' (log scale)' : ''), {
      anchor: 'middle',
      size: FONT.label,
      rotate: -90,
      fill: p.ink,
    });
  body += legend(items, plotLeft, plotBottom + 50, hasFloor, p);
  return svgRoot(width, height, body, opts.title ?? 'line chart', p.background);
}
