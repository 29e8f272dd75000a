/**
 * Checks on values, each failing with one line: the file, what was expected, what was found.
 * Features are checked chunk by chunk by the engine's first pass (`assertFinite`), never by a
 * separate scan: that would be an extra full read of a multi-gigabyte file.
 */
import { badInput } from '../../shared/errors.ts';
import type { ArraySource } from './types.ts';

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

/** Rows of labels read at a time: labels are streamed like features, never read whole. */
const LABEL_CHUNK = 1 << 16;

/** Labels as kept in memory: the narrowest integer array that holds every value. */
export type LabelValues = Uint8Array | Uint16Array | Int32Array;

export interface CheckedLabels {
  values: LabelValues;
  /** Largest label. */
  max: number;
}

/**
 * Reads class labels in chunks and checks them (integers in 0..2^31−1; training labels need at
 * least two distinct values), keeping them compact: a header may honestly declare 128 M
 * labels, which as float64 would be a gigabyte for what fits in 128 MB of bytes.
 */
export async function readLabelValues(
  a: ArraySource,
  file: string,
  minClasses = 2,
): Promise<CheckedLabels> {
  const n = a.rows * a.rowSize;
  let values: LabelValues = new Uint8Array(n);
  let max = -1;
  let other: number | undefined;
  for (let s = 0; s < a.rows; s += LABEL_CHUNK) {
    const chunk = await a.readRows(s, Math.min(a.rows, s + LABEL_CHUNK));
    const base = s * a.rowSize;
    for (let i = 0; i < chunk.length; i++) {
      const v = chunk[i];
      if (!Number.isInteger(v))
        throw badInput(file, 'integer class labels', `${v} at row ${s + i}`);
      if (v < 0) throw badInput(file, 'class labels ≥ 0', `${v} at row ${s + i}`);
      if (v > 0x7fffffff) throw badInput(file, 'class labels below 2^31', `${v} at row ${s + i}`);
      if (v > max) {
        if (max >= 0) other = max;
        max = v;
        values = widened(values, max);
      } else if (v !== max && other === undefined) other = v;
    }
    values.set(chunk, base);
  }
  const classes = max < 0 ? 0 : other === undefined ? 1 : 2;
  if (classes < minClasses) {
    const found = classes === 0 ? 'no labels' : `a single class (${max}) in ${n} labels`;
    throw badInput(file, 'at least 2 classes (NC metrics compare classes)', found);
  }
  return { values, max };
}

/** `values` in an array wide enough for `max` (a copy when it must grow). */
function widened(values: LabelValues, max: number): LabelValues {
  if (max < 0x100 || (max < 0x10000 && !(values instanceof Uint8Array))) return values;
  if (values instanceof Int32Array) return values;
  const wider = max < 0x10000 ? new Uint16Array(values.length) : new Int32Array(values.length);
  wider.set(values);
  return wider;
}
