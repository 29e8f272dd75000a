/**
 * A pool of engine worker threads (worker.ts). Chunks go to the least busy worker, at most
 * two in flight each, so the main thread reads the next chunk while the workers compute;
 * each worker keeps its own partial sums, merged at the end (mergePartials).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { cancelled, NcLensError } from '../../shared/errors.ts';
import type { Chunk, Pass2Partial, Pass2Plan } from './accumulate.ts';
import { mergePartials } from './accumulate.ts';
import type { BackendPreference } from './product.ts';
import type { RowRunner } from './runner.ts';
import type { FromWorker, ToWorker } from './worker.ts';

const MAX_IN_FLIGHT = 2;

/**
 * The worker's entry: the bundle scripts/build.js emits beside the CLI bundle; or, when this
 * module is itself TypeScript source (tests, tsx), a bootstrap that registers tsx in the
 * worker and imports worker.ts (`--import tsx` in execArgv does not reach worker threads).
 */
function workerEntry(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./engine-worker.js', import.meta.url);
  const tsxRoot = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsx = pathToFileURL(path.join(tsxRoot, 'dist/esm/api/index.mjs')).href;
  const worker = new URL('./worker.ts', import.meta.url).href;
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(worker)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}

interface Slot {
  worker: Worker;
  inFlight: number;
  /** Set while waiting for this worker's partial sums. */
  waiting?: { resolve(p: Pass2Partial): void; reject(e: Error): void };
}

export class WorkerPool implements RowRunner {
  private failure: Error | null = null;
  private wake: (() => void)[] = [];
  private closed = false;

  private constructor(
    private readonly slots: Slot[],
    readonly backend: string,
  ) {
    for (const slot of slots) {
      slot.worker.on('message', (msg: FromWorker) => this.onMessage(slot, msg));
      slot.worker.on('error', (e) => this.fail(e));
      slot.worker.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`engine worker exited with code ${code}`));
      });
    }
  }

  get threads(): number {
    return this.slots.length;
  }

  /** Starts `threads` workers and waits until each has loaded its tensor backend. */
  static async create(
    threads: number,
    pref: BackendPreference,
    signal?: AbortSignal,
  ): Promise<WorkerPool> {
    const url = workerEntry();
    const workers = Array.from(
      { length: threads },
      () => new Worker(url, { workerData: { backend: pref } }),
    );
    const stopAll = () => workers.forEach((w) => void w.terminate());
    signal?.addEventListener('abort', stopAll, { once: true });
    try {
      const backends = await Promise.all(workers.map(readyBackend));
      if (signal?.aborted) throw cancelled();
      return new WorkerPool(
        workers.map((worker) => ({ worker, inFlight: 0 })),
        backends[0],
      );
    } catch (e) {
      stopAll();
      throw signal?.aborted ? cancelled() : e;
    } finally {
      signal?.removeEventListener('abort', stopAll);
    }
  }

  private onMessage(slot: Slot, msg: FromWorker): void {
    if (msg.type === 'done') {
      slot.inFlight--;
      this.notify();
    } else if (msg.type === 'partial') {
      slot.waiting?.resolve(msg.partial);
      slot.waiting = undefined;
    } else if (msg.type === 'error') {
      this.fail(new NcLensError('internal', `engine worker: ${msg.message}`));
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.notify();
    for (const slot of this.slots) {
      slot.waiting?.reject(e);
      slot.waiting = undefined;
    }
  }

  private notify(): void {
    const waiting = this.wake;
    this.wake = [];
    waiting.forEach((f) => f());
  }

  private async until(ready: () => boolean): Promise<void> {
    while (!ready()) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => this.wake.push(resolve));
    }
    if (this.failure) throw this.failure;
  }

  private post(slot: Slot, msg: ToWorker, transfer: ArrayBuffer[] = []): void {
    slot.worker.postMessage(msg, transfer);
  }

  async begin(plan: Pass2Plan): Promise<void> {
    await this.until(() => this.slots.every((s) => s.inFlight === 0));
    for (const slot of this.slots) this.post(slot, { type: 'plan', plan });
  }

  async push(chunk: Chunk): Promise<void> {
    await this.until(() => this.slots.some((s) => s.inFlight < MAX_IN_FLIGHT));
    const slot = this.slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    slot.inFlight++;
    const owned = ownedChunk(chunk);
    const transfer = [owned.features.buffer, owned.classes.buffer] as ArrayBuffer[];
    if (owned.logits) transfer.push(owned.logits.buffer as ArrayBuffer);
    this.post(slot, { type: 'chunk', chunk: owned }, transfer);
  }

  async end(): Promise<Pass2Partial> {
    await this.until(() => this.slots.every((s) => s.inFlight === 0));
    const partials = await Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<Pass2Partial>((resolve, reject) => {
            slot.waiting = { resolve, reject };
            this.post(slot, { type: 'end' });
          }),
      ),
    );
    return partials.reduce(mergePartials);
  }

  /** Terminates the workers; anything still waiting on them fails as cancelled. */
  async close(): Promise<void> {
    this.closed = true;
    this.fail(cancelled());
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

function readyBackend(worker: Worker): Promise<string> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: FromWorker) => {
      if (msg.type === 'ready') {
        worker.off('error', reject);
        worker.off('message', onMessage);
        resolve(msg.backend);
      }
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`engine worker exited with code ${code}`)));
  });
}

/** Typed arrays that own their whole buffer, so the buffers can be transferred. */
function ownedChunk(chunk: Chunk): Chunk {
  const own = <T extends Float64Array | Int32Array>(a: T): T =>
    a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : (a.slice() as T);
  return {
    ...chunk,
    features: own(chunk.features),
    classes: own(chunk.classes),
    logits: chunk.logits ? own(chunk.logits) : undefined,
  };
}
