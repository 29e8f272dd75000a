/**
 * Uploaded files of the browser shell: streamed to disk (never buffered whole) in a private
 * temporary folder (mkdtemp: mode 0700) that `dispose` removes.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { NcLensError, badInput } from '../../shared/errors.ts';
import type { ResolvedFile } from './session.ts';

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

export class UploadStore {
  readonly dir: string;
  private readonly files = new Map<string, ResolvedFile>();

  constructor(readonly maxBytes = DEFAULT_MAX_UPLOAD) {
    this.dir = mkdtempSync(join(tmpdir(), 'nc-lens-'));
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
    // Past the limit the rest is read and dropped rather than the socket destroyed: the browser
    // then gets the 413 and its message instead of a bare network error.
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        done(null, seen > limit ? undefined : chunk);
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

/** The base name only, without path separators or control characters. */
function safeName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\x00-\x1f]/g, '').trim();
  return clean && clean !== '.' && clean !== '..' ? clean.slice(0, 200) : 'upload';
}

function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
