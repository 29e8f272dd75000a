/**
 * Checks on values, each failing with one line: the file, what was expected, what was found.
 * Features are checked chunk by chunk by the engine's first pass (`assertFinite`), never by a
 * separate scan: that would be an extra full read of a multi-gigabyte file.
 */
import { badInput } from '../../shared/errors.ts';

/** Throws at the first NaN or ±Inf, naming its row (`firstRow` = row of values[0]). */
export function assertFinite(
  values: Float64Array,
  firstRow: number,
  rowSize: number,
  file: string,
  what: string,
): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // v - v is 0 for finite numbers and NaN for NaN and ±Inf: one comparison per value.
    if (v - v !== 0) {
      const row = firstRow + Math.floor(i / Math.max(rowSize, 1));
      const found = Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf';
      throw badInput(file, `finite ${what}`, `${found} at row ${row}`);
    }
  }
}

export interface LabelSummary {
  /** Number of distinct labels. */
  classes: number;
  /** Largest label. */
  max: number;
}

/** Class labels must be integers ≥ 0; training labels need at least two distinct values. */
export function checkLabels(values: Float64Array, file: string, minClasses = 2): LabelSummary {
  const seen = new Set<number>();
  let max = -1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v)) throw badInput(file, 'integer class labels', `${v} at row ${i}`);
    if (v < 0) throw badInput(file, 'class labels ≥ 0', `${v} at row ${i}`);
    seen.add(v);
    if (v > max) max = v;
  }
  if (seen.size < minClasses) {
    const found =
      seen.size === 0 ? 'no labels' : `a single class (${max}) in ${values.length} labels`;
    throw badInput(file, 'at least 2 classes (NC metrics compare classes)', found);
  }
  return { classes: seen.size, max };
}
