/**
 * The shards' test split (#14): shards holding `test_features`/`test_labels` give the `test`
 * metrics and `geometry.test` a plain `analyze` of the whole file gives (1e-9), through any
 * merge tree, row ranges of one file (its test rows counted once), the test split's own
 * logits, and `analyze --shards --on local`; a test split too small, or held by some shards
 * only, is a warning, as a plain `analyze` says of an unusable test split.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeDataset } from '../../main/engine/index.ts';
import { openDataset } from '../../main/io/index.ts';
import { writeNpz } from '../../main/io/write-npz.ts';
import {
  mergeStats,
  pass1Stats,
  pass2Stats,
  planStats,
  statsMetrics,
} from '../../main/stats/compute.ts';
import type { StatsFile, StatsSettings } from '../../main/stats/format.ts';
import { decodeStats, encodeStats } from '../../main/stats/format.ts';
import type { ShardSpec } from '../../main/stats/shards.ts';
import { Digests } from '../../main/stats/shards.ts';
import type { MetricsResult } from '../../shared/schema.ts';
import { readClassifier } from '../../main/cli/stats.ts';
import { runCli } from '../cli.ts';
import { mismatches } from '../engine/direct.ts';
import { writeSharded, type Sharded } from './data.ts';

const settings: StatsSettings = { centering: 'class-means', features: null, labels: null };
const digests = new Digests();
const decode = (b: Uint8Array) => decodeStats(b, 'test');
const merged = (parts: StatsFile[]) => decode(mergeStats(parts));
let dir: string;
let data: Sharded;
/** Plain analyze of the whole file (with its test split), without engine and inputs. */
let whole: Omit<MetricsResult, 'engine' | 'inputs'>;

const weightArgs = (d: Sharded) => ({
  weight: `${d.classifier}:weight`,
  bias: `${d.classifier}:bias`,
});

async function plain(
  file: string,
  roles: Record<string, string> = {},
): Promise<Omit<MetricsResult, 'engine' | 'inputs'>> {
  const opened = await openDataset([file], roles);
  try {
    const { engine: _e, inputs: _i, ...rest } = await analyzeDataset(opened.dataset);
    return rest;
  } finally {
    await opened.close();
  }
}

/** Both ways (mismatches looks at the expected side's keys). */
function expectEqual(got: object, want: object) {
  const { engine: _e, inputs: _i, ...g } = got as MetricsResult;
  expect(mismatches(g, want, 1e-9, 1e-12)).toEqual([]);
  expect(mismatches(want, g, 1e-9, 1e-12)).toEqual([]);
}

/** pass 1 of each spec, the plan, pass 2 of each spec (the plan's classifier from `first`). */
async function parts(
  specs: ShardSpec[],
  classifier: Record<string, string>,
): Promise<{ p1: StatsFile[]; plan: StatsFile; p2: StatsFile[] }> {
  const p1: StatsFile[] = [];
  for (const spec of specs) p1.push(decode(await pass1Stats([spec], digests, { settings })));
  const given = await readClassifier(specs[0], settings, classifier.weight, classifier.bias);
  const plan = decode(await planStats(merged(p1), given, {}));
  const p2: StatsFile[] = [];
  for (const spec of specs) p2.push(decode(await pass2Stats([spec], plan, 'plan', digests, {})));
  return { p1, plan, p2 };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'nclens-testsplit-'));
  data = await writeSharded(dir, { n: 600, d: 5, c: 6, shards: 4, seed: 11, test: 240 });
  whole = await plain(data.whole, weightArgs(data));
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the test split of sharded statistics', () => {
  it('shards each holding a block of the test split: the test metrics and geometry.test of analyze, through any merge tree', async () => {
    expect(whole.test).toBeDefined();
    expect(whole.geometry!.test).toBeDefined();
    // the test split is noisier: wrong test decisions, so confusion lists to compare
    expect(whole.test!.per_class.some((r) => r.confused_ncc!.length > 0)).toBe(true);
    const specs = data.shards.map((file) => ({ file }));
    const { p1, plan, p2 } = await parts(specs, weightArgs(data));
    expect(p1.map((p) => p.header.test!.n)).toEqual(data.testRanges.map(([a, b]) => b - a));
    expect(plan.header.test).toMatchObject({ n: data.nTest, c: data.c, problem: null });
    const [a, b, c, d] = p2;
    const tree = merged([merged([merged([c, a]), plan]), merged([d, b])]);
    const flat = merged([a, b, c, d, plan]);
    expect(JSON.stringify(tree.header)).toBe(JSON.stringify(flat.header));
    expect(Buffer.from(mergeStats([a, b])).equals(Buffer.from(mergeStats([b, a])))).toBe(true);
    expectEqual(await statsMetrics(tree, 'tree.ncstats'), whole);
    expectEqual(await statsMetrics(flat, 'flat.ncstats'), whole);
    // a part missing from the merge: refused, for the test rows as for the training rows
    await expect(statsMetrics(merged([a, b, c, plan]), 'm.ncstats')).rejects.toThrow(
      /all 600 rows the means cover/,
    );
  });

  it('row ranges of one file: its test rows are counted once, by the range from row 0', async () => {
    const specs: ShardSpec[] = [
      { file: data.whole, rows: [250, 600] },
      { file: data.whole, rows: [0, 250] },
    ];
    const { p1, plan, p2 } = await parts(specs, weightArgs(data));
    expect(p1[0].header.test).toBeNull();
    expect(p1[0].header.shards[0].test).toBe(0);
    expect(p1[0].arrays.testCounts).toBeUndefined();
    expect(p1[1].header.test!.n).toBe(data.nTest);
    expect(p1[1].header.shards[0].test).toBe(data.nTest);
    expect(p2[0].header.test!.n).toBe(0);
    expectEqual(await statsMetrics(merged([...p2, plan]), 'm.ncstats'), whole);
    // the range from 0 alone is not there: the test split is named as in no part
    const later = decode(
      await planStats(
        merged([p1[0]]),
        await readClassifier(specs[0], settings, undefined, undefined),
        {},
      ),
    );
    expect(later.header.test!.problem).toMatch(
      /^test split not analysed: the test split of whole\.npz is in no part/,
    );
  });

  it("without a weight, the test split's own logits decide, as in analyze (3 of the 5 classes)", async () => {
    const sub = await writeSharded(path.join(dir, 'logits'), {
      n: 300,
      d: 4,
      c: 5,
      shards: 3,
      seed: 4,
      test: 120,
      // test classes a subset of the training ones: other labels, decisions among all five
      testClasses: 3,
      logits: true,
    });
    const want = await plain(sub.whole);
    expect(want.test!.c).toBe(3);
    expect(want.test!.nc4.classifier_accuracy).not.toBeNull();
    const { plan, p2 } = await parts(
      sub.shards.map((file) => ({ file })),
      {},
    );
    expect(plan.header.classifier!.kind).toBe('logits');
    const got = await statsMetrics(merged([plan, ...p2]), 'm.ncstats');
    expect(got.test!.nc4.classifier_accuracy).not.toBeNull();
    expectEqual(got, want);
    // a part whose test rows no classifier decided (a shard without test_logits) is refused
    const { arrays: listed, schema: _s, ...h } = p2[1].header;
    const undecided = decode(
      encodeStats(
        { ...h, test: { ...h.test!, classifier: false } },
        listed.map((x): [string, Float64Array] => [x.name, p2[1].arrays[x.name]]),
      ),
    );
    expect(() => mergeStats([p2[0], undecided], ['a.ncstats', 'b.ncstats'])).toThrow(
      /^b\.ncstats: expected test rows decided by a classifier like the other parts/,
    );
    // and with the weight: the test classes' own classifier rows (NC2/NC3 of W)
    const withWeight = await parts(
      sub.shards.map((file) => ({ file })),
      weightArgs(sub),
    );
    const m = await statsMetrics(merged([...withWeight.p2, withWeight.plan]), 'm.ncstats');
    expect(m.geometry!.test!.weights).toHaveLength(3 * sub.d);
    expectEqual(m, await plain(sub.whole, weightArgs(sub)));
  });

  it('a test split too small, or in some shards only, is a warning; the training metrics stay', async () => {
    // one test class: analyze says the test split is not analysed, and so do the shards
    const h = data.features.slice(0, 8 * data.d);
    const one = (rows: number) => ({ data: new BigInt64Array(rows).fill(2n), shape: [rows] });
    const shard = async (name: string, from: number, to: number, test: boolean) => {
      const file = path.join(dir, `${name}.npz`);
      await writeNpz(file, {
        features: {
          data: data.features.slice(from * data.d, to * data.d),
          shape: [to - from, data.d],
        },
        labels: {
          data: BigInt64Array.from(data.labels.subarray(from, to), (v) => BigInt(v)),
          shape: [to - from],
        },
        ...(test ? { test_features: { data: h, shape: [8, data.d] }, test_labels: one(8) } : {}),
      });
      return file;
    };
    const wholeSmall = await shard('small-whole', 0, 600, true);
    const want = await plain(wholeSmall, weightArgs(data));
    expect(want.test).toBeUndefined();
    const notAnalysed = want.warnings.filter((w) => w.startsWith('test split not analysed'));
    expect(notAnalysed).toEqual([
      expect.stringMatching(/test_labels: expected at least 2 classes, found only label 2$/),
    ]);
    const specs = [
      { file: await shard('small-a', 0, 200, true) },
      { file: await shard('small-b', 200, 600, false) },
    ];
    // shard a alone holds the test split: not the dataset's, a warning naming the other
    const { plan, p2 } = await parts(specs, weightArgs(data));
    const mixed = await statsMetrics(merged([...p2, plan]), 'm.ncstats');
    expect(mixed.test).toBeUndefined();
    expect(mixed.geometry!.test).toBeUndefined();
    expect(mixed.warnings).toEqual([
      'test split not analysed: 1 of 2 shard files hold no test split (small-b.npz) while the others do',
    ]);
    const { test: _t, warnings: _w, geometry, ...rest } = whole;
    const { test: _gt, ...g } = geometry!;
    const { engine: _e, inputs: _i, warnings: _w2, ...got } = mixed;
    expect(mismatches(got, { ...rest, geometry: g }, 1e-9, 1e-12)).toEqual([]);
    // both with the one-class test split: analyze's warning, of the shards' test labels
    specs[1] = { file: await shard('small-c', 200, 600, true) };
    const both = await parts(specs, weightArgs(data));
    const tiny = await statsMetrics(merged([...both.p2, both.plan]), 'm.ncstats');
    expect(tiny.test).toBeUndefined();
    expect(tiny.warnings).toEqual([
      "test split not analysed: the shards' test labels: expected at least 2 classes, found only label 2",
    ]);
  });

  it('analyze --shards --on local --jobs 2 gives the test split of analyze of the whole file', async () => {
    const out = path.join(dir, 'local.json');
    const r = await runCli([
      'analyze',
      '--shards',
      path.join(dir, 'shards', '*.npz'),
      '--weight',
      `${data.classifier}:weight`,
      '--bias',
      `${data.classifier}:bias`,
      '--on',
      'local',
      '--jobs',
      '2',
      '--json',
      out,
      '-q',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const got = JSON.parse(readFileSync(out, 'utf8')) as MetricsResult;
    expect(got.warnings).toEqual(whole.warnings);
    expectEqual(got, whole);
    // --from-stats of the run's merged statistics: the same
    const parts = path.join(`${out}.work`, 'parts');
    const final = readdirSync(parts).find((f) => f.startsWith('stats-'))!;
    const s = await runCli(['analyze', '--from-stats', path.join(parts, final), '--json', '-']);
    expect(s.code).toBe(0);
    expectEqual(JSON.parse(s.stdout), whole);
  }, 120_000);
});
