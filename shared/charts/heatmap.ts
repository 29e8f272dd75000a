import { formatTick, formatValue } from './format.ts';
import { divergingColor } from './palette.ts';
import { AXIS, FONT, el, num, svgRoot, text } from './svg.ts';

export interface HeatmapOptions {
  /** C×C cosines (rows of `cosineMatrix` in shared/geometry.ts). */
  values: number[][];
  /** Class names in order (length C). */
  labels: string[];
  title?: string;
  /** Side of the whole square chart incl. labels and legend; default 520 wide. */
  width?: number;
}

/** Class-label positions to print: all when they fit in `cell` px, else an even stride. */
function labelStride(cell: number, size: number): number {
  return Math.max(1, Math.ceil((size + 2) / cell));
}

const LEGEND_W = 150;
/** Colour steps per side of the scale: enough to read, few enough that cells group by colour. */
const LEVELS = 16;
const DIAGONAL = '#d0d0d0';

function legendBar(x: number, y: number, h: number, centre: number): string {
  const steps = 64;
  let out = '';
  const at = (v: number) => y + h - ((v + 1) / 2) * h;
  for (let i = 0; i < steps; i++) {
    const v0 = -1 + (2 * i) / steps;
    const v1 = -1 + (2 * (i + 1)) / steps;
    out += el('rect', {
      x,
      y: at(v1),
      width: 14,
      height: at(v0) - at(v1) + 0.3,
      fill: divergingColor((v0 + v1) / 2, -1, centre, 1, LEVELS),
    });
  }
  out += el('rect', {
    x,
    y,
    width: 14,
    height: h,
    fill: 'none',
    stroke: AXIS,
    'stroke-width': 0.8,
  });
  const ticks = [1, 0, -1];
  for (const t of ticks) {
    if (Math.abs(at(t) - at(centre)) < 10) continue;
    out += el('line', { x1: x + 14, x2: x + 18, y1: at(t), y2: at(t), stroke: AXIS });
    out += text(x + 20, at(t) + 3.5, formatTick(t), { size: FONT.tick, fill: AXIS });
  }
  out += el('line', {
    x1: x - 3,
    x2: x + 18,
    y1: at(centre),
    y2: at(centre),
    stroke: '#000000',
    'stroke-width': 1.2,
  });
  out += text(x + 20, at(centre) + 3.5, `−1/(C−1) = ${formatValue(centre)}`, {
    size: FONT.tick,
    bold: true,
  });
  return out;
}

export interface HeatmapLayout {
  c: number;
  width: number;
  height: number;
  /** Top-left corner of the grid and the side of one cell, in SVG units. */
  x0: number;
  y0: number;
  cell: number;
}

export function heatmapLayout(
  opts: Pick<HeatmapOptions, 'labels' | 'title' | 'width'>,
): HeatmapLayout {
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

/** The pair (i, j) under SVG point (x, y), for hover in the app; null outside the grid. */
export function heatmapCellAt(
  layout: HeatmapLayout,
  x: number,
  y: number,
): { i: number; j: number } | null {
  const j = Math.floor((x - layout.x0) / layout.cell);
  const i = Math.floor((y - layout.y0) / layout.cell);
  return i >= 0 && j >= 0 && i < layout.c && j < layout.c ? { i, j } : null;
}

/**
 * The grid as one path per colour (runs of equal colour within a row merged): C = 100 gives
 * 10 000 cells but only about a hundred elements, which keeps the SVG small in the app and
 * fast to draw into the PDF.
 */
function cellPaths(values: number[][], layout: HeatmapLayout, centre: number): string {
  const { c, x0, y0, cell } = layout;
  const colorAt = (i: number, j: number) =>
    i === j ? DIAGONAL : divergingColor(values[i][j], -1, centre, 1, LEVELS);
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
 * apart than ideal, red pairs closer. The grid group carries `data-x0`, `data-y0`, `data-cell`
 * and `data-c`; map a pointer to its pair with `heatmapCellAt(heatmapLayout(opts), x, y)`.
 */
export function heatmap(opts: HeatmapOptions): string {
  const layout = heatmapLayout(opts);
  const { c, width, height, x0, y0, cell } = layout;
  const side = cell * c;
  const centre = c > 1 ? -1 / (c - 1) : 0;
  let body = opts.title ? text(4, 18, opts.title, { size: FONT.title, bold: true }) : '';
  body += el(
    'g',
    { 'data-role': 'cells', 'data-x0': x0, 'data-y0': y0, 'data-cell': cell, 'data-c': c },
    cellPaths(opts.values, layout, centre),
  );
  body += el('rect', {
    x: x0,
    y: y0,
    width: side,
    height: side,
    fill: 'none',
    stroke: AXIS,
    'stroke-width': 0.8,
  });

  const size = Math.min(FONT.tick, Math.max(6, cell * 0.8));
  const stride = labelStride(cell, size);
  for (let k = 0; k < c; k += stride) {
    const mid = (k + 0.5) * cell;
    body += text(x0 - 4, y0 + mid + size * 0.35, opts.labels[k], {
      size,
      anchor: 'end',
      fill: AXIS,
    });
    body += text(x0 + mid + size * 0.35, y0 - 4, opts.labels[k], { size, rotate: -90, fill: AXIS });
  }
  body += legendBar(x0 + side + 16, y0, Math.min(side, 220), centre);
  body += text(x0 + side + 16, y0 + Math.min(side, 220) + 22, 'diagonal (cos = 1) in grey', {
    size: FONT.note,
    fill: AXIS,
  });
  return svgRoot(width, height, body, opts.title ?? 'cosine heatmap');
}
