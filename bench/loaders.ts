/**
 * `npm run bench -- loaders [--gb 1] [--dim 512] [--chunk-rows N] [--dir DIR]`
 * (default DIR: .bench/, a temp folder inside it is removed afterwards):
 * writes a float32 .npy of at least 1 GB (in chunks), reads it back chunk by chunk through
 * `openFile(...).arrays[0].readRows`, and compares the throughput with `cat FILE > /dev/null`
 * on the same (cached) file. Peak RSS must stay far below the file size: the loaders never
 * hold the whole array.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openFile } from '../main/io/index.ts';
import { npyHeader } from '../main/io/write-npz.ts';

interface Options {
  bytes: number;
  dim: number;
  chunkRows: number;
  dir?: string;
}

function options(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      gb: { type: 'string', default: '1' },
      dim: { type: 'string', default: '512' },
      'chunk-rows': { type: 'string' },
      dir: { type: 'string' },
    },
  });
  const dim = Number(values.dim);
  return {
    bytes: Number(values.gb) * 2 ** 30,
    dim,
    // ~1 MiB of stored rows per call: each call returns a fresh float64 array, and fresh
    // multi-megabyte allocations (page faults) cost more than the read once chunks grow.
    chunkRows: Number(values['chunk-rows'] ?? Math.max(1, Math.round(2 ** 20 / (dim * 4)))),
    dir: values.dir,
  };
}

/** Writes rows in 8 MB pieces: the generator must not hold the file in memory either. */
async function writeNpy(file: string, rows: number, dim: number): Promise<number> {
  const handle = await open(file, 'w');
  try {
    const header = npyHeader('<f4', [rows, dim]);
    await handle.write(header, 0, header.length, 0);
    const rowsPerPiece = Math.max(1, Math.floor((8 << 20) / (dim * 4)));
    // The values do not matter for throughput; one piece is generated and written repeatedly.
    const piece = Float32Array.from({ length: rowsPerPiece * dim }, (_, i) => Math.sin(i));
    let offset = header.length;
    for (let r = 0; r < rows; r += rowsPerPiece) {
      const n = Math.min(rowsPerPiece, rows - r);
      const bytes = new Uint8Array(piece.buffer, 0, n * dim * 4);
      await handle.write(bytes, 0, bytes.length, offset);
      offset += bytes.length;
    }
    return offset;
  } finally {
    await handle.close();
  }
}

async function readInChunks(file: string, chunkRows: number): Promise<number> {
  const container = await openFile(file);
  try {
    const a = container.arrays[0];
    let sum = 0;
    for (let s = 0; s < a.rows; s += chunkRows) {
      const values = await a.readRows(s, s + chunkRows);
      sum += values[0] + values[values.length - 1];
    }
    return sum;
  } finally {
    await container.close();
  }
}

function catSeconds(file: string): number {
  const t0 = performance.now();
  const r = spawnSync('sh', ['-c', 'cat "$1" > /dev/null', 'sh', file]);
  if (r.status !== 0) throw new Error(`cat failed: ${r.stderr.toString()}`);
  return (performance.now() - t0) / 1000;
}

const gbps = (bytes: number, seconds: number): string => (bytes / seconds / 1e9).toFixed(2);
const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);

export async function run(args: string[]): Promise<void> {
  const o = options(args);
  const parent = o.dir ?? fileURLToPath(new URL('../.bench/', import.meta.url));
  await mkdir(parent, { recursive: true });
  const dir = await mkdtemp(path.join(parent, 'loaders-'));
  const file = path.join(dir, 'features.npy');
  try {
    const rows = Math.ceil(o.bytes / (o.dim * 4));
    let t0 = performance.now();
    const size = await writeNpy(file, rows, o.dim);
    const writeSeconds = (performance.now() - t0) / 1000;
    catSeconds(file); // warm the page cache so both readers see the same state
    const catS = catSeconds(file);
    const rssBeforeRead = process.resourceUsage().maxRSS * 1024;
    t0 = performance.now();
    await readInChunks(file, o.chunkRows);
    const readS = (performance.now() - t0) / 1000;
    const peakRss = process.resourceUsage().maxRSS * 1024;
    const lines = [
      `loaders: ${rows}×${o.dim} float32 .npy, ${mb(size)} MiB (written in ${writeSeconds.toFixed(1)} s)`,
      `  cat FILE > /dev/null      ${catS.toFixed(2)} s  ${gbps(size, catS)} GB/s`,
      `  readRows, ${o.chunkRows}-row chunks  ${readS.toFixed(2)} s  ${gbps(size, readS)} GB/s (float32 → float64)`,
      `  ratio readRows / cat      ${(catS / readS).toFixed(2)}`,
      `  peak RSS                  ${mb(peakRss)} MiB (${((100 * peakRss) / size).toFixed(0)}% of the file; ${mb(rssBeforeRead)} MiB before reading)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
