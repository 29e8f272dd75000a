/**
 * Large number arrays of an API value, sent as float64 bytes rather than as JSON text or as
 * structured-clone lists of numbers. At C = 10 000 a two-epoch series holds ~110 MB of JSON,
 * nearly all of it class means, classifier rows, the sample cloud and the cosine summary: the
 * server spent 1.5 s writing it and the page's worker 1.6 s parsing it. Packed, those arrays
 * are a copy each way.
 *
 * - `largeArrays` finds them anywhere in a value (a result, a series' points, a test split, an
 *   added run), by path; `withArrays` gives a copy of the value with them replaced.
 * - The browser shell's responses are *records* (`RECORDS_MIME`): each a 12-byte header (kind,
 *   JSON length, float64 count; little-endian), the JSON `{ v, a }` of the value with its large
 *   arrays left out and their places `a`, then the arrays' float64 bytes. An analysis is its
 *   progress records, then one value or error record. `packRecord` writes one, `readRecords`
 *   reads a stream of them (main/shells/browser/http.ts and renderer/src/api/wire.ts).
 * - The Electron service process posts its replies with the arrays as Float64Arrays
 *   (`typedArrays`), which every structured clone on the way to the window copies as bytes.
 *
 * Receivers get Float64Arrays where the schema says number[]: the views read them by index and
 * length only, never grow them.
 */

/** Arrays shorter than this stay in the JSON (a few classes: nothing to gain). */
export const TYPED_FROM = 20_000;

/** Content type of the browser shell's record responses. */
export const RECORDS_MIME = 'application/x-nc-lens-records';

export type RecordKind = 'progress' | 'value' | 'error';
const KIND_CODE: Record<RecordKind, number> = { progress: 1, value: 2, error: 3 };
const CODE_KIND: Record<number, RecordKind> = { 1: 'progress', 2: 'value', 3: 'error' };
const HEADER_BYTES = 12;
/** Deeper than this a value is not searched (API values are a few levels deep). */
const MAX_DEPTH = 24;

export type Path = (string | number)[];

/** One large array of a value: where it is and what it holds. */
export interface LargeArray {
  path: Path;
  array: ArrayLike<number>;
}

/** Every array of at least TYPED_FROM finite numbers (or Float64Array) in `value`, by path. */
export function largeArrays(value: unknown): LargeArray[] {
  const found: LargeArray[] = [];
  const path: Path = [];
  const visit = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== 'object' || depth > MAX_DEPTH) return;
    if (v instanceof Float64Array) {
      if (v.length >= TYPED_FROM) found.push({ path: [...path], array: v });
      return;
    }
    if (ArrayBuffer.isView(v)) return;
    if (Array.isArray(v)) {
      if (v.length === 0) return;
      if (typeof v[0] === 'number') {
        if (v.length >= TYPED_FROM && allFinite(v)) found.push({ path: [...path], array: v });
        return;
      }
      for (let i = 0; i < v.length; i++) {
        if (v[i] === null || typeof v[i] !== 'object') continue;
        path.push(i);
        visit(v[i], depth + 1);
        path.pop();
      }
      return;
    }
    for (const key of Object.keys(v)) {
      const x = (v as Record<string, unknown>)[key];
      if (x === null || typeof x !== 'object') continue;
      path.push(key);
      visit(x, depth + 1);
      path.pop();
    }
  };
  visit(value, 0);
  return found;
}

/** NaN and ±∞ are null in JSON: an array holding one stays JSON, so both ways agree. */
function allFinite(a: unknown[]): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/**
 * A copy of `value` with the array at each of `found[k].path` replaced by `make(k)`: only the
 * objects on those paths are copied (shallowly); everything else is shared with `value`.
 */
export function withArrays(
  value: unknown,
  found: readonly LargeArray[],
  make: (k: number) => unknown,
): unknown {
  if (found.length === 0) return value;
  if (found[0].path.length === 0) return make(0);
  const copies = new Map<object, object>();
  const copyOf = (o: object): object => {
    let c = copies.get(o);
    if (!c) {
      c = Array.isArray(o) ? [...(o as unknown[])] : { ...o };
      copies.set(o, c);
    }
    return c;
  };
  const root = copyOf(value as object);
  found.forEach(({ path }, k) => {
    let original = value as Record<string | number, unknown>;
    let copy = root as Record<string | number, unknown>;
    for (let i = 0; i < path.length - 1; i++) {
      original = original[path[i]] as Record<string | number, unknown>;
      const next = copyOf(original) as Record<string | number, unknown>;
      copy[path[i]] = next;
      copy = next;
    }
    copy[path[path.length - 1]] = make(k);
  });
  return root;
}

/** `value` with its large arrays as Float64Arrays (the Electron service's replies). */
export function typedArrays(value: unknown): unknown {
  const found = largeArrays(value);
  return withArrays(value, found, (k) => {
    const a = found[k].array;
    return a instanceof Float64Array ? a : Float64Array.from(a);
  });
}

/** One record: its header and JSON, then the float64 bytes of its large arrays. */
export function packRecord(kind: RecordKind, value: unknown): Uint8Array[] {
  const found = largeArrays(value);
  let count = 0;
  const places = found.map(({ path, array }) => {
    const place = [path, count, array.length];
    count += array.length;
    return place;
  });
  if (count > 0xffffffff) throw new RangeError(`a record of ${count} numbers is too large`);
  const numbers = new Float64Array(count);
  found.forEach(({ array }, k) => numbers.set(array, places[k][1] as number));
  const json = new TextEncoder().encode(
    JSON.stringify({ v: withArrays(value, found, () => 0), a: places }),
  );
  const header = new DataView(new ArrayBuffer(HEADER_BYTES));
  header.setUint8(0, KIND_CODE[kind]);
  header.setUint32(4, json.length, true);
  header.setUint32(8, count, true);
  const out: Uint8Array[] = [new Uint8Array(header.buffer), json];
  if (count > 0) out.push(littleEndian(new Uint8Array(numbers.buffer)));
  return out;
}

const LITTLE = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/** Float64 bytes in little-endian order (as they already are on every machine NC Lens runs on). */
function littleEndian<T extends Uint8Array>(bytes: T): T {
  if (!LITTLE) for (let i = 0; i < bytes.length; i += 8) bytes.subarray(i, i + 8).reverse();
  return bytes;
}

/** A record as read: its kind and value, with the large arrays as Float64Arrays. */
export interface ReadRecord {
  kind: RecordKind;
  value: unknown;
  /** The buffer holding its arrays (null: none): what a worker transfers on. */
  buffer: ArrayBufferLike | null;
}

/**
 * Reads the records of a response body. `allocate(bytes)` makes the buffer a record's arrays
 * are read into (a SharedArrayBuffer where the page can share memory with its workers). A body
 * that ends inside a record, or holds something else, throws.
 */
export async function* readRecords(
  body: ReadableStream<Uint8Array>,
  allocate: (bytes: number) => ArrayBufferLike = (n) => new ArrayBuffer(n),
): AsyncGenerator<ReadRecord> {
  const bytes = new ByteReader(body.getReader());
  const decoder = new TextDecoder();
  for (;;) {
    const head = await bytes.read(HEADER_BYTES, true);
    if (!head) return;
    const view = new DataView(head.buffer, head.byteOffset, HEADER_BYTES);
    const kind = CODE_KIND[view.getUint8(0)];
    if (!kind) throw new Error('not an NC Lens record');
    const json = await bytes.read(view.getUint32(4, true));
    const count = view.getUint32(8, true);
    const parsed = JSON.parse(decoder.decode(json!)) as { v: unknown; a: [Path, number, number][] };
    let value = parsed.v;
    const a = parsed.a;
    let buffer: ArrayBufferLike | null = null;
    if (count > 0) {
      buffer = allocate(count * 8);
      await bytes.readInto(new Uint8Array(buffer));
      littleEndian(new Uint8Array(buffer));
      for (const [path, offset, length] of a) {
        if (offset + length > count) throw new Error('an NC Lens record overruns its numbers');
        const array = new Float64Array(buffer, offset * 8, length);
        if (path.length === 0) value = array;
        else place(value, path, array);
      }
    }
    yield { kind, value, buffer };
  }
}

function place(root: unknown, path: Path, array: Float64Array): void {
  let o = root as Record<string | number, unknown> | null;
  for (let i = 0; i < path.length - 1; i++) {
    o = o?.[path[i]] as Record<string | number, unknown> | null;
    if (o === null || typeof o !== 'object') return;
  }
  if (o && typeof o === 'object') o[path[path.length - 1]] = array;
}

/** Exactly-n-byte reads from a stream of chunks. */
class ByteReader {
  private chunk: Uint8Array = new Uint8Array(0);
  private at = 0;
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  /** The next chunk, or false at the end of the stream. */
  private async more(): Promise<boolean> {
    for (;;) {
      const { value, done } = await this.reader.read();
      if (done) return false;
      if (value.length > 0) {
        this.chunk = value;
        this.at = 0;
        return true;
      }
    }
  }

  /** Fills `into` from the stream; the stream ending first throws. */
  async readInto(into: Uint8Array): Promise<void> {
    let filled = 0;
    while (filled < into.length) {
      if (this.at === this.chunk.length && !(await this.more()))
        throw new Error('an NC Lens record ends early');
      const n = Math.min(into.length - filled, this.chunk.length - this.at);
      into.set(this.chunk.subarray(this.at, this.at + n), filled);
      this.at += n;
      filled += n;
    }
  }

  /** The next n bytes; with `orEnd`, null when the stream ends cleanly before them. */
  async read(n: number, orEnd = false): Promise<Uint8Array | null> {
    if (orEnd && this.at === this.chunk.length && !(await this.more())) return null;
    const out = new Uint8Array(n);
    await this.readInto(out);
    return out;
  }
}
