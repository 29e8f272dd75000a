/**
 * A small seeded mutator for the fuzz suite: generic byte mutations (bit flips, interesting
 * bytes, truncation, garbage appended) and structured ones per format, which keep a file
 * parseable enough to reach the checks behind the first one (huge and negative dims, wrong
 * dtypes, lying lengths, cycles). Same seed, same cases.
 */
import { unzipSync, zipSync } from 'fflate';
import { onnx } from '../../main/onnx/model.ts';

/** mulberry32: small, fast and good enough to pick mutations. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

export interface Mutated {
  /** What was done, for a failure message: `bitflip×3`, `npy shape (-1, 32)`, … */
  what: string;
  bytes: Uint8Array;
}

// ---------------------------------------------------------------------------------------
// Generic byte mutations

/** Positions mostly in the first bytes, where the headers are. */
function position(rng: Rng, length: number): number {
  return rng.chance(0.7) ? rng.int(Math.min(length, 512)) : rng.int(length);
}

export function generic(rng: Rng, seed: Uint8Array): Mutated {
  const bytes = seed.slice();
  switch (rng.int(5)) {
    case 0: {
      const flips = 1 + rng.int(8);
      for (let i = 0; i < flips; i++) bytes[position(rng, bytes.length)] ^= 1 << rng.int(8);
      return { what: `bitflip×${flips}`, bytes };
    }
    case 1: {
      const n = 1 + rng.int(4);
      for (let i = 0; i < n; i++) {
        bytes[position(rng, bytes.length)] = rng.pick([0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe]);
      }
      return { what: `interesting bytes×${n}`, bytes };
    }
    case 2: {
      const at = rng.chance(0.5) ? rng.int(Math.min(bytes.length, 600)) : rng.int(bytes.length);
      return { what: `truncate at ${at}`, bytes: bytes.slice(0, at) };
    }
    case 3: {
      const extra = new Uint8Array(1 + rng.int(300));
      for (let i = 0; i < extra.length; i++) extra[i] = rng.int(256);
      const out = new Uint8Array(bytes.length + extra.length);
      out.set(bytes);
      out.set(extra, bytes.length);
      return { what: `append ${extra.length} bytes`, bytes: out };
    }
    default: {
      const at = position(rng, bytes.length);
      const len = 1 + rng.int(64);
      bytes.fill(rng.pick([0, 0xff]), at, at + len);
      return { what: `fill ${len} at ${at}`, bytes };
    }
  }
}

// ---------------------------------------------------------------------------------------
// .npy

const HUGE = [2 ** 31, 2 ** 32 + 1, 2 ** 40, 2 ** 53 + 2, 1e18, 3e8];
const DESCRS = [
  '<f4',
  '<f8',
  '<f2',
  '>f4',
  '|u1',
  '<i8',
  '>i8',
  '<u8',
  '<i2',
  '|b1',
  '<c8',
  '|O',
  '<U8',
  '|V8',
  '<M8[s]',
  'garbage',
  "[('a', '<f4')]",
  '<f16',
];

function shapeText(dims: (number | string)[]): string {
  if (dims.length === 1) return `(${dims[0]},)`;
  return `(${dims.join(', ')})`;
}

function mutatedShape(rng: Rng, shape: number[]): string {
  const dims: (number | string)[] = shape.slice();
  switch (rng.int(9)) {
    case 0:
      dims[rng.int(Math.max(1, dims.length))] = rng.pick(HUGE);
      break;
    case 1:
      dims[rng.int(Math.max(1, dims.length))] = rng.pick([-1, -(2 ** 31), -8000]);
      break;
    case 2:
      dims[rng.int(Math.max(1, dims.length))] = 0;
      break;
    case 3:
      return shapeText([0, rng.pick(HUGE)]);
    case 4:
      return rng.chance(0.5)
        ? shapeText(Array.from({ length: 20 + rng.int(60) }, () => 2 + rng.int(3)))
        : shapeText([...shape, ...Array.from({ length: 3000 }, () => 1)]);
    case 5:
      return '()';
    case 6:
      dims[0] = rng.pick(['1.5', "'x'", 'None', '(2, 3)', '0x10', '1e3']);
      break;
    case 7:
      dims[0] = (shape[0] ?? 1) + rng.pick([1, -1, 1000]);
      break;
    default:
      dims.push(rng.pick([1, 2, 7, 2 ** 31]));
  }
  return shapeText(dims);
}

interface NpyParts {
  version: number;
  header: string;
  data: Uint8Array;
}

function npyParts(bytes: Uint8Array): NpyParts | null {
  if (bytes.length < 12 || bytes[0] !== 0x93) return null;
  const version = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wide = version >= 2;
  const len = wide ? view.getUint32(8, true) : view.getUint16(8, true);
  const start = wide ? 12 : 10;
  if (start + len > bytes.length) return null;
  const header = Buffer.from(bytes.subarray(start, start + len)).toString('latin1');
  return { version, header, data: bytes.subarray(start + len) };
}

export function npyWith(header: string, data: Uint8Array, version = 1): Uint8Array {
  const wide = version >= 2;
  const start = wide ? 12 : 10;
  let h = header.trimEnd();
  h += ' '.repeat(63 - ((start + h.length) % 64)) + '\n';
  const out = new Uint8Array(start + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (wide) view.setUint32(8, h.length, true);
  else view.setUint16(8, h.length, true);
  out.set(Buffer.from(h, 'latin1'), start);
  out.set(data, start + h.length);
  return out;
}

export function npyStructured(rng: Rng, seed: Uint8Array): Mutated {
  const parts = npyParts(seed);
  if (!parts) return generic(rng, seed);
  const descr = /'descr':\s*'([^']*)'/.exec(parts.header)?.[1] ?? '<f4';
  const fortran = /'fortran_order':\s*True/.test(parts.header);
  const shapeMatch = /'shape':\s*\(([^)]*)\)/.exec(parts.header)?.[1] ?? '';
  const shape = shapeMatch
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const dict = (d: string, f: boolean, s: string) =>
    `{'descr': ${d.startsWith('[') ? d : `'${d}'`}, 'fortran_order': ${f ? 'True' : 'False'}, 'shape': ${s}, }`;
  switch (rng.int(8)) {
    case 0:
    case 1: {
      const s = mutatedShape(rng, shape);
      const f = rng.chance(0.3) ? !fortran : fortran;
      return { what: `npy shape ${s} fortran ${f}`, bytes: npyWith(dict(descr, f, s), parts.data) };
    }
    case 2: {
      const d = rng.pick(DESCRS);
      return {
        what: `npy descr ${d}`,
        bytes: npyWith(dict(d, fortran, shapeText(shape)), parts.data),
      };
    }
    case 3: {
      // The header length field lies: shorter or longer than the header.
      const bytes = seed.slice();
      const v = rng.pick([0, 1, 0xff, 0xffff, 0x7fff, bytes[8] + 16, Math.max(0, bytes[8] - 16)]);
      bytes[8] = v & 0xff;
      bytes[9] = (v >> 8) & 0xff;
      return { what: `npy header length ${v}`, bytes };
    }
    case 4: {
      const v = rng.pick([0, 2, 3, 4, 9, 255]);
      const bytes = v >= 2 ? npyWith(parts.header, parts.data, v) : seed.slice();
      bytes[6] = v;
      return { what: `npy version ${v}`, bytes };
    }
    case 5: {
      const header = rng.pick([
        "{'descr': '<f4', 'shape': (8000, 32), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (8000, 32), 'extra': 1, }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': [8000, 32], }",
        "{'descr': '<f4', 'fortran_order': 'no', 'shape': (8000, 32), }",
        '{}',
        '[1, 2, 3]',
        `{'descr': '<f4', 'fortran_order': False, 'shape': (${'('.repeat(200)}1${')'.repeat(200)},), }`,
        "{'descr': '<f4', 'fortran_order': False, 'shape': (8000, 32), 'descr': '|O', }",
        `{'descr': '${'<'.repeat(5000)}f4', 'fortran_order': False, 'shape': (8000, 32), }`,
      ]);
      return { what: `npy header ${header.slice(0, 40)}`, bytes: npyWith(header, parts.data) };
    }
    case 6: {
      // Honest header, data cut short or padded.
      const cut = rng.int(parts.data.length);
      return {
        what: `npy data cut to ${cut}`,
        bytes: npyWith(parts.header, parts.data.subarray(0, cut), parts.version >= 2 ? 2 : 1),
      };
    }
    default: {
      const s = mutatedShape(rng, shape);
      const d = rng.pick(DESCRS);
      return { what: `npy descr ${d} shape ${s}`, bytes: npyWith(dict(d, fortran, s), parts.data) };
    }
  }
}

// ---------------------------------------------------------------------------------------
// .npz

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const EOCD = 0x06054b50;

function signatures(bytes: Uint8Array, sig: number): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i++) {
    if (bytes[i] === 0x50 && view.getUint32(i, true) === sig) at.push(i);
  }
  return at;
}

/** The central directory and EOCD are in the last bytes; local headers anywhere. */
function zipRecords(bytes: Uint8Array): { local: number[]; central: number[]; eocd: number[] } {
  return {
    local: signatures(bytes, LOCAL),
    central: signatures(bytes, CENTRAL),
    eocd: signatures(bytes, EOCD),
  };
}

const U32S = [0, 1, 0x7fffffff, 0xffffffff, 0xfffffffe, 12345678];

export function npzStructured(rng: Rng, seed: Uint8Array): Mutated {
  const choice = rng.int(7);
  if (choice <= 2) {
    // Re-zipped with one entry mutated as an .npy (stored or deflated), or an entry added.
    const entries = unzipSync(seed);
    const names = Object.keys(entries);
    const name = rng.pick(names);
    const m = rng.chance(0.8) ? npyStructured(rng, entries[name]) : generic(rng, entries[name]);
    entries[name] = new Uint8Array(m.bytes);
    if (choice === 2 && rng.chance(0.5)) {
      entries[rng.pick(['extra.npy', 'labels.npy', 'features.npy', 'dir/', 'x.txt'])] =
        new Uint8Array(m.bytes);
    }
    const level = rng.pick([0, 1, 6] as const);
    return { what: `npz ${name}: ${m.what} (level ${level})`, bytes: zipSync(entries, { level }) };
  }
  const bytes = seed.slice();
  const view = new DataView(bytes.buffer);
  const { local, central, eocd } = zipRecords(bytes);
  if (choice === 3 && central.length) {
    // A central directory field lies: sizes, offset, name or extra length.
    const at = rng.pick(central);
    const field = rng.pick([
      ['compressed size', 20, 4],
      ['uncompressed size', 24, 4],
      ['local header offset', 42, 4],
      ['name length', 28, 2],
      ['extra length', 30, 2],
      ['method', 10, 2],
    ] as const);
    const v = field[2] === 4 ? rng.pick(U32S) : rng.pick([0, 1, 0xffff, 8, 99]);
    if (field[2] === 4) view.setUint32(at + field[1], v, true);
    else view.setUint16(at + field[1], v, true);
    return { what: `npz central ${field[0]} = ${v}`, bytes };
  }
  if (choice === 4 && local.length) {
    const at = rng.pick(local);
    const field = rng.pick([
      ['compressed size', 18, 4],
      ['uncompressed size', 22, 4],
      ['name length', 26, 2],
      ['extra length', 28, 2],
      ['signature', 0, 4],
    ] as const);
    const v = field[2] === 4 ? rng.pick(U32S) : rng.pick([0, 1, 0xffff, 8, 99]);
    if (field[2] === 4) view.setUint32(at + field[1], v, true);
    else view.setUint16(at + field[1], v, true);
    return { what: `npz local ${field[0]} = ${v}`, bytes };
  }
  if (choice === 5 && eocd.length) {
    const at = eocd[eocd.length - 1];
    const field = rng.pick([
      ['entries', 10, 2],
      ['cd size', 12, 4],
      ['cd offset', 16, 4],
    ] as const);
    const v = field[2] === 4 ? rng.pick(U32S) : rng.pick([0, 1, 0xffff, 3, 100]);
    if (field[2] === 4) view.setUint32(at + field[1], v, true);
    else view.setUint16(at + field[1], v, true);
    return { what: `npz eocd ${field[0]} = ${v}`, bytes };
  }
  // zip64 extra fields (header id 0x0001): sizes claiming 16 GiB, or an absurd offset.
  const extras = signatures(bytes, 0x00080001)
    .concat(signatures(bytes, 0x00180001))
    .concat(signatures(bytes, 0x00100001));
  if (extras.length) {
    const at = rng.pick(extras) + 4;
    const v = rng.pick([17179869184n, 9223372036854775807n, 9007199254740993n, 0n]);
    if (at + 8 <= bytes.length) view.setBigUint64(at, v, true);
    return { what: `npz zip64 extra = ${v}`, bytes };
  }
  return generic(rng, seed);
}

// ---------------------------------------------------------------------------------------
// .safetensors

export interface SafeTensor {
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

export function safetensorsBytes(
  header: unknown,
  data: Uint8Array,
  declaredLength?: bigint,
): Uint8Array {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

export function safetensorsOf(tensors: Record<string, SafeTensor>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let at = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + t.data.length] };
    at += t.data.length;
  }
  return safetensorsBytes(header, concat(Object.values(tensors).map((t) => t.data)));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const ST_DTYPES = [
  'F32',
  'F64',
  'F16',
  'BF16',
  'I64',
  'I32',
  'I16',
  'I8',
  'U8',
  'BOOL',
  'F8_E4M3',
  'C64',
  'x',
  '',
];

export function safetensorsStructured(rng: Rng, seed: Uint8Array): Mutated {
  const view = new DataView(seed.buffer, seed.byteOffset, seed.byteLength);
  const len = Number(view.getBigUint64(0, true));
  const header = JSON.parse(Buffer.from(seed.subarray(8, 8 + len)).toString()) as Record<
    string,
    { dtype: unknown; shape: unknown; data_offsets: unknown }
  >;
  const data = seed.subarray(8 + len);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const name = rng.pick(names);
  const t = header[name];
  const shape = t.shape as number[];
  const offsets = t.data_offsets as number[];
  switch (rng.int(9)) {
    case 0:
      t.dtype = rng.pick(ST_DTYPES);
      return { what: `st ${name} dtype ${String(t.dtype)}`, bytes: safetensorsBytes(header, data) };
    case 1: {
      t.shape = JSON.parse(
        mutatedShape(rng, shape)
          .replace(/\(/g, '[')
          .replace(/\)/g, ']')
          .replace(/,\s*]/g, ']')
          .replace(/'x'/g, '"x"')
          .replace(/None/g, 'null')
          .replace(/0x10/g, '16'),
      );
      return {
        what: `st ${name} shape ${JSON.stringify(t.shape)}`,
        bytes: safetensorsBytes(header, data),
      };
    }
    case 2: {
      const end = data.length;
      t.data_offsets = rng.pick([
        [offsets[1], offsets[0]],
        [0, end + 4],
        [-4, offsets[1]],
        [offsets[0], 2 ** 53],
        [offsets[0] + 1, offsets[1] + 1],
        [0, 0],
        ['0', '10'],
        [offsets[0]],
        null,
      ]);
      return {
        what: `st ${name} offsets ${JSON.stringify(t.data_offsets)}`,
        bytes: safetensorsBytes(header, data),
      };
    }
    case 3: {
      const declared = rng.pick([
        0n,
        1n,
        9223372036854775808n,
        1099511627776n,
        BigInt(len + 7),
        BigInt(len - 3),
        BigInt(seed.length),
      ]);
      return {
        what: `st header length ${declared}`,
        bytes: safetensorsBytes(header, data, declared),
      };
    }
    case 4: {
      const raw = rng.pick([
        'null',
        '[]',
        '"x"',
        '{',
        '{"a": 1}',
        '{"__metadata__": 5}',
        `${'['.repeat(100000)}${']'.repeat(100000)}`,
      ]);
      return { what: `st header ${raw.slice(0, 20)}`, bytes: safetensorsBytes(raw, data) };
    }
    case 5: {
      // A shape nested deep (the message formatter must not recurse through it).
      const depth = 20000 + rng.int(500000);
      t.shape = '@deep@';
      const json = JSON.stringify(header).replace(
        '"@deep@"',
        `${'['.repeat(depth)}1${']'.repeat(depth)}`,
      );
      return { what: `st shape nested ${depth} deep`, bytes: safetensorsBytes(json, data) };
    }
    case 6: {
      // Many tensors, each a lie (names listing must stay short).
      for (let i = 0; i < 20000; i++)
        header[`t${i}`] = { dtype: 'F32', shape: [1], data_offsets: [0, 4] };
      return { what: 'st 20000 tensors', bytes: safetensorsBytes(header, data) };
    }
    case 7: {
      t.shape = [shape[0], 0];
      t.data_offsets = [offsets[0], offsets[0]];
      return { what: `st ${name} shape N×0`, bytes: safetensorsBytes(header, data) };
    }
    default:
      delete header[rng.pick(names)];
      return { what: 'st tensor removed', bytes: safetensorsBytes(header, data) };
  }
}

// ---------------------------------------------------------------------------------------
// ONNX TensorProto (.pb)

type Tensor = Parameters<typeof onnx.TensorProto.encode>[0];

function dimsMutated(rng: Rng, dims: number[]): number[] {
  const d = dims.slice();
  switch (rng.int(6)) {
    case 0:
      d[rng.int(Math.max(1, d.length))] = rng.pick(HUGE);
      return d;
    case 1:
      d[rng.int(Math.max(1, d.length))] = rng.pick([-1, -32, -(2 ** 40)]);
      return d;
    case 2:
      return [];
    case 3:
      return rng.chance(0.5)
        ? Array.from({ length: 30 + rng.int(40) }, () => 2)
        : [...d, ...Array.from({ length: 3000 }, () => 1)];
    case 4:
      d[rng.int(Math.max(1, d.length))] = 0;
      return d;
    default:
      return [20000, 20000];
  }
}

/** External-data entries a careless or hostile writer could leave. */
function externalEntries(rng: Rng): { key: string; value: string }[] {
  const location = rng.pick([
    'missing.bin',
    '.',
    'sub',
    '../outside.bin',
    '/etc/hostname',
    'data.bin',
    'data.bin\u0000x',
    '',
  ]);
  const entries = [{ key: 'location', value: location }];
  if (rng.chance(0.6))
    entries.push({ key: 'offset', value: rng.pick(['0', '-1', '4', '1e3', 'x', String(2 ** 60)]) });
  if (rng.chance(0.6))
    entries.push({ key: 'length', value: rng.pick(['0', '16', '-5', String(2 ** 40), 'abc']) });
  return entries;
}

function tensorMutated(rng: Rng, t: Tensor): string {
  const dims = (t.dims ?? []).map(Number);
  switch (rng.int(7)) {
    case 0:
    case 1:
      t.dims = dimsMutated(rng, dims);
      return `dims [${t.dims.join(',')}]`;
    case 2:
      t.dataType = rng.pick([0, 2, 3, 6, 7, 8, 9, 10, 11, 14, 16, 17, 21, 99, -1]);
      return `dataType ${t.dataType}`;
    case 3: {
      const raw = t.rawData ?? new Uint8Array();
      t.rawData = raw.subarray(0, rng.int(raw.length + 1));
      return `raw_data cut to ${t.rawData.length}`;
    }
    case 4:
      t.dataLocation = 1;
      t.externalData = externalEntries(rng);
      if (rng.chance(0.7)) t.rawData = new Uint8Array();
      return `external ${JSON.stringify(t.externalData)}`;
    case 5:
      t.floatData = [1, 2, 3];
      if (rng.chance(0.5)) t.rawData = new Uint8Array();
      return 'float_data beside raw_data';
    default:
      t.int64Data = [1, 2];
      t.dataType = 7;
      t.rawData = new Uint8Array();
      return 'int64_data too short';
  }
}

export function pbStructured(rng: Rng, seed: Uint8Array): Mutated {
  const t = onnx.TensorProto.decode(seed);
  const what = tensorMutated(rng, t);
  return { what: `pb ${what}`, bytes: onnx.TensorProto.encode(t).finish() };
}

// ---------------------------------------------------------------------------------------
// ONNX models (.onnx)

type Model = InstanceType<typeof onnx.ModelProto>;

export function onnxStructured(rng: Rng, seed: Uint8Array): Mutated {
  const m: Model = onnx.ModelProto.decode(seed);
  const g = m.graph!;
  const nodes = g.node!;
  let what: string;
  switch (rng.int(10)) {
    case 0:
    case 1: {
      const t = rng.pick(g.initializer!);
      what = `initializer ${t.name}: ${tensorMutated(rng, t)}`;
      break;
    }
    case 2: {
      // A cycle: an earlier node takes a later node's output.
      const a = rng.int(nodes.length);
      const b = a + rng.int(nodes.length - a);
      nodes[a].input![0] = nodes[b].output![0];
      what = `cycle node ${a} ← node ${b}`;
      break;
    }
    case 3: {
      // A diamond of shape-preserving nodes after the features, many deep.
      const depth = 20 + rng.int(40);
      const extra = [];
      let prev = 'features';
      for (let i = 0; i < depth; i++) {
        extra.push({ opType: 'Relu', input: [prev], output: [`l${i}`] });
        extra.push({ opType: 'Relu', input: [prev], output: [`r${i}`] });
        extra.push({ opType: 'Add', input: [`l${i}`, `r${i}`], output: [`d${i}`] });
        prev = `d${i}`;
      }
      const fc = nodes.find((n) => n.output![0] === 'logits')!;
      fc.input![0] = prev;
      nodes.splice(nodes.indexOf(fc), 0, ...extra.map((n) => onnx.NodeProto.create(n)));
      what = `diamond ×${depth} before the classifier`;
      break;
    }
    case 4: {
      const count = 500 + rng.int(3000);
      const fc = nodes.find((n) => n.output![0] === 'logits')!;
      fc.output![0] = 'logits0';
      let prev = 'logits0';
      for (let i = 0; i < count; i++) {
        const out = i === count - 1 ? 'logits' : `p${i}`;
        nodes.push(onnx.NodeProto.create({ opType: 'Identity', input: [prev], output: [out] }));
        prev = out;
      }
      what = `${count} shape-preserving nodes after the classifier`;
      break;
    }
    case 5: {
      const n = rng.pick(nodes);
      n.opType = rng.pick(['Foo', 'Identity', 'MatMul', 'Add', 'Gemm', '']);
      what = `node ${n.name ?? ''} op ${n.opType}`;
      break;
    }
    case 6: {
      nodes.splice(rng.int(nodes.length), 1);
      what = 'node removed';
      break;
    }
    case 7: {
      const dims = g.input![0].type!.tensorType!.shape!.dim!;
      const d = rng.pick(dims);
      d.dimParam = '';
      d.dimValue = rng.pick([0, -1, 2 ** 40, 783, 1]);
      if (rng.chance(0.3)) g.input![0].type!.tensorType!.elemType = rng.pick([0, 6, 7, 11, 99]);
      what = `input dim ${String(d.dimValue)}`;
      break;
    }
    case 8: {
      const a = rng.int(nodes.length);
      nodes[a].input![0] = nodes[a].output![0];
      what = `self loop node ${a}`;
      break;
    }
    default: {
      m.opsetImport = [{ version: rng.pick([1, 6, 999, -1]) }];
      if (rng.chance(0.5)) m.irVersion = rng.pick([0, 1, 100]);
      what = 'opset/ir version';
    }
  }
  return { what: `onnx ${what}`, bytes: onnx.ModelProto.encode(m).finish() };
}

// ---------------------------------------------------------------------------------------
// PyTorch (.pt): torch.save's zip (data.pkl + storages) or the legacy pickle stream

/** Positions of `opcode` in a pickle (some are data bytes that look like it: fine here). */
function opcodes(bytes: Uint8Array, opcode: string): number[] {
  const code = opcode.charCodeAt(0);
  const at: number[] = [];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === code) at.push(i);
  return at;
}

const GLOBALS: [string, string][] = [
  ['torch._utils\n_rebuild_tensor_v2\n', 'os\nsystem\n'],
  ['torch._utils\n_rebuild_tensor_v2\n', 'builtins\neval\n'],
  ['torch._utils\n_rebuild_tensor_v2\n', 'torch._utils\n_rebuild_parameter\n'],
  ['torch\nFloatStorage\n', 'torch\nComplexFloatStorage\n'],
  ['torch\nFloatStorage\n', 'torch\nLongStorage\n'],
  ['torch\nLongStorage\n', 'torch\nFloatStorage\n'],
  ['collections\nOrderedDict\n', 'collections\ndefaultdict\n'],
];

export function pickleMutated(rng: Rng, pkl: Uint8Array): Mutated {
  const bytes = pkl.slice();
  const view = new DataView(bytes.buffer);
  switch (rng.int(5)) {
    case 0: {
      // BININT1: small ints (shapes, strides, offsets, storage sizes).
      const at = opcodes(bytes, 'K').filter((i) => i + 1 < bytes.length);
      if (!at.length) break;
      const i = rng.pick(at);
      bytes[i + 1] = rng.pick([0, 1, 255, 128, 7]);
      return { what: `pickle BININT1 at ${i} = ${bytes[i + 1]}`, bytes };
    }
    case 1: {
      // A BININT1 turned into a BININT of a huge or negative value (the bytes after shift).
      const at = opcodes(bytes, 'K').filter((i) => i + 2 < bytes.length);
      if (!at.length) break;
      const i = rng.pick(at);
      const v = rng.pick([-1, 2 ** 31 - 1, 2 ** 30, -(2 ** 31), 1 << 24]);
      const out = new Uint8Array(bytes.length + 3);
      out.set(bytes.subarray(0, i));
      out[i] = 'J'.charCodeAt(0);
      new DataView(out.buffer).setInt32(i + 1, v, true);
      out.set(bytes.subarray(i + 2), i + 5);
      return { what: `pickle BININT at ${i} = ${v}`, bytes: out };
    }
    case 2: {
      // BINUNICODE / SHORT_BINUNICODE lengths that lie.
      const at = opcodes(bytes, 'X').filter((i) => i + 5 < bytes.length);
      if (!at.length) break;
      const i = rng.pick(at);
      const v = rng.pick([0, 0xffffffff, 0x7fffffff, 1 << 20, view.getUint32(i + 1, true) + 3]);
      view.setUint32(i + 1, v >>> 0, true);
      return { what: `pickle BINUNICODE length at ${i} = ${v}`, bytes };
    }
    case 3: {
      const text = Buffer.from(bytes).toString('latin1');
      const [from, to] = rng.pick(GLOBALS);
      if (!text.includes(from)) break;
      return {
        what: `pickle global ${from.replace(/\n/g, '.')} → ${to.replace(/\n/g, '.')}`,
        bytes: new Uint8Array(Buffer.from(text.replace(from, to), 'latin1')),
      };
    }
    default: {
      // Deep nesting: a run of EMPTY_LIST + MARK before the real stream.
      const depth = 10000 + rng.int(200000);
      const prefix = Buffer.alloc(depth, ']'.charCodeAt(0));
      return {
        what: `pickle ${depth} nested lists first`,
        bytes: new Uint8Array(Buffer.concat([bytes.subarray(0, 2), prefix, bytes.subarray(2)])),
      };
    }
  }
  return generic(rng, pkl);
}

export function torchStructured(rng: Rng, seed: Uint8Array): Mutated {
  if (seed[0] !== 0x50) return pickleMutated(rng, seed); // legacy: pickles one after another
  const entries = unzipSync(seed);
  const names = Object.keys(entries);
  const pkl = names.find((n) => n.endsWith('/data.pkl'))!;
  const storages = names.filter((n) => /\/data\/\d+$/.test(n));
  let what: string;
  const choice = rng.int(10);
  if (choice < 7) {
    const m = pickleMutated(rng, entries[pkl]);
    entries[pkl] = new Uint8Array(m.bytes);
    what = m.what;
  } else if (choice < 9 && storages.length) {
    const name = rng.pick(storages);
    const data = entries[name];
    entries[name] = rng.chance(0.7)
      ? data.slice(0, rng.int(data.length))
      : new Uint8Array(data.length * 2 + 3);
    what = `storage ${name} now ${entries[name].length} bytes`;
  } else {
    const name = rng.pick(storages.length ? storages : names);
    delete entries[name];
    what = `entry ${name} removed`;
  }
  return { what: `torch ${what}`, bytes: zipSync(entries, { level: 0 }) };
}
