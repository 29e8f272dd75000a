/**
 * Running the model over an inputs file in batches and keeping the tensors asked for. The
 * next batch is read while onnxruntime computes the current one.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { badInput, cancelled } from '../../shared/errors.ts';
import type { Progress } from '../../shared/schema.ts';
import { arrayLabel } from '../io/dataset.ts';
import { product } from '../io/decode.ts';
import { assertFinite } from '../io/validate.ts';
import type { ArraySource } from '../io/types.ts';
import { feedValues, type FeedArray, type InputPlan } from './feed.ts';
import { runError, type ModelSession } from './model-session.ts';
import {
  MEMORY_LIMIT_BYTES,
  memoryStore,
  npyStore,
  type RowStore,
  type RowValues,
  type StoreSpec,
} from './store.ts';

export interface ExtractJob {
  session: ModelSession;
  modelFile: string;
  plan: InputPlan;
  source: ArraySource;
  /** Tensors to keep, by their name in the graph. */
  tensors: string[];
  /** What the kept arrays are called (one per tensor). */
  names: string[];
  batchSize: number;
  memoryLimitBytes?: number;
  /** Folder for temporary .npy files when the result is too large for memory. */
  tempDir: () => Promise<string>;
  /** Rows before this job and rows in all jobs, so progress spans train and test. */
  rowsBefore: number;
  totalRows: number;
  phase: string;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface Extracted {
  arrays: ArraySource[];
  stores: RowStore[];
}

/** The kept tensors over every row of `job.source`. */
export async function extractRows(job: ExtractJob): Promise<Extracted> {
  const { source, plan, signal } = job;
  const n = source.rows;
  const batch = plan.fixedBatch ?? job.batchSize;
  const sampleSize = product(plan.rowShape);
  let stores: RowStore[] | null = null;
  let next: Promise<Float64Array> | null = readBatch(source, 0, batch, signal);
  try {
    for (let start = 0; start < n; start += batch) {
      if (signal?.aborted) throw cancelled();
      const rows = await next!;
      const count = Math.min(batch, n - start);
      next = start + batch < n ? readBatch(source, start + batch, batch, signal) : null;
      // A model with a fixed batch size gets a zero-padded final batch; its extra rows are dropped.
      const fed = plan.fixedBatch ?? count;
      const outputs = await runBatch(job, feedValues(plan.type, rows, fed * sampleSize), fed);
      const values = job.tensors.map((t) => rowsOf(job, outputs[t], t, fed, count));
      stores ??= await openStores(job, outputs, values);
      for (let i = 0; i < values.length; i++) await stores[i].write(values[i]);
      reportProgress(job, start + count);
    }
    if (signal?.aborted) throw cancelled();
    // n ≥ 1 (checked when the inputs were opened), so the first batch opened the stores.
    const kept = stores!;
    return { arrays: await Promise.all(kept.map((s) => s.finish())), stores: kept };
  } catch (e) {
    next?.catch(() => undefined);
    await Promise.all((stores ?? []).map((s) => s.close()));
    throw e;
  }
}

/**
 * Rows [start, start + batch), checked finite (a NaN input is the inputs file's fault, not the
 * features tensor's). The prefetch may reject (cancelled) while the current batch runs and
 * before anyone awaits it: it is marked handled at once, and the real await still sees it.
 */
function readBatch(
  source: ArraySource,
  start: number,
  batch: number,
  signal?: AbortSignal,
): Promise<Float64Array> {
  const rows = source
    .readRows(start, Math.min(start + batch, source.rows), signal)
    .then((values) => {
      assertFinite(values, start, source.rowSize, arrayLabel(source), 'model inputs');
      return values;
    });
  rows.catch(() => undefined);
  return rows;
}

async function runBatch(
  job: ExtractJob,
  values: FeedArray,
  rows: number,
): Promise<ort.InferenceSession.OnnxValueMapType> {
  const { plan } = job;
  const feed = { [plan.name]: new ort.Tensor(plan.type, values, [rows, ...plan.rowShape]) };
  try {
    return await job.session.run(feed, job.tensors);
  } catch (e) {
    throw runError(job.modelFile, job.source.file, e);
  }
}

/** The first `count` rows of an output tensor as float32/float64, checked to be per-sample. */
function rowsOf(
  job: ExtractJob,
  value: ort.OnnxValue | undefined,
  tensor: string,
  batch: number,
  count: number,
): RowValues {
  const t = value as ort.Tensor | undefined;
  if (!t || (t.type !== 'float32' && t.type !== 'float64') || t.dims[0] !== batch) {
    const found = t ? `${t.dims.join('×')} (${t.type})` : 'no value';
    throw badInput(job.modelFile, `tensor '${tensor}' as one float row per sample`, found);
  }
  const data = t.data as Float32Array | Float64Array;
  return data.subarray(0, count * (data.length / batch));
}

/**
 * Stores sized from the first batch: in memory while features + logits fit
 * MEMORY_LIMIT_BYTES, else temporary .npy files.
 */
async function openStores(
  job: ExtractJob,
  outputs: ort.InferenceSession.OnnxValueMapType,
  values: RowValues[],
): Promise<RowStore[]> {
  const n = job.source.rows;
  const specs: StoreSpec[] = job.tensors.map((t, i) => {
    const dims = (outputs[t] as ort.Tensor | undefined)?.dims ?? [0, 0];
    return {
      name: job.names[i],
      file: job.modelFile,
      shape: [n, ...dims.slice(1)],
      float64: values[i] instanceof Float64Array,
    };
  });
  const bytes = specs.reduce((sum, s) => sum + product(s.shape) * (s.float64 ? 8 : 4), 0);
  if (bytes <= (job.memoryLimitBytes ?? MEMORY_LIMIT_BYTES)) return specs.map(memoryStore);
  const dir = await job.tempDir();
  return Promise.all(
    specs.map((s, i) => npyStore(s, join(dir, `${job.phase.replace(/\W+/g, '-')}-${i}.npy`))),
  );
}

function reportProgress(job: ExtractJob, done: number): void {
  const rows = job.rowsBefore + done;
  job.onProgress?.({
    phase: job.phase,
    fraction: job.totalRows ? rows / job.totalRows : 1,
    rows,
    totalRows: job.totalRows,
  });
}
