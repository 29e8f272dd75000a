import { ITEM_BYTES, product } from './decode.ts';
import type { ArraySource, DType } from './types.ts';

/**
 * An ArraySource over data already in memory: arrays computed by NC Lens itself (ONNX
 * features, synthetic test data). `data` is C-order; values are returned as float64.
 */
export function memoryArray(
  name: string,
  shape: number[],
  data: ArrayLike<number>,
  dtype: DType = 'f8',
  file = `<memory:${name}>`,
): ArraySource {
  const rows = shape.length === 0 ? 1 : shape[0];
  const rowSize = product(shape.slice(1));
  if (rows * rowSize !== data.length) {
    throw new Error(
      `memoryArray ${name}: shape ${shape.join('×')} does not match ${data.length} values`,
    );
  }
  return {
    name,
    file,
    dtype,
    shape: [...shape],
    bytes: data.length * ITEM_BYTES[dtype],
    rows,
    rowSize,
    async readRows(start: number, end: number): Promise<Float64Array> {
      const s = Math.max(0, Math.min(start, rows));
      const e = Math.max(s, Math.min(end, rows));
      const out = new Float64Array((e - s) * rowSize);
      for (let i = 0; i < out.length; i++) out[i] = data[s * rowSize + i];
      return out;
    },
  };
}
