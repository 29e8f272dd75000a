/** The engine against a direct float64 computation, where the references do not reach. */
import { describe, expect, it } from 'vitest';
import { analyzeDataset, mergePartials } from '../../main/engine/index.ts';
import type { Chunk } from '../../main/engine/accumulate.ts';
import { SecondPass } from '../../main/engine/accumulate.ts';
import { Dense, defaultMachine } from '../../main/engine/ort.ts';
import { symmetricEigen } from '../../shared/linalg.ts';
import { firstPass, secondPassSetup } from '../../main/engine/passes.ts';
import type { JobContext } from '../../main/engine/passes.ts';
import type { MetricsResult } from '../../shared/schema.ts';
import { directMetrics, mismatches, rng } from './direct.ts';
import type { Rows } from './data.ts';
import { memoryDataset } from './data.ts';

/** Gaussian class means (scale `spread`) plus unit noise; class k gets 5 + 3k samples. */
function gaussianData(c: number, d: number, seed: number, spread = 3, labelOf = (k: number) => k) {
  const g = rng(seed);
  const mu = Array.from({ length: c }, () => Array.from({ length: d }, () => spread * g.normal()));
  const rows = (scale: number): Rows => {
    const h: number[][] = [];
    const y: number[] = [];
    mu.forEach((m, k) => {
      for (let i = 0; i < scale * (5 + 3 * k); i++) {
        h.push(m.map((x) => x + g.normal()));
        y.push(labelOf(k));
      }
    });
    return { h, y };
  };
  const maxLabel = labelOf(c - 1);
  const w = Array.from({ length: maxLabel + 2 }, () => Array.from({ length: d }, () => g.normal()));
  const b = w.map(() => g.normal());
  return { train: rows(2), test: rows(1), w, b };
}

function expectMatches(actual: unknown, expected: unknown) {
  expect(mismatches(actual, expected, 1e-6, 1e-9)).toEqual([]);
}

describe('the engine against a direct float64 computation', () => {
  it('C > D (Σ_B full rank, the D×D route), imbalanced, sparse labels, W and b', async () => {
    const { train, w, b } = gaussianData(12, 5, 1, 3, (k) => 2 * k + 1);
    const m = await analyzeDataset(memoryDataset(train, { w, b }));
    expectMatches(m, directMetrics({ ...train, w, b }));
    expect(m.warnings.some((x) => /absent from the data/.test(x))).toBe(true);
  });

  it('C − 1 < D with samples centering, on worker threads', async () => {
    const { train, w } = gaussianData(6, 9, 2);
    const m = await analyzeDataset(memoryDataset(train, { w }), {
      centering: 'samples',
      threads: 2,
    });
    expect(m.engine?.threads).toBe(2);
    expectMatches(m, directMetrics({ ...train, w, centering: 'samples' }));
  });

  it('the test split: its own statistics, NCC with the training means', async () => {
    const { train, test, w, b } = gaussianData(5, 7, 3, 1.5);
    const m = await analyzeDataset(memoryDataset(train, { w, b, test }));
    const own = directMetrics({ ...train, w, b });
    const mu = own.per_class.map((row) => row.label);
    const trainMeans = mu.map((label) =>
      Array.from({ length: 7 }, (_, t) => {
        const rows = train.h.filter((_, i) => train.y[i] === label);
        return rows.reduce((s, r) => s + r[t], 0) / rows.length;
      }),
    );
    const expected = directMetrics({ ...test, w, b, nccMeans: { labels: mu, means: trainMeans } });
    expectMatches(m.test, expected);
    // Overlapping classes: the NCC must actually err, or this test proves little.
    expect(expected.nc4.ncc_accuracy).toBeLessThan(1);
  });
});

describe('partial sums', () => {
  it('merge: two row ranges give the sums of the whole', async () => {
    const { train, w, b } = gaussianData(4, 6, 4, 0.5);
    const ds = memoryDataset(train, { w, b });
    const machine = defaultMachine(1);
    const dense = new Dense(machine);
    const job: JobContext = { centering: 'class-means', progress: () => {}, machine, dense };
    const first = await firstPass(ds.train, job, 'p1', []);
    const { plan } = await secondPassSetup({
      own: first,
      reference: first,
      classifier: { weight: ds.weight, bias: ds.bias },
      logits: undefined,
      where: 'x',
      warnings: [],
      dense,
    });
    const n = first.n;
    const partialOf = async (s: number, e: number) => {
      const chunk: Chunk = {
        rows: e - s,
        features: Float64Array.from(train.h.slice(s, e).flat()),
        classes: first.classes.slice(s, e),
      };
      const pass = new SecondPass(plan, machine);
      pass.accumulate(chunk, await pass.run(chunk));
      await pass.close();
      return pass.acc;
    };
    const whole = await partialOf(0, n);
    const a = await partialOf(0, 17);
    const bb = await partialOf(17, n);
    await dense.close();
    const merged = mergePartials(a, bb);
    expect(merged.rows).toBe(n);
    expect(merged.nccCorrect).toEqual(whole.nccCorrect);
    expect(merged.classifierCorrect).toEqual(whole.classifierCorrect);
    expect(merged.mismatches).toBe(whole.mismatches);
    merged.projections.forEach((x, i) => expect(x).toBeCloseTo(whole.projections[i], 9));
    merged.squares.forEach((x, i) => expect(x).toBeCloseTo(whole.squares[i], 9));
    expect(() => mergePartials(a, { ...bb, projections: new Float64Array(1) })).toThrow();
  });
});

describe('symmetricEigen', () => {
  it('returns orthonormal eigenvectors with A v = λ v, values ascending', () => {
    const g = rng(7);
    const n = 9;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = g.normal();
    const { values, vectors } = symmetricEigen(a, n);
    for (let j = 0; j < n; j++) {
      if (j) expect(values[j]).toBeGreaterThanOrEqual(values[j - 1]);
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let k = 0; k < n; k++) av += a[i * n + k] * vectors[k * n + j];
        expect(av).toBeCloseTo(values[j] * vectors[i * n + j], 10);
      }
      for (let l = 0; l < n; l++) {
        let vv = 0;
        for (let k = 0; k < n; k++) vv += vectors[k * n + j] * vectors[k * n + l];
        expect(vv).toBeCloseTo(j === l ? 1 : 0, 10);
      }
    }
  });
});

function allFinite(x: unknown): boolean {
  if (typeof x === 'number') return Number.isFinite(x);
  if (x && typeof x === 'object') return Object.values(x).every(allFinite);
  return true;
}

describe('degenerate inputs', () => {
  it('one class is a clear error', async () => {
    const ds = memoryDataset({ h: [[1], [2], [3]], y: [4, 4, 4] });
    await expect(analyzeDataset(ds)).rejects.toThrow(/at least 2 classes, found only label 4/);
  });

  it('as many classes as samples is a clear error', async () => {
    const ds = memoryDataset({ h: [[1], [2]], y: [0, 1] });
    await expect(analyzeDataset(ds)).rejects.toThrow(/more samples than classes/);
  });

  it('a class with one sample is analysed, with a warning', async () => {
    const ds = memoryDataset({
      h: [
        [0, 0],
        [0.1, 0],
        [5, 5],
        [6, 4],
        [-3, 7],
      ],
      y: [0, 0, 1, 1, 2],
    });
    const m = await analyzeDataset(ds);
    expect(m.per_class[2]).toMatchObject({ count: 1, within_var: 0 });
    expect(m.warnings.join('\n')).toMatch(/class 2 has a single sample/);
    expect(m.nc1).not.toBeNull();
  });

  it('coincident class means: null for what they break, a warning, no NaN', async () => {
    const ds = memoryDataset({
      h: [
        [0, 1],
        [0, -1],
        [1, 0],
        [-1, 0],
        [5, 5],
        [5, 6],
      ],
      y: [0, 0, 1, 1, 2, 2],
    });
    const m: MetricsResult = await analyzeDataset(ds);
    expect(m.cdnv).toBeNull();
    expect(m.nc1).not.toBeNull();
    expect(m.warnings.join('\n')).toMatch(/cdnv is undefined/);
    expect(allFinite(m)).toBe(true);

    const same = memoryDataset({
      h: [
        [0, 1],
        [0, -1],
        [1, 0],
        [-1, 0],
      ],
      y: [0, 0, 1, 1],
    });
    const z = await analyzeDataset(same);
    expect(z.nc1).toBeNull();
    expect(z.nc1_quotient).toBeNull();
    expect(z.nc2.etf_error_means).toBeNull();
    expect(z.nc2.log_kernel_mean).toBeNull();
    expect(allFinite(z)).toBe(true);
    expect(JSON.stringify(z)).not.toMatch(/NaN|Infinity/);
  });

  it('a test split with one class is skipped with a warning', async () => {
    const train = {
      h: [
        [0, 0],
        [0, 1],
        [5, 5],
        [5, 6],
      ],
      y: [0, 0, 1, 1],
    };
    const test = {
      h: [
        [0, 0.5],
        [0.2, 0.1],
      ],
      y: [0, 0],
    };
    const m = await analyzeDataset(memoryDataset(train, { test }));
    expect(m.test).toBeUndefined();
    expect(m.warnings.join('\n')).toMatch(/test split not analysed: .*at least 2 classes/);
  });

  it('NaN in the features names the first bad row', async () => {
    const h = [
      [0, 1],
      [1, 0],
      [2, 2],
      [3, 3],
    ];
    h[2][1] = NaN;
    await expect(analyzeDataset(memoryDataset({ h, y: [0, 0, 1, 1] }))).rejects.toThrow(
      /NaN at row 2/,
    );
  });
});
