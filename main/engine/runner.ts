/**
 * Where pass-2 chunks are computed: in this thread (small jobs, where starting workers would
 * cost more than it saves), or on a pool of worker threads (pool.ts). Both take chunks in
 * order and hand back one merged Pass2Partial.
 */
import type { Chunk, Pass2Partial, Pass2Plan } from './accumulate.ts';
import { accumulateChunk, emptyPartial } from './accumulate.ts';
import type { BackendPreference, Product } from './product.ts';
import { createProduct } from './product.ts';

export interface RowRunner {
  readonly backend: string;
  readonly threads: number;
  begin(plan: Pass2Plan): Promise<void>;
  /** Resolves when the runner can take another chunk (the chunk's buffers are handed over). */
  push(chunk: Chunk): Promise<void>;
  end(): Promise<Pass2Partial>;
  close(): Promise<void>;
}

export class InProcessRunner implements RowRunner {
  readonly threads = 1;
  private plan: Pass2Plan | null = null;
  private acc: Pass2Partial | null = null;
  private constructor(private readonly product: Product) {}

  static async create(pref: BackendPreference): Promise<InProcessRunner> {
    return new InProcessRunner(await createProduct(pref));
  }

  get backend(): string {
    return this.product.backend;
  }

  async begin(plan: Pass2Plan): Promise<void> {
    this.plan = plan;
    this.acc = emptyPartial(plan);
    this.product.setColumns(plan.cols, plan.k, plan.d);
  }

  async push(chunk: Chunk): Promise<void> {
    accumulateChunk(this.plan!, this.product, chunk, this.acc!);
  }

  async end(): Promise<Pass2Partial> {
    const acc = this.acc!;
    this.acc = null;
    return acc;
  }

  async close(): Promise<void> {
    this.product.dispose();
  }
}
