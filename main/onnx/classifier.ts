/**
 * Finding the final linear classifier in an ONNX graph: the last `Gemm`, or `MatMul` (plus an
 * optional `Add` of a bias), whose output is a graph output or reaches one through
 * shape-preserving ops only (softmax and the like). Its non-constant input is the
 * features tensor; its constant inputs give W (C×D) and b.
 */
import { badInput } from '../../shared/errors.ts';
import { transpose } from '../io/dataset.ts';
import type { Matrix } from '../io/types.ts';
import {
  floatValues,
  tensorDims,
  type GraphProto,
  type NodeProto,
  type TensorProto,
} from './model.ts';

export interface ClassifierInfo {
  /** The node's name (or `<op>#<index>` when the exporter left it unnamed). */
  node: string;
  op: 'Gemm' | 'MatMul+Add' | 'MatMul';
  featuresTensor: string;
  /** The classifier's own output: the logits, before any softmax that follows. */
  logitsTensor: string;
  /** C×D: transA/transB and Gemm's alpha already applied. */
  weight: Matrix;
  /** Length C: Gemm's beta already applied. */
  bias?: Float64Array;
}

/** Ops that keep one value per (sample, class): logits still read as logits through them. */
const SHAPE_PRESERVING = new Set([
  'Identity',
  'Softmax',
  'LogSoftmax',
  'Sigmoid',
  'Cast',
  'Dropout',
]);

/** Ops whose outputs describe shapes, not samples; never offered as features. */
const SHAPE_OPS = new Set(['Shape', 'Size', 'ConstantOfShape', 'Constant']);

interface Constant {
  dims: number[];
  values: Float64Array;
}

/** The graph's wiring, indexed once. */
export class GraphIndex {
  readonly producer = new Map<string, NodeProto>();
  readonly consumers = new Map<string, NodeProto[]>();
  readonly outputs: Set<string>;
  readonly nodes: NodeProto[];

  /** Whether each tensor reaches an output (memo: a diamond of paths is walked once). */
  private readonly reaches = new Map<string, boolean>();

  constructor(
    graph: GraphProto,
    private readonly initializers: Map<string, TensorProto>,
    file = 'the model',
  ) {
    this.nodes = graph.node ?? [];
    this.outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
    for (const node of this.nodes) {
      for (const out of node.output ?? []) this.producer.set(out, node);
      for (const inp of node.input ?? []) {
        if (!inp) continue;
        const list = this.consumers.get(inp) ?? [];
        list.push(node);
        this.consumers.set(inp, list);
      }
    }
    const cycle = this.cycleNode();
    if (cycle) throw badInput(file, 'an acyclic ONNX graph', `a cycle through node '${cycle}'`);
  }

  /** A node on a cycle, or null (Kahn's algorithm: one linear pass over the wiring). */
  private cycleNode(): string | null {
    const waiting = new Map<NodeProto, number>();
    for (const node of this.nodes) {
      const inputs = (node.input ?? []).filter((t) => t && this.producer.has(t));
      waiting.set(node, inputs.length);
    }
    const ready = this.nodes.filter((n) => waiting.get(n) === 0);
    let done = 0;
    while (ready.length) {
      const node = ready.pop()!;
      done++;
      for (const out of node.output ?? []) {
        if (this.producer.get(out) !== node) continue;
        for (const next of this.consumers.get(out) ?? []) {
          const left = waiting.get(next)! - 1;
          waiting.set(next, left);
          if (left === 0) ready.push(next);
        }
      }
    }
    if (done === this.nodes.length) return null;
    const stuck = this.nodes.findIndex((n) => waiting.get(n)! > 0);
    return stuck < 0 ? '?' : this.nodes[stuck].name || `${this.nodes[stuck].opType}#${stuck}`;
  }

  /**
   * The value of a tensor fixed by the model itself: an initializer, a `Constant` node, or
   * an `Identity`/2-D `Transpose` of one (exporters put a Transpose in front of MatMul).
   */
  constant(name: string): Constant | null {
    const init = this.initializers.get(name);
    if (init) return tensorConstant(init);
    const node = this.producer.get(name);
    if (!node) return null;
    if (node.opType === 'Constant') {
      const value = node.attribute?.find((a) => a.name === 'value')?.t;
      return value ? tensorConstant(value) : null;
    }
    if (node.opType === 'Identity') return this.constant(node.input![0]);
    if (node.opType === 'Transpose') {
      const inner = this.constant(node.input![0]);
      const perm = node.attribute?.find((a) => a.name === 'perm')?.ints?.map(Number);
      const swaps = !perm || perm.length === 0 || (perm[0] === 1 && perm[1] === 0);
      if (!inner || inner.dims.length !== 2 || !swaps) return null;
      const [r, c] = inner.dims;
      return { dims: [c, r], values: transpose(inner.values, r, c) };
    }
    return null;
  }

  /**
   * Whether `tensor` is a graph output, or every op it feeds is shape-preserving and one leads
   * to an output. An explicit stack and a memo: 3 000 such ops in a row, or a diamond of them
   * 40 deep, are one linear walk (the graph is acyclic, checked in the constructor).
   */
  reachesOutput(tensor: string): boolean {
    const stack = [tensor];
    while (stack.length) {
      const t = stack[stack.length - 1];
      if (this.reaches.has(t)) {
        stack.pop();
        continue;
      }
      const next = this.consumers.get(t) ?? [];
      if (
        this.outputs.has(t) ||
        !next.length ||
        !next.every((n) => SHAPE_PRESERVING.has(n.opType ?? ''))
      ) {
        this.reaches.set(t, this.outputs.has(t));
        stack.pop();
        continue;
      }
      const outs = next.map((n) => n.output?.[0] ?? '');
      const pending = outs.filter((o) => !this.reaches.has(o));
      if (pending.length) {
        stack.push(...new Set(pending));
        continue;
      }
      this.reaches.set(
        t,
        outs.some((o) => this.reaches.get(o)),
      );
      stack.pop();
    }
    return this.reaches.get(tensor)!;
  }
}

function tensorConstant(t: TensorProto): Constant | null {
  const values = floatValues(t);
  return values ? { dims: tensorDims(t), values } : null;
}

function attr(node: NodeProto, name: string): { i: number; f: number } | null {
  const a = node.attribute?.find((x) => x.name === name);
  return a ? { i: Number(a.i ?? 0), f: a.f ?? 0 } : null;
}

/** `bias` as a length-C vector when it broadcasts per class (length C or 1), else null. */
function classBias(bias: Constant, classes: number, scale: number): Float64Array | null {
  const n = bias.values.length;
  if (n !== classes && n !== 1) return null;
  if (bias.dims.length > 1 && bias.dims.slice(0, -1).some((d) => d !== 1)) return null;
  return Float64Array.from({ length: classes }, (_, k) => scale * bias.values[n === 1 ? 0 : k]);
}

function nodeName(node: NodeProto, index: number): string {
  return node.name || `${node.opType}#${index}`;
}

/** Y = α·A·op(B) + β·C with A the features (transA = 0) and B, C constant. */
function gemmClassifier(g: GraphIndex, node: NodeProto, index: number): ClassifierInfo | null {
  const [a, b, c] = node.input ?? [];
  if (attr(node, 'transA')?.i || g.constant(a)) return null;
  const w = g.constant(b);
  if (!w || w.dims.length !== 2) return null;
  const alpha = attr(node, 'alpha')?.f ?? 1;
  const beta = attr(node, 'beta')?.f ?? 1;
  // op(B) is D×C; W is its transpose: B itself when transB = 1.
  const transB = attr(node, 'transB')?.i === 1;
  const [classes, dim] = transB ? w.dims : [w.dims[1], w.dims[0]];
  const data = transB ? w.values.slice() : transpose(w.values, w.dims[0], w.dims[1]);
  for (let i = 0; i < data.length; i++) data[i] *= alpha;
  let bias: Float64Array | undefined;
  if (c) {
    const constC = g.constant(c);
    const b2 = constC && classBias(constC, classes, beta);
    if (!b2) return null;
    bias = b2;
  }
  const logits = node.output![0];
  if (!g.reachesOutput(logits)) return null;
  return {
    node: nodeName(node, index),
    op: 'Gemm',
    featuresTensor: a,
    logitsTensor: logits,
    weight: { rows: classes, cols: dim, data },
    bias,
  };
}

/** Y = X·W (+ b): W constant D×C; the Add is taken when it is MatMul's only consumer. */
function matmulClassifier(g: GraphIndex, node: NodeProto, index: number): ClassifierInfo | null {
  const [x, wName] = node.input ?? [];
  if (g.constant(x)) return null;
  const w = g.constant(wName);
  if (!w || w.dims.length !== 2) return null;
  const [dim, classes] = w.dims;
  const weight = { rows: classes, cols: dim, data: transpose(w.values, dim, classes) };
  const product = node.output![0];
  const next = g.consumers.get(product) ?? [];
  if (next.length === 1 && next[0].opType === 'Add' && !g.outputs.has(product)) {
    const add = next[0];
    const other = add.input!.find((t) => t !== product) ?? '';
    const constB = g.constant(other);
    const bias = constB && classBias(constB, classes, 1);
    if (!bias || !g.reachesOutput(add.output![0])) return null;
    const name = nodeName(node, index);
    return {
      node: name,
      op: 'MatMul+Add',
      featuresTensor: x,
      logitsTensor: add.output![0],
      weight,
      bias,
    };
  }
  if (!g.reachesOutput(product)) return null;
  return {
    node: nodeName(node, index),
    op: 'MatMul',
    featuresTensor: x,
    logitsTensor: product,
    weight,
  };
}

/** The last linear layer feeding a graph output, or null. */
export function findClassifier(g: GraphIndex): ClassifierInfo | null {
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const node = g.nodes[i];
    const found =
      node.opType === 'Gemm'
        ? gemmClassifier(g, node, i)
        : node.opType === 'MatMul'
          ? matmulClassifier(g, node, i)
          : null;
    if (found) return found;
  }
  return null;
}

/**
 * Tensors a user could take as features: every node output computed from the model's
 * inputs (not from constants or from shapes alone), in graph order.
 */
export function featureCandidates(g: GraphIndex, inputs: string[]): string[] {
  const data = new Set(inputs);
  const out: string[] = [];
  for (const node of g.nodes) {
    if (SHAPE_OPS.has(node.opType ?? '')) continue;
    if (!(node.input ?? []).some((t) => data.has(t))) continue;
    for (const t of node.output ?? []) {
      if (!t) continue;
      data.add(t);
      out.push(t);
    }
  }
  return out;
}
