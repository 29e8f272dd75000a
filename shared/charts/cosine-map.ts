/**
 * The cosine heatmap for many classes (C > HEATMAP_SVG_CLASSES), for the app's canvas and the
 * report's raster: classes in a clustered order (by angle in the plane of the two leading
 * principal directions of the centred means, so neighbouring rows hold similar classes), cut
 * into at most MAP_BLOCKS runs of consecutive classes, each cell the mean cosine of a block
 * pair. Beyond 512 classes the engine computes this summary (geometry.cosine_summary);
 * up to 512 it is the full matrix, computed here from the means. The colour scale is the
 * SVG heatmap's: diverging, centred at −1/(C−1).
 */
import { etfSceneLarge } from '../geometry.ts';
import type { CosineSummary, MetricsResult } from '../schema.ts';
import { chartPalette, divergingRgb, type ChartTheme } from './palette.ts';

/** Up to this many classes the heatmap is the SVG of heatmap.ts (one rect per pair). */
export const HEATMAP_SVG_CLASSES = 64;
/** Blocks per side of the summary at most (the engine's HEATMAP_CLASSES). */
export const MAP_BLOCKS = 512;
/** Colour steps per side of the scale (as heatmap.ts). */
const LEVELS = 16;

export interface CosineMap {
  c: number;
  /** Class positions in display order. */
  order: number[];
  /** Block b holds order[starts[b] .. starts[b + 1]). */
  starts: number[];
  blocks: number;
  /** blocks×blocks mean cosines, row-major. */
  cos: ArrayLike<number>;
  /** How the order was chosen (the axis says it). */
  ordering: string;
}

export const ORDERING_NOTE =
  'angle in the plane of the two leading principal directions of the centred means';

/** The map of one result: the engine's summary, or the full matrix for C ≤ MAP_BLOCKS. */
export function cosineMap(m: MetricsResult): CosineMap | null {
  const g = m.geometry;
  if (!g || m.c < 2) return null;
  if (g.cosine_summary) return fromSummary(m.c, g.cosine_summary);
  const c = m.c;
  const d = m.d;
  const basis = etfSceneLarge({ means: g.means, globalMean: g.global_mean, c, d }).basis;
  const unit = new Float64Array(c * d);
  const angle = new Float64Array(c);
  for (let k = 0; k < c; k++) {
    let n2 = 0;
    let a = 0;
    let b = 0;
    for (let t = 0; t < d; t++) {
      const v = g.means[k * d + t] - g.global_mean[t];
      unit[k * d + t] = v;
      n2 += v * v;
      a += v * basis[0][t];
      b += v * basis[1][t];
    }
    angle[k] = Math.atan2(b, a);
    const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
    for (let t = 0; t < d; t++) unit[k * d + t] *= inv;
  }
  const order = Array.from({ length: c }, (_, k) => k).sort((x, y) => angle[x] - angle[y]);
  const cos = new Float64Array(c * c);
  for (let i = 0; i < c; i++) {
    const p = order[i] * d;
    cos[i * c + i] = 1;
    for (let j = i + 1; j < c; j++) {
      const q = order[j] * d;
      let s = 0;
      for (let t = 0; t < d; t++) s += unit[p + t] * unit[q + t];
      cos[i * c + j] = s;
      cos[j * c + i] = s;
    }
  }
  return {
    c,
    order,
    starts: Array.from({ length: c + 1 }, (_, i) => i),
    blocks: c,
    cos,
    ordering: ORDERING_NOTE,
  };
}

function fromSummary(c: number, s: CosineSummary): CosineMap {
  return {
    c,
    order: s.order,
    starts: s.starts,
    blocks: s.blocks,
    cos: s.cos,
    ordering: s.ordering,
  };
}

/** Whether every block is one class (the matrix at full resolution). */
export function fullResolution(map: CosineMap): boolean {
  return map.blocks === map.c;
}

export interface MapScale {
  lo: number;
  centre: number;
  hi: number;
}

/** Smallest 1-2-5 × 10^k at or above x. */
function niceCeil(x: number): number {
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  for (const m of [1, 2, 5, 10]) if (m * p >= x * (1 - 1e-9)) return m * p;
  return 10 * p;
}

/**
 * The colour scale: centred at −1/(C−1), half-width the largest distance of an off-diagonal
 * cell from it (rounded up to 1-2-5, at least 0.01), as heatmapSpread does for the SVG.
 */
export function mapScale(map: CosineMap): MapScale {
  const { c, blocks, cos, starts } = map;
  const centre = -1 / (c - 1);
  let worst = 0;
  for (let p = 0; p < blocks; p++)
    for (let q = 0; q < blocks; q++) {
      if (p === q && starts[p + 1] - starts[p] < 2) continue;
      worst = Math.max(worst, Math.abs(cos[p * blocks + q] - centre));
    }
  const spread = Math.min(2, niceCeil(Math.max(worst, 0.01)));
  return { lo: Math.max(-1, centre - spread), centre, hi: Math.min(1, centre + spread) };
}

/** [r, g, b] of a cosine on the scale. */
export function mapColour(v: number, scale: MapScale): number[] {
  return divergingRgb(v, scale.lo, scale.centre, scale.hi, LEVELS);
}

/**
 * The scale's colours and the step of a cosine among them (the same rounding as
 * divergingColor's quantisation): steps 0 … LEVELS below the centre, LEVELS + 1 … 2·LEVELS + 1
 * above it (the centre's colour once on each side).
 */
function colourSteps(scale: MapScale): { palette: number[][]; step: (v: number) => number } {
  const { lo, centre, hi } = scale;
  const palette = [
    ...Array.from({ length: LEVELS + 1 }, (_, i) =>
      mapColour(centre - ((centre - lo) * i) / LEVELS, scale),
    ),
    ...Array.from({ length: LEVELS + 1 }, (_, i) =>
      mapColour(centre + ((hi - centre) * i) / LEVELS, scale),
    ),
  ];
  const step = (v: number): number => {
    if (v <= centre)
      return Math.round((centre > lo ? Math.min(1, (centre - v) / (centre - lo)) : 0) * LEVELS);
    return (
      LEVELS +
      1 +
      Math.round((hi > centre ? Math.min(1, (v - centre) / (hi - centre)) : 0) * LEVELS)
    );
  };
  return { palette, step };
}

/** `mapColour` through a table (a cosine only needs its step among the scale's colours). */
export function colourTable(scale: MapScale): (v: number) => number[] {
  const { palette, step } = colourSteps(scale);
  return (v) => palette[step(v)];
}

/** The diagonal's colour (cos = 1, a class with itself) as [r, g, b]. */
export function diagonalRgb(theme: ChartTheme = 'light'): number[] {
  const hex = chartPalette(theme).blank;
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

/**
 * The map as RGBA pixels, one pixel per block (blocks×blocks) times `factor` on each side
 * (nearest neighbour: a block is a square of factor×factor pixels). Single-class diagonal
 * blocks take the diagonal colour.
 */
export function mapPixels(
  map: CosineMap,
  scale: MapScale,
  factor = 1,
  theme: ChartTheme = 'light',
): Uint8ClampedArray<ArrayBuffer> {
  const { blocks, cos, starts } = map;
  const side = blocks * factor;
  const out = new Uint8ClampedArray(side * side * 4);
  // Whole pixels at once: the palette's RGBA bytes seen as 32-bit words (any byte order).
  const { palette, step } = colourSteps(scale);
  const words = new Uint32Array(
    new Uint8ClampedArray([...palette, diagonalRgb(theme)].flatMap((rgb) => [...rgb, 255])).buffer,
  );
  const diag = words[palette.length];
  const px = new Uint32Array(out.buffer);
  for (let p = 0; p < blocks; p++) {
    const single = starts[p + 1] - starts[p] < 2;
    for (let q = 0; q < blocks; q++) {
      const word = p === q && single ? diag : words[step(cos[p * blocks + q])];
      for (let dy = 0; dy < factor; dy++) {
        const o = (p * factor + dy) * side + q * factor;
        for (let dx = 0; dx < factor; dx++) px[o + dx] = word;
      }
    }
  }
  return out;
}

/** The block holding display position `i` (binary search over `starts`). */
export function blockAt(map: CosineMap, i: number): number {
  let lo = 0;
  let hi = map.blocks - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (map.starts[mid] <= i) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
