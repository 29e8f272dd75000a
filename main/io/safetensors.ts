/**
 * `.safetensors`: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}`, then the tensors'
 * bytes (little-endian, C order), read by row range.
 */
import { open } from 'node:fs/promises';
import { badInput } from '../../shared/errors.ts';
import { briefJson, dimsText } from './dataset.ts';
import { fileBytes } from './bytes.ts';
import { ITEM_BYTES, product, rawArray } from './decode.ts';
import type { ArraySource, Container, DType } from './types.ts';

const DTYPES: Record<string, DType> = {
  F64: 'f8',
  F32: 'f4',
  F16: 'f2',
  BF16: 'bf16',
  I64: 'i8',
  I32: 'i4',
  I16: 'i2',
  I8: 'i1',
  U64: 'u8',
  U32: 'u4',
  U16: 'u2',
  U8: 'u1',
  BOOL: 'b1',
};

/** The reference implementation caps headers at 100 MB. */
const MAX_HEADER_BYTES = 100_000_000;

interface TensorEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export async function readSafetensorsFile(file: string): Promise<Container> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const whole = fileBytes(handle, 0, size, file);
    if (size < 8) throw badInput(file, 'a safetensors header length', `a ${size}-byte file`);
    const headerLength = Number(
      new DataView((await whole.read(0, 8)).buffer).getBigUint64(0, true),
    );
    if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > size) {
      throw badInput(file, 'a safetensors header inside the file', `a length of ${headerLength}`);
    }
    const header = parseHeader(await whole.read(8, headerLength), file);
    const data = fileBytes(handle, 8 + headerLength, size - 8 - headerLength, file);
    const arrays: ArraySource[] = Object.entries(header)
      .filter(([name]) => name !== '__metadata__')
      .map(([name, entry]) => tensorArray(file, name, entry as TensorEntry, data));
    if (arrays.length === 0) throw badInput(file, 'at least one tensor', 'none');
    return { file, format: 'safetensors', bytes: size, arrays, close: () => handle.close() };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

function parseHeader(bytes: Uint8Array, file: string): Record<string, unknown> {
  try {
    const header: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    if (typeof header === 'object' && header !== null && !Array.isArray(header)) {
      return header as Record<string, unknown>;
    }
  } catch {
    // reported below
  }
  throw badInput(file, 'a JSON object as safetensors header', 'unreadable JSON');
}

function tensorArray(
  file: string,
  name: string,
  entry: TensorEntry,
  data: ReturnType<typeof fileBytes>,
): ArraySource {
  const where = `${file}:${name}`;
  const dtype = DTYPES[entry?.dtype];
  if (!dtype) {
    throw badInput(where, `one of ${Object.keys(DTYPES).join(' ')}`, `dtype ${entry?.dtype}`);
  }
  const shape = entry.shape;
  const [begin, end] = Array.isArray(entry.data_offsets) ? entry.data_offsets : [NaN, NaN];
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw badInput(where, 'a shape of sizes', briefJson(shape));
  }
  const want = product(shape) * ITEM_BYTES[dtype];
  if (!(Number.isSafeInteger(begin) && end - begin === want && begin >= 0 && end <= data.size)) {
    throw badInput(
      where,
      `${want} bytes for shape [${dimsText(shape)}] ${entry.dtype} within the ${data.size} data bytes`,
      `data_offsets [${begin}, ${end}]`,
    );
  }
  return rawArray({
    name,
    file,
    dtype,
    shape,
    littleEndian: true,
    fortranOrder: false,
    bytes: data,
    dataOffset: begin,
  });
}
