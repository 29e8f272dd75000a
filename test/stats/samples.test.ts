/**
 * The sample cloud of sharded statistics (#14): a reservoir of the q_k rows of smallest
 * content key per class, carried by pass-2 parts and merged exactly. Checked against a direct
 * float64 computation (the rows chosen, their coordinates on single-process analyze's basis,
 * 1e-9), for any tree of merges and any sharding; within the engine's bounds every row fits
 * and the cloud is the single-process cloud as a set; parts stay O(C·D + C²) plus the
 * reservoir, whatever the rows they cover.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeDataset } from '../../main/engine/index.ts';
import { classQuotas } from '../../main/engine/samples.ts';
import { openDataset } from '../../main/io/index.ts';
import {
  mergeStats,
  pass1Stats,
  pass2Stats,
  planStats,
  statsMetrics,
} from '../../main/stats/compute.ts';
import type { StatsFile, StatsSettings } from '../../main/stats/format.ts';
import { decodeStats } from '../../main/stats/format.ts';
import { rowKey } from '../../main/stats/samples.ts';
import { Digests } from '../../main/stats/shards.ts';
import type { SampleCloud } from '../../shared/schema.ts';
import { mismatches } from '../engine/direct.ts';
import { writeSharded, type Sharded } from './data.ts';

const settings: StatsSettings = { centering: 'class-means', features: null, labels: null };
const digests = new Digests();
const BOUND = 60;
let dir: string;
let data: Sharded;
let merged1: StatsFile;
let plan: StatsFile;
let p2: StatsFile[];
let single: SampleCloud;

const decode = (b: Uint8Array) => decodeStats(b, 'test');
const merged = (parts: StatsFile[]) => decode(mergeStats(parts));
const SAMPLE_ARRAYS = [
  'sampleQuotas',
  'sampleKeys',
  'sampleClasses',
  'sampleNcc',
  'sampleClassifier',
  'sampleCoords',
];

async function classifier() {
  const opened = await openDataset([data.shards[0]], {
    weight: `${data.classifier}:weight`,
    bias: `${data.classifier}:bias`,
  });
  await opened.close();
  return { weight: opened.dataset.weight, bias: opened.dataset.bias, warnings: [] };
}

async function pass2All(p: StatsFile): Promise<StatsFile[]> {
  const out = [];
  for (const file of data.shards)
    out.push(decode(await pass2Stats([{ file }], p, 'plan', digests, {})));
  return out;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'nclens-samples-'));
  data = await writeSharded(dir, { n: 720, d: 6, c: 7, shards: 4, seed: 11 });
  const p1 = [];
  for (const file of data.shards)
    p1.push(decode(await pass1Stats([{ file }], digests, { settings })));
  merged1 = merged(p1);
  plan = decode(await planStats(merged1, await classifier(), { samples: BOUND }));
  p2 = await pass2All(plan);
  const opened = await openDataset([data.whole], {
    weight: `${data.classifier}:weight`,
    bias: `${data.classifier}:bias`,
  });
  try {
    single = (await analyzeDataset(opened.dataset, { samples: true })).geometry!.samples!;
  } finally {
    await opened.close();
  }
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Float64 rows of the whole dataset. */
function row(i: number): Float64Array {
  return Float64Array.from(data.features.subarray(i * data.d, (i + 1) * data.d));
}

/** Each sample as one sortable tuple: class, decisions, coordinates. */
function tuples(cloud: SampleCloud): number[][] {
  const { r } = cloud;
  return cloud.classes
    .map((k, i) => [
      k,
      cloud.ncc![i],
      cloud.classifier![i],
      ...cloud.coords.slice(i * r, (i + 1) * r),
    ])
    .sort((a, b) => {
      for (let t = 0; t < a.length; t++) if (a[t] !== b[t]) return a[t] - b[t];
      return 0;
    });
}

describe('the sample cloud of statistics files', () => {
  it('is the q_k rows of smallest key per class, at their float64 coordinates on the single-process basis (1e-9)', async () => {
    const m = await statsMetrics(merged([...p2, plan]), 'm.ncstats');
    const cloud = m.geometry!.samples!;
    const { n, d, c, labels } = data;
    // the same basis as single-process analyze
    expect(cloud.r).toBe(single.r);
    expect(mismatches(cloud.basis, single.basis, 1e-9, 1e-12)).toEqual([]);
    // direct: class means, μ_G (mean of the means), the keys of every row, quotas
    const counts = new Float64Array(c);
    const means = new Float64Array(c * d);
    for (let i = 0; i < n; i++) {
      counts[labels[i]]++;
      for (let t = 0; t < d; t++) means[labels[i] * d + t] += data.features[i * d + t];
    }
    for (let i = 0; i < c * d; i++) means[i] /= counts[Math.floor(i / d)];
    const globalMean = Array.from({ length: d }, (_, t) => {
      let s = 0;
      for (let k = 0; k < c; k++) s += means[k * d + t];
      return s / c;
    });
    const quotas = classQuotas(counts, BOUND);
    expect(quotas.reduce((a, b) => a + b, 0)).toBe(BOUND);
    const chosen: number[] = [];
    for (let k = 0; k < c; k++) {
      const rows = [...Array(n).keys()].filter((i) => labels[i] === k);
      rows.sort((i, j) => rowKey(data.features, i * d, d) - rowKey(data.features, j * d, d));
      chosen.push(...rows.slice(0, quotas[k]));
    }
    const r = single.r;
    const coords = chosen.flatMap((i) => {
      const h = row(i);
      return Array.from({ length: r }, (_, b) => {
        let s = 0;
        for (let t = 0; t < d; t++) s += (h[t] - globalMean[t]) * single.basis[b * d + t];
        return s;
      });
    });
    expect(cloud.classes).toEqual(chosen.map((i) => labels[i]));
    expect(mismatches(cloud.coords, coords, 1e-9, 1e-12)).toEqual([]);
    // decisions: the nearest class mean and the classifier's argmax, directly
    const ncc = chosen.map((i) => {
      const h = row(i);
      let best = 0;
      let bestD = Infinity;
      for (let k = 0; k < c; k++) {
        let s = 0;
        for (let t = 0; t < d; t++) s += (h[t] - means[k * d + t]) ** 2;
        if (s < bestD) [best, bestD] = [k, s];
      }
      return best;
    });
    const cls = chosen.map((i) => {
      const h = row(i);
      let best = 0;
      let bestS = -Infinity;
      for (let k = 0; k < c; k++) {
        let s = data.bias[k];
        for (let t = 0; t < d; t++) s += data.weight[k * d + t] * h[t];
        if (s > bestS) [best, bestS] = [k, s];
      }
      return best;
    });
    expect(cloud.ncc).toEqual(ncc);
    expect(cloud.classifier).toEqual(cls);
  });

  it('any tree of merges and any sharding gives the same reservoir', async () => {
    const [a, b, c, d] = p2;
    const flat = merged([d, plan, b, a, c]);
    const trees = [
      merged([merged([a, b]), merged([c, d]), plan]),
      merged([a, merged([merged([plan, b]), merged([d, c])])]),
    ];
    // the whole file as one shard, and as two row ranges: the same rows, other parts
    const whole = decode(await pass2Stats([{ file: data.whole }], plan, 'plan', digests, {}));
    const halves = merged(
      await Promise.all(
        [
          [0, 333],
          [333, 720],
        ].map(async ([s, e]) =>
          decode(await pass2Stats([{ file: data.whole, rows: [s, e] }], plan, 'plan', digests, {})),
        ),
      ),
    );
    for (const other of [...trees, whole, halves]) {
      for (const name of SAMPLE_ARRAYS) {
        expect(other.arrays[name].length).toBe(flat.arrays[name].length);
        const exact = name !== 'sampleCoords';
        const x = other.arrays[name];
        const y = flat.arrays[name];
        for (let i = 0; i < x.length; i++) {
          if (exact) expect(x[i]).toBe(y[i]);
          else
            expect(Math.abs(x[i] - y[i])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(y[i])));
        }
      }
    }
    // one shard group (several shards in one task) keeps the same reservoir
    const grouped = decode(
      await pass2Stats(
        data.shards.map((file) => ({ file })),
        plan,
        'plan',
        digests,
        {},
      ),
    );
    for (const name of SAMPLE_ARRAYS) expect(grouped.arrays[name]).toEqual(flat.arrays[name]);
  });

  it('within the engine bounds every row fits: the single-process cloud, as a set (1e-9); the other metrics unchanged', async () => {
    const full = decode(await planStats(merged1, await classifier(), { samples: true }));
    const parts = await pass2All(full);
    const m = await statsMetrics(merged([...parts, full]), 'm.ncstats');
    const cloud = m.geometry!.samples!;
    expect(cloud.classes).toHaveLength(data.n);
    const got = tuples(cloud);
    const want = tuples(single);
    expect(got.map((t) => t.slice(0, 3))).toEqual(want.map((t) => t.slice(0, 3)));
    expect(mismatches(got, want, 1e-9, 1e-12)).toEqual([]);
    // everything else is what statistics without a cloud give
    const plain = decode(await planStats(merged1, await classifier(), {}));
    const without = await statsMetrics(merged([...(await pass2All(plain)), plain]), 'm.ncstats');
    const strip = (r: typeof m) => {
      const { engine: _e, geometry, ...rest } = r;
      const { samples: _s, ...g } = geometry!;
      return { ...rest, geometry: g };
    };
    expect(mismatches(strip(m), strip(without), 1e-12, 1e-15)).toEqual([]);
    expect(without.geometry!.samples).toBeUndefined();
  });

  it('parts stay O(C·D + C²) plus the bounded reservoir, whatever the rows they cover', () => {
    const { c, d } = data;
    const r = plan.header.r;
    expect(plan.header.samples).toBe(BOUND);
    const payload = (f: StatsFile) => f.header.arrays.reduce((s, a) => s + a.length, 0);
    const quotaSum = BOUND;
    for (const part of p2) {
      const picks = part.arrays.sampleKeys.length;
      expect(picks).toBeLessThanOrEqual(quotaSum);
      const errors = (part.arrays.nccConfusion.length + part.arrays.classifierConfusion.length) / 2;
      expect(errors).toBeLessThanOrEqual(2 * c * c);
      // sums (3C + r + 1), confusion pairs, quotas (C), reservoir (picks × (r + 4))
      expect(payload(part)).toBe(3 * c + r + 1 + 2 * errors + c + picks * (r + 4));
    }
    // the largest shard holds 4× the rows of the smallest; its reservoir is capped all the same
    const rows = p2.map((p) => p.header.n);
    expect(Math.max(...rows)).toBeGreaterThanOrEqual(3.5 * Math.min(...rows));
    const all = merged([...p2, plan]);
    expect(all.arrays.sampleKeys.length).toBe(quotaSum);
    expect(payload(all)).toBeLessThanOrEqual(
      3 * c + r + 1 + 4 * c * c + c + quotaSum * (r + 4) + 2 * c * d + r * d + r + c * d,
    );
  });
});
