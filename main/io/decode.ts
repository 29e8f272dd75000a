import { badInput, cancelled } from '../../shared/errors.ts';
import type { ByteSource } from './bytes.ts';
import type { ArraySource, DType } from './types.ts';

export const ITEM_BYTES: Record<DType, number> = {
  f2: 2,
  bf16: 2,
  f4: 4,
  f8: 8,
  i1: 1,
  i2: 2,
  i4: 4,
  i8: 8,
  u1: 1,
  u2: 2,
  u4: 4,
  u8: 8,
  b1: 1,
};

export const INTEGRAL: ReadonlySet<DType> = new Set([
  'i1',
  'i2',
  'i4',
  'i8',
  'u1',
  'u2',
  'u4',
  'u8',
  'b1',
]);

export function product(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** bfloat16 (the top half of a float32, as PyTorch and JAX store it) → float32 values, exactly. */
function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const wide = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) wide[i] = bits[i] << 16;
  return new Float32Array(wide.buffer);
}

const BF16_SCRATCH = new Uint32Array(1);
const BF16_FLOAT = new Float32Array(BF16_SCRATCH.buffer);

/** One bfloat16 given by its bits → number (exact). */
export function bfloat16ToNumber(bits: number): number {
  BF16_SCRATCH[0] = (bits & 0xffff) << 16;
  return BF16_FLOAT[0];
}

/** IEEE 754 binary16 → number. Every half is exactly representable as a double. */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Where decoded values came from, so an out-of-range int64 can be reported by row. */
export interface DecodeContext {
  file: string;
  name: string;
  firstRow: number;
  rowSize: number;
}

/**
 * Stored bytes → float64 values. Takes ownership of `bytes` (byte-swaps in place). Typed-array
 * views are used whenever the layout allows: this loop is what the loader benchmark measures.
 */
function decodeValues(
  bytes: Uint8Array,
  dtype: DType,
  littleEndian: boolean,
  ctx: DecodeContext,
): Float64Array {
  const item = ITEM_BYTES[dtype];
  const count = Math.floor(bytes.length / item);
  if (item > 1 && littleEndian !== LITTLE_ENDIAN_HOST) swapInPlace(bytes, item);
  const aligned = bytes.byteOffset % item === 0 ? bytes : bytes.slice();
  const buf = aligned.buffer;
  const off = aligned.byteOffset;
  switch (dtype) {
    case 'f8':
      return new Float64Array(new Float64Array(buf, off, count));
    case 'f4':
      return widen(new Float32Array(buf, off, count));
    case 'f2':
      return Float64Array.from(new Uint16Array(buf, off, count), halfToNumber);
    case 'bf16':
      return widen(bfloat16ToFloat32(new Uint16Array(buf, off, count)));
    case 'i1':
      return widen(new Int8Array(buf, off, count));
    case 'i2':
      return widen(new Int16Array(buf, off, count));
    case 'i4':
      return widen(new Int32Array(buf, off, count));
    case 'u1':
      return widen(new Uint8Array(buf, off, count));
    case 'u2':
      return widen(new Uint16Array(buf, off, count));
    case 'u4':
      return widen(new Uint32Array(buf, off, count));
    case 'b1':
      return Float64Array.from(new Uint8Array(buf, off, count), (v) => (v ? 1 : 0));
    case 'i8':
      return safeIntegers(new BigInt64Array(buf, off, count), ctx);
    case 'u8':
      return safeIntegers(new BigUint64Array(buf, off, count), ctx);
  }
}

/** TypedArray.set converts element types natively: far faster than a JS loop or `from`. */
function widen(view: ArrayLike<number>): Float64Array {
  const out = new Float64Array(view.length);
  out.set(view);
  return out;
}

function swapInPlace(bytes: Uint8Array, item: number): void {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length - (bytes.length % item));
  if (item === 2) b.swap16();
  else if (item === 4) b.swap32();
  else b.swap64();
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** int64 values a double cannot hold exactly would silently merge classes: refuse them. */
function safeIntegers(values: BigInt64Array | BigUint64Array, ctx: DecodeContext): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v > SAFE || v < -SAFE) {
      const row = ctx.firstRow + Math.floor(i / ctx.rowSize);
      throw badInput(ctx.file, `${ctx.name}: integers within ±2^53`, `${v} at row ${row}`);
    }
    out[i] = Number(v);
  }
  return out;
}

export interface RawLayout {
  name: string;
  file: string;
  dtype: DType;
  shape: number[];
  littleEndian: boolean;
  fortranOrder: boolean;
  bytes: ByteSource;
  /** Where the data starts inside `bytes`. */
  dataOffset: number;
}

/** An ArraySource over a plain strided block of numbers (npy data, raw tensors, safetensors). */
export function rawArray(layout: RawLayout): ArraySource {
  const { name, file, dtype, shape } = layout;
  const rows = shape.length === 0 ? 1 : shape[0];
  const rowSize = product(shape.slice(1));
  const item = ITEM_BYTES[dtype];
  const fortran = layout.fortranOrder && rowSize > 1;
  const clamp = (start: number, end: number): [number, number] => {
    const s = Math.max(0, Math.min(start, rows));
    return [s, Math.max(s, Math.min(end, rows))];
  };
  const readRows = async (start: number, end: number, signal?: AbortSignal) => {
    if (signal?.aborted) throw cancelled();
    const [s, e] = clamp(start, end);
    return fortran
      ? readFortranRows(layout, rows, rowSize, s, e)
      : readCRows(layout, rowSize, s, e);
  };
  return {
    name,
    file,
    dtype,
    shape: [...shape],
    bytes: rows * rowSize * item,
    rows,
    rowSize,
    readRows,
    async readFeatures(start: number, end: number, signal?: AbortSignal) {
      if (dtype !== 'f4' || fortran) return readRows(start, end, signal);
      if (signal?.aborted) throw cancelled();
      const [s, e] = clamp(start, end);
      const bytes = await layout.bytes.read(
        layout.dataOffset + s * rowSize * 4,
        (e - s) * rowSize * 4,
      );
      if (layout.littleEndian !== LITTLE_ENDIAN_HOST) swapInPlace(bytes, 4);
      const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
      return new Float32Array(aligned.buffer, aligned.byteOffset, Math.floor(aligned.length / 4));
    },
  };
}

async function readCRows(
  l: RawLayout,
  rowSize: number,
  s: number,
  e: number,
): Promise<Float64Array> {
  const rowBytes = rowSize * ITEM_BYTES[l.dtype];
  const bytes = await l.bytes.read(l.dataOffset + s * rowBytes, (e - s) * rowBytes);
  return decodeValues(bytes, l.dtype, l.littleEndian, ctxOf(l, s, rowSize));
}

/**
 * Fortran order stores column-major: each trailing index m (itself in Fortran order over
 * shape[1..]) holds a contiguous run over all rows. Read the run for rows [s, e) of every
 * column in increasing offset order (so a deflate stream is passed once) and scatter it into
 * C-order positions. The C position of each column is stepped like an odometer rather than
 * looked up in a table: a header may declare (0, 2**40), and a table that size would be
 * allocated before a single byte of data is read.
 */
async function readFortranRows(
  l: RawLayout,
  rows: number,
  rowSize: number,
  s: number,
  e: number,
): Promise<Float64Array> {
  const item = ITEM_BYTES[l.dtype];
  const n = e - s;
  const out = new Float64Array(n * rowSize);
  if (n === 0) return out;
  const columns = fortranColumns(l.shape.slice(1));
  for (let m = 0; m < rowSize; m++) {
    const bytes = await l.bytes.read(l.dataOffset + (m * rows + s) * item, n * item);
    const column = decodeValues(bytes, l.dtype, l.littleEndian, ctxOf(l, s, 1));
    const c = columns.next();
    for (let r = 0; r < n; r++) out[r * rowSize + c] = column[r];
  }
  return out;
}

/** The C-order linear index of each successive Fortran-order index over `dims`. */
function fortranColumns(dims: number[]): { next(): number } {
  const cStrides = dims.map((_, k) => product(dims.slice(k + 1)));
  const digits = dims.map(() => 0);
  let c = 0;
  let first = true;
  return {
    next(): number {
      if (first) {
        first = false;
        return c;
      }
      // Fortran order: the first index varies fastest.
      for (let k = 0; k < dims.length; k++) {
        if (++digits[k] < dims[k]) {
          c += cStrides[k];
          return c;
        }
        c -= (dims[k] - 1) * cStrides[k];
        digits[k] = 0;
      }
      return c;
    },
  };
}

function ctxOf(l: RawLayout, firstRow: number, rowSize: number): DecodeContext {
  return { file: l.file, name: l.name, firstRow, rowSize };
}
