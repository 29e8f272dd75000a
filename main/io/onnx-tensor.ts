/**
 * ONNX `TensorProto` files (`.pb`), decoded with onnx-proto. `raw_data` can be most of the
 * file, so the top-level protobuf fields are walked first and raw_data is left on disk and
 * read by row range; every other field is decoded by `onnx.TensorProto.decode`.
 */
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { badInput } from '../../shared/errors.ts';
import { fileBytes, type ByteSource } from './bytes.ts';
import { dimsText } from './dataset.ts';
import { bfloat16ToNumber, halfToNumber, ITEM_BYTES, product, rawArray } from './decode.ts';
import { memoryArray } from './memory.ts';
import type { ArraySource, Container, DType } from './types.ts';

const { onnx } = onnxProto;
type TensorProto = InstanceType<typeof onnx.TensorProto>;
type Int64 = number | { toString(): string };

const RAW_DATA_FIELD = 9;
const EXTERNAL = 1;

/** ONNX TensorProto.DataType → the dtype it is read as. */
const DTYPES: Record<number, DType> = {
  1: 'f4',
  2: 'u1',
  3: 'i1',
  4: 'u2',
  5: 'i2',
  6: 'i4',
  7: 'i8',
  9: 'b1',
  10: 'f2',
  11: 'f8',
  12: 'u4',
  13: 'u8',
  16: 'bf16',
};

const TYPE_NAMES: Record<number, string> = {
  0: 'UNDEFINED',
  8: 'STRING',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
  17: 'FLOAT8E4M3FN',
  18: 'FLOAT8E4M3FNUZ',
  19: 'FLOAT8E5M2',
  20: 'FLOAT8E5M2FNUZ',
  21: 'UINT4',
  22: 'INT4',
};

const SUPPORTED =
  'a TensorProto of FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT8/16/32/64, UINT8/16/32/64 or BOOL';

export async function readTensorFile(file: string): Promise<Container> {
  const handles: FileHandle[] = [await open(file, 'r')];
  const close = async (): Promise<void> => {
    await Promise.all(handles.map((h) => h.close()));
  };
  try {
    const { size } = await handles[0].stat();
    const { meta, raw } = await splitRawData(handles[0], size, file);
    const tensor = decodeTensor(meta, file);
    const dtype = tensorDType(tensor, file);
    const shape = tensorShape(tensor, file);
    const name = tensor.name || path.basename(file).replace(/\.pb$/i, '');
    const ctx = { file, name, dtype, shape };
    let array: ArraySource;
    if (tensor.dataLocation === EXTERNAL) {
      const ext = await externalBytes(tensor, file);
      handles.push(ext.handle);
      array = checkedRaw(ctx, ext.bytes);
    } else if (raw) {
      array = checkedRaw(ctx, fileBytes(handles[0], raw.offset, raw.length, file));
    } else {
      array = memoryArray(name, shape, typedValues(tensor, ctx), dtype, file);
    }
    return { file, format: 'onnx-tensor', bytes: size, arrays: [array], close };
  } catch (e) {
    await close();
    throw e;
  }
}

interface TensorContext {
  file: string;
  name: string;
  dtype: DType;
  shape: number[];
}

function decodeTensor(meta: Uint8Array, file: string): TensorProto {
  try {
    return onnx.TensorProto.decode(meta);
  } catch (e) {
    throw badInput(file, 'an ONNX TensorProto', `undecodable protobuf (${(e as Error).message})`);
  }
}

function tensorDType(tensor: TensorProto, file: string): DType {
  const t = tensor.dataType ?? 0;
  const dtype = DTYPES[t];
  if (!dtype) throw badInput(file, SUPPORTED, `data type ${t} (${TYPE_NAMES[t] ?? 'unknown'})`);
  return dtype;
}

function checkedRaw(ctx: TensorContext, bytes: ByteSource): ArraySource {
  const want = product(ctx.shape) * ITEM_BYTES[ctx.dtype];
  if (bytes.size !== want) {
    throw badInput(
      ctx.file,
      `${want} bytes of data for dims [${dimsText(ctx.shape)}] ${ctx.dtype}`,
      `${bytes.size} bytes`,
    );
  }
  // ONNX raw data is always little-endian, C order.
  return rawArray({ ...ctx, littleEndian: true, fortranOrder: false, bytes, dataOffset: 0 });
}

/** Values held in the typed repeated fields, which the ONNX spec assigns per data type. */
function typedValues(tensor: TensorProto, ctx: TensorContext): Float64Array {
  const count = product(ctx.shape);
  const field = typedField(tensor, ctx.dtype);
  if (field.values.length === 0 && count > 0) {
    throw badInput(ctx.file, 'tensor data (raw_data, a typed field or external data)', 'none');
  }
  if (field.values.length !== count) {
    throw badInput(
      ctx.file,
      `${count} values in ${field.name} for dims [${dimsText(ctx.shape)}]`,
      `${field.values.length}`,
    );
  }
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const v = field.values[i];
    out[i] = typeof v === 'number' ? v : toSafeInteger(v, ctx.file, ctx.name);
    if (ctx.dtype === 'f2') out[i] = halfToNumber(out[i]);
    else if (ctx.dtype === 'bf16') out[i] = bfloat16ToNumber(out[i]);
  }
  return out;
}

function typedField(tensor: TensorProto, dtype: DType): { name: string; values: Int64[] } {
  switch (dtype) {
    case 'f4':
      return { name: 'float_data', values: tensor.floatData ?? [] };
    case 'f8':
      return { name: 'double_data', values: tensor.doubleData ?? [] };
    case 'i8':
      return { name: 'int64_data', values: tensor.int64Data ?? [] };
    case 'u4':
    case 'u8':
      return { name: 'uint64_data', values: tensor.uint64Data ?? [] };
    default:
      // INT8/16/32, UINT8/16, BOOL, FLOAT16 and BFLOAT16 (as their bits) live in int32_data.
      return { name: 'int32_data', values: tensor.int32Data ?? [] };
  }
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** dims as sizes: integers ≥ 0 (protobuf int64 lets a file say −3). */
function tensorShape(tensor: TensorProto, file: string): number[] {
  const dims = (tensor.dims ?? []).map((d) => toSafeInteger(d as Int64, file, 'dims'));
  if (dims.some((d) => d < 0)) throw badInput(file, 'dims of sizes ≥ 0', `[${dimsText(dims)}]`);
  return dims;
}

function toSafeInteger(v: Int64, file: string, what: string): number {
  const big = BigInt(v.toString());
  if (big > SAFE || big < -SAFE) throw badInput(file, `${what}: integers within ±2^53`, `${big}`);
  return Number(big);
}

/**
 * External data is only followed inside the tensor file's own folder (after resolving
 * symlinks): a tensor file must not be able to make NC Lens read /etc/passwd.
 */
async function externalBytes(
  tensor: TensorProto,
  file: string,
): Promise<{ handle: FileHandle; bytes: ByteSource }> {
  const kv = new Map((tensor.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = kv.get('location') ?? '';
  const folder = await realpath(path.dirname(path.resolve(file)));
  const target = path.resolve(folder, location);
  const inside = (p: string): boolean => p.startsWith(folder + path.sep);
  if (!location || path.isAbsolute(location) || !inside(target)) {
    throw badInput(file, "external data inside the tensor file's folder", `location '${location}'`);
  }
  const real = await realpath(target).catch(() => {
    throw badInput(file, `external data file '${location}'`, 'no such file');
  });
  if (!inside(real)) {
    throw badInput(file, "external data inside the tensor file's folder", `a link to '${real}'`);
  }
  const info = await stat(real);
  // A FIFO would block the read forever, a folder fails with EISDIR: regular files only.
  if (!info.isFile()) {
    throw badInput(file, `external data file '${location}'`, 'a folder or special file');
  }
  const { size } = info;
  const offset = Number(kv.get('offset') ?? 0);
  const length = kv.has('length') ? Number(kv.get('length')) : size - offset;
  if (!(offset >= 0 && length >= 0 && offset + length <= size)) {
    throw badInput(
      file,
      `external data within '${location}' (${size} bytes)`,
      `offset ${offset}, length ${length}`,
    );
  }
  const handle = await open(real, 'r');
  return { handle, bytes: fileBytes(handle, offset, length, real) };
}

/**
 * Walks the top-level protobuf fields: raw_data is located but not read; the other fields are
 * copied out for the decoder.
 */
async function splitRawData(
  handle: FileHandle,
  size: number,
  file: string,
): Promise<{ meta: Uint8Array; raw?: { offset: number; length: number } }> {
  if (size === 0) throw badInput(file, 'an ONNX TensorProto', 'an empty file');
  const parts: Uint8Array[] = [];
  let raw: { offset: number; length: number } | undefined;
  const whole = blockReader(fileBytes(handle, 0, size, file));
  const malformed = (at: number) =>
    badInput(file, 'an ONNX TensorProto', `malformed protobuf at byte ${at}`);
  let pos = 0;
  while (pos < size) {
    const head = await whole.read(pos, Math.min(20, size - pos));
    const tag = readVarint(head, 0);
    if (!tag) throw malformed(pos);
    const field = Math.floor(tag.value / 8);
    let end: number;
    switch (tag.value % 8) {
      case 0: {
        const v = readVarint(head, tag.next);
        if (!v) throw malformed(pos);
        end = pos + v.next;
        break;
      }
      case 1:
        end = pos + tag.next + 8;
        break;
      case 5:
        end = pos + tag.next + 4;
        break;
      case 2: {
        const len = readVarint(head, tag.next);
        if (!len) throw malformed(pos);
        end = pos + len.next + len.value;
        if (field === RAW_DATA_FIELD && end <= size) {
          raw = { offset: pos + len.next, length: len.value };
          pos = end;
          continue;
        }
        break;
      }
      default:
        throw malformed(pos);
    }
    if (field === 0 || end > size) throw malformed(pos);
    parts.push(await whole.read(pos, end - pos));
    pos = end;
  }
  return { meta: Buffer.concat(parts), raw };
}

/**
 * Reads through one cached block: a TensorProto may hold 150 000 small fields, and two file
 * reads per field made a 1.3 MB file take seconds.
 */
function blockReader(bytes: ByteSource, blockSize = 1 << 20): ByteSource {
  let block: Uint8Array = new Uint8Array(0);
  let blockStart = 0;
  return {
    size: bytes.size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      if (length > blockSize) return bytes.read(offset, length);
      if (offset < blockStart || offset + length > blockStart + block.length) {
        blockStart = offset;
        block = await bytes.read(offset, Math.min(blockSize, bytes.size - offset));
      }
      return block.slice(offset - blockStart, offset - blockStart + length);
    },
  };
}

/** A base-128 varint at `at`, or undefined when the bytes run out or it is too long. */
function readVarint(b: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = at; i < b.length && i < at + 10; i++) {
    value += (b[i] & 0x7f) * scale;
    scale *= 128;
    if ((b[i] & 0x80) === 0) return { value, next: i + 1 };
  }
  return undefined;
}
