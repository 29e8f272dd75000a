/**
 * NC1 = Tr(Σ_W Σ_B^†)/C (Papyan, Han & Donoho, PNAS 2020), with Σ_B^† truncated at
 * 1e-10·λ_max, written as a weighted sum of squared projections of the residuals:
 *
 *   NC1 = Σ_j ω_j · (1/N) Σ_i (e_j · r_i)²
 *
 * Gram route (C − 1 < D): with G = M̃M̃ᵀ = V Λ Vᵀ, Tr(Σ_W Σ_B^†)/C = Tr(G^† A G^†) where
 * A = M̃ Σ_W M̃ᵀ, so e_j = M̃ᵀ v_j and ω_j = 1/λ_j²: no D×D matrix, and no C×C one per row.
 * Scatter route (C − 1 ≥ D): Σ_B = U Λ Uᵀ (D×D), e_j = u_j and ω_j = 1/(C λ_j).
 * Either way pass 2 only adds up min(C−1, D) squares per row, and the directions ride
 * along in the same matrix product as the NCC and classifier scores.
 */
import { RANK_TOL } from '../../shared/numerics.ts';
import { symmetricEigen } from '../../shared/linalg.ts';
import type { Dense } from './ort.ts';

export interface Nc1Directions {
  /** Row-major count×d. */
  directions: Float64Array;
  weights: Float64Array;
  count: number;
}

/** Eigenpairs above RANK_TOL·λ_max, or none when every eigenvalue is ≤ 0. */
function significant(values: Float64Array): number[] {
  const max = values[values.length - 1];
  if (!(max > 0)) return [];
  return Array.from(values.keys()).filter((j) => values[j] > RANK_TOL * max);
}

/** The kept eigenvectors as rows (count×n) from symmetricEigen's columns. */
function keptRows(vectors: Float64Array, n: number, keep: number[]): Float64Array {
  const out = new Float64Array(keep.length * n);
  keep.forEach((j, q) => {
    for (let i = 0; i < n; i++) out[q * n + i] = vectors[i * n + j];
  });
  return out;
}

/** The transpose of a row-major rows×cols matrix. */
function transposed(m: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(m.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = m[i * cols + j];
  return out;
}

/**
 * The NC1 directions and weights. The Gram matrix (or Σ_B) is one float64 product on ONNX
 * Runtime, and so is the back-transform E = V_keepᵀ·M̃; only the eigensolver of the
 * min(C, D)-sized symmetric matrix runs in JS.
 */
export async function nc1Directions(
  centred: Float64Array,
  c: number,
  d: number,
  dense: Dense,
): Promise<Nc1Directions> {
  if (c - 1 < d) {
    const g = await dense.mulT(centred, c, d, centred, c);
    const { values, vectors } = symmetricEigen(g, c);
    const keep = significant(values);
    const directions = await dense.mul(keptRows(vectors, c, keep), keep.length, c, centred, d);
    const weights = Float64Array.from(keep, (j) => 1 / values[j] ** 2);
    return { directions, weights, count: keep.length };
  }
  const mt = transposed(centred, c, d);
  const sb = (await dense.mulT(mt, d, c, mt, d)).map((x) => x / c);
  const { values, vectors } = symmetricEigen(sb, d);
  const keep = significant(values);
  const directions = keptRows(vectors, d, keep);
  const weights = Float64Array.from(keep, (j) => 1 / (c * values[j]));
  return { directions, weights, count: keep.length };
}

/** NC1 from the summed squared projections; null when the class means all coincide. */
export function nc1FromProjections(
  dirs: Nc1Directions,
  projections: Float64Array,
  n: number,
): number | null {
  if (dirs.count === 0) return null;
  let total = 0;
  for (let j = 0; j < dirs.count; j++) total += (dirs.weights[j] * projections[j]) / n;
  return total;
}
