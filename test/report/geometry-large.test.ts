/**
 * The closed-form scene for many classes (etfSceneLarge) against the Procrustes path of
 * etfScene that it replaces beyond EXACT_SCENE_CLASSES, on sizes where both run: the same
 * means, ideal vertices, classifier rows and explained share, with the same basis.
 */
import { describe, expect, it } from 'vitest';
import { EXACT_SCENE_CLASSES, etfScene, etfSceneLarge } from '../../shared/geometry.ts';
import { uniform } from '../e2e/synthetic.ts';

function data(c: number, d: number, seed: number, centredOnSamples: boolean) {
  const rand = uniform(seed);
  const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const means = Array.from({ length: c * d }, () => 3 * normal());
  const globalMean = new Array<number>(d).fill(0);
  for (let k = 0; k < c; k++) for (let t = 0; t < d; t++) globalMean[t] += means[k * d + t] / c;
  // The mean of samples differs from the mean of the class means when classes differ in size.
  if (centredOnSamples) for (let t = 0; t < d; t++) globalMean[t] += 0.3 * normal();
  const weights = Array.from({ length: c * d }, () => normal());
  return { means, globalMean, c, d, weights };
}

const close = (a: number[][], b: number[][]) => {
  let worst = 0;
  let scale = 0;
  a.forEach((r, i) =>
    r.forEach((v, j) => {
      worst = Math.max(worst, Math.abs(v - b[i][j]));
      scale = Math.max(scale, Math.abs(b[i][j]));
    }),
  );
  return worst / Math.max(scale, 1e-300);
};

describe('etfSceneLarge', () => {
  it.each([
    [12, 64, false],
    [40, 16, false],
    [60, 64, false],
    [40, 16, true],
    [30, 8, true],
  ])('C = %i, D = %i (samples centring: %s) matches the Procrustes path', (c, d, onSamples) => {
    expect(c).toBeLessThanOrEqual(EXACT_SCENE_CLASSES);
    const input = data(c, d, 1000 + c + d, onSamples);
    const exact = etfScene(input);
    const fast = etfSceneLarge({ ...input, basis: exact.basis });
    expect(close(fast.means, exact.means)).toBeLessThan(1e-9);
    expect(close(fast.ideal, exact.ideal)).toBeLessThan(1e-8);
    expect(close(fast.weights!, exact.weights!)).toBeLessThan(1e-9);
    expect(fast.radius).toBeCloseTo(exact.radius, 12);
    expect(fast.explained).toBeCloseTo(exact.explained, 10);
    expect(fast.fits).toBe(exact.fits);
  });

  it('its own PCA keeps the same share as the Procrustes path, and vertices at cos −1/(C−1)', () => {
    const input = data(60, 64, 7, false);
    const fast = etfSceneLarge(input);
    expect(fast.explained).toBeCloseTo(etfScene(input).explained, 10);
    // 4 classes in 3 dimensions: the basis spans everything, so the ideal is a regular
    // tetrahedron of the means' mean norm, every pair at cos −1/3.
    const small = data(4, 3, 9, false);
    const s = etfSceneLarge(small);
    const norms = s.ideal.map((r) => Math.hypot(...r));
    for (const n of norms) expect(n).toBeCloseTo(s.radius, 9);
    for (let i = 0; i < 4; i++)
      for (let j = i + 1; j < 4; j++) {
        const dot = s.ideal[i].reduce((a, v, t) => a + v * s.ideal[j][t], 0);
        expect(dot / (norms[i] * norms[j])).toBeCloseTo(-1 / 3, 9);
      }
  });
});
