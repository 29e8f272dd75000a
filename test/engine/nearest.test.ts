/**
 * The nearest class of each class by mean distance (per_class `nearest`, `nearest_distance`),
 * found by the engine in the tiles of its pair statistics, against a direct float64 search
 * over every pair of class means computed here from the rows. C = 1 100 > TILE, so rows and
 * columns of several tiles (diagonal and off-diagonal) both contribute.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TILE } from '../../main/engine/pairs.ts';
import { analyzeDataset } from '../../main/engine/index.ts';
import { openDataset } from '../../main/io/index.ts';
import { encodeNpy } from '../../main/io/write-npz.ts';
import { rng } from './direct.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'nc-lens-nearest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nearest class by mean distance', () => {
  it('matches a direct search over all pairs of class means', async () => {
    const c = TILE + 76;
    const d = 6;
    const perClass = 3;
    const n = c * perClass;
    const g = rng(4242);
    // Labels 0, 3, 6, …: the nearest is reported as a label, not a position.
    const labelOf = (k: number) => 3 * k;
    const h = new Float32Array(n * d);
    const y = new BigInt64Array(n);
    const mu = Float64Array.from({ length: c * d }, () => g.normal());
    for (let i = 0; i < n; i++) {
      const k = i % c;
      y[i] = BigInt(labelOf(k));
      for (let t = 0; t < d; t++) h[i * d + t] = mu[k * d + t] + 0.05 * g.normal();
    }
    const files = [
      ['features', encodeNpy(h, [n, d])],
      ['labels', encodeNpy(y, [n])],
    ].map(([role, bytes]) => {
      const f = path.join(dir, `nearest_${role as string}.npy`);
      writeFileSync(f, bytes as Uint8Array);
      return f;
    });
    const opened = await openDataset(files);
    let r;
    try {
      r = await analyzeDataset(opened.dataset, {});
    } finally {
      await opened.close();
    }
    // Direct: class means of the float32 rows in float64, then every pair.
    const means = new Float64Array(c * d);
    const counts = new Float64Array(c);
    for (let i = 0; i < n; i++) {
      const k = i % c;
      counts[k]++;
      for (let t = 0; t < d; t++) means[k * d + t] += h[i * d + t];
    }
    for (let k = 0; k < c; k++) for (let t = 0; t < d; t++) means[k * d + t] /= counts[k];
    let checked = 0;
    for (let k = 0; k < c; k++) {
      let best = -1;
      let bestD = Infinity;
      let second = Infinity;
      for (let l = 0; l < c; l++) {
        if (l === k) continue;
        let s = 0;
        for (let t = 0; t < d; t++) s += (means[k * d + t] - means[l * d + t]) ** 2;
        if (s < bestD) {
          second = bestD;
          bestD = s;
          best = l;
        } else if (s < second) second = s;
      }
      const row = r.per_class[k];
      expect(row.label).toBe(labelOf(k));
      expect(row.nearest_distance).toBeCloseTo(Math.sqrt(bestD), 6);
      // Where the runner-up is too close to tell apart at round-off, either may be reported.
      if (second - bestD > 1e-9 * bestD) {
        expect(row.nearest).toBe(labelOf(best));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(c * 0.99);
  });
});
