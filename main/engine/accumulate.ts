/**
 * Pass 2 of the engine, one chunk of rows at a time. Everything here is a pure function of
 * (plan, chunk) → partial sums, and partial sums of disjoint row ranges merge by addition
 * (`mergePartials`; sample-cloud blocks by concatenation, each knowing its place): that is
 * what lets worker threads, or other machines, share the rows.
 *
 * Precision: residuals r = h − μ_y are formed in float64 before any float32 product, so the
 * products are on small numbers; σ_k² is summed from the float64 residuals; the squared
 * NC1 projections are summed in float64; and every NCC/classifier decision whose
 * float32 margin is within the proven error bound is recomputed in float64, so predictions
 * are those of a float64 computation.
 */
import type { Product } from './product.ts';
import type { SampleBlock, SamplePlan } from './samples.ts';
import { pickedCoordinates } from './samples.ts';

/** What a worker needs to process rows of one split. Plain data (structured-cloneable). */
export interface Pass2Plan {
  d: number;
  /** Classes of this split. */
  c: number;
  /** Label value of each class of this split. */
  labels: number[];
  /** μ_k of this split (c×d): residuals are taken against them. */
  means: Float64Array;
  /** The K vectors residuals are multiplied by (row-major K×d). */
  cols: Float64Array;
  k: number;
  /** Columns [projAt, projAt + projCount) are the NC1 directions (nc1.ts). */
  projAt: number;
  projCount: number;
  ncc: DecisionPlan;
  classifier: DecisionPlan | LogitsPlan | null;
  /** Coordinates to keep for the picked rows (samples.ts), or null. */
  samples: SamplePlan | null;
}

/**
 * A decision over `count` candidates: score_j = table[y·count + j] + sign·2·(r·col_{at+j})
 * (NCC: sign −1, smaller wins; classifier: sign +½ on the product, larger wins).
 */
export interface DecisionPlan {
  kind: 'scores';
  at: number;
  count: number;
  /** Per true class y and candidate j: the score part that does not depend on r. */
  table: Float64Array;
  /** Multiplier of r·col_j in the score. */
  factor: number;
  /** Whether the largest score wins (classifier) or the smallest (NCC). */
  largest: boolean;
  /** Label value each candidate predicts. */
  labels: number[];
  /** max_j ‖col_j‖, for the error bound. */
  maxColNorm: number;
}

/** Classifier decisions from stored logits: argmax over the given columns. */
export interface LogitsPlan {
  kind: 'logits';
  columns: number[];
  labels: number[];
}

export interface Chunk {
  rows: number;
  /** m×d, row-major; overwritten with the residuals. */
  features: Float64Array;
  /** Class index (in the plan's classes) of each row. */
  classes: Int32Array;
  /** m×logitWidth when the classifier decides from logits. */
  logits?: Float64Array;
  logitWidth?: number;
  /** Rows of this chunk in the sample cloud (indices within the chunk), ascending. */
  picks?: Int32Array;
  /** Position of the chunk's first pick in the whole cloud. */
  pickAt?: number;
}

export interface Pass2Partial {
  rows: number;
  /** Σ ‖r‖² per class. */
  squares: Float64Array;
  /** Σ (e_j·r)² per NC1 direction. */
  projections: Float64Array;
  nccCorrect: Float64Array;
  classifierCorrect: Float64Array;
  mismatches: number;
  /** Decisions recomputed in float64 because the float32 margin was too small. */
  recomputed: number;
  /** Sample-cloud coordinates of the picked rows, per chunk (placed by `at`, not by order). */
  samples: SampleBlock[];
}

export function emptyPartial(plan: Pass2Plan): Pass2Partial {
  return {
    rows: 0,
    squares: new Float64Array(plan.c),
    projections: new Float64Array(plan.projCount),
    nccCorrect: new Float64Array(plan.c),
    classifierCorrect: new Float64Array(plan.c),
    mismatches: 0,
    recomputed: 0,
    samples: [],
  };
}

function addInto(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
  return out;
}

/** The partial sums of the union of two disjoint row ranges. */
export function mergePartials(a: Pass2Partial, b: Pass2Partial): Pass2Partial {
  if (a.projections.length !== b.projections.length || a.squares.length !== b.squares.length) {
    throw new Error('mergePartials: partials of different plans');
  }
  return {
    rows: a.rows + b.rows,
    squares: addInto(a.squares, b.squares),
    projections: addInto(a.projections, b.projections),
    nccCorrect: addInto(a.nccCorrect, b.nccCorrect),
    classifierCorrect: addInto(a.classifierCorrect, b.classifierCorrect),
    mismatches: a.mismatches + b.mismatches,
    recomputed: a.recomputed + b.recomputed,
    samples: [...a.samples, ...b.samples],
  };
}

/** Accumulates one chunk into `acc` (mutated). `product` must hold the plan's columns. */
export function accumulateChunk(
  plan: Pass2Plan,
  product: Product,
  chunk: Chunk,
  acc: Pass2Partial,
): void {
  const { d } = plan;
  const m = chunk.rows;
  const r = chunk.features;
  const norms = residualsInPlace(plan, chunk, acc);
  const p = product.multiply(r, m);
  addSquaredProjections(plan, p, m, acc.projections);
  if (plan.samples && chunk.picks?.length) {
    acc.samples.push({
      at: chunk.pickAt!,
      coords: pickedCoordinates(plan.samples, p, plan.k, plan.projAt, chunk.picks, chunk.classes),
    });
  }
  // Bound on |fl(r·c) − r·c| per unit of ‖r‖·‖c‖ (Higham, inner products): inputs rounded
  // to the product's precision (2u) plus D sequential additions.
  const gamma = 1.01 * (d + 2) * product.unitRoundoff;
  const errorRow = { gamma, recomputed: 0 };
  for (let i = 0; i < m; i++) {
    const y = chunk.classes[i];
    const truth = plan.labels[y];
    const ncc = decide(plan, plan.ncc, p, r, i, y, norms[i], errorRow);
    if (ncc === truth) acc.nccCorrect[y]++;
    if (plan.classifier) {
      const cls =
        plan.classifier.kind === 'logits'
          ? argmaxLogits(plan.classifier, chunk, i)
          : decide(plan, plan.classifier, p, r, i, y, norms[i], errorRow);
      if (cls === truth) acc.classifierCorrect[y]++;
      if (cls !== ncc) acc.mismatches++;
    }
  }
  acc.recomputed += errorRow.recomputed;
  acc.rows += m;
}

/** r = h − μ_y in place (float64); adds ‖r‖² to its class; returns ‖r‖ per row. */
function residualsInPlace(plan: Pass2Plan, chunk: Chunk, acc: Pass2Partial): Float64Array {
  const { d, means } = plan;
  const r = chunk.features;
  const norms = new Float64Array(chunk.rows);
  for (let i = 0; i < chunk.rows; i++) {
    const y = chunk.classes[i];
    const ro = i * d;
    const mo = y * d;
    let s = 0;
    for (let t = 0; t < d; t++) {
      const v = r[ro + t] - means[mo + t];
      r[ro + t] = v;
      s += v * v;
    }
    acc.squares[y] += s;
    norms[i] = Math.sqrt(s);
  }
  return norms;
}

function addSquaredProjections(
  plan: Pass2Plan,
  p: ArrayLike<number>,
  m: number,
  sums: Float64Array,
): void {
  const { k, projAt, projCount } = plan;
  for (let i = 0; i < m; i++) {
    const po = i * k + projAt;
    for (let j = 0; j < projCount; j++) sums[j] += p[po + j] * p[po + j];
  }
}

/**
 * The winning candidate's label for row i. Uses the product's scores unless the margin
 * between the best and the runner-up is within twice the largest possible error of a score
 * (then no float32 ordering can be trusted), in which case all scores are recomputed in
 * float64 from the residual. Ties go to the lowest candidate.
 */
function decide(
  plan: Pass2Plan,
  dp: DecisionPlan,
  p: ArrayLike<number>,
  r: Float64Array,
  i: number,
  y: number,
  norm: number,
  error: { gamma: number; recomputed: number },
): number {
  const po = i * plan.k + dp.at;
  const to = y * dp.count;
  const sign = dp.largest ? 1 : -1;
  let best = -1;
  let bestScore = -Infinity;
  let second = -Infinity;
  for (let j = 0; j < dp.count; j++) {
    // Scores oriented so that larger wins.
    const s = sign * (dp.table[to + j] + dp.factor * p[po + j]);
    if (s > bestScore) {
      second = bestScore;
      bestScore = s;
      best = j;
    } else if (s > second) second = s;
  }
  const bound = Math.abs(dp.factor) * error.gamma * norm * dp.maxColNorm;
  const slack = 4e-16 * (Math.abs(bestScore) + Math.abs(second));
  if (bestScore - second > 2 * bound + slack) return dp.labels[best];
  error.recomputed++;
  return dp.labels[exactWinner(plan, dp, r, i, to, sign)];
}

function exactWinner(
  plan: Pass2Plan,
  dp: DecisionPlan,
  r: Float64Array,
  i: number,
  to: number,
  sign: number,
): number {
  const { d, cols } = plan;
  const ro = i * d;
  let best = 0;
  let bestScore = -Infinity;
  for (let j = 0; j < dp.count; j++) {
    const co = (dp.at + j) * d;
    let rc = 0;
    for (let t = 0; t < d; t++) rc += r[ro + t] * cols[co + t];
    const s = sign * (dp.table[to + j] + dp.factor * rc);
    if (s > bestScore) {
      bestScore = s;
      best = j;
    }
  }
  return best;
}

function argmaxLogits(lp: LogitsPlan, chunk: Chunk, i: number): number {
  const z = chunk.logits!;
  const o = i * chunk.logitWidth!;
  let best = 0;
  let bestScore = -Infinity;
  for (let j = 0; j < lp.columns.length; j++) {
    const s = z[o + lp.columns[j]];
    if (s > bestScore) {
      bestScore = s;
      best = j;
    }
  }
  return lp.labels[best];
}
