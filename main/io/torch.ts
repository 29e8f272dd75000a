/**
 * PyTorch files (`.pt`, `.pth`, `.bin`) as `torch.save` writes them: the zip format (a
 * `<name>/data.pkl` pickle, one `<name>/data/<key>` entry per storage) and the legacy format
 * (five pickles in a row, then each storage as an int64 count and its bytes). The pickle is
 * read by the restricted unpickler (pickle.ts) with the globals `torch.load(weights_only=True)`
 * allows and nothing else; storages stay on disk and are read by row range, honouring each
 * tensor's offset, strides and dtype.
 */
import { open as openFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type yauzl from 'yauzl';
import { badInput, cancelled } from '../../shared/errors.ts';
import { fileBytes, type ByteSource } from './bytes.ts';
import { ITEM_BYTES, product, rawArray } from './decode.ts';
import { entryBytes, listEntries, openZip } from './npz.ts';
import { describe, unpickle, type PickleCallable, type UnpickleHooks } from './pickle.ts';
import type { ArraySource, Container, DType } from './types.ts';

/** The first bytes of a legacy torch.save file: PROTO 2, LONG1 of 10 bytes, the magic number. */
export const LEGACY_MAGIC = Uint8Array.from([
  0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19,
]);

const ZIP_REQUIRED = 'torch.save(..., _use_new_zipfile_serialization=True)';

/** Storage classes → the dtype of their elements. */
const STORAGE_DTYPES: Record<string, DType> = {
  DoubleStorage: 'f8',
  FloatStorage: 'f4',
  HalfStorage: 'f2',
  BFloat16Storage: 'bf16',
  LongStorage: 'i8',
  IntStorage: 'i4',
  ShortStorage: 'i2',
  CharStorage: 'i1',
  ByteStorage: 'u1',
  BoolStorage: 'b1',
  UntypedStorage: 'u1',
};

/** torch dtypes (as `_rebuild_tensor_v3` names them) → dtype. */
const TORCH_DTYPES: Record<string, DType> = {
  float64: 'f8',
  double: 'f8',
  float32: 'f4',
  float: 'f4',
  float16: 'f2',
  half: 'f2',
  bfloat16: 'bf16',
  int64: 'i8',
  long: 'i8',
  int32: 'i4',
  int: 'i4',
  int16: 'i2',
  short: 'i2',
  int8: 'i1',
  uint8: 'u1',
  bool: 'b1',
};

/** Allowed by weights_only, but not a dense CPU tensor this reader can read. */
const UNSUPPORTED_REBUILDS = new Set([
  '_rebuild_sparse_tensor',
  '_rebuild_sparse_csr_tensor',
  '_rebuild_qtensor',
  '_rebuild_nested_tensor',
  '_rebuild_meta_tensor_no_storage',
  '_rebuild_wrapper_subclass',
  '_rebuild_device_tensor_from_numpy',
  '_rebuild_device_tensor_from_cpu_tensor',
]);

class StorageType {
  constructor(
    readonly name: string,
    readonly dtype: DType,
  ) {}
}

class TorchDtype {
  constructor(readonly dtype: DType) {}
}

/** One storage: `numel` elements of `dtype`, its bytes found by key. */
export class Storage {
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly numel: number,
  ) {}
}

export class Tensor {
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
    /** The element type when it differs from the storage's (an untyped storage). */
    readonly dtype: DType,
  ) {}
}

function sizes(v: unknown, what: string, where: string): number[] {
  const ok = Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
  if (!ok) throw badInput(where, `a tensor ${what} of sizes`, describe(v));
  return v as number[];
}

function rebuildTensor(where: string, args: unknown[], dtypeArg?: unknown): Tensor {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof Storage)) {
    throw badInput(where, 'a tensor built on a storage', describe(storage));
  }
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) {
    throw badInput(where, 'a tensor storage offset', describe(offset));
  }
  const shape = sizes(size, 'size', where);
  const strides = sizes(stride, 'stride', where);
  if (strides.length !== shape.length) {
    throw badInput(
      where,
      `${shape.length} strides for size (${shape.join(', ')})`,
      `${strides.length}`,
    );
  }
  const dtype = dtypeArg instanceof TorchDtype ? dtypeArg.dtype : storage.dtype;
  return new Tensor(storage, offset as number, shape, strides, dtype);
}

/** The globals torch.load(weights_only=True) allows, as this reader interprets them. */
function allowedGlobals(where: string): UnpickleHooks['resolve'] {
  const fn = (f: PickleCallable) => f;
  return (module, name) => {
    const full = `${module}.${name}`;
    switch (full) {
      case 'collections.OrderedDict':
        // OrderedDict() then SETITEMS, or OrderedDict([(key, value), ...]).
        return fn((a) => {
          const pairs = Array.isArray(a[0]) ? a[0] : [];
          return new Map(
            pairs.filter((p): p is [unknown, unknown] => Array.isArray(p) && p.length === 2),
          );
        });
      case 'torch._utils._rebuild_tensor':
      case 'torch._utils._rebuild_tensor_v2':
        return fn((a) => rebuildTensor(where, a));
      case 'torch._utils._rebuild_tensor_v3':
        return fn((a) => rebuildTensor(where, a, a[6]));
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state':
      case 'torch.nn.parameter.Parameter':
        return fn((a) => a[0]);
      case 'torch._tensor._rebuild_from_type_v2':
        return fn((a) => {
          const [f, , args] = a;
          if (typeof f !== 'function' || !Array.isArray(args)) {
            throw badInput(where, 'a tensor rebuilt from its type', describe(f));
          }
          return (f as PickleCallable)(args);
        });
      case 'torch.Size':
        return fn((a) => (Array.isArray(a[0]) ? [...a[0]] : []));
      case 'torch.device':
        return fn((a) => String(a[0]));
      case 'torch.serialization._get_layout':
        return fn((a) => String(a[0]));
      case 'builtins.set':
      case 'builtins.frozenset':
        return fn((a) => new Set(Array.isArray(a[0]) ? a[0] : []));
      case 'builtins.bytearray':
        return fn((a) => (a[0] instanceof Uint8Array ? a[0] : new Uint8Array()));
      case '_codecs.encode':
        return fn((a) => Buffer.from(String(a[0]), 'latin1'));
    }
    if (module === 'torch' || module === 'torch.storage') {
      if (name in STORAGE_DTYPES) return new StorageType(name, STORAGE_DTYPES[name]);
      if (name in TORCH_DTYPES) return new TorchDtype(TORCH_DTYPES[name]);
      if (name === 'Tensor') return fn(() => ({}));
    }
    if (module === 'torch._utils' && UNSUPPORTED_REBUILDS.has(name)) {
      return fn(() => {
        throw badInput(where, 'dense CPU tensors', `a tensor rebuilt by ${full}`);
      });
    }
    return undefined;
  };
}

/** BUILD sets attributes (a state_dict's `_metadata`, a tensor's hooks): nothing to keep. */
function build(target: unknown): boolean {
  return target instanceof Map || target instanceof Tensor;
}

/** `('storage', storage_type, key, location, numel[, view_metadata])`. */
function storageOf(pid: unknown, where: string): Storage {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || !(pid[1] instanceof StorageType)) {
    throw badInput(where, "a persistent id ('storage', type, key, location, numel)", describe(pid));
  }
  const [, type, key, , numel] = pid as [string, StorageType, unknown, unknown, unknown];
  if (typeof key !== 'string' || !Number.isSafeInteger(numel) || (numel as number) < 0) {
    throw badInput(
      where,
      'a storage key and element count',
      `${describe(key)}, ${describe(numel)}`,
    );
  }
  if (pid[5] !== undefined && pid[5] !== null) {
    throw badInput(
      where,
      'storages saved whole',
      'a legacy storage view (save with PyTorch ≥ 1.6)',
    );
  }
  return new Storage(key, type.dtype, numel as number);
}

/** A pickle of the allowed globals and storages, unpickled. */
function loadPickle(
  bytes: Uint8Array,
  where: string,
  start = 0,
): { value: unknown; end: number; storages: Map<string, Storage> } {
  const storages = new Map<string, Storage>();
  const { value, end } = unpickle(
    bytes,
    where,
    {
      resolve: allowedGlobals(where),
      build,
      persistentLoad(pid) {
        const s = storageOf(pid, where);
        const known = storages.get(s.key);
        if (known) return known;
        storages.set(s.key, s);
        return s;
      },
    },
    start,
  );
  return { value, end, storages };
}

/** The largest pickle (tensor metadata, not data) this reader holds in memory. */
const MAX_PICKLE_BYTES = 256 << 20;

export async function readTorchFile(file: string): Promise<Container> {
  const handle = await openFile(file, 'r');
  try {
    const { size } = await handle.stat();
    const head = await fileBytes(handle, 0, Math.min(size, 16), file).read(0, Math.min(size, 16));
    if (head[0] === 0x50 && head[1] === 0x4b) {
      await handle.close();
      return readZipped(file);
    }
    if (LEGACY_MAGIC.every((b, i) => head[i] === b)) {
      const container = await readLegacy(file, handle, size);
      return container;
    }
    if (head[0] === 0x80) {
      // A bare pickle: its globals are checked (and refused) before anything else is said.
      const bytes = await fileBytes(handle, 0, Math.min(size, MAX_PICKLE_BYTES), file).read(
        0,
        Math.min(size, MAX_PICKLE_BYTES),
      );
      loadPickle(bytes, file);
    }
    throw badInput(file, `a PyTorch file as ${ZIP_REQUIRED} writes it`, 'another format');
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw e;
  }
}

async function readZipped(file: string): Promise<Container> {
  const zip = await openZip(file);
  const handle = await openFile(file, 'r');
  const sources: ByteSource[] = [];
  const close = async (): Promise<void> => {
    for (const s of sources) (s as { destroy?: () => void }).destroy?.();
    zip.close();
    await handle.close();
  };
  try {
    const { size } = await handle.stat();
    const entries = await listEntries(zip, file);
    const pkl = entries.filter((e) => /^([^/]+\/)?data\.pkl$/.test(e.fileName));
    if (pkl.length !== 1) {
      throw badInput(
        file,
        'a torch.save archive with one data.pkl',
        `${pkl.length} data.pkl entries`,
      );
    }
    const prefix = pkl[0].fileName.slice(0, -'data.pkl'.length);
    const byName = new Map(entries.map((e) => [e.fileName, e]));
    const littleEndian = await byteOrder(zip, byName.get(`${prefix}byteorder`), handle, file, size);
    const where = `${file}:${pkl[0].fileName}`;
    if (pkl[0].uncompressedSize > MAX_PICKLE_BYTES) {
      throw badInput(
        where,
        `a pickle under ${MAX_PICKLE_BYTES} bytes`,
        `${pkl[0].uncompressedSize}`,
      );
    }
    const pklBytes = await entryBytes(zip, pkl[0], handle, where, size);
    sources.push(pklBytes);
    const { value, storages } = loadPickle(await pklBytes.read(0, pklBytes.size), where);
    const data = new Map<Storage, ByteSource>();
    for (const s of storages.values()) {
      const name = `${prefix}data/${s.key}`;
      const entry = byName.get(name);
      if (!entry) throw badInput(file, `the storage entry ${name}`, 'none');
      const bytes = await entryBytes(zip, entry, handle, `${file}:${name}`, size);
      sources.push(bytes);
      data.set(s, bytes);
    }
    const arrays = tensorArrays(file, value, data, littleEndian);
    return { file, format: 'torch', bytes: size, arrays, close };
  } catch (e) {
    await close();
    throw e;
  }
}

async function byteOrder(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry | undefined,
  handle: FileHandle,
  file: string,
  size: number,
): Promise<boolean> {
  if (!entry) return true;
  const bytes = await entryBytes(zip, entry, handle, `${file}:${entry.fileName}`, size);
  const text = Buffer.from(await bytes.read(0, Math.min(bytes.size, 16))).toString('latin1');
  (bytes as { destroy?: () => void }).destroy?.();
  if (text !== 'little' && text !== 'big') {
    throw badInput(`${file}:${entry.fileName}`, "'little' or 'big'", JSON.stringify(text));
  }
  return text === 'little';
}

/**
 * The legacy format: pickles of the magic number, the protocol version (1001), the system
 * info, the object, the list of storage keys; then per key, an int64 element count and the
 * storage's bytes (little-endian).
 */
async function readLegacy(file: string, handle: FileHandle, size: number): Promise<Container> {
  const whole = fileBytes(handle, 0, size, file);
  // The pickles come first and are small; the storages after them are left on disk.
  let headLength = Math.min(size, 1 << 20);
  for (;;) {
    const head = await whole.read(0, headLength);
    try {
      return await legacyContainer(file, handle, size, head);
    } catch (e) {
      const short = /more bytes of pickle/.test((e as Error).message);
      if (!short || headLength >= Math.min(size, MAX_PICKLE_BYTES)) throw e;
      headLength = Math.min(size, MAX_PICKLE_BYTES, headLength * 16);
    }
  }
}

async function legacyContainer(
  file: string,
  handle: FileHandle,
  size: number,
  head: Uint8Array,
): Promise<Container> {
  const whole = fileBytes(handle, 0, size, file);
  const plain = { resolve: () => undefined };
  let pos = unpickle(head, file, plain).end;
  const version = unpickle(head, file, plain, pos);
  if (version.value !== 1001) {
    throw badInput(file, 'legacy torch.save protocol 1001', describe(version.value));
  }
  pos = unpickle(head, file, plain, version.end).end;
  const main = loadPickle(head, file, pos);
  const keys = unpickle(head, file, plain, main.end);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) {
    throw badInput(file, 'the list of storage keys', describe(keys.value));
  }
  const data = new Map<Storage, ByteSource>();
  let at = keys.end;
  for (const key of keys.value as string[]) {
    if (at + 8 > size) throw badInput(file, `the storage ${key}`, 'the end of the file');
    const count = Number(new DataView((await whole.read(at, 8)).buffer).getBigInt64(0, true));
    const storage = main.storages.get(key);
    const item = storage ? ITEM_BYTES[storage.dtype] : 1;
    const length = count * item;
    if (!Number.isSafeInteger(length) || length < 0 || at + 8 + length > size) {
      throw badInput(file, `storage ${key} inside the ${size}-byte file`, `${count} elements`);
    }
    if (storage) data.set(storage, fileBytes(handle, at + 8, length, file));
    at += 8 + length;
  }
  for (const s of main.storages.values()) {
    if (!data.has(s)) throw badInput(file, `the bytes of storage ${s.key}`, 'none');
  }
  const arrays = tensorArrays(file, main.value, data, true);
  return { file, format: 'torch', bytes: size, arrays, close: () => handle.close() };
}

/** How deep containers of tensors are looked into: a dict of tensors, nested one level. */
const MAX_DEPTH = 2;

/**
 * Every tensor of the unpickled object, named by its keys: a dict's entries (`fc.weight`,
 * nested `train.features`), a list's or tuple's indices, a bare tensor by the file's name.
 */
function tensorArrays(
  file: string,
  value: unknown,
  data: Map<Storage, ByteSource>,
  littleEndian: boolean,
): ArraySource[] {
  const found: { name: string; tensor: Tensor }[] = [];
  const visit = (v: unknown, name: string, depth: number): void => {
    if (v instanceof Tensor) found.push({ name, tensor: v });
    else if (depth >= MAX_DEPTH) return;
    else if (v instanceof Map)
      for (const [k, x] of v) visit(x, name ? `${name}.${String(k)}` : String(k), depth + 1);
    else if (Array.isArray(v))
      for (const [i, x] of v.entries()) visit(x, name ? `${name}.${i}` : `${i}`, depth + 1);
  };
  visit(value, '', 0);
  if (found.length === 0) {
    throw badInput(
      file,
      'tensors (a tensor, or a dict, list or tuple of tensors)',
      describe(value),
    );
  }
  const stem = path.basename(file).replace(/\.[^.]*$/, '');
  return found.map(({ name, tensor }) =>
    tensorArray(file, name || stem, tensor, data.get(tensor.storage)!, littleEndian),
  );
}

function cStrides(shape: readonly number[]): number[] {
  return shape.map((_, k) => product(shape.slice(k + 1)));
}

/** Strides equal to `expected` wherever the size is above 1 (a size-1 dimension's stride is free). */
function sameLayout(shape: number[], stride: number[], expected: number[]): boolean {
  return shape.every((d, k) => d <= 1 || stride[k] === expected[k]);
}

function tensorArray(
  file: string,
  name: string,
  t: Tensor,
  bytes: ByteSource,
  littleEndian: boolean,
): ArraySource {
  const where = `${file}:${name}`;
  const item = ITEM_BYTES[t.dtype];
  const count = product(t.shape);
  const last =
    count === 0 ? 0 : t.offset + t.shape.reduce((s, d, k) => s + (d - 1) * t.stride[k], 0);
  if (count > 0 && (last + 1) * item > bytes.size) {
    throw badInput(
      where,
      `a tensor of size (${t.shape.join(', ')}) inside its storage of ${bytes.size} bytes`,
      `offset ${t.offset} and strides (${t.stride.join(', ')})`,
    );
  }
  const layout = {
    name,
    file,
    dtype: t.dtype,
    shape: t.shape,
    littleEndian,
    bytes,
    dataOffset: t.offset * item,
  };
  if (count === 0 || sameLayout(t.shape, t.stride, cStrides(t.shape))) {
    return rawArray({ ...layout, fortranOrder: false });
  }
  const fortran = t.shape.map((_, k) => product(t.shape.slice(0, k)));
  if (sameLayout(t.shape, t.stride, fortran)) return rawArray({ ...layout, fortranOrder: true });
  return stridedArray(layout, t.stride);
}

/** Bytes of storage a strided read spans at most, beyond what it returns, before splitting. */
const SPAN_BYTES = 64 << 20;

/**
 * Any other layout (a slice with a step, a permutation): rows [s, e) read as the span of
 * storage they cover and gathered; a range whose span is too sparse is split, down to reading
 * each innermost run of one row by itself.
 */
function stridedArray(
  l: {
    name: string;
    file: string;
    dtype: DType;
    shape: number[];
    littleEndian: boolean;
    bytes: ByteSource;
    dataOffset: number;
  },
  stride: number[],
): ArraySource {
  const item = ITEM_BYTES[l.dtype];
  const offset = l.dataOffset / item;
  const rows = l.shape.length === 0 ? 1 : l.shape[0];
  const inner = l.shape.slice(1);
  const innerStride = stride.slice(1);
  const rowSize = product(inner);
  const rowStride = stride[0] ?? 0;
  const innerSpan = inner.reduce((s, d, k) => s + (d - 1) * innerStride[k], 0);

  /** Elements [first, first + n) of the storage as float64. */
  const span = (first: number, n: number): Promise<Float64Array> =>
    rawArray({
      ...l,
      shape: [n],
      fortranOrder: false,
      bytes: { size: n * item, read: (o, len) => l.bytes.read(first * item + o, len) },
      dataOffset: 0,
    }).readRows(0, n);

  /** Gathers rows [s, e) into `out` at `at`, from the span starting at element `base`. */
  const gather = (
    values: Float64Array,
    base: number,
    s: number,
    e: number,
    out: Float64Array,
    at: number,
  ) => {
    const digits = inner.map(() => 0);
    let o = at;
    for (let r = s; r < e; r++) {
      let p = offset + r * rowStride - base;
      digits.fill(0);
      for (let m = 0; m < rowSize; m++) {
        out[o++] = values[p];
        for (let k = inner.length - 1; k >= 0; k--) {
          if (++digits[k] < inner[k]) {
            p += innerStride[k];
            break;
          }
          p -= (inner[k] - 1) * innerStride[k];
          digits[k] = 0;
        }
      }
    }
  };

  const read = async (s: number, e: number, out: Float64Array, at: number): Promise<void> => {
    if (e <= s) return;
    const first = offset + s * rowStride;
    const n = (e - 1 - s) * rowStride + innerSpan + 1;
    const wanted = (e - s) * rowSize;
    if (n * item <= SPAN_BYTES + 4 * wanted * item || rowSize <= 1) {
      gather(await span(first, n), first, s, e, out, at);
    } else if (e - s > 1) {
      const mid = s + Math.floor((e - s) / 2);
      await read(s, mid, out, at);
      await read(mid, e, out, at + (mid - s) * rowSize);
    } else {
      // One row too sparse to read whole: each run of its last dimension by itself.
      const d = inner[inner.length - 1];
      const st = innerStride[inner.length - 1];
      const outer = inner.slice(0, -1);
      const outerStride = innerStride.slice(0, -1);
      const digits = outer.map(() => 0);
      for (let m = 0; m < rowSize / d; m++) {
        const p = first + outer.reduce((acc, _, k) => acc + digits[k] * outerStride[k], 0);
        const values = await span(p, (d - 1) * st + 1);
        for (let j = 0; j < d; j++) out[at + m * d + j] = values[j * st];
        for (let k = outer.length - 1; k >= 0; k--) {
          if (++digits[k] < outer[k]) break;
          digits[k] = 0;
        }
      }
    }
  };

  return {
    name: l.name,
    file: l.file,
    dtype: l.dtype,
    shape: [...l.shape],
    bytes: rows * rowSize * item,
    rows,
    rowSize,
    async readRows(start, end, signal) {
      if (signal?.aborted) throw cancelled();
      const s = Math.max(0, Math.min(start, rows));
      const e = Math.max(s, Math.min(end, rows));
      const out = new Float64Array((e - s) * rowSize);
      await read(s, e, out, 0);
      return out;
    },
  };
}
