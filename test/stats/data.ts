/**
 * Sharded fixtures for the stats tests: one synthetic dataset written whole (one .npz) and as
 * row blocks (shard-0.npz, …), with a classifier in a file of its own; optionally a test
 * split (`test_features`/`test_labels`, and logits), the whole file's cut into blocks too,
 * one a shard.
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
  /** Test rows (0: none), and the test split's row ranges in the whole file's. */
  nTest: number;
  testRanges: [number, number][];
}

/** Unequal blocks of n rows: sizes proportional to 1, 2, 3, … */
function blocks(n: number, k: number): [number, number][] {
  const total = (k * (k + 1)) / 2;
  const ranges: [number, number][] = [];
  let at = 0;
  for (let s = 0; s < k; s++) {
    const end = s === k - 1 ? n : at + Math.round((n * (s + 1)) / total);
    ranges.push([at, end]);
    at = end;
  }
  return ranges;
}

/**
 * n rows of class means at distance `spread` plus unit noise, labels shuffled, cut into
 * `shards` row blocks of unequal sizes.
 */
export async function writeSharded(
  dir: string,
  opts: {
    n: number;
    d: number;
    c: number;
    shards: number;
    seed?: number;
    /** A test split of this many rows, noisier (classes drawn among the first `testClasses`). */
    test?: number;
    testClasses?: number;
    /** Also logits (h·Wᵀ + b) for both splits, and no classifier file needed. */
    logits?: boolean;
  },
): Promise<Sharded> {
  const { n, d, c } = opts;
  const { uniform: rand, normal: gauss } = rng(opts.seed ?? 1);
  const means = Float64Array.from({ length: c * d }, () => 3 * gauss());
  const draw = (rows: number, classes: number, noise: number) => {
    const y = new Int32Array(rows);
    const h = new Float32Array(rows * d);
    for (let i = 0; i < rows; i++) {
      y[i] = i < classes ? i : Math.floor(rand() * classes);
      for (let t = 0; t < d; t++) h[i * d + t] = means[y[i] * d + t] + noise * gauss();
    }
    return { y, h };
  };
  const { y: labels, h: features } = draw(n, c, 1);
  const weight = Float32Array.from({ length: c * d }, (_, i) => means[i] + 0.5 * gauss());
  const bias = Float32Array.from({ length: c }, () => 0.1 * gauss());
  const nTest = opts.test ?? 0;
  const test = draw(nTest, opts.testClasses ?? c, 1.5);
  const logitsOf = (h: Float32Array, from: number, to: number) => {
    const out = new Float32Array((to - from) * c);
    for (let i = from; i < to; i++) {
      for (let j = 0; j < c; j++) {
        let s = bias[j];
        for (let t = 0; t < d; t++) s += h[i * d + t] * weight[j * d + t];
        out[(i - from) * c + j] = s;
      }
    }
    return { data: out, shape: [to - from, c] };
  };
  mkdirSync(dir, { recursive: true });
  const split = (h: Float32Array, y: Int32Array, from: number, to: number) => ({
    features: { data: h.slice(from * d, to * d), shape: [to - from, d] },
    labels: {
      data: BigInt64Array.from(y.subarray(from, to), (v) => BigInt(v)),
      shape: [to - from],
    },
    ...(opts.logits ? { logits: logitsOf(h, from, to) } : {}),
  });
  const arrays = (from: number, to: number, testRange?: [number, number]) => {
    const out: Record<string, { data: Float32Array | BigInt64Array; shape: number[] }> = split(
      features,
      labels,
      from,
      to,
    );
    if (testRange) {
      for (const [k, v] of Object.entries(split(test.h, test.y, ...testRange))) {
        out[`test_${k}`] = v;
      }
    }
    return out;
  };
  const whole = path.join(dir, 'whole.npz');
  await writeNpz(whole, arrays(0, n, nTest ? [0, nTest] : undefined));
  const classifier = path.join(dir, 'classifier.npz');
  await writeNpz(classifier, {
    weight: { data: weight, shape: [c, d] },
    bias: { data: bias, shape: [c] },
  });
  const ranges = blocks(n, opts.shards);
  // the test split's blocks in the other order (the largest first)
  const testRanges = nTest ? blocks(nTest, opts.shards).reverse() : [];
  const shardDir = path.join(dir, 'shards');
  mkdirSync(shardDir, { recursive: true });
  const shards: string[] = [];
  for (const [s, [a, b]] of ranges.entries()) {
    const file = path.join(shardDir, `shard-${s}.npz`);
    await writeNpz(file, arrays(a, b, testRanges[s]));
    shards.push(file);
  }
  return {
    dir,
    whole,
    shards,
    classifier,
    n,
    d,
    c,
    ranges,
    features,
    labels,
    weight,
    bias,
    nTest,
    testRanges,
  };
}
