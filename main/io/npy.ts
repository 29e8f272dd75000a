/**
 * NumPy `.npy` (format versions 1.0, 2.0, 3.0). The header is a Python dict literal; it is
 * parsed by a small literal grammar, never evaluated. Data are read by row range.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { badInput } from '../../shared/errors.ts';
import { briefJson, briefText, dimsText } from './dataset.ts';
import { fileBytes, type ByteSource } from './bytes.ts';
import { ITEM_BYTES, product, rawArray } from './decode.ts';
import type { ArraySource, Container, DType } from './types.ts';

export const NPY_MAGIC = Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/** Header dicts above this are not arrays anyone wrote with NumPy. */
const MAX_HEADER_BYTES = 1 << 20;

export async function readNpyFile(file: string): Promise<Container> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const array = await npyArray(fileBytes(handle, 0, size, file), file, file, baseName(file));
    return { file, format: 'npy', bytes: size, arrays: [array], close: () => handle.close() };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

function baseName(file: string): string {
  return path.basename(file).replace(/\.npy$/i, '');
}

/**
 * An npy stream (a file, or an .npz entry) as an ArraySource. `where` names it in errors
 * (`file` or `file.npz:entry`); the declared size is checked against what the header
 * promises before anything is allocated, which is what stops zip bombs.
 */
export async function npyArray(
  bytes: ByteSource,
  file: string,
  where: string,
  name: string,
): Promise<ArraySource> {
  if (bytes.size === 0) throw badInput(where, 'an .npy array', 'an empty file');
  const head = await bytes.read(0, Math.min(bytes.size, 12));
  if (head.length < 10 || !NPY_MAGIC.every((b, i) => head[i] === b)) {
    throw badInput(where, 'the .npy magic \\x93NUMPY', `${quoteBytes(head)}`);
  }
  const major = head[6];
  if (major < 1 || major > 3) {
    throw badInput(where, '.npy format version 1.0, 2.0 or 3.0', `version ${major}.${head[7]}`);
  }
  const view = new DataView(head.buffer, head.byteOffset, head.length);
  const headerStart = major === 1 ? 10 : 12;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerStart + headerLength > bytes.size || headerLength > MAX_HEADER_BYTES) {
    throw badInput(
      where,
      `an .npy header of ${headerLength} bytes inside the data`,
      `${bytes.size} bytes in all`,
    );
  }
  const raw = await bytes.read(headerStart, headerLength);
  const text = Buffer.from(raw).toString(major === 3 ? 'utf8' : 'latin1');
  const header = parseHeader(text, where);
  const dataOffset = headerStart + headerLength;
  const dataBytes = product(header.shape) * ITEM_BYTES[header.dtype];
  if (dataOffset + dataBytes > bytes.size) {
    throw badInput(
      where,
      `${dataBytes} bytes of data for shape (${dimsText(header.shape)}) ${header.descr}`,
      `${bytes.size - dataOffset} bytes`,
    );
  }
  return rawArray({ name, file, ...header, bytes, dataOffset });
}

function quoteBytes(b: Uint8Array): string {
  const text = Buffer.from(b.subarray(0, 10)).toString('latin1');
  return JSON.stringify(text.replace(/[^\x20-\x7e]/g, '.'));
}

interface NpyHeader {
  descr: string;
  dtype: DType;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
}

function parseHeader(text: string, where: string): NpyHeader {
  let dict: unknown;
  try {
    dict = new LiteralParser(text.trim()).parseAll();
  } catch (e) {
    throw badInput(where, 'an .npy header dict', `unreadable text (${(e as Error).message})`);
  }
  if (!isRecord(dict)) throw badInput(where, 'an .npy header dict', 'another literal');
  const { descr, fortran_order: fortranOrder, shape } = dict;
  if (Array.isArray(descr)) {
    throw badInput(
      where,
      'a plain numeric dtype',
      `a structured dtype ${briefText(formatDescr(descr), 60)}`,
    );
  }
  if (typeof descr !== 'string') throw badInput(where, "a 'descr' in the header", 'none');
  if (typeof fortranOrder !== 'boolean') {
    throw badInput(where, "'fortran_order' True or False in the header", String(fortranOrder));
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw badInput(where, "a 'shape' tuple of sizes in the header", briefJson(shape));
  }
  return { descr, ...parseDescr(descr, where), fortranOrder, shape: shape as number[] };
}

/** Python spelling of a structured descr: `[('a', '<f4'), ('b', '<i4')]`. */
function formatDescr(descr: unknown[]): string {
  const field = (f: unknown) =>
    Array.isArray(f) ? `(${f.map((x) => `'${String(x)}'`).join(', ')})` : String(f);
  return `[${descr.map(field).join(', ')}]`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const REFUSED_KINDS: Record<string, string> = {
  O: 'an object dtype (pickled Python objects, never unpickled)',
  c: 'a complex dtype',
  U: 'a string dtype',
  S: 'a bytes dtype',
  a: 'a bytes dtype',
  V: 'a structured (void) dtype',
  M: 'a datetime dtype',
  m: 'a timedelta dtype',
};

const NUMERIC = 'a numeric dtype (f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1)';

/** NumPy type strings: byte order (`<`, `>`, `|`, `=`), kind letter, item size. */
function parseDescr(descr: string, where: string): { dtype: DType; littleEndian: boolean } {
  const m = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  if (!m) throw badInput(where, NUMERIC, `dtype '${briefText(descr)}'`);
  const [, order, kind, size] = m;
  if (REFUSED_KINDS[kind])
    throw badInput(where, NUMERIC, `${REFUSED_KINDS[kind]} '${briefText(descr)}'`);
  const dtype = `${kind}${size}`;
  if (!(dtype in ITEM_BYTES)) throw badInput(where, NUMERIC, `dtype '${briefText(descr)}'`);
  // '=' is the writer's native order; NumPy only writes it from little-endian hosts in practice.
  return { dtype: dtype as DType, littleEndian: order !== '>' };
}

/** The subset of Python literals npy headers use: dicts, tuples, lists, str, int, bools, None. */
class LiteralParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseAll(): unknown {
    const v = this.value();
    this.skipSpace();
    if (this.pos !== this.text.length) this.fail('text after the dict');
    return v;
  }

  private value(): unknown {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '{') return this.dict();
    if (c === '(') return this.sequence(')');
    if (c === '[') return this.sequence(']');
    if (c === "'" || c === '"') return this.string();
    const word = /^(True|False|None|-?\d+L?)/.exec(this.text.slice(this.pos));
    if (!word) this.fail(`unexpected ${JSON.stringify(this.text.slice(this.pos, this.pos + 8))}`);
    this.pos += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number.parseInt(word[0], 10);
  }

  private dict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.pos++;
    for (;;) {
      this.skipSpace();
      if (this.eat('}')) return out;
      const key = this.value();
      if (typeof key !== 'string') this.fail('a string key');
      this.skipSpace();
      if (!this.eat(':')) this.fail("':' after a key");
      out[key] = this.value();
      this.skipSpace();
      if (!this.eat(',') && this.text[this.pos] !== '}') this.fail("',' or '}'");
    }
  }

  private sequence(close: string): unknown[] {
    const out: unknown[] = [];
    this.pos++;
    for (;;) {
      this.skipSpace();
      if (this.eat(close)) return out;
      out.push(this.value());
      this.skipSpace();
      if (!this.eat(',') && this.text[this.pos] !== close) this.fail(`',' or '${close}'`);
    }
  }

  private string(): string {
    const quote = this.text[this.pos];
    const end = this.text.indexOf(quote, this.pos + 1);
    if (end < 0) this.fail('a closing quote');
    const s = this.text.slice(this.pos + 1, end);
    this.pos = end + 1;
    return s;
  }

  private eat(c: string): boolean {
    if (this.text[this.pos] !== c) return false;
    this.pos++;
    return true;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private fail(what: string): never {
    throw new Error(`${what} at character ${this.pos}`);
  }
}
