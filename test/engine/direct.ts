/**
 * A direct float64 computation of the metrics, written from docs/metrics.md with none of the
 * engine's shortcuts: D×D Σ_W and Σ_B, Σ_B inverted by Gauss–Jordan (tests use full-rank
 * Σ_B), NCC from full distances, classifier scores from w·h + b. Slow and only for tests.
 */
import type { Centering } from '../../shared/schema.ts';

export interface DirectInput {
  h: number[][];
  y: number[];
  w?: number[][];
  b?: number[];
  centering?: Centering;
  /** Training means and labels for the NCC (test split); default: the data's own. */
  nccMeans?: { labels: number[]; means: number[][] };
}

const sub = (a: number[], b: number[]) => a.map((x, i) => x - b[i]);
const dotp = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
const norm = (a: number[]) => Math.sqrt(dotp(a, a));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

function inverse(m: number[][]): number[][] {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let col = 0; col < n; col++) {
    let p = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[p][col])) p = r;
    [a[col], a[p]] = [a[p], a[col]];
    const pv = a[col][col];
    for (let j = 0; j < 2 * n; j++) a[col][j] /= pv;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r][col];
      for (let j = 0; j < 2 * n; j++) a[r][j] -= f * a[col][j];
    }
  }
  return a.map((row) => row.slice(n));
}

/** Modified Gram–Schmidt over the rows, dropping those (numerically) in the span so far. */
function orthonormalBasis(rows: number[][]): number[][] {
  const scale = Math.max(...rows.map(norm));
  const basis: number[][] = [];
  for (const row of rows) {
    let v = [...row];
    for (const e of basis) {
      const p = dotp(v, e);
      v = v.map((x, i) => x - p * e[i]);
    }
    const nv = norm(v);
    if (nv > 1e-8 * scale) basis.push(v.map((x) => x / nv));
  }
  return basis;
}

function shape(v: number[][]) {
  const c = v.length;
  const norms = v.map(norm);
  const cos: number[] = [];
  for (let k = 0; k < c; k++)
    for (let l = k + 1; l < c; l++) cos.push(dotp(v[k], v[l]) / (norms[k] * norms[l]));
  const g = v.map((a) => v.map((b) => dotp(a, b)));
  const fro = Math.sqrt(g.flat().reduce((s, x) => s + x * x, 0));
  let e = 0;
  for (let k = 0; k < c; k++)
    for (let l = 0; l < c; l++)
      e += (g[k][l] / fro - ((k === l ? 1 : 0) - 1 / c) / Math.sqrt(c - 1)) ** 2;
  return {
    equinorm: std(norms) / mean(norms),
    equiangular: std(cos),
    maxangle: mean(cos.map((x) => Math.abs(x + 1 / (c - 1)))),
    etf_error: Math.sqrt(e),
  };
}

export function directMetrics(input: DirectInput) {
  const { h, y, w, b } = input;
  const n = h.length;
  const d = h[0].length;
  const labels = [...new Set(y)].sort((p, q) => p - q);
  const c = labels.length;
  const members = labels.map((l) => h.filter((_, i) => y[i] === l));
  const mu = members.map((rows) =>
    Array.from({ length: d }, (_, t) => mean(rows.map((r) => r[t]))),
  );
  const muG =
    input.centering === 'samples'
      ? Array.from({ length: d }, (_, t) => mean(h.map((r) => r[t])))
      : Array.from({ length: d }, (_, t) => mean(mu.map((m) => m[t])));
  const mt = mu.map((m) => sub(m, muG));
  const sw = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  h.forEach((row, i) => {
    const r = sub(row, mu[labels.indexOf(y[i])]);
    for (let a = 0; a < d; a++) for (let q = 0; q < d; q++) sw[a][q] += (r[a] * r[q]) / n;
  });
  const sb = Array.from({ length: d }, (_, a) =>
    Array.from({ length: d }, (_, q) => mean(mt.map((m) => m[a] * m[q]))),
  );
  // Σ_B^† = Q (QᵀΣ_B Q)⁻¹ Qᵀ with Q an orthonormal basis of the span of the centred means.
  const q = orthonormalBasis(mt);
  const project = (m: number[][]) =>
    q.map((a) =>
      q.map((b) =>
        dotp(
          a,
          m.map((row) => dotp(row, b)),
        ),
      ),
    );
  const sbInv = inverse(project(sb));
  const swQ = project(sw);
  let tr = 0;
  for (let a = 0; a < q.length; a++)
    for (let z = 0; z < q.length; z++) tr += swQ[a][z] * sbInv[z][a];
  const sigma2 = members.map((rows, k) =>
    mean(rows.map((r) => dotp(sub(r, mu[k]), sub(r, mu[k])))),
  );
  let cd = 0;
  let pairs = 0;
  for (let k = 0; k < c; k++)
    for (let l = k + 1; l < c; l++) {
      cd += (sigma2[k] + sigma2[l]) / (2 * dotp(sub(mu[k], mu[l]), sub(mu[k], mu[l])));
      pairs++;
    }
  const ref = input.nccMeans ?? { labels, means: mu };
  const ncc = h.map((row) => {
    const dist = ref.means.map((m) => dotp(sub(row, m), sub(row, m)));
    return ref.labels[dist.indexOf(Math.min(...dist))];
  });
  const wRows = w ? labels.map((l) => w[l]) : undefined;
  const refW = w ? ref.labels.map((l) => w[l]) : undefined;
  const cls = refW
    ? h.map((row) => {
        const s = refW.map((wr, j) => dotp(wr, row) + (b ? b[ref.labels[j]] : 0));
        return ref.labels[s.indexOf(Math.max(...s))];
      })
    : undefined;
  const u = mt.map((m) => m.map((x) => x / norm(m)));
  const kern: number[] = [];
  for (let k = 0; k < c; k++)
    for (let l = k + 1; l < c; l++) kern.push(-Math.log(norm(sub(u[k], u[l]))));
  const ms = shape(mt);
  const ws = wRows ? shape(wRows) : undefined;
  const cosk = wRows ? wRows.map((wr, k) => dotp(wr, mt[k]) / (norm(wr) * norm(mt[k]))) : undefined;
  let selfDual: number | null = null;
  if (wRows) {
    const fw = Math.sqrt(wRows.flat().reduce((s, x) => s + x * x, 0));
    const fm = Math.sqrt(mt.flat().reduce((s, x) => s + x * x, 0));
    selfDual = wRows.flat().reduce((s, x, i) => s + (x / fw - mt.flat()[i] / fm) ** 2, 0);
  }
  const frac = (pred: number[], rows: number[]) =>
    rows.filter((i) => pred[i] === y[i]).length / rows.length;
  const all = h.map((_, i) => i);
  return {
    n,
    d,
    c,
    nc1: tr / c,
    nc1_quotient:
      sigma2.reduce((s, v, k) => s + v * members[k].length, 0) /
      n /
      mean(mt.map((m) => dotp(m, m))),
    cdnv: cd / pairs,
    nc2: {
      equinorm_means: ms.equinorm,
      equiangular_means: ms.equiangular,
      maxangle_means: ms.maxangle,
      etf_error_means: ms.etf_error,
      log_kernel_mean: mean(kern),
      log_kernel_var: std(kern) ** 2,
      equinorm_weights: ws?.equinorm ?? null,
      equiangular_weights: ws?.equiangular ?? null,
      maxangle_weights: ws?.maxangle ?? null,
      etf_error_weights: ws?.etf_error ?? null,
    },
    nc3: {
      self_duality: selfDual,
      duality_cos_mean: cosk ? mean(cosk) : null,
      duality_cos_cov: cosk ? std(cosk) / mean(cosk) : null,
    },
    nc4: {
      ncc_mismatch: cls ? all.filter((i) => cls[i] !== ncc[i]).length / n : null,
      classifier_accuracy: cls ? frac(cls, all) : null,
      ncc_accuracy: frac(ncc, all),
    },
    per_class: labels.map((label, k) => {
      const rows = all.filter((i) => y[i] === label);
      return {
        label,
        count: rows.length,
        mean_norm: norm(mt[k]),
        within_var: sigma2[k],
        weight_norm: wRows ? norm(wRows[k]) : null,
        cos_w_mu: cosk ? cosk[k] : null,
        ncc_accuracy: frac(ncc, rows),
        classifier_accuracy: cls ? frac(cls, rows) : null,
      };
    }),
  };
}

/** Every number in `expected` matches `actual` within `rel` relative (`abs` near zero). */
export function mismatches(
  actual: unknown,
  expected: unknown,
  rel = 1e-6,
  abs = 1e-9,
  at = '',
): string[] {
  if (typeof expected === 'number') {
    if (typeof actual !== 'number') return [`${at}: expected ${expected}, found ${String(actual)}`];
    const ok = Math.abs(actual - expected) <= Math.max(abs, rel * Math.abs(expected));
    return ok ? [] : [`${at}: expected ${expected}, found ${actual}`];
  }
  if (expected === null || typeof expected !== 'object') {
    return actual === expected
      ? []
      : [`${at}: expected ${String(expected)}, found ${String(actual)}`];
  }
  return Object.keys(expected).flatMap((k) =>
    mismatches(
      (actual as Record<string, unknown>)?.[k],
      (expected as Record<string, unknown>)[k],
      rel,
      abs,
      `${at}.${k}`,
    ),
  );
}

/** A deterministic pseudo-random generator (mulberry32) and standard normals from it. */
export function rng(seed: number): { uniform(): number; normal(): number } {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () =>
    Math.sqrt(-2 * Math.log(uniform() + 1e-300)) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}
