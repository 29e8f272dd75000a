/**
 * The Neural Collapse metrics of one split, from the pass-1 means and the pass-2 sums.
 * Definitions: docs/metrics.md (the contract); each metric cites its paper where computed.
 * Anything undefined (a zero norm, coincident means) becomes null plus a warning: results
 * never hold NaN or Infinity.
 */
import type { Nc2, Nc3, Nc4, PerClassRow, SplitMetrics } from '../../shared/schema.ts';
import type { Pass2Partial } from './accumulate.ts';
import { gram, rowNorms, squaredDistance } from './linalg.ts';
import type { Nc1Directions } from './nc1.ts';
import { nc1FromProjections } from './nc1.ts';

export interface SplitStatistics {
  n: number;
  d: number;
  c: number;
  labels: number[];
  counts: Float64Array;
  /** μ_k − μ_G, row-major c×d. */
  centred: Float64Array;
  /** Classifier rows of this split's classes (c×d), or null. */
  weights: Float64Array | null;
  hasClassifier: boolean;
  nc1: Nc1Directions;
  partial: Pass2Partial;
}

/** A finite number, or null with a warning naming what could not be computed and why. */
function finite(x: number | null, what: string, why: string, warnings: string[]): number | null {
  if (x !== null && Number.isFinite(x)) return x;
  warnings.push(`${what} is undefined: ${why}`);
  return null;
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Population standard deviation. */
function std(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return Math.sqrt(s / xs.length);
}

/** Values of a symmetric c×c matrix over the pairs k < l. */
function pairs(g: Float64Array, c: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < c; k++) for (let l = k + 1; l < c; l++) out.push(g[k * c + l]);
  return out;
}

export interface EtfShape {
  equinorm: number | null;
  equiangular: number | null;
  maxangle: number | null;
  etf_error: number | null;
}

/**
 * How far the rows of V are from a simplex ETF (Papyan, Han & Donoho, PNAS 2020):
 * equinorm = std‖v_k‖/mean‖v_k‖, equiangular = std of pairwise cosines, maxangle = mean
 * |cos_kl + 1/(C−1)|, etf_error = ‖G/‖G‖_F − (I − 11ᵀ/C)/√(C−1)‖_F.
 */
function etfShape(
  v: Float64Array,
  c: number,
  d: number,
  what: string,
  warnings: string[],
): EtfShape {
  const norms = rowNorms(v, c, d);
  const g = gram(v, c, d);
  const meanNorm = mean(norms);
  const zeroRow = norms.some((x) => x === 0);
  const equinorm = finite(
    meanNorm > 0 ? std(norms) / meanNorm : null,
    `equinorm_${what}`,
    'all vectors are zero',
    warnings,
  );
  let equiangular: number | null = null;
  let maxangle: number | null = null;
  if (zeroRow) {
    warnings.push(`equiangular_${what} and maxangle_${what} are undefined: a vector has zero norm`);
  } else {
    const cos = new Float64Array(c * c);
    for (let k = 0; k < c; k++)
      for (let l = 0; l < c; l++) cos[k * c + l] = g[k * c + l] / (norms[k] * norms[l]);
    const cs = pairs(cos, c);
    equiangular = std(cs);
    maxangle = mean(cs.map((x) => Math.abs(x + 1 / (c - 1))));
  }
  let fro = 0;
  for (let i = 0; i < c * c; i++) fro += g[i] * g[i];
  fro = Math.sqrt(fro);
  let etf: number | null = null;
  if (fro > 0) {
    let s = 0;
    const scale = 1 / Math.sqrt(c - 1);
    for (let k = 0; k < c; k++) {
      for (let l = 0; l < c; l++) {
        const target = ((k === l ? 1 : 0) - 1 / c) * scale;
        s += (g[k * c + l] / fro - target) ** 2;
      }
    }
    etf = Math.sqrt(s);
  }
  return {
    equinorm,
    equiangular,
    maxangle,
    etf_error: finite(etf, `etf_error_${what}`, 'all vectors are zero', warnings),
  };
}

/**
 * Hyperspherical log-kernel of the normalised centred means (Liu et al. 2023; Wu & Papyan
 * 2024): κ_kl = −log‖u_k − u_l‖ over pairs; its mean and population variance.
 */
function logKernel(
  centred: Float64Array,
  c: number,
  d: number,
  warnings: string[],
): { mean: number | null; variance: number | null } {
  const norms = rowNorms(centred, c, d);
  if (norms.some((x) => x === 0)) {
    warnings.push(
      'log_kernel_mean and log_kernel_var are undefined: a class mean equals the global mean',
    );
    return { mean: null, variance: null };
  }
  const u = centred.map((x, i) => x / norms[Math.floor(i / d)]);
  const ks: number[] = [];
  for (let k = 0; k < c; k++) {
    for (let l = k + 1; l < c; l++) {
      ks.push(-Math.log(Math.sqrt(squaredDistance(u, k * d, u, l * d, d))));
    }
  }
  if (ks.some((x) => !Number.isFinite(x))) {
    warnings.push(
      'log_kernel_mean and log_kernel_var are undefined: two class means point the same way',
    );
    return { mean: null, variance: null };
  }
  const m = mean(ks);
  return { mean: m, variance: std(ks) ** 2 };
}

/** CDNV (Galanti et al. 2022): mean over pairs of (σ_k² + σ_l²)/(2‖μ_k − μ_l‖²). */
function cdnv(s: SplitStatistics, variances: Float64Array): number | null {
  const { c, d, centred } = s;
  let total = 0;
  for (let k = 0; k < c; k++) {
    for (let l = k + 1; l < c; l++) {
      const dist = squaredDistance(centred, k * d, centred, l * d, d);
      if (dist === 0) return null;
      total += (variances[k] + variances[l]) / (2 * dist);
    }
  }
  return total / ((c * (c - 1)) / 2);
}

/** cos(w_k, μ_k − μ_G) per class, or null where a norm is zero. */
function dualityCosines(s: SplitStatistics): (number | null)[] {
  const { c, d, centred, weights } = s;
  const wn = rowNorms(weights!, c, d);
  const mn = rowNorms(centred, c, d);
  return Array.from({ length: c }, (_, k) => {
    if (wn[k] === 0 || mn[k] === 0) return null;
    let dotp = 0;
    for (let t = 0; t < d; t++) dotp += weights![k * d + t] * centred[k * d + t];
    return dotp / (wn[k] * mn[k]);
  });
}

/**
 * NC3 self-duality ‖W/‖W‖_F − M̃/‖M̃‖_F‖²_F (Papyan, Han & Donoho, PNAS 2020) and uniform
 * duality: mean and coefficient of variation of cos(w_k, μ_k − μ_G) (Wu & Papyan 2024).
 */
function nc3(s: SplitStatistics, cosines: (number | null)[], warnings: string[]): Nc3 {
  if (!s.weights) return { self_duality: null, duality_cos_mean: null, duality_cos_cov: null };
  const { c, d, centred, weights } = s;
  let fw = 0;
  let fm = 0;
  for (let i = 0; i < c * d; i++) {
    fw += weights[i] ** 2;
    fm += centred[i] ** 2;
  }
  fw = Math.sqrt(fw);
  fm = Math.sqrt(fm);
  let sd: number | null = null;
  if (fw > 0 && fm > 0) {
    sd = 0;
    for (let i = 0; i < c * d; i++) sd += (weights[i] / fw - centred[i] / fm) ** 2;
  }
  const self_duality = finite(sd, 'self_duality', 'W or the centred means are zero', warnings);
  if (cosines.some((x) => x === null)) {
    warnings.push(
      'duality_cos_mean and duality_cos_cov are undefined: a classifier row or centred mean is zero',
    );
    return { self_duality, duality_cos_mean: null, duality_cos_cov: null };
  }
  const cs = cosines as number[];
  const m = mean(cs);
  return {
    self_duality,
    duality_cos_mean: m,
    duality_cos_cov: finite(
      m !== 0 ? std(cs) / m : null,
      'duality_cos_cov',
      'the mean cosine is zero',
      warnings,
    ),
  };
}

export function splitMetrics(s: SplitStatistics, warnings: string[]): SplitMetrics {
  const { n, d, c, labels, counts, centred, partial, weights } = s;
  const variances = Float64Array.from(partial.squares, (sq, k) => sq / counts[k]);
  const traceW = partial.squares.reduce((a, b) => a + b, 0) / n;
  let traceB = 0;
  for (let i = 0; i < c * d; i++) traceB += centred[i] ** 2;
  traceB /= c;
  const means = etfShape(centred, c, d, 'means', warnings);
  const kernel = logKernel(centred, c, d, warnings);
  const w = weights ? etfShape(weights, c, d, 'weights', warnings) : null;
  const nc2: Nc2 = {
    equinorm_means: means.equinorm,
    equiangular_means: means.equiangular,
    maxangle_means: means.maxangle,
    etf_error_means: means.etf_error,
    log_kernel_mean: kernel.mean,
    log_kernel_var: kernel.variance,
    equinorm_weights: w?.equinorm ?? null,
    equiangular_weights: w?.equiangular ?? null,
    maxangle_weights: w?.maxangle ?? null,
    etf_error_weights: w?.etf_error ?? null,
  };
  const cosines = weights ? dualityCosines(s) : [];
  const nc4: Nc4 = {
    ncc_mismatch: s.hasClassifier ? partial.mismatches / n : null,
    classifier_accuracy: s.hasClassifier ? sum(partial.classifierCorrect) / n : null,
    ncc_accuracy: sum(partial.nccCorrect) / n,
  };
  const meanNorms = rowNorms(centred, c, d);
  const weightNorms = weights ? rowNorms(weights, c, d) : null;
  const per_class: PerClassRow[] = labels.map((label, k) => ({
    label,
    count: counts[k],
    mean_norm: meanNorms[k],
    within_var: variances[k],
    weight_norm: weightNorms ? weightNorms[k] : null,
    cos_w_mu: weights ? cosines[k] : null,
    ncc_accuracy: partial.nccCorrect[k] / counts[k],
    classifier_accuracy: s.hasClassifier ? partial.classifierCorrect[k] / counts[k] : null,
  }));
  return {
    n,
    d,
    c,
    nc1: finite(
      nc1FromProjections(s.nc1, partial.projections, n),
      'nc1',
      'all class means coincide',
      warnings,
    ),
    nc1_quotient: finite(
      traceB > 0 ? traceW / traceB : null,
      'nc1_quotient',
      'all class means coincide',
      warnings,
    ),
    cdnv: finite(cdnv(s, variances), 'cdnv', 'two class means coincide', warnings),
    nc2,
    nc3: nc3(s, cosines, warnings),
    nc4,
    per_class,
  };
}

function sum(xs: Float64Array): number {
  return xs.reduce((a, b) => a + b, 0);
}
