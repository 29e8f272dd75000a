/**
 * The machine's float64 GEMM rate as ONNX Runtime's CPU kernels (MLAS) reach it: a one-node
 * `MatMul` graph built in memory by the engine's own graph encoder (main/engine/ort.ts),
 * `M×D` times `D×K`, both fed as inputs, `threads` intra-op threads.
 */
import * as ort from 'onnxruntime-node';
import { DataType, encodeGraph } from '../../main/engine/ort.ts';

/** The ModelProto bytes of `Y = A·B` (float64), built as the engine builds its graphs. */
export function matMulModel(m: number, d: number, k: number): Uint8Array {
  const value = (name: string, dims: number[]) => ({ name, type: DataType.DOUBLE, dims });
  return encodeGraph({
    nodes: [{ op: 'MatMul', inputs: ['A', 'B'], outputs: ['Y'] }],
    inputs: [value('A', [m, d]), value('B', [d, k])],
    outputs: [value('Y', [m, k])],
  });
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
