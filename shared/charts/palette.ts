/**
 * Colours. Series lines use a qualitative palette (Okabe–Ito, safe for colour-blind readers);
 * classes cycle a perceptual palette (Tableau 10, then the same hues darker and lighter) so
 * C = 10 never clashes and C = 100 still separates neighbours; the heatmap uses a diverging
 * blue–white–red ramp.
 */
const SERIES_COLORS = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#000000',
  '#F0E442',
];

const CLASS_BASE = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];

function hex(rgb: number[]): string {
  return (
    '#' +
    rgb
      .map((v) =>
        Math.round(Math.min(255, Math.max(0, v)))
          .toString(16)
          .padStart(2, '0'),
      )
      .join('')
  );
}

/** The class colours, one per position modulo 30 (computed once: views colour 10⁴ classes). */
const CLASS_COLORS = Array.from({ length: CLASS_BASE.length * 3 }, (_, k) => {
  const base = CLASS_BASE[k % CLASS_BASE.length];
  const round = Math.floor(k / CLASS_BASE.length);
  const shade =
    round === 0
      ? base
      : round === 1
        ? base.map((v) => v * 0.65)
        : base.map((v) => v + (255 - v) * 0.45);
  return hex(shade);
});

/** Colour of class position k: Tableau 10, cycled through darker and lighter shades. */
export function classColor(k: number): string {
  return CLASS_COLORS[k % CLASS_COLORS.length];
}

/**
 * Which card the charts are drawn on: 'light' for the PDF report and the app's light theme,
 * 'dark' for the app when the OS prefers dark. Data colours (series, classes, the diverging
 * ramp) are the same in both so a picture means the same everywhere; only the chrome changes.
 */
export type ChartTheme = 'light' | 'dark';

/** The chart chrome: everything that is not data. */
export interface ChartPalette {
  /** The card behind the chart; also the fill of hollow points, so they read as hollow. */
  background: string;
  /** Titles, legends, axis labels. */
  ink: string;
  /** Frame, ticks, tick labels, notes. */
  axis: string;
  /** Grid lines inside the plot. */
  grid: string;
  /** Reference lines that should recede (the terminal-phase marker). */
  guide: string;
  /** Reference lines that must stand out from any data colour (the −1/(C−1) mark). */
  emphasis: string;
  /** Cells with no information (the heatmap diagonal). */
  blank: string;
}

const LIGHT: ChartPalette = {
  background: '#ffffff',
  ink: '#222222',
  axis: '#555555',
  grid: '#e3e3e3',
  guide: '#7a7a7a',
  emphasis: '#000000',
  blank: '#d0d0d0',
};

/** Matches the app's dark surface and text colours (renderer/src/styles/app.css). */
const DARK: ChartPalette = {
  background: '#1a1e24',
  ink: '#e6e9ee',
  axis: '#9aa4b2',
  grid: '#2c323b',
  guide: '#8a93a0',
  // White would vanish where it crosses the white middle of the legend bar; amber reads on both.
  emphasis: '#fbbf24',
  blank: '#4a515c',
};

export function chartPalette(theme: ChartTheme = 'light'): ChartPalette {
  return theme === 'dark' ? DARK : LIGHT;
}

/** Colour of series i; on a dark card the palette's black becomes a light grey. */
export function seriesColor(i: number, theme: ChartTheme = 'light'): string {
  const c = SERIES_COLORS[i % SERIES_COLORS.length];
  return theme === 'dark' && c === '#000000' ? '#d0d4da' : c;
}

const BLUE = [33, 102, 172];
const WHITE = [247, 247, 247];
const RED = [178, 24, 43];

function mix(a: number[], b: number[], t: number): number[] {
  return a.map((v, i) => v + (b[i] - v) * t);
}

/**
 * Diverging colour for value v in [lo, hi] with white at `centre`: blue below, red above.
 * Each side is scaled on its own, so the ideal value is white whatever its position.
 */
export function divergingColor(
  v: number,
  lo: number,
  centre: number,
  hi: number,
  levels?: number,
): string {
  return hex(divergingRgb(v, lo, centre, hi, levels));
}

/** `divergingColor` as [r, g, b] in 0..255 (for rasters). */
export function divergingRgb(
  v: number,
  lo: number,
  centre: number,
  hi: number,
  levels?: number,
): number[] {
  const below = v <= centre;
  let t = below
    ? centre > lo
      ? Math.min(1, (centre - v) / (centre - lo))
      : 0
    : hi > centre
      ? Math.min(1, (v - centre) / (hi - centre))
      : 0;
  // Optional quantisation into `levels` steps per side, so equal-looking cells share a colour.
  if (levels) t = Math.round(t * levels) / levels;
  return mix(WHITE, below ? BLUE : RED, t);
}
