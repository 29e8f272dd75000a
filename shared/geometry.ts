/**
 * Geometry behind the simplex-ETF picture: centred class means, PCA to 3-D, the ideal simplex
 * ETF (Papyan, Han & Donoho, PNAS 2020) aligned to the observed means by orthogonal Procrustes
 * (Schönemann 1966), exact 3-D views of 3 or 4 chosen classes, and cosine maps.
 *
 * Pure TypeScript on plain arrays (no DOM, no Node): the renderer draws it with three.js and the
 * PDF report draws it as vectors. Matrices are arrays of rows. Sizes are C×D with C up to a few
 * hundred, so one-sided work through C×C Gram matrices and the one eigensolver (shared/linalg.ts) is fast
 * enough.
 */
import { symmetricEigen } from './linalg.ts';
import { RANK_TOL } from './numerics.ts';

/** Rows μ_k − μ_G of the row-major C×D `means`. */
export function centredMeans(
  means: number[],
  globalMean: number[],
  c: number,
  d: number,
): number[][] {
  const rows: number[][] = [];
  for (let k = 0; k < c; k++) {
    const row = new Array<number>(d);
    for (let j = 0; j < d; j++) row[j] = means[k * d + j] - globalMean[j];
    rows.push(row);
  }
  return rows;
}

/** Row-major flat C×D array → rows. */
export function toRows(flat: number[], c: number, d: number): number[][] {
  const rows: number[][] = [];
  for (let k = 0; k < c; k++) rows.push(flat.slice(k * d, (k + 1) * d));
  return rows;
}

function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function norm(a: number[]): number {
  return Math.sqrt(dot(a, a));
}

export function meanNorm(rows: number[][]): number {
  if (rows.length === 0) return 0;
  let s = 0;
  for (const r of rows) s += norm(r);
  return s / rows.length;
}

export function transpose(a: number[][]): number[][] {
  const n = a.length;
  const m = n ? a[0].length : 0;
  const t: number[][] = [];
  for (let j = 0; j < m; j++) {
    const row = new Array<number>(n);
    for (let i = 0; i < n; i++) row[i] = a[i][j];
    t.push(row);
  }
  return t;
}

/** a (n×k) · b (k×m). */
export function matMul(a: number[][], b: number[][]): number[][] {
  const m = b.length ? b[0].length : 0;
  return a.map((row) => {
    const out = new Array<number>(m).fill(0);
    for (let p = 0; p < row.length; p++) {
      const v = row[p];
      if (v === 0) continue;
      const bp = b[p];
      for (let j = 0; j < m; j++) out[j] += v * bp[j];
    }
    return out;
  });
}

/** a · aᵀ (n×n) of the n rows of `a`. */
function gram(a: number[][]): number[][] {
  const n = a.length;
  const g: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = dot(a[i], a[j]);
      g[i][j] = v;
      g[j][i] = v;
    }
  }
  return g;
}

/** Rows padded with zeros (or cut) to `m` columns. */
function padColumns(rows: number[][], m: number): number[][] {
  return rows.map((r) => {
    const out = r.slice(0, m);
    while (out.length < m) out.push(0);
    return out;
  });
}

/**
 * The eigenpairs of a symmetric matrix given as rows, largest first, each eigenvector as a row:
 * the one eigensolver (shared/linalg.ts, ascending, columns) read in the order PCA wants.
 */
function eigenDescending(a: number[][]): { values: number[]; vectors: number[][] } {
  const n = a.length;
  const flat = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) flat[i * n + j] = a[i][j];
  const { values, vectors } = symmetricEigen(flat, n);
  const order = Array.from({ length: n }, (_, i) => n - 1 - i);
  return {
    values: order.map((j) => values[j]),
    vectors: order.map((j) => Array.from({ length: n }, (_, i) => vectors[i * n + j])),
  };
}

/**
 * Exact coordinates of the rows in an orthonormal basis of their span (no centring):
 * rows = coords · basis, coords n×r, basis r×d, axes sorted by decreasing singular value.
 * Works through whichever of the n×n Gram or d×d scatter matrix is smaller.
 */
export function rowSpace(rows: number[][]): { coords: number[][]; basis: number[][] } {
  const n = rows.length;
  const d = n ? rows[0].length : 0;
  if (n === 0 || d === 0) return { coords: rows.map(() => []), basis: [] };
  if (d < n) {
    const { values, vectors } = eigenDescending(gram(transpose(rows)));
    const keep = vectors.filter((_, i) => values[i] > RANK_TOL * Math.max(values[0], 0));
    return { coords: rows.map((r) => keep.map((b) => dot(r, b))), basis: keep };
  }
  const { values, vectors } = eigenDescending(gram(rows));
  const basis: number[][] = [];
  const cols: number[][] = [];
  for (let i = 0; i < n; i++) {
    if (!(values[i] > RANK_TOL * Math.max(values[0], 0))) break;
    const s = Math.sqrt(values[i]);
    const u = vectors[i];
    const b = new Array<number>(d).fill(0);
    for (let k = 0; k < n; k++) {
      const w = u[k] / s;
      if (w === 0) continue;
      const r = rows[k];
      for (let j = 0; j < d; j++) b[j] += w * r[j];
    }
    basis.push(b);
    cols.push(u.map((x) => x * s));
  }
  return { coords: cols.length ? transpose(cols) : rows.map(() => []), basis };
}

/**
 * The top-k principal directions (k×D, orthonormal rows) of the rows, centred at their mean,
 * and the share of their variance the k directions keep (1 when rank ≤ k). Padded with zero
 * rows when the rows span fewer than k dimensions, so projections always have k coordinates.
 */
export function pcaBasis(
  rows: number[][],
  k = 3,
): { basis: number[][]; explained: number; variances: number[] } {
  const d = rows.length ? rows[0].length : 0;
  const centre = new Array<number>(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) centre[j] += r[j] / rows.length;
  const centred = rows.map((r) => r.map((x, j) => x - centre[j]));
  const { coords, basis } = rowSpace(centred);
  const variances = basis.map((_, i) => {
    let s = 0;
    for (const c of coords) s += c[i] * c[i];
    return s / Math.max(rows.length, 1);
  });
  const total = variances.reduce((a, b) => a + b, 0);
  const kept = variances.slice(0, k).reduce((a, b) => a + b, 0);
  const out = basis.slice(0, k);
  while (out.length < k) out.push(new Array<number>(d).fill(0));
  return { basis: out, explained: total > 0 ? kept / total : 1, variances };
}

/** Coordinates of each row along each basis row: rows · basisᵀ. */
export function project(rows: number[][], basis: number[][]): number[][] {
  return rows.map((r) => basis.map((b) => dot(r, b)));
}

/**
 * The C vertices of a simplex ETF of the given radius, centred at the origin, as C points in
 * R^(C−1): the rows of r·sqrt(C/(C−1))·(I − 11ᵀ/C) written in the Helmert basis of the
 * sum-zero subspace, so every pair has cosine −1/(C−1).
 */
export function simplexEtf(c: number, radius: number): number[][] {
  if (c < 2) return Array.from({ length: c }, () => []);
  const scale = radius * Math.sqrt(c / (c - 1));
  const rows: number[][] = [];
  for (let k = 0; k < c; k++) {
    const row = new Array<number>(c - 1);
    for (let j = 1; j < c; j++) {
      // Helmert vector h_j = (1,…,1 (j times), −j, 0,…)/sqrt(j(j+1)); it is orthogonal to 1,
      // so <e_k − 1/C, h_j> = (h_j)_k.
      const h = k < j ? 1 : k === j ? -j : 0;
      row[j - 1] = (scale * h) / Math.sqrt(j * (j + 1));
    }
    rows.push(row);
  }
  return rows;
}

/**
 * Singular value decomposition of a square matrix m = U·diag(s)·Vᵀ through the eigenvectors of
 * mᵀm; left vectors of zero singular values are completed to an orthonormal basis so that U is
 * orthogonal even when m is rank-deficient (as it is when the means span fewer dimensions).
 */
export function svdSquare(m: number[][]): { u: number[][]; s: number[]; v: number[][] } {
  const n = m.length;
  const { values, vectors } = eigenDescending(matMul(transpose(m), m));
  const s = values.map((x) => Math.sqrt(Math.max(x, 0)));
  const uCols: number[][] = [];
  for (let i = 0; i < n; i++) {
    if (s[i] > 1e-7 * Math.max(s[0], 1e-300)) {
      const mv = m.map((row) => dot(row, vectors[i]) / s[i]);
      uCols.push(orthonormalise(mv, uCols));
    } else {
      uCols.push(completeBasis(uCols, n));
    }
  }
  return { u: transpose(uCols), s, v: transpose(vectors) };
}

/** `x` minus its components along the orthonormal `basis` (twice, for round-off). */
function residual(x: number[], basis: number[][]): number[] {
  let y = x.slice();
  for (let pass = 0; pass < 2; pass++) {
    for (const b of basis) {
      const p = dot(y, b);
      y = y.map((v, i) => v - p * b[i]);
    }
  }
  return y;
}

function orthonormalise(x: number[], basis: number[][]): number[] {
  const y = residual(x, basis);
  const l = norm(y);
  return l > 0 ? y.map((v) => v / l) : y;
}

/** A unit vector orthogonal to the orthonormal `basis`: the standard axis that sticks out most. */
function completeBasis(basis: number[][], n: number): number[] {
  let best: number[] = [];
  for (let i = 0; i < n; i++) {
    const e = new Array<number>(n).fill(0);
    e[i] = 1;
    const y = residual(e, basis);
    if (norm(y) > norm(best)) best = y;
  }
  const l = norm(best);
  return best.map((v) => v / l);
}

/**
 * Orthogonal Procrustes: the orthogonal R minimising ||ideal·R − observed||_F, R = U·Vᵀ from
 * the SVD idealᵀ·observed = U·S·Vᵀ, and `aligned` = ideal·R. Both are padded with zero
 * columns to the wider of the two, so `aligned` has that many columns.
 */
export function procrustes(
  observed: number[][],
  ideal: number[][],
): { rotation: number[][]; aligned: number[][] } {
  const m = Math.max(observed[0]?.length ?? 0, ideal[0]?.length ?? 0);
  const x = padColumns(observed, m);
  const e = padColumns(ideal, m);
  const { u, v } = svdSquare(matMul(transpose(e), x));
  const rotation = matMul(u, transpose(v));
  return { rotation, aligned: matMul(e, rotation) };
}

/** Pairwise cosines of the rows (C×C); a zero row has cosine 0 with everything. */
export function cosineMatrix(rows: number[][]): number[][] {
  const norms = rows.map(norm);
  return rows.map((a, i) =>
    rows.map((b, j) => (norms[i] > 0 && norms[j] > 0 ? dot(a, b) / (norms[i] * norms[j]) : 0)),
  );
}

/**
 * The chosen classes' own simplex (4 classes → tetrahedron, 3 → triangle, 2 → segment) in 3-D
 * with no projection loss: the chosen means centred at their own centroid span at most k−1 ≤ 3
 * dimensions, written exactly in an orthonormal basis of that span. `ideal` is the regular
 * simplex with the same mean distance from the centroid, Procrustes-aligned to `points`;
 * `basis` (3×D) and `centroid` project anything else (samples, classifier rows) the same way:
 * (x − centroid)·basisᵀ.
 */
export function exactSubset(
  means: number[][],
  classes: number[],
): { points: number[][]; ideal: number[][]; basis: number[][]; centroid: number[] } {
  const chosen = classes.map((k) => means[k]);
  const d = chosen[0]?.length ?? 0;
  const centroid = new Array<number>(d).fill(0);
  for (const r of chosen) for (let j = 0; j < d; j++) centroid[j] += r[j] / chosen.length;
  const centred = chosen.map((r) => r.map((x, j) => x - centroid[j]));
  const span = rowSpace(centred);
  const points = padColumns(span.coords, 3);
  const ideal = padColumns(
    procrustes(points, simplexEtf(chosen.length, meanNorm(points))).aligned,
    3,
  );
  const basis = span.basis.slice(0, 3);
  while (basis.length < 3) basis.push(new Array<number>(d).fill(0));
  return { points, ideal, basis, centroid };
}

/** What the ETF view and the report draw, all in 3-D. */
export interface EtfScene {
  /** Class means μ_k − μ_G projected (C×3). */
  means: number[][];
  /** The ideal simplex ETF of the same mean norm, Procrustes-aligned, projected (C×3). */
  ideal: number[][];
  /** Classifier rows rescaled to the means' mean norm, projected (C×3), or null. */
  weights: number[][] | null;
  /** The 3×D projection basis used (pass it back to keep it fixed across a series). */
  basis: number[][];
  /** Share of the centred means' variance the basis keeps (0..1). */
  explained: number;
  /** Mean of ||μ_k − μ_G||: the ideal ETF's radius. */
  radius: number;
  /** Whether a simplex ETF of C vertices fits in D dimensions (C ≤ D + 1). */
  fits: boolean;
}

/**
 * Classes beyond which `etfScene` takes the closed form below: the Procrustes alignment of a
 * C-vertex simplex works on C×C matrices (and a C×(C−1) simplex), which at C = 1 000 takes
 * seconds and at C = 10 000 does not fit in memory.
 */
export const EXACT_SCENE_CLASSES = 64;

/**
 * The scene of `etfScene` in O(C·D²), for many classes. With Y the centred means minus their
 * own mean (Y = P·X, P = I − 11ᵀ/C) and S = YᵀY, the simplex E (EEᵀ = s²P, s = r·√(C/(C−1)))
 * best aligned to X in the means' span is E·U·Vᵀ for the SVD EᵀX = U·Σ·Vᵀ, which equals
 * s·Y·S^(−1/2) (pseudo-inverse square root on the span): only D×D matrices. The same ideal as
 * the Procrustes path wherever that one is unique (test/report/geometry-large.test.ts).
 */
export function etfSceneLarge(input: {
  means: ArrayLike<number>;
  globalMean: ArrayLike<number>;
  c: number;
  d: number;
  weights?: ArrayLike<number> | null;
  basis?: number[][];
}): EtfScene {
  const { c, d } = input;
  const x = new Float64Array(c * d);
  const colMean = new Float64Array(d);
  let radius = 0;
  for (let k = 0; k < c; k++) {
    let n2 = 0;
    for (let t = 0; t < d; t++) {
      const v = input.means[k * d + t] - input.globalMean[t];
      x[k * d + t] = v;
      colMean[t] += v / c;
      n2 += v * v;
    }
    radius += Math.sqrt(n2) / c;
  }
  // S = YᵀY (upper triangle, then mirrored), and Σ‖x_k‖² about the origin for `explained`.
  const s = new Float64Array(d * d);
  const y = new Float64Array(d);
  for (let k = 0; k < c; k++) {
    for (let t = 0; t < d; t++) y[t] = x[k * d + t] - colMean[t];
    for (let a = 0; a < d; a++) {
      const ya = y[a];
      if (ya === 0) continue;
      const row = a * d;
      for (let b = a; b < d; b++) s[row + b] += ya * y[b];
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) s[a * d + b] = s[b * d + a];
  const { values, vectors } = symmetricEigen(s, d);
  const top = Math.max(values[d - 1] ?? 0, 0);
  const kept: number[] = [];
  for (let j = d - 1; j >= 0; j--) if (values[j] > RANK_TOL * top) kept.push(j);
  let basis = input.basis;
  let explained: number;
  const trace = kept.reduce((a, j) => a + values[j], 0);
  if (!basis) {
    basis = kept.slice(0, 3).map((j) => Array.from({ length: d }, (_, i) => vectors[i * d + j]));
    while (basis.length < 3) basis.push(new Array<number>(d).fill(0));
    explained = trace > 0 ? kept.slice(0, 3).reduce((a, j) => a + values[j], 0) / trace : 1;
  } else {
    let part = 0;
    for (const b of basis) {
      for (let i = 0; i < d; i++) {
        let sb = 0;
        for (let j = 0; j < d; j++) sb += s[i * d + j] * b[j];
        part += b[i] * sb;
      }
    }
    explained = trace > 0 ? part / trace : 1;
  }
  // K = S^(−1/2)·Bᵀ (D×3): ideal (3-D) = scale·Y·K.
  const scale = c > 1 ? radius * Math.sqrt(c / (c - 1)) : 0;
  const kMat = new Float64Array(d * 3);
  for (const j of kept) {
    const inv = 1 / Math.sqrt(values[j]);
    for (let a = 0; a < 3; a++) {
      let vb = 0;
      for (let i = 0; i < d; i++) vb += vectors[i * d + j] * basis[a][i];
      for (let i = 0; i < d; i++) kMat[i * 3 + a] += vectors[i * d + j] * inv * vb;
    }
  }
  const means: number[][] = [];
  const ideal: number[][] = [];
  for (let k = 0; k < c; k++) {
    const m = [0, 0, 0];
    const e = [0, 0, 0];
    for (let t = 0; t < d; t++) {
      const v = x[k * d + t];
      const w = v - colMean[t];
      for (let a = 0; a < 3; a++) {
        m[a] += v * basis[a][t];
        e[a] += w * kMat[t * 3 + a];
      }
    }
    means.push(m);
    ideal.push(e.map((v) => v * scale));
  }
  let weights: number[][] | null = null;
  if (input.weights) {
    const w = input.weights;
    const rows: number[][] = [];
    let wNorm = 0;
    for (let k = 0; k < c; k++) {
      const p = [0, 0, 0];
      let n2 = 0;
      for (let t = 0; t < d; t++) {
        const v = w[k * d + t];
        n2 += v * v;
        for (let a = 0; a < 3; a++) p[a] += v * basis[a][t];
      }
      wNorm += Math.sqrt(n2) / c;
      rows.push(p);
    }
    const f = wNorm > 0 ? radius / wNorm : 0;
    weights = rows.map((r) => r.map((v) => v * f));
  }
  return { means, ideal, weights, basis, explained, radius, fits: c <= d + 1 };
}

/**
 * The full 3-D scene of one result: PCA of the centred means (or the given fixed `basis`),
 * the means, the ideal ETF aligned to them in the means' own span (exact, before projection),
 * and the rescaled classifier rows.
 */
export function etfScene(input: {
  means: number[];
  globalMean: number[];
  c: number;
  d: number;
  weights?: number[] | null;
  basis?: number[][];
}): EtfScene {
  const { c, d } = input;
  if (c > EXACT_SCENE_CLASSES) return etfSceneLarge(input);
  const centred = centredMeans(input.means, input.globalMean, c, d);
  const pca = input.basis ? null : pcaBasis(centred, 3);
  const basis = input.basis ?? pca!.basis;
  const radius = meanNorm(centred);
  // Align in the means' own span, where nothing is lost, then map back to R^D and project.
  const span = rowSpace(centred);
  const aligned = procrustes(span.coords, simplexEtf(c, radius)).aligned;
  const idealD = matMul(padColumns(aligned, span.basis.length), span.basis);
  const ideal = span.basis.length ? project(idealD, basis) : centred.map(() => [0, 0, 0]);
  let weights: number[][] | null = null;
  if (input.weights) {
    const w = toRows(input.weights, c, d);
    const scale = meanNorm(w) > 0 ? radius / meanNorm(w) : 0;
    weights = project(w, basis).map((r) => r.map((x) => x * scale));
  }
  return {
    means: project(centred, basis),
    ideal,
    weights,
    basis,
    explained: pca ? pca.explained : explainedBy(centred, basis),
    radius,
    fits: c <= d + 1,
  };
}

/** Share of the rows' variance (about their mean) kept by an orthonormal basis. */
function explainedBy(rows: number[][], basis: number[][]): number {
  const d = rows[0]?.length ?? 0;
  const centre = new Array<number>(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) centre[j] += r[j] / rows.length;
  let total = 0;
  let kept = 0;
  for (const r of rows) {
    const x = r.map((v, j) => v - centre[j]);
    total += dot(x, x);
    for (const b of basis) kept += dot(x, b) ** 2;
  }
  return total > 0 ? kept / total : 1;
}

/**
 * The `count` classes whose means are nearest class k's, by ‖μ_k − μ_l‖ (float64, O(C·D)):
 * positions and distances, nearest first, ties by position (the class drill-down, issue 16).
 */
export function nearestClasses(
  means: ArrayLike<number>,
  c: number,
  d: number,
  k: number,
  count: number,
): { position: number; distance: number }[] {
  const out: { position: number; distance: number }[] = [];
  for (let l = 0; l < c; l++) {
    if (l === k) continue;
    let s = 0;
    for (let t = 0; t < d; t++) {
      const v = means[k * d + t] - means[l * d + t];
      s += v * v;
    }
    out.push({ position: l, distance: Math.sqrt(s) });
  }
  out.sort((a, b) => a.distance - b.distance || a.position - b.position);
  return out.slice(0, count);
}

/**
 * Cosines of the centred means μ_k − μ_G between the classes `rows` and `cols` (positions),
 * float64, rows.length × cols.length row-major, 1 on the diagonal: one tile of the heatmap's
 * zoom, never C×C (the service's cosineTile; the app's test split).
 */
export function meanCosines(
  g: { means: ArrayLike<number>; global_mean: ArrayLike<number> },
  d: number,
  rows: readonly number[],
  cols: readonly number[],
): number[] {
  const unit = (k: number): Float64Array => {
    const v = new Float64Array(d);
    let n2 = 0;
    for (let t = 0; t < d; t++) {
      v[t] = g.means[k * d + t] - g.global_mean[t];
      n2 += v[t] * v[t];
    }
    const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
    for (let t = 0; t < d; t++) v[t] *= inv;
    return v;
  };
  const ur = rows.map(unit);
  const uq = cols.map(unit);
  const cos = new Array<number>(rows.length * cols.length);
  for (let i = 0; i < rows.length; i++) {
    const a = ur[i];
    for (let j = 0; j < cols.length; j++) {
      const b = uq[j];
      let s = 0;
      for (let t = 0; t < d; t++) s += a[t] * b[t];
      cos[i * cols.length + j] = rows[i] === cols[j] ? 1 : s;
    }
  }
  return cos;
}
