/**
 * Frames of a result with many classes (PCA mode), computed in a worker (frames-worker.ts):
 * `get(i)` answers from the cache or null, and asks the worker; an arrival bumps `version`, so
 * whatever read `get` in a $derived reads again. Epoch series share the last epoch's basis
 * (asked first), as frames.ts does; layers each get their own (no turning onto the last: a
 * simplification of the small-C path, noted in the caption there).
 */
import type { AnalysisResult } from '../../../shared/schema.ts';
import {
  resultPoints,
  unpackRows,
  type FrameSource,
  type LargeFrameInput,
  type PackedRows,
  type ViewFrame,
} from './frames.ts';

/** Classes from which the 3-D view's frames are computed in the worker. */
export const WORKER_FRAME_CLASSES = 1_000;

/** frames-worker.ts's reply: the frame with its rows packed flat. */
interface Reply {
  id: number;
  frame: Omit<ViewFrame, 'means' | 'ideal' | 'weights'>;
  packed: { means: PackedRows; ideal: PackedRows; weights: PackedRows | null };
  basis: number[][];
}

let worker: Worker | null | undefined;
let nextId = 1;
// eslint-disable-next-line svelte/prefer-svelte-reactivity -- plain bookkeeping, not state
const waiting = new Map<number, (r: { frame: ViewFrame; basis: number[][] }) => void>();

function frameWorker(): Worker | null {
  if (worker !== undefined) return worker;
  try {
    worker = new Worker(new URL('./frames-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<Reply>) => {
      const { id, frame, packed, basis } = e.data;
      waiting.get(id)?.({
        frame: {
          ...frame,
          means: unpackRows(packed.means),
          ideal: unpackRows(packed.ideal),
          weights: packed.weights && unpackRows(packed.weights),
        },
        basis,
      });
      waiting.delete(id);
    };
  } catch {
    worker = null;
  }
  return worker;
}

export class AsyncFrameSource implements FrameSource {
  readonly count: number;
  /** Bumped on every arrival (read by `get`, so $derived callers update). */
  version = $state(0);
  #inputs: (LargeFrameInput | null)[];
  // Not reactive by themselves: `version` announces each change.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #frames = new Map<number, ViewFrame>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #asked = new Set<number>();
  #anchor: Promise<number[][] | undefined>;
  #epochs: boolean;

  constructor(result: AnalysisResult) {
    const points = resultPoints(result);
    this.count = points.length;
    this.#epochs = result.schema === 'nc-lens/series@1' && result.kind === 'epochs';
    this.#inputs = points.map((m) =>
      m.geometry && m.c >= 2
        ? {
            c: m.c,
            d: m.d,
            means: m.geometry.means,
            global_mean: m.geometry.global_mean,
            weights: m.geometry.weights,
            samples: m.geometry.samples,
          }
        : null,
    );
    const last = this.count - 1;
    // The last point in its own basis: the anchor of an epoch series.
    this.#anchor = this.#compute(last).then((r) => (this.#epochs ? r?.basis : undefined));
  }

  /** Whether `result` should take this path (PCA mode, many classes, a worker). */
  static wanted(result: AnalysisResult | null): boolean {
    const m = resultPoints(result)[0];
    return !!m && m.c >= WORKER_FRAME_CLASSES && typeof Worker !== 'undefined' && !!frameWorker();
  }

  get(i: number): ViewFrame | null {
    void this.version;
    if (i < 0 || i >= this.count) return null;
    const f = this.#frames.get(i);
    if (f) return f;
    if (!this.#asked.has(i)) {
      this.#asked.add(i);
      void this.#anchor.then((basis) => this.#compute(i, basis));
    }
    return null;
  }

  #compute(i: number, basis?: number[][]) {
    const input = this.#inputs[i];
    const w = frameWorker();
    this.#asked.add(i);
    if (!input || !w) return Promise.resolve(undefined);
    const known = this.#frames.get(i);
    if (known) return Promise.resolve(undefined);
    const id = nextId++;
    return new Promise<{ frame: ViewFrame; basis: number[][] }>((resolve) => {
      waiting.set(id, resolve);
      w.postMessage({ id, input, basis });
    }).then((r) => {
      this.#frames.set(i, r.frame);
      this.version++;
      return r;
    });
  }
}
