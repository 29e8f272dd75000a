/**
 * The float32 guarantee: NCC and classifier decisions equal float64 ones whenever the
 * product errs within its stated bound. A product that errs on purpose (up to 99% of the
 * bound, with a large unit round-off so that many decisions are close calls) must give the
 * same counts as the exact float64 product.
 */
import { describe, expect, it } from 'vitest';
import type { Chunk } from '../../main/engine/accumulate.ts';
import { accumulateChunk, emptyPartial } from '../../main/engine/accumulate.ts';
import type { JobContext } from '../../main/engine/passes.ts';
import { firstPass, secondPassSetup } from '../../main/engine/passes.ts';
import type { Product } from '../../main/engine/product.ts';
import { createProduct } from '../../main/engine/product.ts';
import { memoryDataset } from './data.ts';
import { rng } from './direct.ts';

class NoisyProduct implements Product {
  readonly backend = 'noisy';
  readonly unitRoundoff = 2 ** -10;
  private cols = new Float64Array(0);
  private k = 0;
  private d = 0;
  private readonly g = rng(99);
  /** The scores the product returned, for the naive comparison. */
  last: Float64Array = new Float64Array(0);

  setColumns(cols: Float64Array, k: number, d: number): void {
    Object.assign(this, { cols, k, d });
  }

  multiply(rows: Float64Array, m: number): Float64Array {
    const { cols, k, d } = this;
    const out = new Float64Array(m * k);
    const gamma = 0.99 * (d + 2) * this.unitRoundoff;
    for (let i = 0; i < m; i++) {
      let rn = 0;
      for (let t = 0; t < d; t++) rn += rows[i * d + t] ** 2;
      for (let j = 0; j < k; j++) {
        let s = 0;
        let cn = 0;
        for (let t = 0; t < d; t++) {
          s += rows[i * d + t] * cols[j * d + t];
          cn += cols[j * d + t] ** 2;
        }
        out[i * k + j] = s + (2 * this.g.uniform() - 1) * gamma * Math.sqrt(rn * cn);
      }
    }
    this.last = out;
    return out;
  }

  dispose(): void {}
}

describe('decisions under a product that errs within its bound', () => {
  it('equal those of the exact float64 product', async () => {
    const g = rng(5);
    const [c, d, n] = [6, 8, 3000];
    const mu = Array.from({ length: c }, () => Array.from({ length: d }, () => 0.3 * g.normal()));
    const y = Array.from({ length: n }, (_, i) => i % c);
    const h = y.map((k) => mu[k].map((x) => x + g.normal()));
    const w = Array.from({ length: c }, () => Array.from({ length: d }, () => g.normal()));
    const ds = memoryDataset({ h, y }, { w });
    const job: JobContext = {
      centering: 'class-means',
      progress: () => {},
      runner: () => Promise.reject(new Error('unused')),
    };
    const first = await firstPass(ds.train, job, 'p1', []);
    const { plan } = secondPassSetup(first, first, { weight: ds.weight }, undefined, 'x', []);
    const chunk = (): Chunk => ({
      rows: n,
      features: Float64Array.from(h.flat()),
      classes: first.classes.slice(),
    });

    const exact = await createProduct('cpu');
    exact.setColumns(plan.cols, plan.k, plan.d);
    const reference = emptyPartial(plan);
    accumulateChunk(plan, exact, chunk(), reference);

    const noisy = new NoisyProduct();
    noisy.setColumns(plan.cols, plan.k, plan.d);
    const checked = emptyPartial(plan);
    accumulateChunk(plan, noisy, chunk(), checked);

    expect(checked.nccCorrect).toEqual(reference.nccCorrect);
    expect(checked.classifierCorrect).toEqual(reference.classifierCorrect);
    expect(checked.mismatches).toBe(reference.mismatches);
    expect(checked.recomputed).toBeGreaterThan(n / 10);

    // The noise matters: trusting the noisy classifier scores would change some decisions.
    const p = noisy.last;
    const dp = plan.classifier!;
    if (dp.kind !== 'scores') throw new Error('expected a weight classifier');
    let naiveCorrect = 0;
    for (let i = 0; i < n; i++) {
      const yi = first.classes[i];
      let best = 0;
      for (let j = 1; j < c; j++) {
        const s = (j: number) => dp.table[yi * c + j] + p[i * plan.k + dp.at + j];
        if (s(j) > s(best)) best = j;
      }
      if (best === yi) naiveCorrect++;
    }
    const exactCorrect = reference.classifierCorrect.reduce((a, b) => a + b, 0);
    expect(naiveCorrect).not.toBe(exactCorrect);
  });
});
