/**
 * Epoch series with many classes for the many-class end-to-end and report tests: one .npz per
 * epoch (`features` n×d float32, `labels` int64, `weight` c×d float32), class means of norm 8
 * in random directions plus Gaussian noise that shrinks from epoch to epoch (collapse), and a
 * `classes.txt` naming every class. Deterministic; written once per directory.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpz } from '../../main/io/write-npz.ts';
import { uniform } from './synthetic.ts';

export interface ManyClassData {
  /** The epoch bundles, in epoch order. */
  bundles: string[];
  /** `classes.txt`: one name per class, in label order. */
  names: string;
  /** The class names, in label order. */
  classNames: string[];
}

/** The name of class k in the generated `classes.txt`. */
export function className(k: number): string {
  return `class-${String(k).padStart(5, '0')}`;
}

export async function manyClassSeries(
  dir: string,
  n: number,
  d: number,
  c: number,
  epochs = 2,
): Promise<ManyClassData> {
  mkdirSync(dir, { recursive: true });
  const bundles = Array.from({ length: epochs }, (_, e) =>
    join(dir, `many_epoch${String(e + 1).padStart(3, '0')}.npz`),
  );
  const names = join(dir, 'classes.txt');
  const classNames = Array.from({ length: c }, (_, k) => className(k));
  if (bundles.every((b) => existsSync(b)) && existsSync(names))
    return { bundles, names, classNames };
  const rand = uniform(777 + n + c);
  const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const means = new Float64Array(c * d);
  for (let k = 0; k < c; k++) {
    const v = Float64Array.from({ length: d }, normal);
    const s = 8 / Math.hypot(...v);
    for (let t = 0; t < d; t++) means[k * d + t] = v[t] * s;
  }
  // Every class has at least one sample; the rest are uniform over the classes.
  const labels = new BigInt64Array(n);
  for (let i = 0; i < n; i++) labels[i] = BigInt(i < c ? i : Math.floor(rand() * c));
  for (let e = 0; e < epochs; e++) {
    const noise = 2 / (e + 1);
    const features = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const k = Number(labels[i]);
      for (let t = 0; t < d; t++) features[i * d + t] = means[k * d + t] + noise * normal();
    }
    const weight = Float32Array.from(means, (x) => x / 8 + (0.2 / (e + 1)) * normal());
    await writeNpz(bundles[e], {
      features: { data: features, shape: [n, d] },
      labels: { data: labels, shape: [n] },
      weight: { data: weight, shape: [c, d] },
    });
  }
  writeFileSync(names, classNames.join('\n') + '\n');
  return { bundles, names, classNames };
}
