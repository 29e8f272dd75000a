/**
 * THE presentation of numbers, sizes and shapes: the app's cards, tables, tooltips and
 * heatmap, the charts, the PDF report and the CLI all write values through these functions,
 * so the same number reads the same everywhere. The full-precision value travels beside it
 * (the app's `data-value`, the JSON and CSV exports).
 */
import type { MetricKind } from './metric-names.ts';

/** A value that was not computed (no classifier, no test split). */
export const MISSING = '—';

/**
 * Four significant digits, trailing zeros dropped; exponent form outside [1e-3, 1e5) with
 * three (`1.23e−5`); a true minus sign; NaN as `NaN`, a missing value as `—`.
 */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) return MISSING;
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  const text =
    abs < 1e-3 || abs >= 1e5
      ? v.toExponential(2).replace('e+', 'e')
      : String(Number(v.toPrecision(4)));
  return text.replace(/-/g, '−');
}

/** A fraction of samples as a percentage with two decimals ("94.56 %"). */
export function formatPercent(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return formatNumber(v);
  const pct = v * 100;
  // Rounding must not claim perfection: 99.996 % is not "100.00 %".
  if (pct > 99.99 && pct < 100) return '>99.99 %';
  if (pct > 0 && pct < 0.01) return '<0.01 %';
  const text = pct === 100 || pct === 0 ? String(pct) : pct.toFixed(2);
  return `${text.replace('-', '−')} %`;
}

/**
 * A metric as its kind reads: fractions as percentages (or, with `fractions: 'fraction'`, as
 * plain numbers, as the CLI and the PDF tables print them), counts as integers.
 */
export function formatMetric(
  v: number | null | undefined,
  kind: MetricKind | 'count',
  opts: { fractions?: 'percent' | 'fraction' } = {},
): string {
  if (kind === 'fraction')
    return opts.fractions === 'fraction' ? formatNumber(v) : formatPercent(v);
  if (kind === 'count') return v === null || v === undefined ? MISSING : String(v);
  return formatNumber(v);
}

/** Short tick label for chart axes: up to 3 significant digits, trailing zeros dropped. */
export function formatTick(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e5) {
    const [m, e] = x.toExponential(2).split('e');
    return `${String(Number(m))}e${Number(e)}`.replace(/-/g, '−');
  }
  return String(Number(x.toPrecision(3))).replace('-', '−');
}

/**
 * A shape for people: `8000 × 32`, or `scalar`; in the one-line messages of errors and
 * warnings (`style: 'message'`) tighter, to sit inside a sentence: `8000×32`, `a scalar`.
 */
export function formatShape(
  shape: readonly (number | string)[],
  style: 'display' | 'message' = 'display',
): string {
  if (style === 'message') {
    if (shape.length === 0) return 'a scalar';
    // A file may declare thousands of dims: a message names the first few and the count.
    return shape.length > 8
      ? `${shape.slice(0, 8).join('×')}×… (${shape.length} dims)`
      : shape.join('×');
  }
  return shape.length === 0 ? 'scalar' : shape.join(' × ');
}

/** A size in bytes, binary units, never four digits ("1000 KB" reads as "1.0 MB"). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let unit = -1;
  while (v >= 1000 && unit < units.length - 1) {
    v /= 1024;
    unit++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[unit]}`;
}
