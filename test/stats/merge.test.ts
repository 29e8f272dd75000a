/**
 * Statistics files (#14): pass-1 and pass-2 parts of shards merge associatively and
 * commutatively, refuse parts that do not belong together, and give the metrics of the whole
 * dataset: against a direct float64 computation (1e-6) and single-process analyze (1e-9).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeDataset } from '../../main/engine/index.ts';
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
import { Digests } from '../../main/stats/shards.ts';
import { directMetrics, mismatches } from '../engine/direct.ts';
import { writeSharded, type Sharded } from './data.ts';

const settings: StatsSettings = { centering: 'class-means', features: null, labels: null };
const digests = new Digests();
let dir: string;
let data: Sharded;
let p1: StatsFile[];
let plan: StatsFile;
let p2: StatsFile[];

const decode = (b: Uint8Array) => decodeStats(b, 'test');
const merged = (parts: StatsFile[]) => decode(mergeStats(parts));

async function classifier() {
  const opened = await openDataset([data.shards[0]], {
    weight: `${data.classifier}:weight`,
    bias: `${data.classifier}:bias`,
  });
  await opened.close();
  return { weight: opened.dataset.weight, bias: opened.dataset.bias, warnings: [] };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'nclens-stats-'));
  data = await writeSharded(dir, { n: 720, d: 6, c: 7, shards: 4, seed: 3 });
  p1 = [];
  for (const file of data.shards)
    p1.push(decode(await pass1Stats([{ file }], digests, { settings })));
  plan = decode(await planStats(merged(p1), await classifier(), {}));
  p2 = [];
  for (const file of data.shards) {
    p2.push(decode(await pass2Stats([{ file }], plan, 'plan', digests, {})));
  }
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Same header; every array equal within `rel` (counts exactly). */
function expectSame(a: StatsFile, b: StatsFile, rel = 1e-13) {
  expect(JSON.stringify(a.header)).toBe(JSON.stringify(b.header));
  for (const { name } of a.header.arrays) {
    const x = a.arrays[name];
    const y = b.arrays[name];
    for (let i = 0; i < x.length; i++) {
      expect(Math.abs(x[i] - y[i])).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(y[i])));
    }
  }
  if (b.arrays.counts) expect(Array.from(a.arrays.counts)).toEqual(Array.from(b.arrays.counts));
}

describe('statistics files', () => {
  it('pass-1 parts add up to the float64 class counts and sums of all rows', () => {
    const m = merged(p1);
    const { n, d, c, features, labels } = data;
    const counts = new Float64Array(c);
    const sums = new Float64Array(c * d);
    for (let i = 0; i < n; i++) {
      counts[labels[i]]++;
      for (let t = 0; t < d; t++) sums[labels[i] * d + t] += features[i * d + t];
    }
    expect(m.header.n).toBe(n);
    expect(m.header.labels).toEqual([...Array(c).keys()]);
    expect(Array.from(m.arrays.counts)).toEqual(Array.from(counts));
    for (let i = 0; i < c * d; i++) expect(m.arrays.sums[i]).toBeCloseTo(sums[i], 10);
    const sizes = (xs: number[]) => [...xs].sort((a, b) => a - b);
    expect(sizes(m.header.shards.map((s) => s.end - s.start))).toEqual(
      sizes(data.ranges.map(([a, b]) => b - a)),
    );
    expect(m.header.shards.reduce((s, r) => s + r.end - r.start, 0)).toBe(n);
  });

  it('merge is commutative (the same bytes) and associative (any tree: same header, sums to float64 order)', () => {
    for (const parts of [p1, p2]) {
      const [a, b, c, d] = parts;
      expect(Buffer.from(mergeStats([a, b])).equals(Buffer.from(mergeStats([b, a])))).toBe(true);
      const left = merged([merged([a, b]), merged([c, d])]);
      const right = merged([a, merged([b, merged([c, d])])]);
      const flat = merged([d, c, b, a]);
      expectSame(left, flat);
      expectSame(right, flat);
    }
    // pass-2 parts with their plan, wherever it joins the tree
    const [a, b, c, d] = p2;
    const early = merged([merged([a, plan]), merged([b, merged([c, d])])]);
    const late = merged([d, c, b, a, plan]);
    expectSame(early, late);
    expect(Array.from(late.arrays.directions)).toEqual(Array.from(plan.arrays.directions));
  });

  it('refuses parts of other settings, other means, overlapping shards, other kinds, and damaged files', async () => {
    const samples = decode(
      await pass1Stats([{ file: data.shards[0] }], digests, {
        settings: { ...settings, centering: 'samples' },
      }),
    );
    expect(() => mergeStats([p1[1], samples], ['a.ncstats', 'b.ncstats'])).toThrow(
      /b\.ncstats: expected settings .*class-means/,
    );
    expect(() => mergeStats([p1[0], p1[0]])).toThrow(/overlapping rows/);
    // row ranges of one file: disjoint ones merge into the whole, overlapping ones do not
    const head = decode(
      await pass1Stats([{ file: data.whole, rows: [0, 400] }], digests, { settings }),
    );
    const tail = decode(
      await pass1Stats([{ file: data.whole, rows: [400, 720] }], digests, { settings }),
    );
    const late = decode(
      await pass1Stats([{ file: data.whole, rows: [300, 720] }], digests, { settings }),
    );
    expectSame(
      { ...merged([head, tail]), header: { ...merged([head, tail]).header, shards: [] } },
      { ...merged(p1), header: { ...merged(p1).header, shards: [] } },
      1e-12,
    );
    expect(() => mergeStats([head, late])).toThrow(/rows 300:720 .* overlapping rows 0:400/);
    // pass-2 parts over different means
    const otherPlan = decode(await planStats(merged(p1.slice(0, 2)), await classifier(), {}));
    const other = decode(
      await pass2Stats([{ file: data.shards[2] }], otherPlan, 'plan', digests, {}),
    );
    expect(() => mergeStats([p2[0], other])).toThrow(/over the means of/);
    expect(() => mergeStats([p1[0], p2[1]])).toThrow(/expected pass1 statistics/);
    const bytes = Buffer.from(mergeStats([p1[0], p1[1]]));
    bytes[bytes.length - 40] ^= 1;
    expect(() => decodeStats(bytes, 'x.ncstats')).toThrow(
      /x\.ncstats: expected a matching SHA-256/,
    );
    // metrics need every row the means cover
    await expect(statsMetrics(merged([...p2.slice(0, 3), plan]), 'm.ncstats')).rejects.toThrow(
      /all 720 rows the means cover/,
    );
    await expect(statsMetrics(merged(p2), 'm.ncstats')).rejects.toThrow(/with their plan/);
    expect(() => mergeStats([p2[0], otherPlan])).toThrow(/the plan part 1 ran with/);
  });

  it('metrics of merged statistics: a direct float64 computation (1e-6), single-process analyze (1e-9)', async () => {
    const fromStats = await statsMetrics(merged([p2[2], plan, p2[0], p2[3], p2[1]]), 'm.ncstats');
    const { n, d, features, labels, weight, bias, c } = data;
    const h = Array.from({ length: n }, (_, i) =>
      Array.from(features.subarray(i * d, (i + 1) * d)),
    );
    const w = Array.from({ length: c }, (_, k) => Array.from(weight.subarray(k * d, (k + 1) * d)));
    const direct = directMetrics({ h, y: Array.from(labels), w, b: Array.from(bias) });
    expect(mismatches(fromStats, direct)).toEqual([]);
    const opened = await openDataset([data.whole], {
      weight: `${data.classifier}:weight`,
      bias: `${data.classifier}:bias`,
    });
    try {
      const single = await analyzeDataset(opened.dataset);
      const { engine: _e, inputs: _i, ...expected } = single;
      // every field, the per-class confusion lists too (stats keep the sparse error counts)
      expect(expected.per_class.some((row) => row.confused_ncc!.length > 0)).toBe(true);
      expect(expected.per_class.some((row) => row.confused_classifier!.length > 0)).toBe(true);
      expect(mismatches(fromStats, expected, 1e-9, 1e-12)).toEqual([]);
      const { engine: _e2, inputs: _i2, ...got } = fromStats;
      expect(mismatches(expected, got, 1e-9, 1e-12)).toEqual([]);
    } finally {
      await opened.close();
    }
  });
});
