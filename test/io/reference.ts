/**
 * Reference values for the fixtures, read straight from the bytes without main/io, so the
 * readers are compared with something they did not produce.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The shared fixtures live beside the repository (../shared/fixtures). */
export const FIXTURES = path.join(import.meta.dirname, '../../../shared/fixtures');
export const FORMATS = path.join(FIXTURES, 'formats');
export const fixture = (name: string): string => path.join(FORMATS, name);

const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/** Data bytes of the k-th npy (v1.0) found in a buffer: a .npy file, or a stored .npz. */
function npyData(buf: Buffer, k = 0): Buffer {
  let at = -1;
  for (let i = 0; i <= k; i++) at = buf.indexOf(NPY_MAGIC, at + 1);
  const headerLength = buf.readUInt16LE(at + 8);
  const header = buf.toString('latin1', at + 10, at + 10 + headerLength);
  const shape = /'shape': \(([^)]*)\)/.exec(header)![1];
  const count = shape
    .split(',')
    .filter((s) => s.trim())
    .reduce((a, s) => a * Number(s), 1);
  const item = Number(/'descr': '.(.)(\d)'/.exec(header)![2]);
  const start = at + 10 + headerLength;
  return Buffer.from(buf.subarray(start, start + count * item));
}

function f32(bytes: Buffer): Float64Array {
  const out = new Float64Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

export const ref = {
  features: (): Float64Array => f32(npyData(readFileSync(fixture('features_f4.npy')))),
  weight: (): Float64Array => f32(npyData(readFileSync(fixture('weight.npy')))),
  bias: (): Float64Array => f32(npyData(readFileSync(fixture('bias.npy')))),
  logits: (): Float64Array => f32(npyData(readFileSync(fixture('logits.npy')))),
  labels: (): Float64Array => {
    const bytes = npyData(readFileSync(fixture('labels_i8.npy')));
    return Float64Array.from({ length: bytes.length / 8 }, (_, i) =>
      Number(bytes.readBigInt64LE(i * 8)),
    );
  },
  /** The first array of bundle_layers.npz (stored entries: its bytes are in the zip as-is). */
  layer1: (): Float64Array => f32(npyData(readFileSync(fixture('bundle_layers.npz')), 0)),
  /** features_f2.npy's half bits, widened through float32 bit patterns. */
  featuresHalf: (): Float64Array => {
    const bytes = npyData(readFileSync(fixture('features_f2.npy')));
    return Float64Array.from({ length: bytes.length / 2 }, (_, i) =>
      halfViaFloat32Bits(bytes.readUInt16LE(i * 2)),
    );
  },
};

/** A different route to the same number: rebuild the float32 bit pattern of a half. */
function halfViaFloat32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  let exponent = (h >> 10) & 0x1f;
  let mantissa = h & 0x3ff;
  let bits: number;
  if (exponent === 0 && mantissa === 0) bits = sign;
  else if (exponent === 0) {
    exponent = 1;
    while (!(mantissa & 0x400)) {
      mantissa <<= 1;
      exponent--;
    }
    bits = sign | ((exponent + 112) << 23) | ((mantissa & 0x3ff) << 13);
  } else if (exponent === 31) bits = sign | 0x7f800000 | (mantissa << 13);
  else bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  const buf = Buffer.alloc(4);
  buf.writeUInt32LE(bits >>> 0);
  return buf.readFloatLE(0);
}

export function transposed(data: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(data.length);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j];
  return out;
}

/**
 * The first index where two arrays differ (NaN equals NaN), or -1. Vitest's deep equality is
 * too slow for arrays of 256k values; this keeps the failure message readable.
 */
export function firstDifference(got: ArrayLike<number>, want: ArrayLike<number>): string {
  if (got.length !== want.length) return `length ${got.length} instead of ${want.length}`;
  for (let i = 0; i < got.length; i++) {
    const same = got[i] === want[i] || (Number.isNaN(got[i]) && Number.isNaN(want[i]));
    if (!same) return `index ${i}: ${got[i]} instead of ${want[i]}`;
  }
  return 'none';
}
