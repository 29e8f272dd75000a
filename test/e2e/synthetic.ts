/**
 * Large activation dumps for the end-to-end tests and the app benchmark: float32 features
 * (class means plus noise, so the metrics are meaningful) and int64 labels as two .npy files,
 * written chunk by chunk.
 */
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

function npyHeader(descr: string, shape: number[]): Buffer {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - 10 - 1) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(dict.length, 8);
  return Buffer.concat([head, Buffer.from(dict, 'latin1')]);
}

/** xorshift32 in [-0.5, 0.5): fast, and the same file every time. */
function noise(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296 - 0.5;
  };
}

/**
 * `<dir>/<stem>_features.npy` (n×d float32) and `<dir>/<stem>_labels.npy` (n int64, balanced
 * over c classes); reused when already there with the right size.
 */
export function syntheticDump(
  dir: string,
  n: number,
  d: number,
  c: number,
  stem = 'synthetic',
): string[] {
  mkdirSync(dir, { recursive: true });
  const features = join(dir, `${stem}_features.npy`);
  const labels = join(dir, `${stem}_labels.npy`);
  const fHead = npyHeader('<f4', [n, d]);
  const lHead = npyHeader('<i8', [n]);
  const ready = (p: string, bytes: number) => existsSync(p) && statSync(p).size === bytes;
  if (ready(features, fHead.length + n * d * 4) && ready(labels, lHead.length + n * 8)) {
    return [features, labels];
  }
  const rand = noise(20260101);
  const means = Float32Array.from({ length: c * d }, () => rand() * 8);
  const rows = 4096;
  const fd = openSync(features, 'w');
  const ld = openSync(labels, 'w');
  writeSync(fd, fHead);
  writeSync(ld, lHead);
  for (let start = 0; start < n; start += rows) {
    const m = Math.min(rows, n - start);
    const f = new Float32Array(m * d);
    const l = new BigInt64Array(m);
    for (let i = 0; i < m; i++) {
      const k = (start + i) % c;
      l[i] = BigInt(k);
      for (let j = 0; j < d; j++) f[i * d + j] = means[k * d + j] + rand();
    }
    writeSync(fd, new Uint8Array(f.buffer));
    writeSync(ld, new Uint8Array(l.buffer));
  }
  closeSync(fd);
  closeSync(ld);
  return [features, labels];
}
