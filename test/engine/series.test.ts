import { describe, expect, it } from 'vitest';
import { analyzeDataset, analyzeSeries, backendInfo, parseEpoch } from '../../main/engine/index.ts';
import { analyzePaths } from '../../main/plan/run.ts';
import { isNcLensError } from '../../shared/errors.ts';
import { directMetrics, mismatches, rng } from './direct.ts';
import { openFile } from '../../main/io/index.ts';
import { memoryDataset } from './data.ts';
import { FORMATS } from '../fixtures.ts';

describe('parseEpoch', () => {
  it.each([
    ['mnist_small_epoch012.npz', { epoch: 12 }],
    ['/runs/a/epoch_7.npz', { epoch: 7 }],
    ['run-ep12', { epoch: 12 }],
    ['ckpt_e012.safetensors', { epoch: 12 }],
    ['acts_step_5000.npz', { step: 5000 }],
    ['e3_step200', { epoch: 3, step: 200 }],
    ['feature12.npy', {}],
    ['model.npz', {}],
  ])('%s', (name, expected) => {
    expect(parseEpoch(name)).toEqual(expected);
  });
});

function blobs(n: number, d: number, c: number, seed: number) {
  const g = rng(seed);
  const mu = Array.from({ length: c }, () => Array.from({ length: d }, () => 4 * g.normal()));
  const y = Array.from({ length: n }, (_, i) => i % c);
  const h = y.map((k) => mu[k].map((x) => x + g.normal()));
  return { h, y };
}

describe('series', () => {
  it('analyzeSeries sorts by the epoch in the labels; without one keeps the order given', async () => {
    const a = memoryDataset(blobs(60, 4, 3, 1));
    const b = memoryDataset(blobs(60, 4, 3, 2));
    const s = await analyzeSeries([
      { label: 'run_ep10', dataset: a },
      { label: 'run_ep2', dataset: b },
    ]);
    expect(s.points.map((p) => [p.epoch, p.label])).toEqual([
      [2, 'run_ep2'],
      [10, 'run_ep10'],
    ]);
    const plain = await analyzeSeries([
      { label: 'late', dataset: a },
      { label: 'early', dataset: b },
    ]);
    expect(plain.points.map((p) => [p.index, p.label])).toEqual([
      [0, 'late'],
      [1, 'early'],
    ]);
    expect(plain.points[0].metrics.nc1).toBe(s.points[1].metrics.nc1);
  });

  it('a bundle with several layers gives a layer series', async () => {
    const r = await analyzePaths([`${FORMATS}/bundle_layers.npz`]);
    if (r.schema !== 'nc-lens/series@1') throw new Error('expected a series');
    expect(r.kind).toBe('layers');
    expect(r.points.map((p) => [p.layer, p.metrics.d])).toEqual([
      ['layer1', 16],
      ['layer2', 32],
    ]);
    expect(r.points.every((p) => p.metrics.n === 8000)).toBe(true);
    // Each layer's NC1 family against a float64 computation straight from the arrays.
    const c = await openFile(`${FORMATS}/bundle_layers.npz`);
    try {
      const rows = async (name: string) => {
        const a = c.arrays.find((x) => x.name === name)!;
        const v = await a.readRows(0, a.rows);
        return Array.from({ length: a.rows }, (_, i) =>
          Array.from(v.subarray(i * a.rowSize, (i + 1) * a.rowSize)),
        );
      };
      const y = (await rows('labels')).map((r) => r[0]);
      for (const p of r.points) {
        const direct = directMetrics({ h: await rows(p.layer!), y });
        const nc1 = (m: { nc1: unknown; nc1_quotient: unknown; cdnv: unknown }) => ({
          nc1: m.nc1,
          nc1_quotient: m.nc1_quotient,
          cdnv: m.cdnv,
        });
        expect(mismatches(nc1(p.metrics), nc1(direct)), p.layer).toEqual([]);
      }
    } finally {
      await c.close();
    }
  });

  it('backendInfo names the backend in use', async () => {
    expect(await backendInfo()).toMatchObject({ backend: 'onnxruntime' });
  });
});

describe('cancellation', () => {
  it('an abort during pass 2 rejects promptly with "cancelled"', async () => {
    const ds = memoryDataset(blobs(40000, 48, 10, 3));
    const controller = new AbortController();
    let abortedAt = 0;
    const run = analyzeDataset(ds, {
      threads: 2,
      signal: controller.signal,
      onProgress: (p) => {
        if (!abortedAt && p.phase.includes('pass 2')) {
          abortedAt = performance.now();
          controller.abort();
        }
      },
    });
    const error = await run.then(
      () => null,
      (e: unknown) => e,
    );
    expect(isNcLensError(error) && error.code).toBe('cancelled');
    expect(abortedAt).toBeGreaterThan(0);
    expect(performance.now() - abortedAt).toBeLessThan(1000);
  });

  it('an already aborted signal stops before reading', async () => {
    const ds = memoryDataset(blobs(100, 4, 2, 4));
    const controller = new AbortController();
    controller.abort();
    await expect(analyzeDataset(ds, { signal: controller.signal })).rejects.toMatchObject({
      code: 'cancelled',
    });
  });
});
