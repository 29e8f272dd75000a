/**
 * The view's data side (renderer/src/view3d: pure TypeScript, no DOM): frames of a series with
 * the PCA basis fixed from the last epoch (per layer for layers), exact mode, the sample cloud, interpolation, label
 * placement and the trajectory chart options.
 */
import { describe, expect, it } from 'vitest';
import { norm } from '../../shared/geometry.ts';
import type { SeriesResult } from '../../shared/schema.ts';
import {
  frameSource,
  lerpFrame,
  MAX_SAMPLES,
  projectSamples,
  type ViewFrame,
} from '../../renderer/src/view3d/frames.ts';
import { placeLabels } from '../../renderer/src/view3d/labels.ts';
import { syntheticSeries } from '../../renderer/src/view3d/synthetic.ts';
import { trajectoryCharts } from '../../renderer/src/charts/trajectories.ts';

const epochs = [1, 3, 10, 30, 100];

function dist(a: number[], b: number[]): number {
  return norm(a.map((x, i) => x - b[i]));
}

describe('frameSource', () => {
  const series = syntheticSeries({ c: 4, d: 16, samples: 400, epochs });

  it('ends on the ideal ETF: means on their vertices, nothing lost for C = 4', () => {
    const last = frameSource(series, 'pca', []).get(epochs.length - 1)!;
    expect(last.explained).toBeCloseTo(1, 9);
    expect(last.fits).toBe(true);
    for (let k = 0; k < 4; k++) expect(dist(last.means[k], last.ideal[k])).toBeLessThan(1e-9);
    // Means of a 4-class ETF are all 2·r·sqrt(2/3) apart.
    expect(dist(last.means[0], last.means[1])).toBeCloseTo(last.radius * Math.sqrt(8 / 3), 9);
  });

  it('fixes the PCA basis from the last epoch: earlier epochs keep less of their variance', () => {
    const src = frameSource(series, 'pca', []);
    const first = src.get(0)!;
    // The start is random in 16 dimensions; the last epoch's 3 axes see only part of it.
    expect(first.explained).toBeLessThan(0.9);
    expect(first.means).toHaveLength(4);
    expect(src.get(0)).toBe(first); // cached
    expect(src.get(99)).toBeNull();
  });

  it('draws the picked classes exactly and turns every epoch onto the last one', () => {
    const s = syntheticSeries({ c: 10, d: 32, samples: 1000, epochs });
    const src = frameSource(s, 'exact', [0, 3, 5, 9]);
    const last = src.get(epochs.length - 1)!;
    expect(last.classes).toEqual([0, 3, 5, 9]);
    const d = [0, 1, 2, 3].flatMap((i) =>
      [0, 1, 2, 3].filter((j) => j > i).map((j) => dist(last.means[i], last.means[j])),
    );
    for (const x of d) expect(x).toBeCloseTo(d[0], 9); // regular tetrahedron
    expect(last.samples!.classes.every((k) => [0, 3, 5, 9].includes(k))).toBe(true);
    expect(last.samples!.classes.length).toBe(400);
    // The epoch before is rotated onto the last: closer to it than an unaligned copy would be.
    const before = src.get(epochs.length - 2)!;
    const spread = before.means.reduce((a, m, i) => a + dist(m, last.means[i]), 0);
    expect(spread / 4).toBeLessThan(last.radius * 0.5);
  });

  it('gives each layer its own basis, turned onto the last layer: no basis crosses a D', () => {
    // Layers of one network differ in width (here D = 8 and 16) and live in different spaces.
    const early = syntheticSeries({ c: 6, d: 8, samples: 60, epochs: [1, 100], seed: 2 });
    const late = syntheticSeries({ c: 6, d: 16, samples: 60, epochs: [1, 100], seed: 3 });
    const layers: SeriesResult = {
      ...late,
      kind: 'layers',
      points: [early.points[0], late.points[1]].map((p, i) => ({
        index: i,
        layer: `layer${i + 1}`,
        label: `layer${i + 1}`,
        metrics: p.metrics,
      })),
    };
    const src = frameSource(layers, 'pca', []);
    const [first, last] = [src.get(0)!, src.get(1)!];
    expect([first.d, last.d]).toEqual([8, 16]);
    // The first layer drawn alone: same variance kept and same shape, only turned.
    const alone = frameSource(early.points[0].metrics, 'pca', []).get(0)!;
    expect(first.explained).toBeCloseTo(alone.explained, 12);
    expect(dist(first.means[1], first.means[4])).toBeCloseTo(
      dist(alone.means[1], alone.means[4]),
      9,
    );
    const offset = (f: ViewFrame) => f.means.reduce((a, m, k) => a + dist(m, last.means[k]), 0);
    expect(offset(first)).toBeLessThan(offset(alone));
  });

  it('returns null frames when a result has no geometry', () => {
    const s = syntheticSeries({ c: 3, d: 4, samples: 30, epochs: [1, 2] });
    delete s.points[0].metrics.geometry;
    const src = frameSource(s, 'pca', []);
    expect(src.get(0)).toBeNull();
    expect(src.get(1)).not.toBeNull();
  });
});

describe('projectSamples', () => {
  it('thins more than MAX_SAMPLES evenly and scatters their order', () => {
    const n = MAX_SAMPLES + 20_000;
    const cloud = {
      classes: Array.from({ length: n }, (_, i) => i % 2),
      r: 1,
      basis: [1, 0],
      coords: Array.from({ length: n }, (_, i) => i),
    };
    const p = projectSamples(cloud, 2, [
      [1, 0],
      [0, 1],
      [0, 0],
    ]);
    expect(p.classes.length).toBeLessThanOrEqual(MAX_SAMPLES);
    expect(p.classes.length).toBeGreaterThan(MAX_SAMPLES / 2);
    // A prefix (what is drawn while the view moves) covers the whole range of samples.
    const xs = Array.from({ length: 1000 }, (_, i) => p.positions[i * 3]);
    expect(Math.max(...xs)).toBeGreaterThan(n * 0.9);
    expect(Math.min(...xs)).toBeLessThan(n * 0.1);
    expect(new Set(Array.from(p.positions.filter((_, i) => i % 3 === 0))).size).toBe(
      p.classes.length,
    );
  });
});

describe('lerpFrame', () => {
  it('moves the means and samples part of the way', () => {
    const src = frameSource(syntheticSeries({ c: 5, d: 8, samples: 50, epochs }), 'pca', []);
    const a = src.get(0)!;
    const b = src.get(1)!;
    const mid = lerpFrame(a, b, 0.25);
    expect(mid.means[2][1]).toBeCloseTo(a.means[2][1] + 0.25 * (b.means[2][1] - a.means[2][1]), 12);
    expect(mid.samples!.positions[7]).toBeCloseTo(
      a.samples!.positions[7] + 0.25 * (b.samples!.positions[7] - a.samples!.positions[7]),
      5,
    );
    expect(lerpFrame(a, b, 0)).toBe(a);
    expect(lerpFrame(a, b, 1)).toBe(b);
    // The next frame of the same animation writes the same rows; a and b stay as they were.
    const a21 = a.means[2][1];
    const later = lerpFrame(a, b, 0.75);
    expect(later.means).toBe(mid.means);
    expect(later.means[2][1]).toBeCloseTo(a21 + 0.75 * (b.means[2][1] - a21), 12);
    expect(a.means[2][1]).toBe(a21);
    expect(lerpFrame(b, a, 0.5).means).not.toBe(mid.means);
  });
});

describe('placeLabels', () => {
  it('keeps the nearer of two overlapping labels and drops what leaves the view', () => {
    const placed = placeLabels(
      [
        { index: 0, x: 100, y: 100, depth: 0.5 },
        { index: 1, x: 104, y: 102, depth: 0.2 },
        { index: 2, x: 300, y: 100, depth: 0.9 },
        { index: 3, x: 395, y: 100, depth: 0.1 },
      ],
      ['zero', 'one', 'two', 'three'],
      400,
      300,
    );
    expect(placed.map((p) => p.index).sort()).toEqual([1, 2]);
  });
});

describe('trajectoryCharts', () => {
  it('plots one point per epoch for each family with values', () => {
    const s = syntheticSeries({ c: 4, d: 8, samples: 40, epochs });
    const charts = trajectoryCharts(s, 2);
    // The registry's charts that have values (shared/charts/registry.ts), in its order.
    expect(charts.map((c) => c.family)).toEqual(['nc1', 'nc2', 'nc2-weights']);
    const nc1 = charts[0].options;
    expect(nc1.x).toEqual(epochs);
    expect(nc1.series.map((l) => l.key)).toEqual(['nc1_quotient:train']);
    expect(nc1.series[0].values).toHaveLength(epochs.length);
    expect(nc1.selectedIndex).toBe(2);
  });
});
