/**
 * Large collapsing activation dumps for the end-to-end tests and the benchmarks: class means
 * of norm 8 in random directions plus unit Gaussian noise (float32 features, int64 labels,
 * optionally a classifier near the normalised means), written chunk by chunk so that even a
 * 2 GB dump never sits in memory. Reused when already on disk with the right size.
 */
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { npyHeader } from '../../main/io/write-npz.ts';

/** xorshift32 in [0, 1): fast, and the same file every time. */
export function uniform(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

export function writeNpy(
  file: string,
  descr: string,
  shape: number[],
  data: ArrayBufferView,
): void {
  const fd = openSync(file, 'w');
  writeSync(fd, npyHeader(descr, shape));
  writeSync(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  closeSync(fd);
}

/**
 * `<dir>/<stem>_features.npy` (n×d), `<dir>/<stem>_labels.npy` (n, uniform over c classes)
 * and, with `weight`, `<dir>/<stem>_weight.npy` (c×d). Returns the paths in that order.
 */
export function syntheticDump(
  dir: string,
  n: number,
  d: number,
  c: number,
  stem = 'synthetic',
  { weight = false }: { weight?: boolean } = {},
): string[] {
  mkdirSync(dir, { recursive: true });
  const paths = ['features', 'labels', ...(weight ? ['weight'] : [])].map((role) =>
    join(dir, `${stem}_${role}.npy`),
  );
  const [features, labels, weightFile] = paths;
  const featureHeader = npyHeader('<f4', [n, d]);
  if (
    paths.every((p) => existsSync(p)) &&
    statSync(features).size === featureHeader.length + 4 * n * d
  ) {
    return paths;
  }
  const rand = uniform(12345 + n + c);
  const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  // Noise drawn from a table of 2^20 normals at random offsets keeps generation I/O-bound.
  const table = Float32Array.from({ length: 1 << 20 }, normal);
  const means = Array.from({ length: c }, () => {
    const v = Float64Array.from({ length: d }, normal);
    const s = 8 / Math.hypot(...v);
    return v.map((x) => x * s);
  });
  const labelValues = new BigInt64Array(n);
  const fd = openSync(features, 'w');
  writeSync(fd, featureHeader);
  const rowsPerChunk = 8192;
  const chunk = new Float32Array(rowsPerChunk * d);
  for (let start = 0; start < n; start += rowsPerChunk) {
    const m = Math.min(rowsPerChunk, n - start);
    for (let i = 0; i < m; i++) {
      const k = Math.floor(rand() * c);
      labelValues[start + i] = BigInt(k);
      const off = Math.floor(rand() * (table.length - d));
      const mu = means[k];
      for (let t = 0; t < d; t++) chunk[i * d + t] = mu[t] + table[off + t];
    }
    writeSync(fd, new Uint8Array(chunk.buffer, 0, m * d * 4));
  }
  closeSync(fd);
  writeNpy(labels, '<i8', [n], labelValues);
  if (weightFile) {
    const w = new Float32Array(c * d);
    means.forEach((mu, k) => mu.forEach((x, t) => (w[k * d + t] = x / 8 + 0.05 * normal())));
    writeNpy(weightFile, '<f4', [c, d], w);
  }
  return paths;
}
