/**
 * The one .npy/.npz writer (the readers live beside it in main/io). An .npz is a zip of
 * .npy files; each .npy is a NPY format v1.0 header followed by the raw little-endian data
 * (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
 */
import { writeFile } from 'node:fs/promises';
import { zipSync, type Zippable } from 'fflate';
import { product } from './decode.ts';

export type NpyData = Float32Array | Float64Array | BigInt64Array | Int32Array;

export interface NpyArray {
  data: NpyData;
  shape: number[];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const PREAMBLE_BYTES = MAGIC.length + 2 + 2; // magic, version 1.0, uint16 header length
// NumPy pads the header so the data starts 64-byte aligned (the spec's minimum is 16).
const ALIGN = 64;
// A fixed zip entry time makes the archives byte-identical from run to run. fflate reads the
// local date fields, so a local-time constructor gives 1980-01-01 00:00 in every time zone.
const ZIP_MTIME = new Date(1980, 0, 1, 0, 0, 0);

function descrOf(data: NpyData): string {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof BigInt64Array) return '<i8';
  return '<i4';
}

/** Python tuple literal of a shape: `()`, `(3,)`, `(3, 4)`. */
function shapeTuple(shape: number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/**
 * The bytes before the data of a C-order .npy (format v1.0) of dtype `descr` (e.g. '<f4'):
 * for writers that stream the data after it.
 */
export function npyHeader(descr: string, shape: number[]): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeTuple(shape)}, }`;
  const unpadded = PREAMBLE_BYTES + dict.length + 1; // + the closing newline
  const text = dict + ' '.repeat((ALIGN - (unpadded % ALIGN)) % ALIGN) + '\n';
  const out = new Uint8Array(PREAMBLE_BYTES + text.length);
  out.set(MAGIC, 0);
  out[6] = 1; // major version
  out[7] = 0; // minor version
  new DataView(out.buffer).setUint16(8, text.length, true);
  for (let i = 0; i < text.length; i++) out[PREAMBLE_BYTES + i] = text.charCodeAt(i);
  return out;
}

/** One .npy file (format v1.0, C order) holding `data` with the given shape. */
export function encodeNpy(data: NpyData, shape: number[]): Uint8Array {
  const count = product(shape);
  if (count !== data.length)
    throw new Error(
      `encodeNpy: shape [${shape.join(', ')}] needs ${count} values, got ${data.length}`,
    );
  const header = npyHeader(descrOf(data), shape);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header, 0);
  // Typed arrays are in host order; every platform NC Lens runs on is little-endian.
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  return out;
}

/** Writes an .npz (deflated zip of `<name>.npy` entries) to `path`. */
export async function writeNpz(path: string, arrays: Record<string, NpyArray>): Promise<void> {
  const entries: Zippable = {};
  for (const [name, { data, shape }] of Object.entries(arrays))
    entries[`${name}.npy`] = [encodeNpy(data, shape), { level: 6, mtime: ZIP_MTIME }];
  await writeFile(path, zipSync(entries));
}
