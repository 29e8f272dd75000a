/**
 * The machine's float64 GEMM rate as ONNX Runtime's CPU kernels (MLAS) reach it: a one-node
 * `MatMul` graph built in memory with the ONNX schema (onnx-proto, as main/onnx/ builds its
 * graphs), `M×D` times `D×K`, both fed as inputs, `threads` intra-op threads.
 */
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';

const { onnx } = onnxProto;
const DOUBLE = onnx.TensorProto.DataType.DOUBLE;

function valueInfo(name: string, dims: number[]) {
  return {
    name,
    type: { tensorType: { elemType: DOUBLE, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  };
}

/** The ModelProto bytes of `Y = A·B` (float64, opset 17). */
export function matMulModel(m: number, d: number, k: number): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'nc-lens-bench',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'gemm',
      node: [{ name: 'mm', opType: 'MatMul', input: ['A', 'B'], output: ['Y'] }],
      input: [valueInfo('A', [m, d]), valueInfo('B', [d, k])],
      output: [valueInfo('Y', [m, k])],
    },
  }).finish();
}

export interface GemmRate {
  m: number;
  d: number;
  k: number;
  threads: number;
  /** GFLOP/s of the median repetition (2·M·D·K flops). */
  gflops: number;
  seconds: number[];
}

/** Median-of-`reps` rate (after one warm-up run) of `M×D · D×K` in float64. */
export async function measureGemm(
  m: number,
  d: number,
  k: number,
  threads = 2,
  reps = 3,
): Promise<GemmRate> {
  const session = await ort.InferenceSession.create(matMulModel(m, d, k), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    executionProviders: ['cpu'],
  });
  try {
    const a = new Float64Array(m * d);
    const b = new Float64Array(d * k);
    for (let i = 0; i < a.length; i++) a[i] = ((i * 7919) % 1000) / 1000 - 0.5;
    for (let i = 0; i < b.length; i++) b[i] = ((i * 104729) % 1000) / 1000 - 0.5;
    const feeds = {
      A: new ort.Tensor('float64', a, [m, d]),
      B: new ort.Tensor('float64', b, [d, k]),
    };
    const once = async () => {
      const t = performance.now();
      const out = await session.run(feeds);
      const s = (performance.now() - t) / 1000;
      out.Y.dispose();
      return s;
    };
    await once();
    const seconds: number[] = [];
    for (let r = 0; r < reps; r++) seconds.push(await once());
    const sorted = [...seconds].sort((x, y) => x - y);
    const med = sorted[Math.floor(sorted.length / 2)];
    return { m, d, k, threads, gflops: (2 * m * d * k) / med / 1e9, seconds };
  } finally {
    await session.release();
  }
}
