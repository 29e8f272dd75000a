/**
 * Statistics over the C(C−1)/2 pairs of class vectors (NC2's cosines and ETF error, the
 * log-kernel, the CDNV) computed in tiles of the Gram matrix: an ONNX graph multiplies a
 * tile of rows by another (float64) and reduces the tile to a few sums in the same run, so
 * no C×C matrix is ever held and nothing per pair runs in JS. Memory: O(C·D + TILE²).
 *
 * Sums are shifted by the value an exact simplex ETF gives (cos = −1/(C−1),
 * κ = −½·log(2C/(C−1))), so the variances come out of Σx and Σx² without cancellation.
 */
import type { Constant, Feeds, GraphNode, GraphSpec } from './ort.ts';
import { DataType, Graph, f64 } from './ort.ts';
import type { Dense } from './ort.ts';
import type { CosineSummary } from '../../shared/schema.ts';

/** Rows of a tile: a 1 024 × 1 024 tile is 8 MB per float64 intermediate. */
export const TILE = 1024;

export interface PairSums {
  pairs: number;
  /** Σ (cos − c₀), Σ (cos − c₀)², Σ |cos − c₀| over pairs; c₀ = −1/(C−1). */
  cos1: number;
  cos2: number;
  cosAbs: number;
  /** ‖G/‖G‖_F − (I − 11ᵀ/C)/√(C−1)‖²_F over all k, l (diagonal included). */
  etf2: number;
  /** With `kernel`: Σ (κ − κ₀), Σ (κ − κ₀)² over pairs, κ = −log‖u_k − u_l‖. */
  kernel1: number;
  kernel2: number;
  /** With `variances`: Σ (σ_k² + σ_l²)/(2‖v_k − v_l‖²) over pairs. */
  cdnv: number;
  /** min over pairs of ‖v_k − v_l‖² / (‖v_k‖² + ‖v_l‖²): 0 when two vectors coincide. */
  minSeparation: number;
  /**
   * With `variances`: for each vector k, the l ≠ k nearest to it (‖v_k − v_l‖ smallest; the
   * first on a tie) and that distance. Found in the same tiles (row and column minima).
   */
  nearest?: Int32Array;
  nearestDistance?: Float64Array;
}

/**
 * The graph of one tile. A diagonal tile (rows and columns the same vectors) counts only its
 * pairs k < l through a 0/1 mask; a tile off the diagonal counts every entry, so its graph has
 * no mask and none of the elementwise passes that apply it (a third of the work).
 */
function tileGraph(d: number, withMeans: boolean, diagonal: boolean): GraphSpec {
  const nodes: GraphNode[] = [];
  const add = (op: string, inputs: string[], outputs: string[], attrs?: GraphNode['attrs']) =>
    nodes.push({ op, inputs, outputs, attrs });
  /** x where the mask is 1, 0 elsewhere (x itself off the diagonal). */
  const masked = (x: string, out: string) => {
    if (!diagonal) return x;
    add('Mul', [x, 'mask'], [out]);
    return out;
  };
  /** x plus `by` where the mask is 0 (x itself off the diagonal). */
  const outside = (x: string, by: 'off' | 'pad', out: string) => {
    if (!diagonal) return x;
    add('Add', [x, by], [out]);
    return out;
  };
  const scalar = (v: number) => ({ data: Float64Array.of(v), dims: [] as number[] });
  const constants: Record<string, { data: Constant; dims: number[] }> = withMeans
    ? { two: scalar(2), minusHalf: scalar(-0.5) }
    : {};
  if (withMeans && diagonal) Object.assign(constants, { one: scalar(1), big: scalar(1e300) });
  add('Gemm', ['VI', 'VJ'], ['G'], { transB: 1 });
  add('Mul', ['nI', 'nJ'], ['NN']);
  add('Div', ['G', 'NN'], ['cos']);
  add('Sub', ['cos', 'c0'], ['dc']);
  const dm = masked('dc', 'dm');
  add('ReduceSum', [dm], ['cos1'], { keepdims: 0 });
  add('Mul', [dm, 'dc'], ['dc2']);
  add('ReduceSum', ['dc2'], ['cos2'], { keepdims: 0 });
  add('Abs', [dm], ['adm']);
  add('ReduceSum', ['adm'], ['cosAbs'], { keepdims: 0 });
  add('Div', ['G', 'fro'], ['gf']);
  add('Sub', ['gf', 'tOff'], ['e']);
  add('Mul', ['e', 'e'], ['e2']);
  add('ReduceSum', [masked('e2', 'e2m')], ['etfOff'], { keepdims: 0 });
  add('Mul', ['G', 'G'], ['gg']);
  add('ReduceSum', [masked('gg', 'ggm')], ['g2'], { keepdims: 0 });
  const outputs = ['cos1', 'cos2', 'cosAbs', 'etfOff', 'g2'];
  if (withMeans) {
    if (diagonal) {
      add('Sub', ['one', 'mask'], ['off']);
      add('Mul', ['off', 'big'], ['pad']);
    }
    // log-kernel: ‖u_k − u_l‖² = 2 − 2 cos; masked entries get 1 (log 1 = 0).
    add('Add', ['cos', 'cos'], ['cos2x']);
    add('Sub', ['two', 'cos2x'], ['q']);
    add('Log', [outside(masked('q', 'qm'), 'off', 'qs')], ['lq']);
    add('Mul', ['lq', 'minusHalf'], ['kappa']);
    add('Sub', ['kappa', 'k0'], ['dk']);
    const dkm = masked('dk', 'dkm');
    add('ReduceSum', [dkm], ['kernel1'], { keepdims: 0 });
    add('Mul', [dkm, 'dk'], ['dk2']);
    add('ReduceSum', ['dk2'], ['kernel2'], { keepdims: 0 });
    // CDNV: ‖v_k − v_l‖² = ‖v_k‖² + ‖v_l‖² − 2 g_kl.
    add('Add', ['sqI', 'sqJ'], ['sqs']);
    add('Add', ['G', 'G'], ['g2x']);
    add('Sub', ['sqs', 'g2x'], ['dist']);
    const dists = outside(masked('dist', 'distm'), 'off', 'dists');
    add('Add', ['sI', 'sJ'], ['ss']);
    add('Add', [dists, dists], ['dd']);
    add('Div', ['ss', 'dd'], ['term']);
    add('ReduceSum', [masked('term', 'termm')], ['cdnv'], { keepdims: 0 });
    add('Div', [dists, 'sqs'], ['rel']);
    add('ReduceMin', [outside('rel', 'pad', 'relp')], ['minSep'], { keepdims: 0 });
    outputs.push('kernel1', 'kernel2', 'cdnv', 'minSep');
    // Nearest vector: minima of the pair distances along rows (l > k in a diagonal tile) and
    // along columns (k < l), masked entries pushed out of the way.
    const distp = outside('dist', 'pad', 'distp');
    add('ReduceMin', [distp], ['rowMin'], { axes: [1], keepdims: 0 });
    add('ArgMin', [distp], ['rowArg'], { axis: 1, keepdims: 0 });
    add('ReduceMin', [distp], ['colMin'], { axes: [0], keepdims: 0 });
    add('ArgMin', [distp], ['colArg'], { axis: 0, keepdims: 0 });
  }
  const col = (name: string, dims: (number | string)[]) => ({
    name,
    type: DataType.DOUBLE,
    dims,
  });
  const inputs = [
    col('VI', ['a', d]),
    col('VJ', ['b', d]),
    col('nI', ['a', 1]),
    col('nJ', [1, 'b']),
    ...(diagonal ? [col('mask', ['a', 'b'])] : []),
    col('c0', []),
    col('fro', []),
    col('tOff', []),
  ];
  if (withMeans) {
    inputs.push(
      col('k0', []),
      col('sqI', ['a', 1]),
      col('sqJ', [1, 'b']),
      col('sI', ['a', 1]),
      col('sJ', [1, 'b']),
    );
  }
  const vectors = withMeans
    ? [
        col('rowMin', ['a']),
        { name: 'rowArg', type: DataType.INT64, dims: ['a'] },
        col('colMin', ['b']),
        { name: 'colArg', type: DataType.INT64, dims: ['b'] },
      ]
    : [];
  return {
    nodes,
    inputs,
    outputs: [...outputs.map((name) => col(name, [])), ...vectors],
    constants,
  };
}

/** 1 above the diagonal (k < l) of an a×a tile, 0 on and below it. */
function maskOf(a: number): Float64Array {
  const m = new Float64Array(a * a);
  for (let k = 0; k < a; k++) for (let l = k + 1; l < a; l++) m[k * a + l] = 1;
  return m;
}

export interface PairInput {
  /** The vectors, row-major c×d. */
  v: Float64Array;
  c: number;
  d: number;
  /** Their norms (all > 0). */
  norms: Float64Array;
  /** σ_k² per vector: with it, the log-kernel and the CDNV are computed too. */
  variances?: Float64Array;
}

/** ‖G‖_F for G = VVᵀ: from the D×D matrix VᵀV when D < C, else one sweep of the tiles. */
async function gramNorm(input: PairInput, dense: Dense, sweep: () => Promise<number>) {
  const { v, c, d, norms } = input;
  if (d < c) {
    const vt = new Float64Array(c * d);
    for (let k = 0; k < c; k++) for (let t = 0; t < d; t++) vt[t * c + k] = v[k * d + t];
    const h = await dense.mulT(vt, d, c, vt, d);
    let s = 0;
    for (const x of h) s += x * x;
    return Math.sqrt(s);
  }
  let diag = 0;
  for (const n of norms) diag += n ** 4;
  return Math.sqrt(diag + 2 * (await sweep()));
}

export async function pairSums(input: PairInput, dense: Dense): Promise<PairSums> {
  const { v, c, d, norms, variances } = input;
  const withMeans = variances !== undefined;
  // The diagonal tiles' graph, and (from C > TILE) the graph of the tiles off the diagonal.
  const graphs = new Map<boolean, Promise<Graph>>();
  const graphOf = (diagonal: boolean) => {
    let g = graphs.get(diagonal);
    if (!g) {
      g = Graph.create(tileGraph(d, withMeans, diagonal), dense.machine);
      g.catch(() => undefined);
      graphs.set(diagonal, g);
    }
    return g;
  };
  try {
    const masks = new Map<number, Float64Array>();
    const sq = norms.map((x) => x * x);
    const c0 = -1 / (c - 1);
    const k0 = -0.5 * Math.log((2 * c) / (c - 1));
    const scale = 1 / Math.sqrt(c - 1);
    const tOff = (-1 / c) * scale;
    const tDiag = (1 - 1 / c) * scale;
    const nearest = withMeans ? new Int32Array(c).fill(-1) : undefined;
    const nearest2 = withMeans ? new Float64Array(c).fill(Infinity) : undefined;
    const run = async (fro: number, wanted: string[], near = false) => {
      const totals: Record<string, number> = {};
      for (const w of wanted) totals[w] = w === 'minSep' ? Infinity : 0;
      for (let i0 = 0; i0 < c; i0 += TILE) {
        const a = Math.min(TILE, c - i0);
        for (let j0 = i0; j0 < c; j0 += TILE) {
          const b = Math.min(TILE, c - j0);
          const diagonal = i0 === j0;
          const feeds: Feeds = {
            VI: f64(v.subarray(i0 * d, (i0 + a) * d), [a, d]),
            VJ: f64(v.subarray(j0 * d, (j0 + b) * d), [b, d]),
            nI: f64(norms.subarray(i0, i0 + a), [a, 1]),
            nJ: f64(norms.subarray(j0, j0 + b), [1, b]),
            c0: f64(Float64Array.of(c0), []),
            fro: f64(Float64Array.of(fro), []),
            tOff: f64(Float64Array.of(tOff), []),
          };
          if (diagonal) {
            let mask = masks.get(a);
            if (!mask) masks.set(a, (mask = maskOf(a)));
            feeds.mask = f64(mask, [a, a]);
          }
          if (withMeans) {
            feeds.k0 = f64(Float64Array.of(k0), []);
            feeds.sqI = f64(sq.subarray(i0, i0 + a), [a, 1]);
            feeds.sqJ = f64(sq.subarray(j0, j0 + b), [1, b]);
            feeds.sI = f64(variances.subarray(i0, i0 + a), [a, 1]);
            feeds.sJ = f64(variances.subarray(j0, j0 + b), [1, b]);
          }
          const out = await (
            await graphOf(diagonal)
          ).run(feeds, near ? [...wanted, 'rowMin', 'rowArg', 'colMin', 'colArg'] : wanted);
          if (near && nearest && nearest2) {
            const rowMin = out.rowMin.data as Float64Array;
            const rowArg = out.rowArg.data as BigInt64Array;
            const colMin = out.colMin.data as Float64Array;
            const colArg = out.colArg.data as BigInt64Array;
            // Tiles come in increasing j0 then i0, so on a tie the smaller index stays.
            for (let i = 0; i < a; i++) {
              if (rowMin[i] < nearest2[i0 + i]) {
                nearest2[i0 + i] = rowMin[i];
                nearest[i0 + i] = j0 + Number(rowArg[i]);
              }
            }
            for (let j = 0; j < b; j++) {
              if (
                colMin[j] < nearest2[j0 + j] ||
                (colMin[j] === nearest2[j0 + j] && i0 + Number(colArg[j]) < nearest[j0 + j])
              ) {
                nearest2[j0 + j] = colMin[j];
                nearest[j0 + j] = i0 + Number(colArg[j]);
              }
            }
          }
          for (const w of wanted) {
            const x = (out[w].data as Float64Array)[0];
            totals[w] = w === 'minSep' ? Math.min(totals[w], x) : totals[w] + x;
          }
        }
      }
      return totals;
    };
    const fro = await gramNorm(input, dense, async () => (await run(1, ['g2'])).g2);
    const wanted = ['cos1', 'cos2', 'cosAbs', 'etfOff'];
    if (withMeans) wanted.push('kernel1', 'kernel2', 'cdnv', 'minSep');
    const t = await run(fro, wanted, withMeans && c > 1);
    let etfDiag = 0;
    for (let k = 0; k < c; k++) etfDiag += (sq[k] / fro - tDiag) ** 2;
    return {
      pairs: (c * (c - 1)) / 2,
      cos1: t.cos1,
      cos2: t.cos2,
      cosAbs: t.cosAbs,
      etf2: fro > 0 ? etfDiag + 2 * t.etfOff : NaN,
      kernel1: t.kernel1 ?? NaN,
      kernel2: t.kernel2 ?? NaN,
      cdnv: t.cdnv ?? NaN,
      minSeparation: t.minSep ?? NaN,
      nearest,
      nearestDistance: nearest2?.map((x) => (Number.isFinite(x) ? Math.sqrt(Math.max(0, x)) : NaN)),
    };
  } finally {
    const built = await Promise.all([...graphs.values()].map((g) => g.catch(() => null)));
    await Promise.all(built.map((g) => g?.close()));
  }
}

/** Classes beyond which the geometry carries a block summary of the cosines (the heatmap). */
export const HEATMAP_CLASSES = 512;

/**
 * A bounded picture of the C×C cosine matrix of the centred means for C > HEATMAP_CLASSES:
 * classes ordered by their angle in the plane of the means' two leading principal
 * directions (so neighbouring rows hold similar classes), cut into at most HEATMAP_CLASSES
 * blocks of consecutive classes, each block pair holding its mean cosine (diagonal blocks:
 * over pairs k ≠ l). Computed from the blocks' sums of unit vectors, never the C×C matrix.
 */
export async function cosineSummary(
  centred: Float64Array,
  c: number,
  d: number,
  norms: Float64Array,
  /** Leading principal directions (rows of d), most significant first; one or two. */
  leading: Float64Array[],
  dense: Dense,
): Promise<CosineSummary> {
  const coord = (k: number, e: Float64Array | undefined) => {
    if (!e) return 0;
    let s = 0;
    for (let t = 0; t < d; t++) s += centred[k * d + t] * e[t];
    return s;
  };
  const angle = Float64Array.from({ length: c }, (_, k) =>
    Math.atan2(coord(k, leading[1]), coord(k, leading[0])),
  );
  const order = Int32Array.from({ length: c }, (_, k) => k).sort((a, b) => angle[a] - angle[b]);
  const blocks = Math.min(HEATMAP_CLASSES, c);
  const starts = Array.from({ length: blocks + 1 }, (_, b) => Math.round((b * c) / blocks));
  const blockOf = new Int32Array(c);
  for (let b = 0; b < blocks; b++) blockOf.fill(b, starts[b], starts[b + 1]);
  // A block pair's cosine sum is the dot product of the blocks' sums of unit rows (less the
  // rows' own k = l terms on the diagonal): blocks × D sums and one small product, not C².
  const sumsOf = new Float64Array(blocks * d);
  const self = new Float64Array(blocks);
  order.forEach((k, i) => {
    const inv = norms[k] > 0 ? 1 / norms[k] : 0;
    const o = blockOf[i] * d;
    let sq = 0;
    for (let t = 0; t < d; t++) {
      const u = centred[k * d + t] * inv;
      sumsOf[o + t] += u;
      sq += u * u;
    }
    self[blockOf[i]] += sq;
  });
  const sums = await dense.mulT(sumsOf, blocks, d, sumsOf, blocks);
  for (let p = 0; p < blocks; p++) sums[p * blocks + p] -= self[p];
  const cos = new Array<number>(blocks * blocks);
  for (let p = 0; p < blocks; p++) {
    const np = starts[p + 1] - starts[p];
    for (let q = 0; q < blocks; q++) {
      const nq = starts[q + 1] - starts[q];
      const count = p === q ? np * (np - 1) : np * nq;
      cos[p * blocks + q] = count > 0 ? sums[p * blocks + q] / count : 1;
    }
  }
  return {
    order: Array.from(order),
    starts,
    blocks,
    cos,
    ordering: 'angle in the plane of the two leading principal directions of the centred means',
  };
}
