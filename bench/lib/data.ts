/**
 * The benchmarks' data cache: synthetic collapsing activation dumps under .bench/data/<key>/,
 * keyed by shape and seed, generated once (chunk by chunk, never whole in memory) and reused
 * by every later run. `.bench/data/manifest.json` lists what is there; an entry is written
 * only after all of its files are complete, so an interrupted generation is redone.
 *
 * Each dump: float32 features N×D (class means of norm `radius` in random directions plus unit
 * Gaussian noise), int64 labels (balanced: every class has ⌊N/C⌋ or ⌈N/C⌉ samples, shuffled),
 * and a float32 classifier near the normalised means (weight C×D, bias C).
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  statfsSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
// The same generator and .npy writer as the e2e synthetic dumps.
import { uniform, writeNpy } from '../../test/e2e/synthetic.ts';

export const BENCH_DIR = path.resolve(import.meta.dirname, '../../.bench');
export const DATA_DIR = path.join(BENCH_DIR, 'data');
const MANIFEST = path.join(DATA_DIR, 'manifest.json');

export interface DumpSpec {
  n: number;
  d: number;
  c: number;
  seed?: number;
  /** Norm of the class means (default 8, as the README's tables). */
  radius?: number;
}

export interface DumpFiles {
  key: string;
  dir: string;
  features: string;
  labels: string;
  weight: string;
  bias: string;
  /** Total bytes of the four files. */
  bytes: number;
}

interface ManifestEntry {
  key: string;
  n: number;
  d: number;
  c: number;
  seed: number;
  radius: number;
  bytes: number;
  created: string;
  seconds: number;
}

export function dumpKey(s: DumpSpec): string {
  return `${s.n}x${s.d}x${s.c}-s${s.seed ?? 1}-r${s.radius ?? 8}`;
}

/** Bytes the four files of a dump take (the .npy headers are 128 bytes each). */
export function dumpBytes(s: DumpSpec): number {
  return 4 * 128 + 4 * s.n * s.d + 8 * s.n + 4 * s.c * s.d + 4 * s.c;
}

function readManifest(): ManifestEntry[] {
  try {
    return JSON.parse(readFileSync(MANIFEST, 'utf8')).entries ?? [];
  } catch {
    return [];
  }
}

function writeManifest(entries: ManifestEntry[]): void {
  mkdirSync(DATA_DIR, { recursive: true });
  const tmp = `${MANIFEST}.tmp`;
  writeFileSync(tmp, JSON.stringify({ schema: 'nc-lens/bench-data@1', entries }, null, 2) + '\n');
  renameSync(tmp, MANIFEST);
}

function filesOf(s: DumpSpec): DumpFiles {
  const key = dumpKey(s);
  const dir = path.join(DATA_DIR, key);
  return {
    key,
    dir,
    features: path.join(dir, 'features.npy'),
    labels: path.join(dir, 'labels.npy'),
    weight: path.join(dir, 'weight.npy'),
    bias: path.join(dir, 'bias.npy'),
    bytes: dumpBytes(s),
  };
}

/** Whether the dump is in the cache, complete (manifest entry and file sizes agree). */
export function isCached(s: DumpSpec): boolean {
  const f = filesOf(s);
  if (!readManifest().some((e) => e.key === f.key)) return false;
  const size = (p: string) => (existsSync(p) ? statSync(p).size : -1);
  return size(f.features) + size(f.labels) + size(f.weight) + size(f.bias) === f.bytes;
}

/** Free bytes on the file system that holds .bench/. */
export function freeBytes(): number {
  let dir = BENCH_DIR;
  while (!existsSync(dir)) dir = path.dirname(dir);
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/** A v1.0 .npy header padded to 128 bytes. */
function npyHeader(descr: string, shape: number[]): Buffer {
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`;
  const text = dict.padEnd(128 - 10 - 1, ' ') + '\n';
  if (text.length !== 118) throw new Error(`npy header too long for ${shape}`);
  const out = Buffer.alloc(128);
  out.write('\x93NUMPY', 0, 'latin1');
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(text.length, 8);
  out.write(text, 10, 'latin1');
  return out;
}

function generate(s: DumpSpec, f: DumpFiles): void {
  const { n, d, c } = s;
  const radius = s.radius ?? 8;
  rmSync(f.dir, { recursive: true, force: true });
  mkdirSync(f.dir, { recursive: true });
  const rand = uniform(0x9e3779b9 ^ ((s.seed ?? 1) * 2654435761));
  const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const means = new Float64Array(c * d);
  for (let k = 0; k < c; k++) {
    let ss = 0;
    for (let t = 0; t < d; t++) {
      const v = normal();
      means[k * d + t] = v;
      ss += v * v;
    }
    const scale = radius / Math.sqrt(ss);
    for (let t = 0; t < d; t++) means[k * d + t] *= scale;
  }
  // Balanced labels: i mod C, shuffled (Fisher–Yates).
  const labels = new BigInt64Array(n);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i % c;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (let i = 0; i < n; i++) labels[i] = BigInt(order[i]);
  // Noise from a table of 2^22 normals read at random offsets (with a random sign) keeps
  // generation close to disk speed; the rows are still independent draws for the metrics.
  const table = new Float32Array(1 << 22);
  for (let i = 0; i < table.length; i++) table[i] = normal();
  const fd = openSync(f.features, 'w');
  writeSync(fd, npyHeader('<f4', [n, d]));
  const rowsPerChunk = Math.max(1, Math.floor((16 << 20) / (4 * d)));
  const chunk = new Float32Array(rowsPerChunk * d);
  for (let start = 0; start < n; start += rowsPerChunk) {
    const m = Math.min(rowsPerChunk, n - start);
    for (let i = 0; i < m; i++) {
      const k = order[start + i];
      const off = Math.floor(rand() * (table.length - d));
      const sign = rand() < 0.5 ? -1 : 1;
      const base = k * d;
      for (let t = 0; t < d; t++) chunk[i * d + t] = means[base + t] + sign * table[off + t];
    }
    writeSync(fd, new Uint8Array(chunk.buffer, 0, m * d * 4));
  }
  closeSync(fd);
  writeNpy(f.labels, '<i8', [n], labels);
  const w = new Float32Array(c * d);
  for (let i = 0; i < c * d; i++) w[i] = means[i] / radius + 0.05 * normal();
  writeNpy(f.weight, '<f4', [c, d], w);
  const b = new Float32Array(c);
  for (let k = 0; k < c; k++) b[k] = 0.01 * normal();
  writeNpy(f.bias, '<f4', [c], b);
}

/**
 * The dump's files, generated first when not cached. `log` hears about generation (what,
 * where, how big) before it starts.
 */
export function ensureDump(s: DumpSpec, log: (line: string) => void = () => {}): DumpFiles {
  const f = filesOf(s);
  if (isCached(s)) return f;
  const free = freeBytes();
  if (free < f.bytes * 1.05 + (1 << 30)) {
    throw new Error(
      `not enough disk for ${f.key}: ${(f.bytes / 1e9).toFixed(2)} GB needed, ${(free / 1e9).toFixed(1)} GB free on ${DATA_DIR}`,
    );
  }
  log(`generating ${f.key} (${(f.bytes / 1e6).toFixed(0)} MB) into ${f.dir}…`);
  const t = performance.now();
  generate(s, f);
  const seconds = (performance.now() - t) / 1000;
  const entries = readManifest().filter((e) => e.key !== f.key);
  entries.push({
    key: f.key,
    n: s.n,
    d: s.d,
    c: s.c,
    seed: s.seed ?? 1,
    radius: s.radius ?? 8,
    bytes: f.bytes,
    created: new Date().toISOString(),
    seconds: Number(seconds.toFixed(2)),
  });
  writeManifest(entries);
  log(`  written in ${seconds.toFixed(1)} s`);
  return f;
}
