import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzePaths } from '../../main/plan/run.ts';
import type { MetricsResult } from '../../shared/schema.ts';
import { mismatches } from './direct.ts';
import { MNIST as DIR } from '../fixtures.ts';

const EPOCHS = ['001', '005', '020', '080'];
const reference = (name: string) =>
  JSON.parse(readFileSync(`${DIR}/reference/${name}.json`, 'utf8'));
const log = JSON.parse(readFileSync(`${DIR}/mnist_small_log.json`, 'utf8')) as {
  epoch: number;
  test_acc: number;
}[];

async function metrics(epoch: string, opts: Parameters<typeof analyzePaths>[2] = {}) {
  const r = await analyzePaths([`${DIR}/mnist_small_epoch${epoch}.npz`], {}, opts);
  expect(r.schema).toBe('nc-lens/metrics@1');
  return r as MetricsResult;
}

describe('the mnist-mlp references (float64, docs/metrics.md)', () => {
  for (const epoch of EPOCHS) {
    it(`epoch ${epoch}: every field within 1e-6 relative`, async () => {
      const ref = reference(`mnist_small_epoch${epoch}`);
      const r = await metrics(epoch);
      expect(mismatches(r, ref)).toEqual([]);
      expect(r.per_class).toHaveLength(ref.per_class.length);
      expect(r.engine).toMatchObject({ backend: 'onnxruntime', precision: 'float64' });
    });
  }

  it('samples centering matches its reference', async () => {
    const ref = reference('mnist_small_epoch080.samples');
    const r = await metrics('080', { centering: 'samples' });
    expect(r.settings.centering).toBe('samples');
    expect(mismatches(r, ref)).toEqual([]);
  });

  it('the test split reproduces the test accuracy logged in training', async () => {
    for (const epoch of EPOCHS) {
      const r = await metrics(epoch, { geometry: false });
      const logged = log.find((e) => e.epoch === Number(epoch))!.test_acc;
      // The log holds float32 accuracies of the same 2000 test samples.
      expect(r.test!.nc4.classifier_accuracy).toBeCloseTo(logged, 6);
      expect(r.test!.n).toBe(2000);
      expect(r.geometry).toBeUndefined();
    }
  });

  it('one thread and two give the reference answer', async () => {
    const ref = reference('mnist_small_epoch005');
    for (const threads of [1, 2]) {
      const r = await metrics('005', { threads });
      expect(r.engine).toMatchObject({ backend: 'onnxruntime', threads });
      expect(mismatches(r, ref)).toEqual([]);
    }
  });

  it('an epoch series from the four dumps, sorted by epoch', async () => {
    const files = ['080', '001', '020', '005'].map((e) => `${DIR}/mnist_small_epoch${e}.npz`);
    const progress: number[] = [];
    const r = await analyzePaths(files, {}, { onProgress: (p) => progress.push(p.fraction) });
    if (r.schema !== 'nc-lens/series@1') throw new Error('expected a series');
    expect(r.kind).toBe('epochs');
    expect(r.points.map((p) => p.epoch)).toEqual([1, 5, 20, 80]);
    expect(r.points.map((p) => p.index)).toEqual([1, 5, 20, 80]);
    for (const p of r.points) {
      const ref = reference(`mnist_small_epoch${String(p.epoch).padStart(3, '0')}`);
      expect(mismatches(p.metrics, ref)).toEqual([]);
    }
    expect(progress.every((f, i) => i === 0 || f >= progress[i - 1])).toBe(true);
    expect(progress.at(-1)).toBeCloseTo(1, 9);
  });
});
