/**
 * NumPy `.npz`: a zip of .npy entries, read with yauzl (zip64, deflate). Stored entries are
 * read in place through a file handle; deflated entries stream through an inflater whose
 * position is kept, so chunk-by-chunk reading costs one pass.
 */
import { close as closeFd, createReadStream, fstat, open as openFd, read as readFd } from 'node:fs';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { PassThrough, Readable, Transform, pipeline } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
import yauzl from 'yauzl';
import { badInput } from '../../shared/errors.ts';
import { fileBytes, type ByteSource } from './bytes.ts';
import { npyArray } from './npy.ts';
import type { ArraySource, Container } from './types.ts';

export async function readNpzFile(file: string): Promise<Container> {
  const zip = await openZip(file);
  const handle = await openFile(file, 'r');
  const streams: InflateSource[] = [];
  const close = async (): Promise<void> => {
    for (const s of streams) s.destroy();
    zip.close();
    await handle.close();
  };
  try {
    const entries = (await listEntries(zip, file)).filter((e) => !e.fileName.endsWith('/'));
    if (entries.length === 0) throw badInput(file, 'an .npz holding .npy entries', 'no entries');
    const arrays: ArraySource[] = [];
    const { size } = await handle.stat();
    for (const entry of entries) {
      const where = `${file}:${entry.fileName}`;
      const bytes = await entryBytes(zip, entry, handle, where, size);
      if (bytes instanceof InflateSource) streams.push(bytes);
      arrays.push(await npyArray(bytes, file, where, entry.fileName.replace(/\.npy$/i, '')));
    }
    return { file, format: 'npz', bytes: size, arrays, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * yauzl's own file reader hands every offset the archive declares to fs.read, which throws
 * past 2**53 — inside a callback, where nothing can catch it, so the process ends. A zip64
 * record or extra field can declare 2**60. This reader answers such a read with an error,
 * which yauzl reports as it reports a short read.
 */
class CheckedReader extends yauzl.RandomAccessReader {
  constructor(
    private readonly fd: number,
    private readonly size: number,
  ) {
    super();
  }

  private outside(start: number, end: number): Error | null {
    if (Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end)
      return null;
    return new Error(`unexpected EOF (a read at byte ${start} of the ${this.size}-byte file)`);
  }

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null) => void,
  ): void {
    const bad = this.outside(position, position + length);
    if (bad) return void setImmediate(() => callback(bad));
    // yauzl reads bytesRead from the callback to tell a short read ("unexpected EOF").
    const done = callback as (err: Error | null, bytesRead?: number) => void;
    readFd(this.fd, buffer, offset, length, position, (err, bytesRead) => done(err, bytesRead));
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const bad = this.outside(start, end);
    if (bad) {
      const failed = new PassThrough();
      setImmediate(() => failed.destroy(bad));
      return failed;
    }
    return createReadStream('', { fd: this.fd, start, end: end - 1, autoClose: false });
  }

  override close(callback: (err: Error | null) => void): void {
    closeFd(this.fd, callback);
  }
}

export async function openZip(file: string): Promise<yauzl.ZipFile> {
  const fd = await new Promise<number>((resolve, reject) =>
    openFd(file, 'r', (e, fd) =>
      e ? reject(badInput(file, 'a readable file', e.code ?? e.message)) : resolve(fd),
    ),
  );
  try {
    const { size } = await new Promise<{ size: number }>((resolve, reject) =>
      fstat(fd, (e, st) => (e ? reject(e) : resolve(st))),
    );
    return await yauzl.fromRandomAccessReaderPromise(new CheckedReader(fd, size), size, {
      lazyEntries: true,
      autoClose: false,
    });
  } catch (e) {
    closeFd(fd, () => undefined);
    throw zipError(file, e);
  }
}

/** yauzl refuses `../` and absolute entry names itself; that refusal is reported as such. */
function zipError(file: string, e: unknown): Error {
  const msg = (e as Error).message ?? String(e);
  const name = /^(invalid relative path|absolute path|invalid characters in fileName): (.*)$/.exec(
    msg,
  );
  if (name) return badInput(file, 'entry names inside the archive', `entry '${name[2]}'`);
  if (/central directory record signature not found/i.test(msg)) {
    return badInput(file, 'a zip archive (.npz)', 'no central directory (truncated or not a zip)');
  }
  return badInput(file, 'a readable zip archive', msg.split('\n')[0]);
}

export function listEntries(zip: yauzl.ZipFile, file: string): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', (e: unknown) => reject(zipError(file, e)));
    zip.readEntry();
  });
}

/** Deflate's best ratio is about 1032:1; an entry claiming more is lying about its size. */
const MAX_DEFLATE_RATIO = 1032;

export async function entryBytes(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  handle: FileHandle,
  where: string,
  fileSize: number,
): Promise<ByteSource> {
  if (entry.isEncrypted()) throw badInput(where, 'an unencrypted entry', 'an encrypted one');
  if (entry.compressionMethod === 0) {
    const fileDataStart = await dataStart(zip, entry, where, fileSize);
    if (entry.uncompressedSize !== entry.compressedSize) {
      throw badInput(
        where,
        `a stored entry of ${entry.compressedSize} bytes as stored`,
        `${entry.uncompressedSize} bytes declared uncompressed`,
      );
    }
    return fileBytes(handle, fileDataStart, entry.uncompressedSize, where);
  }
  if (entry.compressionMethod !== 8) {
    throw badInput(
      where,
      'a stored or deflated entry',
      `compression method ${entry.compressionMethod}`,
    );
  }
  if (entry.uncompressedSize > MAX_DEFLATE_RATIO * entry.compressedSize + 1024) {
    throw badInput(
      where,
      `at most ${MAX_DEFLATE_RATIO}× its ${entry.compressedSize} deflated bytes`,
      `${entry.uncompressedSize} bytes declared`,
    );
  }
  const fileDataStart = await dataStart(zip, entry, where, fileSize);
  return new InflateSource(() => inflatedEntry(handle, fileDataStart, entry), entry, where);
}

/**
 * Where the entry's data starts, checked to lie inside the file: a damaged local header is the
 * user's file, not an internal error.
 */
async function dataStart(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  where: string,
  fileSize: number,
): Promise<number> {
  let start: number;
  try {
    ({ fileDataStart: start } = await zip.readLocalFileHeaderPromise(entry, { minimal: true }));
  } catch (e) {
    throw badInput(where, 'a readable zip entry', (e as Error).message.split('\n')[0]);
  }
  if (start + entry.compressedSize > fileSize) {
    throw badInput(
      where,
      `${entry.compressedSize} bytes of entry data inside the ${fileSize}-byte file`,
      `data from byte ${start}`,
    );
  }
  return start;
}

/**
 * Bytes [start, start + length) through positioned reads. Not `handle.createReadStream`: once
 * one such stream is destroyed, later streams on the same handle end with "Premature close".
 */
async function* fileRange(
  handle: FileHandle,
  start: number,
  length: number,
): AsyncGenerator<Buffer> {
  for (let pos = start; pos < start + length;) {
    const n = Math.min(1 << 16, start + length - pos);
    const { buffer, bytesRead } = await handle.read(Buffer.allocUnsafe(n), 0, n, pos);
    if (bytesRead === 0) return;
    pos += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

/**
 * A deflated entry inflated by zlib from our own file handle, with yauzl's size check. Not
 * yauzl's read stream: destroying that one while a read is queued (a restart, a close)
 * throws from an fs callback and takes the whole process down.
 */
async function inflatedEntry(
  handle: FileHandle,
  start: number,
  entry: yauzl.Entry,
): Promise<Readable> {
  const expected = entry.uncompressedSize;
  let seen = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > expected)
        done(new Error(`too many bytes in the stream. expected ${expected}. got at least ${seen}`));
      else done(null, chunk);
    },
    flush(done) {
      done(
        seen < expected
          ? new Error(`not enough bytes in the stream. expected ${expected}. got only ${seen}`)
          : null,
      );
    },
  });
  const raw = Readable.from(fileRange(handle, start, entry.compressedSize));
  return pipeline(raw, createInflateRaw(), count, () => undefined);
}

/**
 * Sequential reads of a deflated entry. Reading forward skips; reading backward restarts the
 * inflater. Memory stays at one stream buffer plus the bytes asked for; the inflater never
 * runs past what was asked, and yauzl stops it at the declared size. CRC-32 is checked when a
 * pass from the start reaches the end (yauzl leaves that to its callers).
 */
class InflateSource implements ByteSource {
  readonly size: number;
  private stream?: Readable;
  private chunks?: AsyncIterator<Buffer>;
  private leftover?: Buffer;
  private pos = 0;
  private crc = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly openStream: () => Promise<Readable>,
    private readonly entry: yauzl.Entry,
    private readonly where: string,
  ) {
    this.size = entry.uncompressedSize;
  }

  /** Reads are serialised: one stream position cannot serve two readers at once. */
  read(offset: number, length: number): Promise<Uint8Array> {
    const result = this.queue.then(() => this.readNow(offset, length));
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async readNow(offset: number, length: number): Promise<Uint8Array> {
    if (!this.chunks || offset < this.pos) await this.restart();
    while (this.pos < offset) await this.take(offset - this.pos);
    const out = Buffer.allocUnsafeSlow(length);
    let filled = 0;
    while (filled < length) {
      const piece = await this.take(length - filled);
      out.set(piece, filled);
      filled += piece.length;
    }
    return out;
  }

  destroy(): void {
    this.stream?.destroy();
    this.stream = undefined;
    this.chunks = undefined;
  }

  private async restart(): Promise<void> {
    this.destroy();
    this.stream = await this.openStream();
    this.chunks = this.stream[Symbol.asyncIterator]();
    this.leftover = undefined;
    this.pos = 0;
    this.crc = 0;
  }

  /** Up to `max` bytes from the stream, advancing the position and the running CRC. */
  private async take(max: number): Promise<Buffer> {
    let chunk = this.leftover;
    this.leftover = undefined;
    if (!chunk) chunk = await this.nextChunk();
    if (chunk.length > max) {
      this.leftover = chunk.subarray(max);
      chunk = chunk.subarray(0, max);
    }
    this.crc = crc32(chunk, this.crc);
    this.pos += chunk.length;
    if (this.pos === this.size && this.crc !== this.entry.crc32) {
      throw badInput(
        this.where,
        `CRC-32 ${hex(this.entry.crc32)}`,
        `${hex(this.crc)} (corrupt data)`,
      );
    }
    return chunk;
  }

  private streamError(message: string): Error {
    const size = sizeMismatch(message, this.size);
    if (size)
      return badInput(this.where, `${this.size} bytes inflated, as the entry declares`, size);
    return badInput(this.where, 'a valid deflate stream', `corrupt data (${message})`);
  }

  private async nextChunk(): Promise<Buffer> {
    let next: IteratorResult<Buffer>;
    try {
      next = await this.chunks!.next();
    } catch (e) {
      this.destroy();
      throw this.streamError((e as Error).message);
    }
    if (next.done) {
      throw badInput(this.where, `${this.size} bytes inflated`, `only ${this.pos} bytes`);
    }
    return next.value;
  }
}

/** yauzl's size checks mean the entry lies about its size: a damaged archive or a bomb. */
function sizeMismatch(message: string, declared: number): string | undefined {
  const got = /(not enough|too many) bytes in the stream.*got (?:only |at least )?(\d+)/.exec(
    message,
  );
  if (!got) return undefined;
  return got[1] === 'not enough' ? `only ${got[2]} bytes` : `more than ${declared} bytes`;
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}
