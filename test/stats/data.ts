/**
 * Sharded fixtures for the stats tests: one synthetic dataset written whole (one .npz) and as
 * row blocks (shard-0.npz, …), with a classifier in a file of its own.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeNpz } from '../../main/io/write-npz.ts';
import { rng } from '../engine/direct.ts';

export interface Sharded {
  dir: string;
  whole: string;
  shards: string[];
  classifier: string;
  n: number;
  d: number;
  c: number;
  /** Row ranges of the shards in the whole file. */
  ranges: [number, number][];
  features: Float32Array;
  labels: Int32Array;
  weight: Float32Array;
  bias: Float32Array;
}

/**
 * n rows of class means at distance `spread` plus unit noise, labels shuffled, cut into
 * `shards` row blocks of unequal sizes.
 */
export async function writeSharded(
  dir: string,
  opts: { n: number; d: number; c: number; shards: number; seed?: number },
): Promise<Sharded> {
  const { n, d, c } = opts;
  const { uniform: rand, normal: gauss } = rng(opts.seed ?? 1);
  const means = Float64Array.from({ length: c * d }, () => 3 * gauss());
  const labels = new Int32Array(n);
  const features = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const y = i < c ? i : Math.floor(rand() * c);
    labels[i] = y;
    for (let t = 0; t < d; t++) features[i * d + t] = means[y * d + t] + gauss();
  }
  const weight = Float32Array.from({ length: c * d }, (_, i) => means[i] + 0.5 * gauss());
  const bias = Float32Array.from({ length: c }, () => 0.1 * gauss());
  mkdirSync(dir, { recursive: true });
  const arrays = (from: number, to: number) => ({
    features: { data: features.slice(from * d, to * d), shape: [to - from, d] },
    labels: {
      data: BigInt64Array.from(labels.subarray(from, to), (v) => BigInt(v)),
      shape: [to - from],
    },
  });
  const whole = path.join(dir, 'whole.npz');
  await writeNpz(whole, arrays(0, n));
  const classifier = path.join(dir, 'classifier.npz');
  await writeNpz(classifier, {
    weight: { data: weight, shape: [c, d] },
    bias: { data: bias, shape: [c] },
  });
  // unequal blocks: sizes proportional to 1, 2, 3, …
  const k = opts.shards;
  const total = (k * (k + 1)) / 2;
  const ranges: [number, number][] = [];
  let at = 0;
  for (let s = 0; s < k; s++) {
    const end = s === k - 1 ? n : at + Math.round((n * (s + 1)) / total);
    ranges.push([at, end]);
    at = end;
  }
  const shardDir = path.join(dir, 'shards');
  mkdirSync(shardDir, { recursive: true });
  const shards: string[] = [];
  for (const [s, [a, b]] of ranges.entries()) {
    const file = path.join(shardDir, `shard-${s}.npz`);
    await writeNpz(file, arrays(a, b));
    shards.push(file);
  }
  return { dir, whole, shards, classifier, n, d, c, ranges, features, labels, weight, bias };
}
