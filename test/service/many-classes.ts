/**
 * A dump of 2 500 classes (7 500 × 16 float32, a classifier): enough for its class means and
 * classifier rows to be large arrays (shared/packed.ts TYPED_FROM), small enough to analyse in
 * a second. With the float64 class means of its rows, computed directly.
 */
import { join } from 'node:path';
import { writeNpz } from '../../main/io/write-npz.ts';
import { rng } from '../engine/direct.ts';

export interface ManyClassDump {
  file: string;
  c: number;
  d: number;
  weight: Float32Array;
  /** Float64 class means of the float32 rows, row-major C×D. */
  means: Float64Array;
}

export async function writeManyClassDump(dir: string): Promise<ManyClassDump> {
  const [n, d, c] = [7_500, 16, 2_500];
  const r = rng(11);
  const labels = new BigInt64Array(n);
  const features = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const k = i % c;
    labels[i] = BigInt(k);
    for (let t = 0; t < d; t++) features[i * d + t] = k * 0.01 + t + r.normal();
  }
  const weight = Float32Array.from({ length: c * d }, () => r.normal());
  const file = join(dir, 'many.npz');
  await writeNpz(file, {
    features: { data: features, shape: [n, d] },
    labels: { data: labels, shape: [n] },
    weight: { data: weight, shape: [c, d] },
  });
  const means = new Float64Array(c * d);
  for (let i = 0; i < n; i++)
    for (let t = 0; t < d; t++) means[(i % c) * d + t] += features[i * d + t] / (n / c);
  return { file, c, d, weight, means };
}

/** The largest relative difference of `got` from `want`. */
export function worstRelative(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = got.length === want.length ? 0 : Infinity;
  for (let j = 0; j < want.length; j++)
    worst = Math.max(worst, Math.abs(got[j] - want[j]) / Math.max(1, Math.abs(want[j])));
  return worst;
}
