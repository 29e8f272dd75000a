/**
 * Uploaded files of the browser shell: streamed to disk (never buffered whole) in a private
 * temporary folder (mkdtemp: mode 0700) that `dispose` removes.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { NcLensError, badInput } from '../../../shared/errors.ts';
import type { ResolvedFile } from '../../service/session.ts';
import { formatBytes } from '../../../shared/format.ts';

/** 8 GiB: larger than any dump we expect, small enough to stop a runaway upload filling the disk. */
export const DEFAULT_MAX_UPLOAD = 8 * 1024 ** 3;

export class UploadTooLarge extends NcLensError {
  constructor(name: string, limit: number) {
    super(
      'bad-input',
      `${name}: expected at most ${formatBytes(limit)} per upload, found more (start nc-lens serve with --max-upload to raise the limit, or use the desktop app, which reads files in place)`,
      name,
    );
  }
}

/** All uploads of one server together: they stay on disk until it exits. */
export const DEFAULT_MAX_TOTAL_UPLOADS = 32 * 1024 ** 3;

/** The uploads of this server together would pass `limit`. */
export class UploadQuotaFull extends NcLensError {
  constructor(name: string, limit: number) {
    super(
      'bad-input',
      `${name}: expected at most ${formatBytes(limit)} of uploads in all (or the free disk space), found more (restart nc-lens serve to free them, or use the desktop app, which reads files in place)`,
      name,
    );
  }
}

export class UploadStore {
  readonly dir: string;
  private readonly files = new Map<string, ResolvedFile>();
  /** Bytes of the uploads kept, plus those being received. */
  private used = 0;

  constructor(
    readonly maxBytes = DEFAULT_MAX_UPLOAD,
    readonly maxTotalBytes = DEFAULT_MAX_TOTAL_UPLOADS,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'nc-lens-'));
  }

  /** Refuses an upload of `declared` bytes that would pass the total quota or the free space. */
  checkQuota(name: string, declared: number): void {
    const free = freeBytes(this.dir);
    const limit = Math.min(this.maxTotalBytes, this.used + free);
    if (this.used + (Number.isFinite(declared) ? declared : 0) > limit) {
      throw new UploadQuotaFull(name, this.maxTotalBytes);
    }
  }

  /** Streams `body` to a new file named like the user's file; rejects past `maxBytes`. */
  async receive(body: Readable, rawName: string): Promise<{ uploadId: string; name: string }> {
    const name = safeName(rawName);
    const uploadId = randomBytes(12).toString('hex');
    const folder = join(this.dir, uploadId);
    mkdirSync(folder, { mode: 0o700 });
    const path = join(folder, name);
    let seen = 0;
    const limit = this.maxBytes;
    const room = this.maxTotalBytes - this.used;
    // Past the limit the rest is read and dropped rather than the socket destroyed: the browser
    // then gets the 413 and its message instead of a bare network error.
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        done(null, seen > limit || seen > room ? undefined : chunk);
      },
    });
    try {
      await pipeline(body, counter, createWriteStream(path, { mode: 0o600 }));
    } catch {
      rmSync(folder, { recursive: true, force: true });
      throw badInput(name, 'a complete upload', 'the connection closed early');
    }
    if (seen > limit) {
      rmSync(folder, { recursive: true, force: true });
      throw new UploadTooLarge(name, limit);
    }
    if (seen > room) {
      rmSync(folder, { recursive: true, force: true });
      throw new UploadQuotaFull(name, this.maxTotalBytes);
    }
    this.used += seen;
    this.files.set(uploadId, { path, name });
    return { uploadId, name };
  }

  resolve(uploadId: string): ResolvedFile {
    const f = this.files.get(uploadId);
    if (!f) throw badInput(undefined, 'an uploaded file', `unknown upload id '${uploadId}'`);
    return f;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Bytes free on the disk holding `dir` (Infinity where the platform cannot say). */
function freeBytes(dir: string): number {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return Infinity;
  }
}

/** File systems limit a name to 255 bytes (not characters: "€" is 3 bytes in UTF-8). */
const MAX_NAME_BYTES = 255;

/** The base name only, without path separators or control characters, at most 255 bytes. */
export function safeName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\x00-\x1f]/g, '').trim();
  return clean && clean !== '.' && clean !== '..' ? byteCut(clean, MAX_NAME_BYTES) : 'upload';
}

/** `name` cut to `max` UTF-8 bytes on a character boundary, its extension kept when it can be. */
function byteCut(name: string, max: number): string {
  const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
  if (bytes(name) <= max) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && bytes(name.slice(dot)) <= 16 ? name.slice(dot) : '';
  let stem = '';
  for (const ch of name.slice(0, name.length - ext.length)) {
    if (bytes(stem + ch) + bytes(ext) > max) break;
    stem += ch;
  }
  return stem + ext;
}
