/**
 * Engine worker thread: computes pass-2 partial sums for the chunks it is sent. Protocol
 * (see pool.ts): → {plan} | {chunk} | {end}; ← {ready, backend} once, {done} per chunk,
 * {partial} per end, {error} on failure.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Chunk, Pass2Partial, Pass2Plan } from './accumulate.ts';
import { accumulateChunk, emptyPartial } from './accumulate.ts';
import type { BackendPreference } from './product.ts';
import { createProduct } from './product.ts';

export type ToWorker =
  { type: 'plan'; plan: Pass2Plan } | { type: 'chunk'; chunk: Chunk } | { type: 'end' };

export type FromWorker =
  | { type: 'ready'; backend: string }
  | { type: 'done' }
  | { type: 'partial'; partial: Pass2Partial }
  | { type: 'error'; message: string };

const port = parentPort!;
const product = await createProduct((workerData?.backend ?? 'auto') as BackendPreference);
let plan: Pass2Plan | null = null;
let acc: Pass2Partial | null = null;

function send(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

port.on('message', (msg: ToWorker) => {
  try {
    if (msg.type === 'plan') {
      plan = msg.plan;
      acc = emptyPartial(plan);
      product.setColumns(plan.cols, plan.k, plan.d);
    } else if (msg.type === 'chunk') {
      accumulateChunk(plan!, product, msg.chunk, acc!);
      send({ type: 'done' });
    } else {
      const partial = acc ?? emptyPartial(plan!);
      acc = emptyPartial(plan!);
      send({ type: 'partial', partial });
    }
  } catch (e) {
    send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
});

send({ type: 'ready', backend: product.backend });
