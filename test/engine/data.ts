/** In-memory datasets for engine tests. */
import { memoryArray } from '../../main/io/memory.ts';
import type { Dataset, Split } from '../../main/io/types.ts';

export interface Rows {
  h: number[][];
  y: number[];
}

function split({ h, y }: Rows, prefix = ''): Split {
  return {
    features: memoryArray(`${prefix}features`, [h.length, h[0].length], h.flat()),
    labels: memoryArray(`${prefix}labels`, [y.length], y, 'i8'),
  };
}

export function memoryDataset(
  train: Rows,
  opts: { w?: number[][]; b?: number[]; test?: Rows } = {},
): Dataset {
  return {
    train: split(train),
    test: opts.test ? split(opts.test, 'test_') : undefined,
    weight: opts.w
      ? { rows: opts.w.length, cols: opts.w[0].length, data: Float64Array.from(opts.w.flat()) }
      : undefined,
    bias: opts.b ? Float64Array.from(opts.b) : undefined,
    roles: {},
    warnings: [],
  };
}
