import { formatNumber as formatValue, formatTick } from '../format.ts';
import { chartPalette, divergingColor, type ChartPalette, type ChartTheme } from './palette.ts';
import { FONT, el, num, svgRoot, text } from './svg.ts';

export interface HeatmapOptions {
  /** C×C cosines (rows of `cosineMatrix` in shared/geometry.ts). */
  values: number[][];
  /** Class names in order (length C). */
  labels: string[];
  title?: string;
  /** Side of the whole square chart incl. labels and legend; default 520 wide. */
  width?: number;
  /**
   * Half-width of the colour scale around −1/(C−1); default `heatmapSpread(values)`. Pass the
   * largest spread over a series to keep colours comparable between epochs.
   */
  spread?: number;
  /**
   * true (default): one rect per cell with `data-i`, `data-j`, `data-value`, for hover in the
   * app. false: cells of one colour merged into one path, a fraction of the size, for print.
   */
  interactive?: boolean;
  /** Default 'light' (the report's); 'dark' for the app's dark theme. */
  theme?: ChartTheme;
  /**
   * Selected class positions: their rows and columns outlined, every other cell veiled (the
   * app's class selection, issue 16).
   */
  highlight?: number[];
}

/** The veil over cells outside the selected rows and columns, and their outlines. */
function highlightMarks(layout: HeatmapLayout, chosen: number[], p: ChartPalette): string {
  const { c, x0, y0, cell } = layout;
  const on = new Set(chosen.filter((k) => k >= 0 && k < c));
  if (on.size === 0) return '';
  // Veil: every cell (i, j) with neither i nor j selected, as runs of columns per row.
  const runs: string[] = [];
  const cols: [number, number][] = [];
  let j = 0;
  while (j < c) {
    if (on.has(j)) {
      j++;
      continue;
    }
    let end = j + 1;
    while (end < c && !on.has(end)) end++;
    cols.push([j, end]);
    j = end;
  }
  for (let i = 0; i < c; i++) {
    if (on.has(i)) continue;
    for (const [a, b] of cols)
      runs.push(
        `M${num(x0 + a * cell)} ${num(y0 + i * cell)}h${num((b - a) * cell)}v${num(cell)}h${num(-(b - a) * cell)}z`,
      );
  }
  let out = el('path', {
    d: runs.join(''),
    fill: p.background,
    'fill-opacity': 0.72,
    'data-role': 'veil',
  });
  const side = cell * c;
  for (const k of on) {
    const at = { fill: 'none', stroke: p.emphasis, 'stroke-width': 1.4, 'data-role': 'chosen' };
    out += el('rect', { ...at, x: x0, y: y0 + k * cell, width: side, height: cell });
    out += el('rect', { ...at, x: x0 + k * cell, y: y0, width: cell, height: side });
  }
  // The veil takes no pointer events: hover and clicks reach the cells beneath.
  return el('g', { 'pointer-events': 'none', 'data-highlight': [...on].join(',') }, out);
}

/** The scale around the centre: [lo, hi] within [−1, 1]; the diagonal has a colour of its own. */
interface ColourScale {
  lo: number;
  centre: number;
  hi: number;
  diagonal: string;
}

/** Smallest 1-2-5 × 10^k at or above x. */
function niceCeil(x: number): number {
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  for (const m of [1, 2, 5, 10]) if (m * p >= x * (1 - 1e-9)) return m * p;
  return 10 * p;
}

/**
 * Default half-width of the colour scale: the largest off-diagonal distance from −1/(C−1),
 * rounded up to 1-2-5 (at least 0.01). Scaling to the data, not to [−1, 1], keeps small
 * departures from the simplex visible when C is large and every cosine sits near 0.
 */
export function heatmapSpread(values: number[][]): number {
  const c = values.length;
  const centre = c > 1 ? -1 / (c - 1) : 0;
  let worst = 0;
  for (let i = 0; i < c; i++)
    for (let j = 0; j < c; j++)
      if (i !== j) worst = Math.max(worst, Math.abs(values[i][j] - centre));
  return Math.min(2, niceCeil(Math.max(worst, 0.01)));
}

/** Class-label positions to print: all when they fit in `cell` px, else an even stride. */
function labelStride(cell: number, size: number): number {
  return Math.max(1, Math.ceil((size + 2) / cell));
}

const LEGEND_W = 150;
/** Colour steps per side of the scale: enough to read, few enough that cells group by colour. */
const LEVELS = 16;

function legendBar(x: number, y: number, h: number, scale: ColourScale, p: ChartPalette): string {
  const { lo, centre, hi } = scale;
  const steps = 2 * LEVELS;
  let out = '';
  const at = (v: number) => y + h - ((v - lo) / (hi - lo)) * h;
  for (let i = 0; i < steps; i++) {
    const v0 = lo + ((hi - lo) * i) / steps;
    const v1 = lo + ((hi - lo) * (i + 1)) / steps;
    out += el('rect', {
      x,
      y: at(v1),
      width: 14,
      height: at(v0) - at(v1) + 0.3,
      fill: divergingColor((v0 + v1) / 2, lo, centre, hi, LEVELS),
    });
  }
  out += el('rect', {
    x,
    y,
    width: 14,
    height: h,
    fill: 'none',
    stroke: p.axis,
    'stroke-width': 0.8,
  });
  for (const t of [hi, 0, lo]) {
    if (t < lo || t > hi || Math.abs(at(t) - at(centre)) < 12) continue;
    out += el('line', { x1: x + 14, x2: x + 18, y1: at(t), y2: at(t), stroke: p.axis });
    out += text(x + 20, at(t) + 3.5, formatTick(Number(t.toPrecision(3))), {
      size: FONT.tick,
      fill: p.axis,
    });
  }
  out += el('line', {
    x1: x - 3,
    x2: x + 18,
    y1: at(centre),
    y2: at(centre),
    stroke: p.emphasis,
    'stroke-width': 1.2,
  });
  out += text(x + 20, at(centre) + 3.5, `−1/(C−1) = ${formatValue(centre)}`, {
    size: FONT.tick,
    bold: true,
    fill: p.ink,
  });
  return out;
}

interface HeatmapLayout {
  c: number;
  width: number;
  height: number;
  /** Top-left corner of the grid and the side of one cell, in SVG units. */
  x0: number;
  y0: number;
  cell: number;
}

function heatmapLayout(opts: Pick<HeatmapOptions, 'labels' | 'title' | 'width'>): HeatmapLayout {
  const c = opts.labels.length;
  const width = opts.width ?? 520;
  const labelW = c <= 40 ? 34 : 28;
  const top = opts.title ? 30 : 8;
  const side = width - LEGEND_W - labelW - 8;
  return {
    c,
    width,
    height: top + labelW + side + 8,
    x0: labelW,
    y0: top + labelW,
    cell: c > 0 ? side / c : side,
  };
}

function colourOf(values: number[][], scale: ColourScale): (i: number, j: number) => string {
  return (i, j) =>
    i === j
      ? scale.diagonal
      : divergingColor(values[i][j], scale.lo, scale.centre, scale.hi, LEVELS);
}

/** One rect per cell, carrying the pair and its exact cosine. */
function cellRects(values: number[][], layout: HeatmapLayout, scale: ColourScale): string {
  const { c, x0, y0, cell } = layout;
  const colorAt = colourOf(values, scale);
  let out = '';
  for (let i = 0; i < c; i++)
    for (let j = 0; j < c; j++)
      out += el('rect', {
        x: x0 + j * cell,
        y: y0 + i * cell,
        width: cell + 0.25,
        height: cell + 0.25,
        fill: colorAt(i, j),
        'data-i': i,
        'data-j': j,
        'data-value': values[i][j],
      });
  return out;
}

/**
 * The grid as one path per colour (runs of equal colour within a row merged): at C = 100 the
 * 10 000 cells become a few dozen elements, which svg-to-pdfkit draws several times faster.
 */
function cellPaths(values: number[][], layout: HeatmapLayout, scale: ColourScale): string {
  const { c, x0, y0, cell } = layout;
  const colorAt = colourOf(values, scale);
  const byColor = new Map<string, string[]>();
  for (let i = 0; i < c; i++) {
    let j = 0;
    while (j < c) {
      const color = colorAt(i, j);
      let end = j + 1;
      while (end < c && colorAt(i, end) === color) end++;
      const runs = byColor.get(color) ?? [];
      runs.push(
        `M${num(x0 + j * cell)} ${num(y0 + i * cell)}h${num((end - j) * cell + 0.25)}v${num(cell + 0.25)}h${num(-((end - j) * cell + 0.25))}z`,
      );
      byColor.set(color, runs);
      j = end;
    }
  }
  return [...byColor.entries()]
    .map(([fill, runs]) => el('path', { d: runs.join(''), fill }))
    .join('');
}

/**
 * Pairwise cosines of centred class means as a C×C grid. The diverging scale is centred at the
 * simplex-ETF value −1/(C−1): white cells are pairs at the ideal angle, blue pairs are further
 * apart than ideal, red pairs closer.
 */
export function heatmap(opts: HeatmapOptions): string {
  const layout = heatmapLayout(opts);
  const { c, width, height, x0, y0, cell } = layout;
  const side = cell * c;
  const centre = c > 1 ? -1 / (c - 1) : 0;
  const spread = opts.spread ?? heatmapSpread(opts.values);
  const p = chartPalette(opts.theme);
  const scale = {
    lo: Math.max(-1, centre - spread),
    centre,
    hi: Math.min(1, centre + spread),
    diagonal: p.blank,
  };
  let body = opts.title
    ? text(4, 18, opts.title, { size: FONT.title, bold: true, fill: p.ink })
    : '';
  const cells = (opts.interactive ?? true) ? cellRects : cellPaths;
  body += el('g', { 'data-role': 'cells' }, cells(opts.values, layout, scale));
  if (opts.highlight?.length) body += highlightMarks(layout, opts.highlight, p);
  body += el('rect', {
    x: x0,
    y: y0,
    width: side,
    height: side,
    fill: 'none',
    stroke: p.axis,
    'stroke-width': 0.8,
  });

  const size = Math.min(FONT.tick, Math.max(6, cell * 0.8));
  const stride = labelStride(cell, size);
  for (let k = 0; k < c; k += stride) {
    const mid = (k + 0.5) * cell;
    body += text(x0 - 4, y0 + mid + size * 0.35, opts.labels[k], {
      size,
      anchor: 'end',
      fill: p.axis,
    });
    body += text(x0 + mid + size * 0.35, y0 - 4, opts.labels[k], {
      size,
      rotate: -90,
      fill: p.axis,
    });
  }
  body += legendBar(x0 + side + 16, y0, Math.min(side, 220), scale, p);
  body += text(x0 + side + 16, y0 + Math.min(side, 220) + 22, 'diagonal (cos = 1) in grey', {
    size: FONT.note,
    fill: p.axis,
  });
  return svgRoot(width, height, body, opts.title ?? 'cosine heatmap', p.background);
}

/**
 * The heatmap's colour bar alone (for the report's raster map of many classes): the scale
 * [lo, hi] with −1/(C−1) marked.
 */
export function heatmapLegend(
  scale: { lo: number; centre: number; hi: number },
  opts: { height?: number; theme?: ChartTheme } = {},
): string {
  const p = chartPalette(opts.theme);
  const h = opts.height ?? 220;
  const body =
    legendBar(4, 8, h, { ...scale, diagonal: p.blank }, p) +
    text(4, h + 28, 'diagonal (cos = 1) in grey', { size: FONT.note, fill: p.axis });
  return svgRoot(LEGEND_W, h + 36, body, 'cosine colour scale', p.background);
}
