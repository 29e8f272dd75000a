import type { FileHandle } from 'node:fs/promises';
import { badInput } from '../../shared/errors.ts';

/**
 * Random-access bytes of one stored array: a slice of a file, or an inflate stream over a
 * deflated .npz entry. Readers hand these to `rawArray`, which turns row ranges into reads.
 */
export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes from `offset`, in a fresh buffer (byteOffset 0) the caller owns. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A single `FileHandle.read` is limited to 2 GiB; bigger requests are split. */
const MAX_READ = 1 << 30;

/** Bytes [base, base + size) of an open file. */
export function fileBytes(
  handle: FileHandle,
  base: number,
  size: number,
  file: string,
): ByteSource {
  return {
    size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      // Not zero-filled: every byte is overwritten or the read throws. Zeroing costs more
      // than the read itself on large chunks.
      const out = Buffer.allocUnsafeSlow(length);
      let filled = 0;
      while (filled < length) {
        const want = Math.min(length - filled, MAX_READ);
        const { bytesRead } = await handle.read(out, filled, want, base + offset + filled);
        if (bytesRead === 0) {
          throw badInput(file, `${length} bytes at offset ${base + offset}`, 'the end of the file');
        }
        filled += bytesRead;
      }
      return out;
    },
  };
}

/** Reads the first `length` bytes of a file (fewer if the file is shorter). */
export async function readHead(handle: FileHandle, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  const { bytesRead } = await handle.read(out, 0, length, 0);
  return out.subarray(0, bytesRead);
}
