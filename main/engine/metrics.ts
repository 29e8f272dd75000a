/**
 * The Neural Collapse metrics of one split, from the pass-1 means and the pass-2 sums.
 * Definitions: docs/metrics.md (the contract); each metric cites its paper where computed.
 * Anything undefined (a zero norm, coincident means) becomes null plus a warning: results
 * never hold NaN or Infinity.
 */
import type { Confusion, Nc2, Nc3, Nc4, PerClassRow, SplitMetrics } from '../../shared/schema.ts';
import type { Pass2Partial } from './accumulate.ts';
import { rowNorms } from '../../shared/linalg.ts';
import type { Nc1Directions } from './nc1.ts';
import { nc1FromProjections } from './nc1.ts';
import type { Dense } from './ort.ts';
import type { PairSums } from './pairs.ts';
import { pairSums } from './pairs.ts';

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

/** Population variance from sums of x − x₀ shifted by a value near their mean. */
function shiftedVariance(s1: number, s2: number, count: number): number {
  const m = s1 / count;
  return Math.max(0, s2 / count - m * m);
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
 * |cos_kl + 1/(C−1)|, etf_error = ‖G/‖G‖_F − (I − 11ᵀ/C)/√(C−1)‖_F, from the tiled pair
 * sums (pairs.ts).
 */
function etfShape(
  norms: Float64Array,
  sums: PairSums | null,
  what: string,
  warnings: string[],
): EtfShape {
  const meanNorm = mean(norms);
  const equinorm = finite(
    meanNorm > 0 ? std(norms) / meanNorm : null,
    `equinorm_${what}`,
    'all vectors are zero',
    warnings,
  );
  let equiangular: number | null = null;
  let maxangle: number | null = null;
  const zeroRow = norms.some((x) => x === 0);
  if (zeroRow || !sums) {
    warnings.push(`equiangular_${what} and maxangle_${what} are undefined: a vector has zero norm`);
  } else {
    equiangular = Math.sqrt(shiftedVariance(sums.cos1, sums.cos2, sums.pairs));
    maxangle = sums.cosAbs / sums.pairs;
  }
  const etf = sums && meanNorm > 0 ? Math.sqrt(Math.max(0, sums.etf2)) : null;
  return {
    equinorm,
    equiangular,
    maxangle,
    etf_error: finite(etf, `etf_error_${what}`, 'all vectors are zero', warnings),
  };
}

/** The pair sums of the rows of V; without zero rows for the cosines (else cosines only are skipped). */
async function pairsOf(
  v: Float64Array,
  c: number,
  d: number,
  norms: Float64Array,
  dense: Dense,
  variances?: Float64Array,
): Promise<PairSums | null> {
  if (!norms.some((x) => x > 0)) return null;
  return pairSums({ v, c, d, norms, variances }, dense);
}

/**
 * Hyperspherical log-kernel of the normalised centred means (Liu et al. 2023; Wu & Papyan
 * 2024): κ_kl = −log‖u_k − u_l‖ over pairs; its mean and population variance.
 */
function logKernel(
  c: number,
  norms: Float64Array,
  sums: PairSums | null,
  warnings: string[],
): { mean: number | null; variance: number | null } {
  if (!sums || norms.some((x) => x === 0)) {
    warnings.push(
      'log_kernel_mean and log_kernel_var are undefined: a class mean equals the global mean',
    );
    return { mean: null, variance: null };
  }
  const k0 = -0.5 * Math.log((2 * c) / (c - 1));
  const m = k0 + sums.kernel1 / sums.pairs;
  const variance = shiftedVariance(sums.kernel1, sums.kernel2, sums.pairs);
  if (!Number.isFinite(m) || !Number.isFinite(variance)) {
    warnings.push(
      'log_kernel_mean and log_kernel_var are undefined: two class means point the same way',
    );
    return { mean: null, variance: null };
  }
  return { mean: m, variance };
}

/** CDNV (Galanti et al. 2022): mean over pairs of (σ_k² + σ_l²)/(2‖μ_k − μ_l‖²). */
function cdnv(sums: PairSums | null): number | null {
  // Relative separation at round-off level: two means coincide.
  if (!sums || !(sums.minSeparation > 1e-13)) return null;
  return sums.cdnv / sums.pairs;
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

export async function splitMetrics(
  s: SplitStatistics,
  warnings: string[],
  dense: Dense,
): Promise<SplitMetrics> {
  const { n, d, c, labels, counts, centred, partial, weights } = s;
  const variances = Float64Array.from(partial.squares, (sq, k) => sq / counts[k]);
  const traceW = partial.squares.reduce((a, b) => a + b, 0) / n;
  let traceB = 0;
  for (let i = 0; i < c * d; i++) traceB += centred[i] ** 2;
  traceB /= c;
  const meanNorms = rowNorms(centred, c, d);
  const weightNorms = weights ? rowNorms(weights, c, d) : null;
  const meanPairs = await pairsOf(centred, c, d, meanNorms, dense, variances);
  const means = etfShape(meanNorms, meanPairs, 'means', warnings);
  const kernel = logKernel(c, meanNorms, meanPairs, warnings);
  const w =
    weights && weightNorms
      ? etfShape(weightNorms, await pairsOf(weights, c, d, weightNorms, dense), 'weights', warnings)
      : null;
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
  const per_class: PerClassRow[] = labels.map((label, k) => ({
    label,
    count: counts[k],
    mean_norm: meanNorms[k],
    within_var: variances[k],
    weight_norm: weightNorms ? weightNorms[k] : null,
    cos_w_mu: weights ? cosines[k] : null,
    ncc_accuracy: partial.nccCorrect[k] / counts[k],
    classifier_accuracy: s.hasClassifier ? partial.classifierCorrect[k] / counts[k] : null,
    nearest: meanPairs?.nearest && meanPairs.nearest[k] >= 0 ? labels[meanPairs.nearest[k]] : null,
    nearest_distance:
      (meanPairs?.nearest?.[k] ?? -1) >= 0 ? (meanPairs?.nearestDistance?.[k] ?? null) : null,
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
    cdnv: finite(cdnv(meanPairs), 'cdnv', 'two class means coincide', warnings),
    nc2,
    nc3: nc3(s, cosines, warnings),
    nc4,
    per_class,
  };
}

function sum(xs: Float64Array): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** Wrong decisions kept per class and rule: the bounded part of a confusion row. */
export const CONFUSED_CLASSES = 5;

/**
 * Each class's most frequent wrong decisions, from counts keyed `y · candidates + j`
 * (accumulate.ts): at most CONFUSED_CLASSES per class, most frequent first, ties by label.
 * O(errors) work and O(C · CONFUSED_CLASSES) output.
 */
export function confusedClasses(
  counts: Map<number, number>,
  c: number,
  candidateLabels: number[],
): Confusion[][] {
  const k = candidateLabels.length;
  const out: Confusion[][] = Array.from({ length: c }, () => []);
  for (const [key, count] of counts) {
    out[Math.floor(key / k)].push({ label: candidateLabels[key % k], count });
  }
  for (const row of out) {
    row.sort((a, b) => b.count - a.count || a.label - b.label);
    row.length = Math.min(row.length, CONFUSED_CLASSES);
  }
  return out;
}
