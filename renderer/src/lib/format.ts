/** How numbers read in the UI. The full-precision value always sits in `data-value`. */
import type { MetricKind } from '../../../shared/metric-names.ts';

export const MISSING = '—';

/** Four significant digits; scientific notation when that would hide the magnitude. */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) return MISSING;
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  const text = abs < 1e-3 || abs >= 1e5 ? v.toExponential(2) : String(Number(v.toPrecision(4)));
  return text.replace('-', '−');
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

export function formatValue(v: number | null | undefined, kind: MetricKind | 'count'): string {
  if (kind === 'fraction') return formatPercent(v);
  if (kind === 'count') return v === null || v === undefined ? MISSING : String(v);
  return formatNumber(v);
}

/** The `data-value` attribute: the exact number (round-trips through Number), or "null". */
export function dataValue(v: number | null | undefined): string {
  return v === null || v === undefined ? 'null' : String(v);
}

export function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join(' × ');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let unit = -1;
  // Divide on reaching 1000, not 1024, so that a size never shows four digits ("1000 KB").
  while (v >= 1000 && unit < units.length - 1) {
    v /= 1024;
    unit++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[unit]}`;
}
