/**
 * Loading an ONNX model (a protobuf `ModelProto`, decoded with onnx-proto) and reading the
 * few initializers NC Lens needs (the classifier's W and b). External data is only followed
 * inside the model's own folder: a model file must not be able to make NC Lens read
 * arbitrary files.
 */
import { open, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import onnxProto from 'onnx-proto';
import { badInput } from '../../shared/errors.ts';
import { fileBytes } from '../io/bytes.ts';
import { dimsText } from '../io/dataset.ts';
import { halfToNumber, product } from '../io/decode.ts';

export const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

const { DataType, DataLocation } = onnx.TensorProto;

/** ONNX element type → the name onnxruntime uses for it. */
const TYPE_NAMES: Record<number, string> = {
  [DataType.FLOAT]: 'float32',
  [DataType.DOUBLE]: 'float64',
  [DataType.FLOAT16]: 'float16',
  [DataType.BFLOAT16]: 'bfloat16',
  [DataType.INT8]: 'int8',
  [DataType.INT16]: 'int16',
  [DataType.INT32]: 'int32',
  [DataType.INT64]: 'int64',
  [DataType.UINT8]: 'uint8',
  [DataType.UINT16]: 'uint16',
  [DataType.UINT32]: 'uint32',
  [DataType.UINT64]: 'uint64',
  [DataType.BOOL]: 'bool',
  [DataType.STRING]: 'string',
};

export function typeName(elemType: number | null | undefined): string {
  return TYPE_NAMES[elemType ?? 0] ?? `type ${elemType ?? '?'}`;
}

export interface LoadedModel {
  file: string;
  dir: string;
  proto: ModelProto;
  graph: GraphProto;
  /** Initializers by name, with external data already read (and checked) into rawData. */
  initializers: Map<string, TensorProto>;
  /** Whether some initializer was stored outside the .onnx file. */
  hadExternalData: boolean;
}

/** Reads and decodes `file`; every external-data reference is resolved and read. */
export async function loadModel(file: string): Promise<LoadedModel> {
  const bytes = await readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw badInput(file, 'a readable .onnx model', e.code ?? e.message);
  });
  const proto = decodeModel(file, bytes);
  const graph = proto.graph;
  if (!graph || !graph.node?.length) throw badInput(file, 'an ONNX model with a graph', 'no nodes');
  const dir = dirname(resolve(file));
  let hadExternalData = false;
  const initializers = new Map<string, TensorProto>();
  for (const t of graph.initializer ?? []) {
    checkDims(file, t);
    if (t.dataLocation === DataLocation.EXTERNAL) {
      await inlineExternalData(file, dir, t);
      hadExternalData = true;
    }
    checkData(file, t);
    initializers.set(t.name ?? '', t);
  }
  return { file, dir, proto, graph, initializers, hadExternalData };
}

function decodeModel(file: string, bytes: Uint8Array): ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw badInput(file, 'an ONNX model (protobuf ModelProto)', `bytes that do not parse (${msg})`);
  }
}

/** Bytes per element of the types whose size is fixed. */
const ITEM_SIZES: Record<number, number> = {
  [DataType.FLOAT]: 4,
  [DataType.DOUBLE]: 8,
  [DataType.FLOAT16]: 2,
  [DataType.BFLOAT16]: 2,
  [DataType.INT8]: 1,
  [DataType.INT16]: 2,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.UINT8]: 1,
  [DataType.UINT16]: 2,
  [DataType.UINT32]: 4,
  [DataType.UINT64]: 8,
  [DataType.BOOL]: 1,
};

function describeInitializer(t: TensorProto): string {
  return `initializer '${t.name ?? ''}' (dims [${dimsText(t.dims ?? [])}], ${typeName(t.dataType)})`;
}

/** Dims are sizes a tensor can have: integers ≥ 0 whose product a double holds exactly. */
function checkDims(file: string, t: TensorProto): void {
  const dims = tensorDims(t);
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0) || !Number.isSafeInteger(product(dims)))
    throw badInput(file, 'initializer dims of sizes ≥ 0', describeInitializer(t));
}

/**
 * The stored values match the dims: checked on lengths alone, before anything is allocated
 * from the dims (an 844 KB model may declare a 20000×20000 initializer and hold no data).
 */
function checkData(file: string, t: TensorProto): void {
  const item = ITEM_SIZES[t.dataType ?? 0];
  if (!item) return;
  const count = product(tensorDims(t));
  const raw = t.rawData?.length ?? 0;
  const typed =
    t.dataType === DataType.FLOAT
      ? t.floatData?.length
      : t.dataType === DataType.DOUBLE
        ? t.doubleData?.length
        : t.dataType === DataType.INT64
          ? t.int64Data?.length
          : t.dataType === DataType.UINT32 || t.dataType === DataType.UINT64
            ? t.uint64Data?.length
            : t.int32Data?.length;
  const found = raw ? `${raw} bytes of raw_data` : `${typed ?? 0} typed values`;
  if (raw ? raw !== count * item : (typed ?? 0) !== count)
    throw badInput(file, `${count} values for ${describeInitializer(t)}`, found);
}

/**
 * Reads an initializer's external data into `rawData`, so the model can be handed to
 * onnxruntime as one buffer (a session made from a buffer has no folder to resolve paths in).
 */
async function inlineExternalData(file: string, dir: string, t: TensorProto): Promise<void> {
  const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location') ?? '';
  const target = await externalDataPath(file, dir, location, t.name ?? '');
  const where = `external data '${location}' for '${t.name}'`;
  const info = await stat(target).catch((e: NodeJS.ErrnoException) => {
    throw badInput(file, where, e.code ?? e.message);
  });
  // A FIFO would block forever and a folder fails with EISDIR: regular files only.
  if (!info.isFile())
    throw badInput(file, `${where} in a regular file`, 'a folder or special file');
  const item = ITEM_SIZES[t.dataType ?? 0] ?? 1;
  const offset = Number(entries.get('offset') ?? 0);
  // Only the tensor's own byte range is read: the file may hold a whole model's weights.
  const length = entries.has('length')
    ? Number(entries.get('length'))
    : Math.min(product(tensorDims(t)) * item, info.size - offset);
  if (
    !(Number.isSafeInteger(offset) && Number.isSafeInteger(length)) ||
    !(offset >= 0 && length >= 0 && offset + length <= info.size)
  ) {
    throw badInput(
      file,
      `${length} bytes at offset ${offset} of '${location}' for '${t.name}'`,
      `a ${info.size}-byte file`,
    );
  }
  const handle = await open(target, 'r');
  try {
    t.rawData = await fileBytes(handle, offset, length, target).read(0, length);
  } finally {
    await handle.close();
  }
  t.externalData = [];
  t.dataLocation = DataLocation.DEFAULT;
}

/** The resolved external-data path, refused unless it lies inside the model's folder. */
async function externalDataPath(
  file: string,
  dir: string,
  location: string,
  tensor: string,
): Promise<string> {
  const expected = `external data for '${tensor}' inside the model's folder`;
  if (!location || isAbsolute(location)) throw badInput(file, expected, `'${location}'`);
  const target = resolve(dir, location);
  // Resolve symlinks too: a link inside the folder may point anywhere.
  const realDir = await realpath(dir);
  const realTarget = await realpath(target).catch(() => target);
  if (!isInside(dir, target) || !isInside(realDir, realTarget))
    throw badInput(file, expected, `'${location}'`);
  return target;
}

function isInside(dir: string, target: string): boolean {
  const rel = relative(dir, target);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** Dims of a tensor as numbers (ONNX stores them as int64). */
export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map(Number);
}

/**
 * An initializer's values as float64, or null when it is not a floating-point tensor. The
 * typed fields (`float_data`, `double_data`, float16 bits in `int32_data`) are used when
 * `raw_data` is empty, as the ONNX spec allows either.
 */
export function floatValues(t: TensorProto): Float64Array | null {
  const count = product(tensorDims(t));
  const raw = t.rawData && t.rawData.length ? t.rawData : null;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  const out = new Float64Array(count);
  switch (t.dataType) {
    case DataType.FLOAT:
      for (let i = 0; i < count; i++)
        out[i] = view ? view.getFloat32(4 * i, true) : t.floatData![i];
      return out;
    case DataType.DOUBLE:
      for (let i = 0; i < count; i++)
        out[i] = view ? view.getFloat64(8 * i, true) : t.doubleData![i];
      return out;
    case DataType.FLOAT16:
      for (let i = 0; i < count; i++)
        out[i] = halfToNumber(view ? view.getUint16(2 * i, true) : t.int32Data![i]);
      return out;
    case DataType.BFLOAT16:
      for (let i = 0; i < count; i++)
        out[i] = bfloatToNumber(view ? view.getUint16(2 * i, true) : t.int32Data![i]);
      return out;
    default:
      return null;
  }
}

/** bfloat16 is the top half of a float32. */
function bfloatToNumber(h: number): number {
  return new Float32Array(new Uint32Array([h << 16]).buffer)[0];
}
