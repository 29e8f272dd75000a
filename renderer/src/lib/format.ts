/** How numbers read in the UI: shared/format.ts. The full-precision value sits in `data-value`. */
export {
  MISSING,
  formatBytes,
  formatMetric as formatValue,
  formatNumber,
  formatPercent,
  formatShape,
} from '../../../shared/format.ts';

/** The `data-value` attribute: the exact number (round-trips through Number), or "null". */
export function dataValue(v: number | null | undefined): string {
  return v === null || v === undefined ? 'null' : String(v);
}
