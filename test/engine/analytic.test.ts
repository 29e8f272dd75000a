/** The exact checks at the end of docs/metrics.md, on a simplex ETF built in memory. */
import { describe, expect, it } from 'vitest';
import { analyzeDataset } from '../../main/engine/index.ts';
import { memoryDataset } from './data.ts';

/**
 * C class means on a simplex ETF of radius r around an offset along 1 (orthogonal to every
 * v_k, so μ_G = offset), each class with 2D samples μ_k ± σ√D e_j: within-class covariance
 * exactly σ² I.
 */
function etfData(c: number, d: number, r: number, sigma: number) {
  const v = Array.from({ length: c }, (_, k) =>
    Array.from({ length: d }, (_, t) =>
      t < c ? ((t === k ? 1 : 0) - 1 / c) * Math.sqrt(c / (c - 1)) : 0,
    ),
  );
  const mu = v.map((row) => row.map((x) => 3 + r * x));
  const h: number[][] = [];
  const y: number[] = [];
  mu.forEach((m, k) => {
    for (let j = 0; j < d; j++) {
      for (const s of [1, -1]) {
        h.push(m.map((x, t) => x + (t === j ? s * sigma * Math.sqrt(d) : 0)));
        y.push(k);
      }
    }
  });
  return { h, y, w: v.map((row) => row.map((x) => 2.5 * r * x)) };
}

const close = (x: number | null, expected: number) => {
  expect(x).not.toBeNull();
  expect(Math.abs(x! - expected)).toBeLessThanOrEqual(1e-6 * Math.abs(expected) + 1e-9);
};

describe('an exact simplex ETF with isotropic noise', () => {
  const [c, d, r, sigma] = [4, 6, 2, 0.1];
  it('has the closed-form NC1, NC1 quotient and CDNV, and no shape error', async () => {
    const { h, y, w } = etfData(c, d, r, sigma);
    const m = await analyzeDataset(memoryDataset({ h, y }, { w }));
    close(m.nc1, (sigma ** 2 * (c - 1) ** 2) / (c * r ** 2));
    close(m.nc1_quotient, (d * sigma ** 2) / r ** 2);
    close(m.cdnv, (d * sigma ** 2 * (c - 1)) / (2 * r ** 2 * c));
    for (const key of [
      'equinorm_means',
      'equiangular_means',
      'maxangle_means',
      'etf_error_means',
    ] as const) {
      close(m.nc2[key], 0);
    }
    close(m.nc2.log_kernel_mean, -0.5 * Math.log((2 * c) / (c - 1)));
    close(m.nc2.log_kernel_var, 0);
    for (const row of m.per_class) {
      close(row.mean_norm, r);
      close(row.within_var, d * sigma ** 2);
    }
    close(m.nc3.self_duality, 0);
    close(m.nc4.ncc_mismatch, 0);
    expect(m.warnings).toEqual([]);
  });

  it('is fully collapsed without noise: NC1 = 0, NCC = classifier, self-duality 0', async () => {
    const { h, y, w } = etfData(c, d, r, 0);
    const m = await analyzeDataset(memoryDataset({ h, y }, { w }));
    close(m.nc1, 0);
    close(m.cdnv, 0);
    close(m.nc3.self_duality, 0);
    close(m.nc3.duality_cos_mean, 1);
    expect(m.nc4).toEqual({ ncc_mismatch: 0, classifier_accuracy: 1, ncc_accuracy: 1 });
  });

  it('every pair of centred means has cosine −1/(C−1), for larger C too', async () => {
    const { h, y } = etfData(10, 12, 5, 0.3);
    const m = await analyzeDataset(memoryDataset({ h, y }));
    close(m.nc2.maxangle_means, 0);
    close(m.nc2.equiangular_means, 0);
    close(m.nc1, (0.3 ** 2 * 81) / (10 * 25));
  });
});
