/**
 * The sample cloud of the 3-D view (issue #5): an evenly spaced subsample of each class,
 * written as coordinates of h_i − μ_G along an orthonormal basis of the span of the centred
 * means (every projection the view draws lies in that span, so nothing is lost).
 *
 * Picks are fixed before pass 2 from the pass-1 class of every row, so they do not depend on
 * how rows are shared among threads. Coordinates come out of pass 2 at almost no cost: the
 * product already holds r_i·e_j for the NC1 directions e_j (nc1.ts), which span the centred
 * means; the basis is those directions orthonormalised (b = T·E), so
 *   (h_i − μ_G)·b = (μ_y − μ_G)·b + Σ_j T_bj (r_i·e_j),
 * the first term exact in float64, the second as accurate as the product (float64 on the
 * `cpu` backend; on float32 backends about 1.01·(D+2)·2⁻²⁴·‖r_i‖ at worst, small since r_i
 * is the residual, not h_i). Cost per pick: r²/2 multiply-adds, against r·D for a direct
 * float64 projection.
 */
import { MAX_SAMPLES } from '../../shared/points.ts';
import type { SampleCloud } from '../../shared/schema.ts';
import type { Nc1Directions } from './nc1.ts';

/**
 * Whole-job bounds on the cloud (a series shares them among its points): 2 M numbers are
 * about 40 MB of JSON.
 */
export { MAX_SAMPLES };
export const MAX_SAMPLE_NUMBERS = 2_000_000;

/** What a worker needs to turn a picked row's projections into its coordinates. */
export interface SamplePlan {
  /** Basis rows. */
  r: number;
  /** r×r lower triangular, row-major: basis row b = Σ_{j≤b} transform[b, j]·e_j. */
  transform: Float64Array;
  /** c×r, row-major: (μ_y − μ_G)·b per class y and basis row b. */
  offsets: Float64Array;
}

/** Coordinates of the picks of one chunk; `at` is the position of its first pick overall. */
export interface SampleBlock {
  at: number;
  coords: Float64Array;
  /** The NCC's and the classifier's decision (candidate index) for each pick, if known. */
  ncc?: Int32Array;
  classifier?: Int32Array | null;
}

export interface SampleSetup {
  plan: SamplePlan;
  /** r×d, orthonormal rows. */
  basis: Float64Array;
  /** Picked row indices, ascending. */
  picks: Int32Array;
}

/**
 * Orthonormal rows spanning the NC1 directions, and the lower-triangular transform T with
 * basis = T·E: classical Gram–Schmidt run twice per row ("twice is enough", Giraud et al.
 * 2005), carrying T along. The directions are orthogonal up to round-off by construction
 * (nc1.ts), so this only repairs round-off; null if one were nonetheless dependent.
 */
export function orthonormalised(
  dirs: Nc1Directions,
  d: number,
): { basis: Float64Array; transform: Float64Array; r: number } | null {
  const r = dirs.count;
  const basis = new Float64Array(r * d);
  const transform = new Float64Array(r * r);
  for (let i = 0; i < r; i++) {
    const q = dirs.directions.slice(i * d, (i + 1) * d);
    const t = new Float64Array(r);
    t[i] = 1;
    const before = Math.sqrt(dotAt(q, 0, q, 0, d));
    for (let round = 0; round < 2; round++) {
      for (let j = 0; j < i; j++) {
        const c = dotAt(basis, j * d, q, 0, d);
        for (let s = 0; s < d; s++) q[s] -= c * basis[j * d + s];
        for (let s = 0; s <= j; s++) t[s] -= c * transform[j * r + s];
      }
    }
    const norm = Math.sqrt(dotAt(q, 0, q, 0, d));
    if (!(norm > 1e-8 * before)) return null;
    for (let s = 0; s < d; s++) basis[i * d + s] = q[s] / norm;
    for (let s = 0; s <= i; s++) transform[i * r + s] = t[s] / norm;
  }
  return { basis, transform, r };
}

function dotAt(a: Float64Array, ao: number, b: Float64Array, bo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
  return s;
}

/** Samples per class: as equal as the class sizes allow, `total` at most (max-min fair). */
export function classQuotas(counts: ArrayLike<number>, total: number): Int32Array {
  const c = counts.length;
  const order = Array.from({ length: c }, (_, k) => k).sort((a, b) => counts[a] - counts[b]);
  const quotas = new Int32Array(c);
  let left = Math.max(0, Math.floor(total));
  order.forEach((k, i) => {
    const q = Math.min(counts[k], Math.floor(left / (c - i)));
    quotas[k] = q;
    left -= q;
  });
  return quotas;
}

/**
 * Rows picked from each class: quota q_k of its n_k rows, the i-th at within-class rank
 * ⌊(2i+1)·n_k/(2q_k)⌋ (the middle of each of q_k equal runs). Ascending row indices.
 */
export function pickedRows(
  classes: Int32Array,
  counts: ArrayLike<number>,
  total: number,
): Int32Array {
  const quotas = classQuotas(counts, total);
  const taken = new Int32Array(quotas.length);
  const rank = new Int32Array(quotas.length);
  const picks = new Int32Array(quotas.reduce((a, b) => a + b, 0));
  let n = 0;
  for (let row = 0; row < classes.length; row++) {
    const k = classes[row];
    const i = taken[k];
    if (i < quotas[k] && rank[k] === Math.floor(((2 * i + 1) * counts[k]) / (2 * quotas[k]))) {
      picks[n++] = row;
      taken[k]++;
    }
    rank[k]++;
  }
  return picks;
}

/**
 * The sample plan of a split: basis from its NC1 directions, picks within the budget
 * (`share` of the whole-job bounds); null when the class means all coincide or the share
 * leaves no sample.
 */
export function sampleSetup(
  first: { classes: Int32Array; counts: Float64Array; centred: Float64Array; d: number },
  dirs: Nc1Directions,
  share: number,
): SampleSetup | null {
  const { d } = first;
  const c = first.counts.length;
  const span = orthonormalised(dirs, d);
  if (!span || span.r === 0) return null;
  const { basis, transform, r } = span;
  const total = Math.min(
    Math.floor(MAX_SAMPLES * share),
    Math.floor((MAX_SAMPLE_NUMBERS * share) / r),
  );
  const picks = pickedRows(first.classes, first.counts, total);
  if (picks.length === 0) return null;
  const offsets = new Float64Array(c * r);
  for (let y = 0; y < c; y++) {
    for (let b = 0; b < r; b++) offsets[y * r + b] = dotAt(first.centred, y * d, basis, b * d, d);
  }
  return { plan: { r, transform, offsets }, basis, picks };
}

/**
 * Coordinates of the picked rows of a chunk from the product's NC1 projections `p` (m×k,
 * projections at columns projAt…): offsets of the row's class plus T·(r_i·e).
 */
export function pickedCoordinates(
  plan: SamplePlan,
  p: ArrayLike<number>,
  k: number,
  projAt: number,
  picks: Int32Array,
  classes: Int32Array,
): Float64Array {
  const { r, transform, offsets } = plan;
  const out = new Float64Array(picks.length * r);
  for (let o = 0; o < picks.length; o++) {
    const po = picks[o] * k + projAt;
    const yo = classes[picks[o]] * r;
    for (let b = 0; b < r; b++) {
      let s = offsets[yo + b];
      const to = b * r;
      for (let j = 0; j <= b; j++) s += transform[to + j] * p[po + j];
      out[o * r + b] = s;
    }
  }
  return out;
}

/** The picks among rows [start, end), as indices within that range. */
export function picksWithin(
  picks: Int32Array,
  from: number,
  start: number,
  end: number,
): Int32Array {
  let to = from;
  while (to < picks.length && picks[to] < end) to++;
  return picks.slice(from, to).map((row) => row - start);
}

/** The cloud, with the blocks of every thread put back in row order. */
export function sampleCloud(
  setup: SampleSetup,
  classes: Int32Array,
  blocks: SampleBlock[],
): SampleCloud {
  const { picks, basis } = setup;
  const { r } = setup.plan;
  const coords = new Float64Array(picks.length * r);
  const ncc = new Int32Array(picks.length);
  const classifier = new Int32Array(picks.length);
  let withNcc = blocks.length > 0;
  let withClassifier = blocks.length > 0;
  let filled = 0;
  for (const block of blocks) {
    coords.set(block.coords, block.at * r);
    if (block.ncc) ncc.set(block.ncc, block.at);
    else withNcc = false;
    if (block.classifier) classifier.set(block.classifier, block.at);
    else withClassifier = false;
    filled += block.coords.length;
  }
  if (filled !== coords.length) {
    throw new Error(`sample cloud: ${filled / r} of ${picks.length} picks computed`);
  }
  const cloud: SampleCloud = {
    classes: Array.from(picks, (row) => classes[row]),
    r,
    basis: Array.from(basis),
    coords: Array.from(coords),
    rows: Array.from(picks),
  };
  // A training split's candidates are its own classes: decisions are class positions.
  if (withNcc) cloud.ncc = Array.from(ncc);
  if (withClassifier) cloud.classifier = Array.from(classifier);
  return cloud;
}
