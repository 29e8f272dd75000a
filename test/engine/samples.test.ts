import { describe, expect, it } from 'vitest';
import { analyzeDataset, analyzeSeries } from '../../main/engine/index.ts';
import { analyzePaths } from '../../main/plan/run.ts';
import type { AnalyzeOptions } from '../../main/engine/index.ts';
import { nc1Directions } from '../../main/engine/nc1.ts';
import { Dense, defaultMachine } from '../../main/engine/ort.ts';
import {
  classQuotas,
  MAX_SAMPLE_NUMBERS,
  MAX_SAMPLES,
  orthonormalised,
  pickedRows,
} from '../../main/engine/samples.ts';
import { openDataset } from '../../main/io/index.ts';
import { memoryArray } from '../../main/io/memory.ts';
import type { Dataset } from '../../main/io/types.ts';
import type { MetricsResult, SampleCloud } from '../../shared/schema.ts';
import { rng } from './direct.ts';
import { MNIST } from '../fixtures.ts';

const FIXTURE = `${MNIST}/mnist_small_epoch080.npz`;

/** Gaussian blobs with `sizes[k]` rows of class k, rows of the classes interleaved. */
function blobs(sizes: number[], d: number, seed: number) {
  const g = rng(seed);
  const c = sizes.length;
  const mu = Array.from({ length: c * d }, () => 3 * g.normal());
  const y: number[] = [];
  const left = [...sizes];
  while (left.some((x) => x > 0)) {
    for (let k = 0; k < c; k++) {
      if (left[k]-- > 0) y.push(k);
    }
  }
  const h = new Float64Array(y.length * d);
  y.forEach((k, i) => {
    for (let t = 0; t < d; t++) h[i * d + t] = mu[k * d + t] + g.normal();
  });
  return { h, y: Int32Array.from(y), d };
}

function blobDataset(b: { h: Float64Array; y: Int32Array; d: number }): Dataset {
  return {
    train: {
      features: memoryArray('features', [b.y.length, b.d], b.h),
      labels: memoryArray('labels', [b.y.length], b.y, 'i8'),
    },
    roles: {},
    warnings: [],
  };
}

function cloudOf(r: MetricsResult): SampleCloud {
  expect(r.geometry?.samples).toBeDefined();
  return r.geometry!.samples!;
}

function countsOf(cloud: SampleCloud, c: number): number[] {
  const counts = new Array<number>(c).fill(0);
  for (const k of cloud.classes) counts[k]++;
  return counts;
}

/** Max |B·Bᵀ − I| over the r×d basis. */
function orthonormalityError(basis: ArrayLike<number>, r: number, d: number): number {
  let worst = 0;
  for (let a = 0; a < r; a++) {
    for (let b = 0; b < r; b++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += basis[a * d + t] * basis[b * d + t];
      worst = Math.max(worst, Math.abs(s - (a === b ? 1 : 0)));
    }
  }
  return worst;
}

/**
 * The cloud against (h_i − μ_G)·b computed here in float64 for the picked rows. Allowed error
 * per coordinate: `perResidual`·‖h_i − μ_y‖ (the product's bound) + 1e-12·‖h_i − μ_G‖.
 */
function coordinateErrors(
  cloud: SampleCloud,
  r: MetricsResult,
  h: Float64Array,
  classes: Int32Array,
  picks: ArrayLike<number>,
  perResidual: number,
): number[] {
  const { d } = r;
  const { means, global_mean: mg } = r.geometry!;
  const bad: number[] = [];
  expect(cloud.classes.length).toBe(picks.length);
  expect(cloud.coords.length).toBe(picks.length * cloud.r);
  Array.from(picks).forEach((row, o) => {
    const y = classes[row];
    expect(cloud.classes[o]).toBe(y);
    let residual = 0;
    let centred = 0;
    for (let t = 0; t < d; t++) {
      residual += (h[row * d + t] - means[y * d + t]) ** 2;
      centred += (h[row * d + t] - mg[t]) ** 2;
    }
    const tol = perResidual * Math.sqrt(residual) + 1e-12 * Math.sqrt(centred);
    for (let b = 0; b < cloud.r; b++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += (h[row * d + t] - mg[t]) * cloud.basis[b * d + t];
      if (!(Math.abs(cloud.coords[o * cloud.r + b] - s) <= tol)) bad.push(row);
    }
  });
  return bad;
}

describe('pick plan', () => {
  it('quotas are max-min fair: small classes give all they have, the rest within 1', () => {
    expect(Array.from(classQuotas([5, 100, 100, 3, 70], 100))).toEqual([5, 31, 31, 3, 30]);
    expect(Array.from(classQuotas([4, 6], 1000))).toEqual([4, 6]);
  });

  it('picks are evenly spaced within each class, in row order', () => {
    // Class 0 at even rows (50 of them), class 1 at odd rows (50).
    const classes = Int32Array.from({ length: 100 }, (_, i) => i % 2);
    const picks = Array.from(pickedRows(classes, [50, 50], 10));
    expect(picks).toEqual([...picks].sort((a, b) => a - b));
    for (const k of [0, 1]) {
      const ranks = picks.filter((i) => i % 2 === k).map((i) => (i - k) / 2);
      // The middle of each of 5 runs of 10.
      expect(ranks).toEqual([5, 15, 25, 35, 45]);
    }
  });

  it('the basis is orthonormal and equals T·E, T lower triangular', async () => {
    const c = 6;
    const d = 9;
    const g = rng(3);
    const centred = Float64Array.from({ length: c * d }, () => g.normal());
    const dense = new Dense(defaultMachine(1));
    const dirs = await nc1Directions(centred, c, d, dense);
    await dense.close();
    const { basis, transform, r } = orthonormalised(dirs, d)!;
    expect(r).toBe(dirs.count);
    expect(orthonormalityError(basis, r, d)).toBeLessThan(1e-13);
    for (let b = 0; b < r; b++)
      for (let j = b + 1; j < r; j++) expect(transform[b * r + j]).toBe(0);
    for (let b = 0; b < r; b++) {
      for (let t = 0; t < d; t++) {
        let s = 0;
        for (let j = 0; j < dirs.count; j++)
          s += transform[b * dirs.count + j] * dirs.directions[j * d + t];
        expect(s).toBeCloseTo(basis[b * d + t], 12);
      }
    }
  });
});

describe('the sample cloud of the mnist-mlp fixture', () => {
  async function fixture(opts: AnalyzeOptions) {
    const r = (await analyzePaths([FIXTURE], {}, opts)) as MetricsResult;
    const opened = await openDataset([FIXTURE]);
    try {
      const { features, labels } = opened.dataset.train;
      const h = await features.readRows(0, features.rows);
      const y = await labels.readRows(0, labels.rows);
      const classes = Int32Array.from(y, (v) => r.geometry!.labels.indexOf(v));
      return { r, h, classes };
    } finally {
      await opened.close();
    }
  }

  it('every row, coordinates of h_i − μ_G to round-off (float64 products)', async () => {
    const { r, h, classes } = await fixture({ samples: true });
    const cloud = cloudOf(r);
    expect(cloud.r).toBe(r.c - 1);
    expect(orthonormalityError(cloud.basis, cloud.r, r.d)).toBeLessThan(1e-12);
    const all = Array.from({ length: r.n }, (_, i) => i);
    expect(coordinateErrors(cloud, r, h, classes, all, 1e-12)).toEqual([]);
    expect(countsOf(cloud, r.c)).toEqual(r.per_class.map((p) => p.count));
  });

  it('the basis spans the centred means (the view loses nothing)', async () => {
    const r = (await analyzePaths([FIXTURE], {}, { samples: true })) as MetricsResult;
    const { means, global_mean: mg } = r.geometry!;
    const { basis, r: rank } = cloudOf(r);
    const d = r.d;
    for (let k = 0; k < r.c; k++) {
      const m = mg.map((g, t) => means[k * d + t] - g);
      const back = new Array<number>(d).fill(0);
      for (let b = 0; b < rank; b++) {
        const x = m.reduce((s, v, t) => s + v * basis[b * d + t], 0);
        for (let t = 0; t < d; t++) back[t] += x * basis[b * d + t];
      }
      const size = Math.hypot(...m);
      expect(Math.hypot(...m.map((v, t) => v - back[t]))).toBeLessThan(1e-10 * size);
    }
  });

  it('is absent unless asked for, and without geometry', async () => {
    const plain = (await analyzePaths([FIXTURE])) as MetricsResult;
    expect(plain.geometry).toBeDefined();
    expect(plain.geometry!.samples).toBeUndefined();
    const bare = (await analyzePaths(
      [FIXTURE],
      {},
      { samples: true, geometry: false },
    )) as MetricsResult;
    expect(bare.geometry).toBeUndefined();
  });
});

describe('sample cloud with worker threads', () => {
  it('1 and 2 threads give the identical cloud (many chunks, each thread a share)', async () => {
    // d = 512: 512-row chunks, so 12 chunks spread over the workers.
    const ds = blobDataset(blobs(new Array(10).fill(600), 512, 7));
    const one = await analyzeDataset(ds, { samples: true, threads: 1 });
    const two = await analyzeDataset(ds, { samples: true, threads: 2 });
    expect(one.engine?.threads).toBe(1);
    expect(two.engine?.threads).toBe(2);
    expect(cloudOf(two).classes.length).toBe(6000);
    expect(cloudOf(two)).toEqual(cloudOf(one));
  });
});

describe('bounds for C = 100', () => {
  // Class 0 has fewer rows than a class's quota; the others more.
  const sizes = [120, ...new Array(99).fill(300)];
  const b = blobs(sizes, 128, 11);
  const c = sizes.length;

  it('n ≤ 100 000, n·r ≤ 2 000 000, classes balanced, coordinates right', async () => {
    const r = await analyzeDataset(blobDataset(b), { samples: true, threads: 2 });
    const cloud = cloudOf(r);
    const n = cloud.classes.length;
    expect(cloud.r).toBe(c - 1);
    expect(n).toBeLessThanOrEqual(MAX_SAMPLES);
    expect(n * cloud.r).toBeLessThanOrEqual(MAX_SAMPLE_NUMBERS);
    // Within a class of the budget: about 20 000 samples.
    expect(n).toBeGreaterThan(MAX_SAMPLE_NUMBERS / cloud.r - c);
    const counts = countsOf(cloud, c);
    expect(counts[0]).toBe(120);
    const rest = counts.slice(1);
    expect(Math.max(...rest) - Math.min(...rest)).toBeLessThanOrEqual(1);
    expect(cloud.coords.every(Number.isFinite)).toBe(true);
    expect(orthonormalityError(cloud.basis, cloud.r, r.d)).toBeLessThan(1e-12);
    const picks = pickedRows(b.y, sizes, n);
    const bad = coordinateErrors(cloud, r, b.h, b.y, picks, 1e-10);
    expect(bad).toEqual([]);
  });

  it('a series shares the bounds among its points', async () => {
    const ds = blobDataset(b);
    const s = await analyzeSeries(
      [
        { label: 'e1', dataset: ds },
        { label: 'e2', dataset: ds },
      ],
      { samples: true },
    );
    const clouds = s.points.map((p) => cloudOf(p.metrics));
    const total = clouds.reduce((a, x) => a + x.classes.length * x.r, 0);
    expect(total).toBeLessThanOrEqual(MAX_SAMPLE_NUMBERS);
    expect(total).toBeGreaterThan(MAX_SAMPLE_NUMBERS - 2 * c * (c - 1));
    // Same rows picked at every point, so the view can move each sample between epochs.
    expect(clouds[1].classes).toEqual(clouds[0].classes);
  });
});

describe('no cloud when there is nothing to span', () => {
  it('all class means equal: no samples, the usual warning', async () => {
    const h = new Float64Array(40 * 3).map((_, i) => (i % 3) + 1);
    const ds: Dataset = {
      train: {
        features: memoryArray('features', [40, 3], h),
        labels: memoryArray(
          'labels',
          [40],
          Int32Array.from({ length: 40 }, (_, i) => i % 2),
        ),
      },
      roles: {},
      warnings: [],
    };
    const r = await analyzeDataset(ds, { samples: true });
    expect(r.geometry).toBeDefined();
    expect(r.geometry!.samples).toBeUndefined();
    expect(r.warnings.join('\n')).toMatch(/nc1 is undefined/);
  });
});
