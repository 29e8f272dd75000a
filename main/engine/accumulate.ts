/**
 * Pass 2 of the engine as one ONNX graph (ort.ts), run on every chunk of rows. For a chunk X
 * (m×D, float32 as read from the file or float64) and its class indices y:
 *
 *   Z = X − c₀                      c₀: the split's global mean
 *   Z·[E; M_ref − c₀; W_ref]ᵀ        float64 products sharing Z (m × (r + 2C) in all)
 *   e_j·r_i = P_E − E·(μ_y − c₀)    the NC1 projections of the residual r_i = h_i − μ_y
 *   ‖r_i‖²  from X − μ_y             (gathered means: exact, no cancellation)
 *   NCC:        argmax_j 2 Z·(μ_j − c₀) − ‖μ_j − c₀‖²   (= argmin_j ‖h − μ_j‖², ties lowest j)
 *   classifier: argmax_j Z·w_j + (b_j + w_j·c₀)         (= argmax_j w_j·h + b_j)
 *
 * and only O(m + r) numbers come back to JS. Every product is float64 (the inputs are
 * widened exactly in the graph), so no decision needs a recheck. Memory: the product is at
 * most ROW_BUDGET numbers per run (rows per run shrink as C grows), so C = 50 000 needs no
 * more than C = 10; no C×C table exists anywhere.
 *
 * Partial sums of disjoint row ranges merge by addition (`mergePartials`; sample-cloud
 * blocks by concatenation, each knowing its place).
 */
import type * as ort from 'onnxruntime-node';
import type { Constant, Feeds, GraphNode, GraphSpec, GraphValue, Machine } from './ort.ts';
import { DataType, Graph, f64, tensor } from './ort.ts';
import type { SampleBlock, SamplePlan } from './samples.ts';
import { pickedCoordinates } from './samples.ts';

/** Numbers of the m×K products per run: 32 MB of float64. */
const ROW_BUDGET = 2 ** 22;

/** What pass 2 needs to process the rows of one split. */
export interface Pass2Plan {
  d: number;
  /** Classes of this split. */
  c: number;
  /** μ_k of this split (c×d): residuals are taken against them. */
  means: Float64Array;
  /** c₀ (d). */
  center: Float64Array;
  /** NC1 directions (r×d, nc1.ts). */
  directions: Float64Array;
  r: number;
  /** E·(μ_y − c₀), c×r. */
  offsets: Float64Array;
  /** Candidate classes of the NCC and the classifier (the reference split's). */
  candidates: number;
  /** μ_j − c₀ of the reference classes (candidates×d). */
  nccColumns: Float64Array;
  /** Classifier rows of the reference classes (candidates×d), or null. */
  weightColumns: Float64Array | null;
  /** b_j + w_j·c₀ (candidates), with weightColumns. */
  weightShift: Float64Array | null;
  /** Classifier decisions from given logits instead, or null. */
  logits: LogitsPlan | null;
  /** Own class → its candidate index (−1 when the reference split lacks it). */
  truth: Int32Array;
  /** Coordinates to keep for the picked rows (samples.ts), or null. */
  samples: SamplePlan | null;
}

/** Classifier decisions from stored logits: argmax over the given columns. */
export interface LogitsPlan {
  columns: number[];
}

export interface Chunk {
  rows: number;
  /** m×d, row-major, float32 as stored or float64. */
  features: Float32Array | Float64Array;
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
  /** Sample-cloud coordinates of the picked rows, per chunk (placed by `at`, not by order). */
  samples: SampleBlock[];
  /**
   * Wrong decisions counted by (own class, chosen candidate): key `y · candidates + j`. Only
   * errors are kept, so the maps hold at most min(errors, C²) entries and no C×C table
   * exists; absent for partials read back from stats files (no confusion then).
   */
  confusion?: { ncc: Map<number, number>; classifier: Map<number, number> };
}

export function emptyPartial(plan: { c: number; r: number }): Pass2Partial {
  return {
    rows: 0,
    squares: new Float64Array(plan.c),
    projections: new Float64Array(plan.r),
    nccCorrect: new Float64Array(plan.c),
    classifierCorrect: new Float64Array(plan.c),
    mismatches: 0,
    samples: [],
    confusion: { ncc: new Map(), classifier: new Map() },
  };
}

function mergeCounts(a: Map<number, number>, b: Map<number, number>): Map<number, number> {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, (out.get(k) ?? 0) + v);
  return out;
}

function countInto(m: Map<number, number>, key: number): void {
  m.set(key, (m.get(key) ?? 0) + 1);
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
    samples: [...a.samples, ...b.samples],
    confusion:
      a.confusion && b.confusion
        ? {
            ncc: mergeCounts(a.confusion.ncc, b.confusion.ncc),
            classifier: mergeCounts(a.confusion.classifier, b.confusion.classifier),
          }
        : undefined,
  };
}

/**
 * A block of product columns as the D′×K matrix MatMul takes: rows of `block` (K×D) as
 * columns, and with `last`, one more row that multiplies the constant 1 appended to Z.
 */
function columnsOf(block: Float64Array, k: number, d: number, scale = 1, last?: Float64Array) {
  const rows = last ? d + 1 : d;
  const out = new Float64Array(rows * k);
  for (let j = 0; j < k; j++) {
    const o = j * d;
    for (let t = 0; t < d; t++) out[t * k + j] = scale * block[o + t];
    if (last) out[d * k + j] = last[j];
  }
  return { data: out, dims: [rows, k] };
}

const i64 = (values: number[]) => ({
  data: BigInt64Array.from(values, (v) => BigInt(v)),
  dims: [values.length],
});

/**
 * The pass-2 graph of a plan, for features stored as float32 or float64. The chunk is read
 * once as Z = X − c₀; the score blocks multiply Z with a constant 1 appended, so each
 * block's product is already its score (2Z·m̃_j − ‖m̃_j‖², Z·w_j + shift_j) and goes straight
 * to ArgMax: no slice, no elementwise pass over the m×C scores.
 */
function pass2Graph(plan: Pass2Plan, input: 'float32' | 'float64'): GraphSpec {
  const { d, c, r, candidates } = plan;
  const nodes: GraphNode[] = [];
  const add = (op: string, inputs: string[], outputs: string[], attrs?: GraphNode['attrs']) =>
    nodes.push({ op, inputs, outputs, attrs });
  const nccSq = new Float64Array(candidates);
  for (let j = 0; j < candidates; j++) {
    let sq = 0;
    for (let t = 0; t < d; t++) sq += plan.nccColumns[j * d + t] ** 2;
    nccSq[j] = -sq;
  }
  const constants: Record<string, { data: Constant; dims: number[] }> = {
    center: { data: plan.center, dims: [d] },
    means: { data: plan.means, dims: [c, d] },
    pads: i64([0, 0, 0, 1]),
    one: { data: Float64Array.of(1), dims: [] },
    nccCols: columnsOf(plan.nccColumns, candidates, d, 2, nccSq),
  };
  const outputs: GraphValue[] = [];
  if (input === 'float32') add('Cast', ['X'], ['Xd'], { to: DataType.DOUBLE });
  const x = input === 'float32' ? 'Xd' : 'X';
  add('Sub', [x, 'center'], ['Z']);
  add('Pad', ['Z', 'pads', 'one'], ['Z1'], { mode: 'constant' });
  // ‖r_i‖² from the gathered class means.
  add('Gather', ['means', 'Y'], ['MY'], { axis: 0 });
  add('Sub', [x, 'MY'], ['R']);
  add('ReduceSumSquare', ['R'], ['rowSq'], { axes: [1], keepdims: 0 });
  outputs.push({ name: 'rowSq', type: DataType.DOUBLE, dims: ['m'] });
  if (r > 0) {
    constants.directions = columnsOf(plan.directions, r, d);
    constants.offsets = { data: plan.offsets, dims: [c, r] };
    add('MatMul', ['Z', 'directions'], ['PE']);
    add('Gather', ['offsets', 'Y'], ['OY'], { axis: 0 });
    add('Sub', ['PE', 'OY'], ['proj']);
    add('ReduceSumSquare', ['proj'], ['projSq'], { axes: [0], keepdims: 0 });
    outputs.push(
      { name: 'projSq', type: DataType.DOUBLE, dims: [r] },
      { name: 'proj', type: DataType.DOUBLE, dims: ['m', r] },
    );
  }
  add('MatMul', ['Z1', 'nccCols'], ['nccScore']);
  add('ArgMax', ['nccScore'], ['nccArg'], { axis: 1, keepdims: 0 });
  add('Cast', ['nccArg'], ['ncc'], { to: DataType.INT32 });
  outputs.push({ name: 'ncc', type: DataType.INT32, dims: ['m'] });
  if (plan.weightColumns) {
    constants.weightCols = columnsOf(plan.weightColumns, candidates, d, 1, plan.weightShift!);
    add('MatMul', ['Z1', 'weightCols'], ['clsScore']);
    add('ArgMax', ['clsScore'], ['clsArg'], { axis: 1, keepdims: 0 });
    add('Cast', ['clsArg'], ['cls'], { to: DataType.INT32 });
    outputs.push({ name: 'cls', type: DataType.INT32, dims: ['m'] });
  }
  return {
    nodes,
    inputs: [
      { name: 'X', type: input === 'float32' ? DataType.FLOAT : DataType.DOUBLE, dims: ['m', d] },
      { name: 'Y', type: DataType.INT32, dims: ['m'] },
    ],
    outputs,
    constants,
  };
}

/** Rows per graph run: the products stay within ROW_BUDGET numbers. */
export function runRows(plan: Pass2Plan): number {
  const k = plan.r + plan.candidates * (plan.weightColumns ? 2 : 1);
  return Math.max(16, Math.floor(ROW_BUDGET / Math.max(k, 1)));
}

/** Pass 2 of one split: a graph per input precision, built on first use. */
export class SecondPass {
  private graphs = new Map<string, Promise<Graph>>();
  readonly acc: Pass2Partial;
  constructor(
    readonly plan: Pass2Plan,
    private readonly machine: Machine,
  ) {
    this.acc = emptyPartial(plan);
  }

  private graph(input: 'float32' | 'float64'): Promise<Graph> {
    let g = this.graphs.get(input);
    if (!g) {
      g = Graph.create(pass2Graph(this.plan, input), this.machine);
      g.catch(() => undefined);
      this.graphs.set(input, g);
    }
    return g;
  }

  /** Starts building the graph for this input precision (while pass 1 still reads). */
  prepare(input: 'float32' | 'float64'): void {
    void this.graph(input);
  }

  /** Runs the graph on a chunk; its outputs are added by `accumulate`. */
  async run(chunk: Chunk): Promise<Record<string, ort.Tensor>> {
    const { d, r } = this.plan;
    const m = chunk.rows;
    const input = chunk.features instanceof Float32Array ? 'float32' : 'float64';
    const graph = await this.graph(input);
    const feeds: Feeds = {
      X:
        input === 'float32'
          ? tensor('float32', chunk.features, [m, d])
          : f64(chunk.features as Float64Array, [m, d]),
      Y: tensor('int32', chunk.classes, [m]),
    };
    const fetch = ['rowSq', 'ncc'];
    if (r > 0) fetch.push('projSq');
    if (r > 0 && this.plan.samples && chunk.picks?.length) fetch.push('proj');
    if (this.plan.weightColumns) fetch.push('cls');
    return graph.run(feeds, fetch);
  }

  /** Adds a chunk's graph outputs to the partial sums (O(m) work in JS). */
  accumulate(chunk: Chunk, out: Record<string, ort.Tensor>): void {
    const { plan, acc } = this;
    const m = chunk.rows;
    const rowSq = out.rowSq.data as Float64Array;
    const ncc = out.ncc.data as Int32Array;
    const cls = out.cls ? (out.cls.data as Int32Array) : null;
    const { classes } = chunk;
    const confusion = acc.confusion;
    const k = plan.candidates;
    // Classifier decisions of this chunk (for the sample cloud's picks), −2 without one.
    const decisions = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      const y = classes[i];
      acc.squares[y] += rowSq[i];
      const truth = plan.truth[y];
      if (ncc[i] === truth) acc.nccCorrect[y]++;
      else if (confusion) countInto(confusion.ncc, y * k + ncc[i]);
      const decided = cls ? cls[i] : plan.logits ? argmaxLogits(plan.logits, chunk, i) : -2;
      decisions[i] = decided;
      if (decided !== -2) {
        if (decided === truth) acc.classifierCorrect[y]++;
        else if (confusion) countInto(confusion.classifier, y * k + decided);
        if (decided !== ncc[i]) acc.mismatches++;
      }
    }
    if (out.projSq) {
      const p = out.projSq.data as Float64Array;
      for (let j = 0; j < plan.r; j++) acc.projections[j] += p[j];
    }
    if (out.proj && plan.samples && chunk.picks?.length) {
      acc.samples.push({
        at: chunk.pickAt!,
        coords: pickedCoordinates(
          plan.samples,
          out.proj.data as Float64Array,
          plan.r,
          0,
          chunk.picks,
          classes,
        ),
        ncc: Int32Array.from(chunk.picks, (i) => ncc[i]),
        classifier: cls || plan.logits ? Int32Array.from(chunk.picks, (i) => decisions[i]) : null,
      });
    }
    acc.rows += m;
  }

  async close(): Promise<void> {
    const graphs = await Promise.all([...this.graphs.values()].map((g) => g.catch(() => null)));
    this.graphs.clear();
    await Promise.all(graphs.map((g) => g?.close()));
  }
}

/** The candidate index of the largest given logit (ties: the lowest). */
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
  return best;
}
