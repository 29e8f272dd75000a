import { describe, expect, it } from 'vitest';
import {
  centredMeans,
  cosineMatrix,
  etfScene,
  exactSubset,
  matMul,
  meanCosines,
  nearestClasses,
  norm,
  pcaBasis,
  procrustes,
  project,
  rowSpace,
  simplexEtf,
  svdSquare,
  transpose,
} from '../../shared/geometry.ts';
import { symmetricEigen } from '../../shared/linalg.ts';

/** A deterministic pseudo-random generator so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/** A random orthogonal n×n matrix (Gram–Schmidt of a random matrix). */
function randomOrthogonal(n: number, rand: () => number): number[][] {
  const a = Array.from({ length: n }, () => Array.from({ length: n }, rand));
  return rowSpace(a).basis;
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((r, i) => r.forEach((x, j) => (m = Math.max(m, Math.abs(x - b[i][j])))));
  return m;
}

function pairwiseDistances(points: number[][]): number[] {
  const out: number[] = [];
  for (let i = 0; i < points.length; i++)
    for (let j = i + 1; j < points.length; j++)
      out.push(norm(points[i].map((x, k) => x - points[j][k])));
  return out;
}

/** C means on an exact simplex ETF of radius r embedded in R^D by a random isometry, plus μ_G. */
function etfMeans(c: number, d: number, r: number, seed: number) {
  const rand = rng(seed);
  const q = randomOrthogonal(d, rand).slice(0, c - 1); // (C−1)×D orthonormal rows
  const g = Array.from({ length: d }, () => 3 * rand());
  const rows = matMul(simplexEtf(c, r), q).map((row) => row.map((x, j) => x + g[j]));
  return { means: rows.flat(), globalMean: g, q };
}

describe('simplexEtf', () => {
  it('puts C points at the radius with every pairwise cosine −1/(C−1)', () => {
    for (const c of [2, 3, 4, 10, 100]) {
      const e = simplexEtf(c, 2.5);
      expect(e).toHaveLength(c);
      expect(e[0]).toHaveLength(c - 1);
      for (const row of e) expect(norm(row)).toBeCloseTo(2.5, 10);
      const ideal = e.map((_, i) => e.map((__, j) => (i === j ? 1 : -1 / (c - 1))));
      expect(maxAbsDiff(cosineMatrix(e), ideal)).toBeLessThan(1e-12);
    }
  });
});

describe('symmetricEigen and svdSquare', () => {
  it('decomposes a known symmetric matrix', () => {
    // The one eigensolver: ascending values, eigenvectors as columns (vectors[i * n + j]).
    const { values, vectors } = symmetricEigen(Float64Array.of(2, 1, 0, 1, 2, 0, 0, 0, 5), 3);
    expect(values[0]).toBeCloseTo(1, 12);
    expect(values[1]).toBeCloseTo(3, 12);
    expect(values[2]).toBeCloseTo(5, 12);
    expect(Math.abs(vectors[0 * 3 + 1])).toBeCloseTo(Math.SQRT1_2, 12);
    expect(vectors[0 * 3 + 1] * vectors[1 * 3 + 1]).toBeGreaterThan(0);
    expect(Math.abs(vectors[2 * 3 + 2])).toBeCloseTo(1, 12);
  });

  it('gives orthogonal U even for a rank-deficient matrix', () => {
    const m = [
      [1, 2, 0],
      [2, 4, 0],
      [0, 0, 0],
    ];
    const { u, s, v } = svdSquare(m);
    expect(
      maxAbsDiff(matMul(transpose(u), u), [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ]),
    ).toBeLessThan(1e-12);
    const rebuilt = matMul(
      matMul(
        u,
        s.map((x, i) => s.map((_, j) => (i === j ? x : 0))),
      ),
      transpose(v),
    );
    expect(maxAbsDiff(rebuilt, m)).toBeLessThan(1e-12);
  });
});

describe('procrustes', () => {
  it('returns the identity on an exact ETF', () => {
    const e = simplexEtf(6, 1.7);
    const { rotation, aligned } = procrustes(e, e);
    const id = e[0].map((_, i) => e[0].map((__, j) => (i === j ? 1 : 0)));
    expect(maxAbsDiff(rotation, id)).toBeLessThan(1e-10);
    expect(maxAbsDiff(aligned, e)).toBeLessThan(1e-10);
  });

  it('recovers a rotated ETF exactly', () => {
    const e = simplexEtf(5, 1);
    const r = randomOrthogonal(4, rng(7));
    const observed = matMul(e, r);
    const { rotation, aligned } = procrustes(observed, e);
    expect(maxAbsDiff(aligned, observed)).toBeLessThan(1e-10);
    expect(maxAbsDiff(rotation, r)).toBeLessThan(1e-10);
  });

  it('pads when the observed means span fewer dimensions than the ideal', () => {
    const observed = [
      [1, 0],
      [-1, 0],
      [0, 1],
      [0, -1],
    ];
    const { rotation, aligned } = procrustes(observed, simplexEtf(4, 1));
    expect(aligned[0]).toHaveLength(3);
    expect(
      maxAbsDiff(matMul(transpose(rotation), rotation), [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ]),
    ).toBeLessThan(1e-10);
  });
});

describe('exactSubset', () => {
  it('shows 4 classes of an exact ETF as a regular tetrahedron, matching the ideal', () => {
    const { means, globalMean } = etfMeans(10, 32, 3, 1);
    const centred = centredMeans(means, globalMean, 10, 32);
    const { points, ideal } = exactSubset(centred, [0, 3, 5, 9]);
    expect(points).toHaveLength(4);
    expect(points[0]).toHaveLength(3);
    const dist = pairwiseDistances(points);
    // Vertices of a radius-3 ETF of 10 classes are 3·sqrt(2C/(C−1)) apart.
    for (const x of dist) expect(x).toBeCloseTo(3 * Math.sqrt(20 / 9), 9);
    expect(maxAbsDiff(points, ideal)).toBeLessThan(1e-9);
  });

  it('shows 3 classes as an equilateral triangle in a plane', () => {
    const { means, globalMean } = etfMeans(5, 8, 1, 2);
    const { points } = exactSubset(centredMeans(means, globalMean, 5, 8), [1, 2, 4]);
    const dist = pairwiseDistances(points);
    expect(dist[0]).toBeCloseTo(dist[1], 10);
    expect(dist[1]).toBeCloseTo(dist[2], 10);
    for (const p of points) expect(p[2]).toBeCloseTo(0, 10);
  });

  it('shows a distorted tetrahedron as not regular', () => {
    const means = [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 3],
    ];
    const dist = pairwiseDistances(exactSubset(means, [0, 1, 2, 3]).points);
    expect(Math.max(...dist) - Math.min(...dist)).toBeGreaterThan(1);
  });
});

describe('pcaBasis and project', () => {
  it('reproduces a known 3-D configuration embedded in R^D (up to rotation)', () => {
    const config = [
      [3, 0, 0],
      [-3, 0, 0],
      [0, 2, 0],
      [0, -2, 0],
      [0, 0, 1],
      [0, 0, -1],
    ];
    const q = randomOrthogonal(20, rng(3)).slice(0, 3);
    const rows = matMul(config, q);
    const { basis, explained, variances } = pcaBasis(rows, 3);
    expect(explained).toBeCloseTo(1, 12);
    expect(variances[0]).toBeCloseTo(3, 10);
    expect(variances[1]).toBeCloseTo(8 / 6, 10);
    const p = project(rows, basis);
    // Same configuration: identical pairwise distances, axes in order of variance.
    expect(pairwiseDistances(p).map((x) => x.toFixed(9))).toEqual(
      pairwiseDistances(config).map((x) => x.toFixed(9)),
    );
    expect(Math.abs(p[0][0])).toBeCloseTo(3, 10);
    expect(Math.abs(p[2][1])).toBeCloseTo(2, 10);
    expect(Math.abs(p[4][2])).toBeCloseTo(1, 10);
  });

  it('reports the share of variance kept when the means need more than 3 dimensions', () => {
    const e = simplexEtf(10, 1);
    // An ETF spreads its variance evenly over C−1 = 9 axes: 3 of them keep one third.
    expect(pcaBasis(e, 3).explained).toBeCloseTo(1 / 3, 10);
  });
});

describe('etfScene', () => {
  it('puts an exact 4-class ETF on its ideal with no projection loss', () => {
    const { means, globalMean } = etfMeans(4, 16, 2, 4);
    const s = etfScene({ means, globalMean, c: 4, d: 16, weights: means.map((x) => 5 * x) });
    expect(s.fits).toBe(true);
    expect(s.explained).toBeCloseTo(1, 10);
    expect(s.radius).toBeCloseTo(2, 10);
    expect(maxAbsDiff(s.means, s.ideal)).toBeLessThan(1e-9);
    for (const d of pairwiseDistances(s.means)) expect(d).toBeCloseTo(2 * Math.sqrt(8 / 3), 9);
    expect(s.weights).not.toBeNull();
  });

  it('keeps a fixed basis when given one, and says when no ETF fits (C > D + 1)', () => {
    const rand = rng(9);
    const c = 12;
    const d = 3;
    const means = Array.from({ length: c * d }, rand);
    const first = etfScene({ means, globalMean: [0, 0, 0], c, d });
    expect(first.fits).toBe(false);
    const again = etfScene({ means, globalMean: [0, 0, 0], c, d, basis: first.basis });
    expect(again.basis).toBe(first.basis);
    expect(maxAbsDiff(again.means, first.means)).toBeLessThan(1e-12);
    expect(again.explained).toBeCloseTo(first.explained, 10);
  });
});

describe('meanCosines and nearestClasses (the heatmap tiles, the class drill-down)', () => {
  // Means of 7 classes in 5 dimensions, and their global mean, from a fixed recipe.
  const c = 7;
  const d = 5;
  const means = Array.from({ length: c * d }, (_, i) => Math.sin(1.7 * i + 0.3) * (1 + (i % 3)));
  const global_mean = Array.from({ length: d }, (_, t) => 0.1 * t);
  const centred = Array.from({ length: c }, (_, k) =>
    Array.from({ length: d }, (_, t) => means[k * d + t] - global_mean[t]),
  );
  const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);

  it('a tile of cosines of the centred means, 1 on the diagonal', () => {
    const rows = [4, 0, 2];
    const cols = [2, 6, 4, 1];
    const cos = meanCosines({ means, global_mean }, d, rows, cols);
    rows.forEach((a, i) =>
      cols.forEach((b, j) => {
        const want =
          a === b
            ? 1
            : dot(centred[a], centred[b]) /
              Math.sqrt(dot(centred[a], centred[a]) * dot(centred[b], centred[b]));
        expect(cos[i * cols.length + j]).toBeCloseTo(want, 13);
      }),
    );
  });

  it('the nearest classes by mean distance, nearest first', () => {
    const k = 3;
    const want = Array.from({ length: c }, (_, l) => l)
      .filter((l) => l !== k)
      .map((l) => ({
        position: l,
        distance: Math.sqrt(
          Array.from({ length: d }, (_, t) => (means[k * d + t] - means[l * d + t]) ** 2).reduce(
            (s, x) => s + x,
            0,
          ),
        ),
      }))
      .sort((a, b) => a.distance - b.distance)
      .slice(0, 4);
    const got = nearestClasses(means, c, d, k, 4);
    expect(got.map((g) => g.position)).toEqual(want.map((w) => w.position));
    got.forEach((g, i) => expect(g.distance).toBeCloseTo(want[i].distance, 13));
  });
});
