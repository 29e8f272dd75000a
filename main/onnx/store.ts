/**
 * Where extracted activations go while the model runs, and the ArraySource the engine then
 * reads them through. Small results stay in memory; large ones stream into a temporary .npy
 * read back by the one npy reader in main/io, so extraction, like the engine's two passes,
 * holds one batch at a time whatever N is.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { product } from '../io/decode.ts';
import { memoryArray } from '../io/memory.ts';
import { readNpyFile } from '../io/npy.ts';
import type { ArraySource } from '../io/types.ts';
import { npyHeader } from '../io/write-npz.ts';

/**
 * Features + logits of one split above this size go to disk. 256 MiB of float32 is N = 1.6 M
 * samples of D = 32 + C = 10, or 130 000 samples of a 512-wide layer: beyond it, holding the
 * arrays would compete with the Electron main process for memory on an ordinary laptop.
 */
export const MEMORY_LIMIT_BYTES = 256 * 2 ** 20;

export type RowValues = Float32Array | Float64Array;

export interface RowStore {
  /** Appends whole rows (C order). */
  write(values: RowValues): Promise<void>;
  /** The stored rows as an ArraySource; the store takes no more writes. */
  finish(): Promise<ArraySource>;
  /** Releases what `finish` handed out (file handles); temp files are removed by the caller. */
  close(): Promise<void>;
}

export interface StoreSpec {
  name: string;
  file: string;
  shape: number[];
  float64: boolean;
}

/** An in-memory store: one preallocated array filled batch by batch. */
export function memoryStore(spec: StoreSpec): RowStore {
  const total = product(spec.shape);
  const data = spec.float64 ? new Float64Array(total) : new Float32Array(total);
  let filled = 0;
  return {
    async write(values) {
      data.set(values, filled);
      filled += values.length;
    },
    async finish() {
      return memoryArray(spec.name, spec.shape, data, spec.float64 ? 'f8' : 'f4', spec.file);
    },
    async close() {},
  };
}

/** A store writing a .npy at `path` (header first: the row count is known in advance). */
export async function npyStore(spec: StoreSpec, path: string): Promise<RowStore> {
  const handle: FileHandle = await open(path, 'w');
  await handle.write(npyHeader(spec.float64 ? '<f8' : '<f4', spec.shape));
  let closeReader = async (): Promise<void> => {};
  return {
    async write(values) {
      await handle.write(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    },
    async finish() {
      await handle.close();
      const container = await readNpyFile(path);
      closeReader = () => container.close();
      return renamed(container.arrays[0], spec.name, spec.file);
    },
    async close() {
      await handle.close().catch(() => undefined);
      await closeReader();
    },
  };
}

/** `source` under another name and file (the temp file's name means nothing to a user). */
function renamed(source: ArraySource, name: string, file: string): ArraySource {
  return {
    name,
    file,
    dtype: source.dtype,
    shape: source.shape,
    bytes: source.bytes,
    rows: source.rows,
    rowSize: source.rowSize,
    readRows: (start, end, signal) => source.readRows(start, end, signal),
  };
}
