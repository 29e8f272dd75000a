/**
 * Issue 16's per-class drill-down and sample views: each class's most frequent wrong
 * decisions (classifier and NCC), the sample cloud's rows and decisions, and the test split's
 * geometry, against a direct float64 computation (full distances, w·h + b) written here.
 */
import { describe, expect, it } from 'vitest';
import { analyzeDataset } from '../../main/engine/index.ts';
import { CONFUSED_CLASSES, confusedClasses } from '../../main/engine/metrics.ts';
import type { Confusion } from '../../shared/schema.ts';
import { memoryDataset, type Rows } from './data.ts';
import { rng } from './direct.ts';

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);

/** Overlapping blobs (many errors) with labels 0, 2, 4, … (not positions) and a noisy W. */
function data(seed: number, n: number, c: number, d: number, spread = 1.2) {
  const g = rng(seed);
  const mu = Array.from({ length: c }, () => Array.from({ length: d }, () => g.normal()));
  const rows = (count: number): Rows => {
    const h: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < count; i++) {
      const k = i % c;
      h.push(mu[k].map((m) => m + spread * g.normal()));
      y.push(2 * k);
    }
    return { h, y };
  };
  // Classifier rows for labels 0..2c−1 (odd labels absent from the data).
  const w = Array.from({ length: 2 * c }, (_, l) =>
    l % 2 === 0 ? mu[l / 2].map((m) => m + 0.7 * g.normal()) : mu[0].map(() => g.normal()),
  );
  const b = w.map(() => 0.3 * g.normal());
  return { train: rows(n), test: rows(Math.floor(n / 2)), w, b };
}

/** Wrong decisions per class, most frequent first (ties by label), computed directly. */
function directConfusion(
  { h, y }: Rows,
  decide: (row: number[]) => number,
): Map<number, Confusion[]> {
  const counts = new Map<number, Map<number, number>>();
  h.forEach((row, i) => {
    const got = decide(row);
    if (got === y[i]) return;
    const m = counts.get(y[i]) ?? new Map<number, number>();
    m.set(got, (m.get(got) ?? 0) + 1);
    counts.set(y[i], m);
  });
  const out = new Map<number, Confusion[]>();
  for (const label of new Set(y)) {
    const list = [...(counts.get(label) ?? new Map<number, number>())].map(([l, count]) => ({
      label: l,
      count,
    }));
    list.sort((a, b) => b.count - a.count || a.label - b.label);
    out.set(label, list.slice(0, CONFUSED_CLASSES));
  }
  return out;
}

function meansOf({ h, y }: Rows): { labels: number[]; means: number[][] } {
  const labels = [...new Set(y)].sort((a, b) => a - b);
  const means = labels.map((l) => {
    const rows = h.filter((_, i) => y[i] === l);
    return rows[0].map((_, t) => rows.reduce((s, r) => s + r[t], 0) / rows.length);
  });
  return { labels, means };
}

function nccRule(ref: { labels: number[]; means: number[][] }) {
  return (row: number[]) => {
    const dist = ref.means.map((m) => m.reduce((s, x, t) => s + (row[t] - x) ** 2, 0));
    return ref.labels[dist.indexOf(Math.min(...dist))];
  };
}

function classifierRule(w: number[][], b: number[], labels: number[]) {
  return (row: number[]) => {
    const s = labels.map((l) => dot(w[l], row) + b[l]);
    return labels[s.indexOf(Math.max(...s))];
  };
}

describe('confusion, sample decisions and test geometry (issue 16)', () => {
  const { train, test, w, b } = data(7, 900, 9, 6);
  const ds = memoryDataset(train, { w, b, test });
  const trainMeans = meansOf(train);

  it('lists each class’s most frequent wrong decisions, as a direct computation finds them', async () => {
    const r = await analyzeDataset(ds, { threads: 1 });
    const cls = directConfusion(train, classifierRule(w, b, trainMeans.labels));
    const ncc = directConfusion(train, nccRule(trainMeans));
    let errors = 0;
    for (const row of r.per_class) {
      expect(row.confused_classifier).toEqual(cls.get(row.label));
      expect(row.confused_ncc).toEqual(ncc.get(row.label));
      errors += row.confused_classifier!.length;
    }
    expect(errors).toBeGreaterThan(9); // the data are confusable: the lists are not empty
    // The test split: decisions among the training classes, NCC by the training means.
    const tcls = directConfusion(test, classifierRule(w, b, trainMeans.labels));
    const tncc = directConfusion(test, nccRule(trainMeans));
    for (const row of r.test!.per_class) {
      expect(row.confused_classifier).toEqual(tcls.get(row.label));
      expect(row.confused_ncc).toEqual(tncc.get(row.label));
    }
  });

  it('gives the sample cloud its dump rows and both decisions', async () => {
    const r = await analyzeDataset(ds, { threads: 1, samples: true });
    const cloud = r.geometry!.samples!;
    const labels = r.geometry!.labels;
    expect(cloud.rows).toHaveLength(train.y.length); // small: every row is in the cloud
    const cls = classifierRule(w, b, labels);
    const ncc = nccRule(trainMeans);
    cloud.rows!.forEach((row, i) => {
      expect(labels[cloud.classes[i]]).toBe(train.y[row]);
      expect(labels[cloud.classifier![i]]).toBe(cls(train.h[row]));
      expect(labels[cloud.ncc![i]]).toBe(ncc(train.h[row]));
    });
    const wrong = cloud.classifier!.filter((p, i) => p !== cloud.classes[i]).length;
    expect(wrong / train.y.length).toBeCloseTo(1 - r.nc4.classifier_accuracy!, 12);
    const disagree = cloud.classifier!.filter((p, i) => p !== cloud.ncc![i]).length;
    expect(disagree / train.y.length).toBeCloseTo(r.nc4.ncc_mismatch!, 12);
  });

  it('gives the test split a sample cloud of its own, decisions among the training classes', async () => {
    const r = await analyzeDataset(ds, { threads: 1, samples: true });
    const cloud = r.geometry!.test!.samples!;
    const train = r.geometry!.samples!;
    expect(cloud.rows).toHaveLength(test.y.length);
    expect(train.rows).toHaveLength(900);
    const labels = r.geometry!.labels;
    const cls = classifierRule(w, b, labels);
    const ncc = nccRule(trainMeans);
    cloud.rows!.forEach((row, i) => {
      expect(r.geometry!.test!.labels[cloud.classes[i]]).toBe(test.y[row]);
      expect(labels[cloud.classifier![i]]).toBe(cls(test.h[row]));
      expect(labels[cloud.ncc![i]]).toBe(ncc(test.h[row]));
    });
    // Coordinates: h_i − μ_G(test) along the cloud's basis, to round-off.
    const g = r.geometry!.test!;
    const d = 6;
    const c = g.labels.length;
    const muG = Array.from({ length: d }, (_, t) => {
      let m = 0;
      for (let k = 0; k < c; k++) m += g.means[k * d + t] / c;
      return m;
    });
    cloud.rows!.forEach((row, i) => {
      for (let q = 0; q < cloud.r; q++) {
        let want = 0;
        for (let t = 0; t < d; t++) want += (test.h[row][t] - muG[t]) * cloud.basis[q * d + t];
        expect(cloud.coords[i * cloud.r + q]).toBeCloseTo(want, 9);
      }
    });
  });

  it('carries the test split’s means, global mean and classifier rows', async () => {
    const r = await analyzeDataset(ds, { threads: 1 });
    const g = r.geometry!.test!;
    const own = meansOf(test);
    expect(g.labels).toEqual(own.labels);
    g.means.forEach((v, i) => expect(v).toBeCloseTo(own.means.flat()[i], 12));
    const muG = own.means[0].map(
      (_, t) => own.means.reduce((s, m) => s + m[t], 0) / own.means.length,
    );
    g.global_mean.forEach((v, t) => expect(v).toBeCloseTo(muG[t], 12));
    expect(g.weights).toEqual(own.labels.flatMap((l) => w[l]));
  });

  it('beyond 512 classes, summarises the test split’s cosines as the training split’s', async () => {
    const many = data(11, 2_400, 600, 12, 0.3);
    const r = await analyzeDataset(memoryDataset(many.train, { test: many.test }), {
      threads: 1,
    });
    const g = r.geometry!.test!;
    const s = g.cosine_summary!;
    expect([...s.order].sort((a, b) => a - b)).toEqual([...Array(600).keys()]);
    // One off-diagonal block pair: the mean cosine of the test split's centred means.
    const c = 600;
    const d = 12;
    const centred = (k: number) =>
      Array.from({ length: d }, (_, t) => {
        let mu = 0;
        for (let l = 0; l < c; l++) mu += g.means[l * d + t] / c;
        return g.means[k * d + t] - mu;
      });
    const unit = (v: number[]) => v.map((x) => x / Math.sqrt(dot(v, v)));
    const block = (b: number) =>
      s.order
        .slice(s.starts[b], s.starts[b + 1])
        .map(centred)
        .map(unit);
    const [p, q] = [block(0), block(1)];
    let sum = 0;
    for (const u of p) for (const v of q) sum += dot(u, v);
    expect(s.cos[1]).toBeCloseTo(sum / (p.length * q.length), 9);
    expect(r.geometry!.cosine_summary).toBeDefined();
  });

  it('keeps at most CONFUSED_CLASSES per class, most frequent first, ties by label', () => {
    // Class 0 (of candidates 10, 20, 30, … ) chose 7 other classes.
    const counts = new Map<number, number>();
    const labels = Array.from({ length: 8 }, (_, j) => 10 * j);
    [3, 1, 4, 1, 5, 9, 2].forEach((v, j) => counts.set(j + 1, v));
    counts.set(8 * 1 + 0, 6); // class 1 chose candidate 0 six times
    const out = confusedClasses(counts, 2, labels);
    expect(out[0]).toEqual([
      { label: 60, count: 9 },
      { label: 50, count: 5 },
      { label: 30, count: 4 },
      { label: 10, count: 3 },
      { label: 70, count: 2 },
    ]);
    expect(out[1]).toEqual([{ label: 0, count: 6 }]);
  });
});
