/**
 * The one heavy operation of pass 2: residual rows (m×D) times a fixed set of K vectors
 * (K×D), giving m×K. Done through TensorFlow.js with the best backend that loads
 * (`tensorflow` = tfjs-node, else `wasm`), in float32; or, when only tfjs's pure-JS `cpu`
 * backend would be left, by a float64 JS loop that is as fast as it and exact.
 *
 * Callers get `unitRoundoff` with the result, so that they can bound the error of every
 * entry (|error| ≤ 1.01·(D+2)·u·‖r‖·‖c‖) and recompute in float64 where a decision depends on
 * a difference smaller than that.
 */
import { createRequire } from 'node:module';

export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface Product {
  readonly backend: string;
  readonly unitRoundoff: number;
  /** Fixes the K vectors (row-major K×D). */
  setColumns(cols: Float64Array, k: number, d: number): void;
  /** rows (m×D, row-major float64) × colsᵀ → m×K. */
  multiply(rows: Float64Array, m: number): ArrayLike<number>;
  dispose(): void;
}

type Tf = typeof import('@tensorflow/tfjs-core');

// require, not import(): tfjs ships CommonJS bundles, and importing them as ESM makes Node
// scan them for named exports (0.5 s of start-up here, against 0.1 s).
const require = createRequire(import.meta.url);

let tfLoad: Promise<{ tf: Tf; backend: string } | null> | undefined;
let tfLoadFor: BackendPreference | undefined;

/** Loads tfjs with the first backend that works, once per thread; null → use float64 JS. */
function loadTf(pref: BackendPreference): Promise<{ tf: Tf; backend: string } | null> {
  if (!tfLoad || tfLoadFor !== pref) {
    tfLoadFor = pref;
    tfLoad = chooseTfBackend(pref);
  }
  return tfLoad;
}

async function chooseTfBackend(
  pref: BackendPreference,
): Promise<{ tf: Tf; backend: string } | null> {
  if (pref === 'cpu') return null;
  const tf = require('@tensorflow/tfjs-core') as Tf;
  if (pref === 'auto' || pref === 'tensorflow') {
    try {
      // A variable specifier: tfjs-node is optional and absent on most machines.
      const nodeBackend = '@tensorflow/tfjs-node';
      require(nodeBackend);
      if (await tf.setBackend('tensorflow')) return { tf, backend: 'tensorflow' };
    } catch {
      // Not installed or its native library failed to load: fall through to wasm.
    }
  }
  const before = processHandlers();
  try {
    require('@tensorflow/tfjs-backend-wasm');
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      return { tf, backend: 'wasm' };
    }
  } catch {
    // No usable WebAssembly: fall back to float64 JS.
  } finally {
    removeHandlersAddedSince(before);
  }
  return null;
}

type Handler = (...args: unknown[]) => void;
const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'];
const emitter: NodeJS.EventEmitter = process;

function processHandlers(): Map<string, Handler[]> {
  return new Map(PROCESS_EVENTS.map((e) => [e, emitter.listeners(e) as Handler[]]));
}

/**
 * The Emscripten glue of the wasm backend installs process-wide handlers that rethrow every
 * uncaught error, which turns any later crash into a dump of its minified source; the
 * engine's callers handle their own errors, so those handlers are removed.
 */
function removeHandlersAddedSince(before: Map<string, Handler[]>): void {
  for (const e of PROCESS_EVENTS) {
    for (const h of emitter.listeners(e) as Handler[]) {
      if (!before.get(e)!.includes(h)) emitter.off(e, h);
    }
  }
}

export async function createProduct(pref: BackendPreference = 'auto'): Promise<Product> {
  const loaded = await loadTf(pref);
  return loaded ? new TfProduct(loaded.tf, loaded.backend) : new Float64Product();
}

/** The backend `createProduct` would use in this thread. */
export async function productBackend(pref: BackendPreference = 'auto'): Promise<string> {
  const loaded = await loadTf(pref);
  return loaded ? loaded.backend : 'cpu';
}

class TfProduct implements Product {
  readonly unitRoundoff = 2 ** -24;
  private cols: import('@tensorflow/tfjs-core').Tensor2D | null = null;
  private d = 0;
  constructor(
    private readonly tf: Tf,
    readonly backend: string,
  ) {}

  setColumns(cols: Float64Array, k: number, d: number): void {
    this.dispose();
    this.d = d;
    // Stored D×K: a transposed matMul runs at a fifteenth of the speed on wasm.
    const t = new Float32Array(d * k);
    for (let j = 0; j < k; j++) for (let i = 0; i < d; i++) t[i * k + j] = cols[j * d + i];
    this.cols = this.tf.tensor2d(t, [d, k]);
  }

  multiply(rows: Float64Array, m: number): Float32Array {
    if (!this.cols) throw new Error('product columns not set');
    // The typed-array constructor converts natively; Float32Array.from iterates in JS.
    const a = this.tf.tensor2d(new Float32Array(rows), [m, this.d]);
    const c = this.tf.matMul(a, this.cols);
    const out = c.dataSync() as Float32Array;
    a.dispose();
    c.dispose();
    return out;
  }

  dispose(): void {
    this.cols?.dispose();
    this.cols = null;
  }
}

class Float64Product implements Product {
  readonly backend = 'cpu';
  readonly unitRoundoff = 2 ** -53;
  private cols: Float64Array = new Float64Array(0);
  private k = 0;
  private d = 0;

  setColumns(cols: Float64Array, k: number, d: number): void {
    this.cols = cols;
    this.k = k;
    this.d = d;
  }

  multiply(rows: Float64Array, m: number): Float64Array {
    const { cols, k, d } = this;
    const out = new Float64Array(m * k);
    for (let i = 0; i < m; i++) {
      const ro = i * d;
      for (let j = 0; j < k; j++) {
        const co = j * d;
        // Four partial sums: lets the JIT pipeline the multiply-adds.
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let t = 0;
        for (; t + 3 < d; t += 4) {
          s0 += rows[ro + t] * cols[co + t];
          s1 += rows[ro + t + 1] * cols[co + t + 1];
          s2 += rows[ro + t + 2] * cols[co + t + 2];
          s3 += rows[ro + t + 3] * cols[co + t + 3];
        }
        for (; t < d; t++) s0 += rows[ro + t] * cols[co + t];
        out[i * k + j] = s0 + s1 + s2 + s3;
      }
    }
    return out;
  }

  dispose(): void {}
}
