import { formatNumber as formatValue, formatTick } from '../format.ts';
import { chartPalette, type ChartTheme } from './palette.ts';
import { linearTicks } from './scale.ts';
import { FONT, el, svgRoot, text } from './svg.ts';

export interface HistogramOptions {
  values: number[];
  title?: string;
  xLabel?: string;
  /** Number of bins; default about 2√n, between 5 and 30. */
  bins?: number;
  color?: string;
  /** What to say when there are no values (default "no values"). */
  emptyNote?: string;
  width?: number;
  height?: number;
  /** Default 'light' (the report's); 'dark' for the app's dark theme. */
  theme?: ChartTheme;
}

export interface Bin {
  lo: number;
  hi: number;
  count: number;
}

/** Equal-width bins over [min, max] (widened when all values are equal). */
export function binValues(values: number[], bins: number): Bin[] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!(hi > lo)) {
    const pad = lo === 0 ? 0.5 : Math.abs(lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  const w = (hi - lo) / bins;
  const out: Bin[] = Array.from({ length: bins }, (_, i) => ({
    lo: lo + i * w,
    hi: lo + (i + 1) * w,
    count: 0,
  }));
  for (const v of values) out[Math.min(bins - 1, Math.floor((v - lo) / w))].count++;
  return out;
}

function meanAndStd(values: number[]): [number, number] {
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  const v = values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length;
  return [m, Math.sqrt(v)];
}

/**
 * Histogram of per-class values (norms of class means, of classifier rows). The mean is marked
 * and the coefficient of variation std/mean (the equinorm metric) printed, since equal norms
 * (one tall bar) is what NC2 predicts. Bars carry `data-bin`, `data-count`, `data-lo`, `data-hi`.
 */
export function histogram(opts: HistogramOptions): string {
  const width = opts.width ?? 300;
  const height = opts.height ?? 230;
  const left = 44;
  const right = width - 14;
  const top = opts.title ? 44 : 24;
  const bottom = height - 40;
  const p = chartPalette(opts.theme);
  let body = opts.title
    ? text(left, 18, opts.title, { size: FONT.title, bold: true, fill: p.ink })
    : '';
  const values = opts.values.filter((v) => Number.isFinite(v));
  if (values.length === 0) {
    body += text((left + right) / 2, (top + bottom) / 2, opts.emptyNote ?? 'no values', {
      anchor: 'middle',
      size: FONT.label,
      fill: p.axis,
    });
    return svgRoot(width, height, body, opts.title ?? 'histogram', p.background);
  }
  const nBins = opts.bins ?? Math.min(30, Math.max(5, Math.round(2 * Math.sqrt(values.length))));
  const bins = binValues(values, nBins);
  const x0 = bins[0].lo;
  const x1 = bins[bins.length - 1].hi;
  const sx = (v: number) => left + ((v - x0) / (x1 - x0)) * (right - left);
  const maxCount = Math.max(...bins.map((b) => b.count));
  const yTicks = linearTicks(0, maxCount, 4).filter((t) => Number.isInteger(t));
  const yTop = yTicks[yTicks.length - 1];
  const sy = (c: number) => bottom - (c / yTop) * (bottom - top);

  for (const t of yTicks) {
    body += el('line', { x1: left, x2: right, y1: sy(t), y2: sy(t), stroke: p.grid });
    body += text(left - 5, sy(t) + 3.5, String(t), {
      anchor: 'end',
      size: FONT.tick,
      fill: p.axis,
    });
  }
  const color = opts.color ?? '#4c78a8';
  bins.forEach((b, i) => {
    if (b.count === 0) return;
    body += el('rect', {
      x: sx(b.lo) + 0.5,
      y: sy(b.count),
      width: Math.max(0.5, sx(b.hi) - sx(b.lo) - 1),
      height: bottom - sy(b.count),
      fill: color,
      'data-bin': i,
      'data-count': b.count,
      'data-lo': b.lo,
      'data-hi': b.hi,
    });
  });
  for (const t of linearTicks(x0, x1, 5)) {
    if (t < x0 - 1e-12 || t > x1 + 1e-12) continue;
    body += el('line', { x1: sx(t), x2: sx(t), y1: bottom, y2: bottom + 4, stroke: p.axis });
    body += text(sx(t), bottom + 15, formatTick(t), {
      anchor: 'middle',
      size: FONT.tick,
      fill: p.axis,
    });
  }
  body += el('line', { x1: left, x2: right, y1: bottom, y2: bottom, stroke: p.axis });
  const [m, s] = meanAndStd(values);
  body += el('line', {
    x1: sx(m),
    x2: sx(m),
    y1: top - 4,
    y2: bottom,
    stroke: p.ink,
    'stroke-dasharray': '4 3',
  });
  const note = `mean ${formatValue(m)} · std/mean ${formatValue(m !== 0 ? s / m : NaN)}`;
  body += text(right, top - 8, note, { anchor: 'end', size: FONT.note, fill: p.axis });
  if (opts.xLabel)
    body += text((left + right) / 2, bottom + 32, opts.xLabel, {
      anchor: 'middle',
      size: FONT.label,
      fill: p.ink,
    });
  return svgRoot(width, height, body, opts.title ?? 'histogram', p.background);
}
