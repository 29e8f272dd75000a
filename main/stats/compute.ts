/**
 * Statistics files from shards, their merge, and the metrics of merged statistics: the
 * engine's two passes (engine/passes.ts) cut at the points where their partial sums add up.
 *
 *   pass1  per shard: class counts and feature sums (by label value)
 *   merge  pass-1 parts → the sums of the whole dataset → its means
 *   plan   from the merged means (and the classifier): the NC1 directions, computed once
 *   pass2  per shard, with the plan: within-class squares, NC1 projections, NCC and
 *          classifier decisions (engine/accumulate.ts)
 *   merge  pass-2 parts → the metrics (engine/metrics.ts), as `analyze` on all rows gives them
 */
import { createHash } from 'node:crypto';
import { badInput, cancelled } from '../../shared/errors.ts';
import type { Centering, Geometry, MetricsResult, SampleCloud } from '../../shared/schema.ts';
import type { RoleOverrides } from '../io/index.ts';
import type { Matrix } from '../io/types.ts';
import type { Pass2Partial } from '../engine/accumulate.ts';
import { SecondPass, emptyPartial } from '../engine/accumulate.ts';
import { rowNorms } from '../../shared/linalg.ts';
import { arrayLabel } from '../io/index.ts';
import { confusedClasses, splitMetrics } from '../engine/metrics.ts';
import type { Nc1Directions } from '../engine/nc1.ts';
import type { SplitGeometry, SplitMetrics } from '../../shared/schema.ts';
import { Dense, defaultMachine, type Machine } from '../engine/ort.ts';
import { HEATMAP_CLASSES, cosineSummary } from '../engine/pairs.ts';
import type { FirstPass, JobContext } from '../engine/passes.ts';
import {
  classSums,
  firstFromSums,
  leadingDirections,
  secondPass,
  secondPassSetup,
  sumsProblem,
} from '../engine/passes.ts';
import type {
  ClassifierRecord,
  ShardRecord,
  StatsFile,
  StatsHeader,
  StatsSettings,
  TestSection,
} from './format.ts';
import { canonicalShards, decodeStats, encodeStats } from './format.ts';
import type { Reservoir } from './samples.ts';
import {
  cloudSetup,
  emptyReservoir,
  mergeReservoirs,
  reservoirCloud,
  rowKeys,
  sampleBudget,
  shardPicks,
  shardReservoir,
} from './samples.ts';
import type { Digests, ShardSpec } from './shards.ts';
import { openShard } from './shards.ts';

export interface StatsJob {
  settings: StatsSettings;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (phase: string, rows: number, total: number) => void;
}

function overridesOf(s: StatsSettings): RoleOverrides {
  const o: RoleOverrides = {};
  if (s.features) o.features = s.features;
  if (s.labels) o.labels = s.labels;
  return o;
}

/** The engine's job context for a stats command. */
function jobContext(job: StatsJob): { ctx: JobContext; close(): Promise<void> } {
  const machine: Machine = { ...defaultMachine(job.threads), device: 'cpu' };
  const dense = new Dense(machine);
  return {
    ctx: {
      centering: job.settings.centering,
      signal: job.signal,
      machine,
      dense,
      progress: (phase, rows, total) => job.onProgress?.(phase, rows, total),
    },
    close: () => dense.close(),
  };
}

const header = (
  h: Partial<Omit<StatsHeader, 'arrays' | 'schema'>> &
    Pick<StatsHeader, 'kind' | 'settings' | 'n' | 'd' | 'labels' | 'shards'>,
): Omit<StatsHeader, 'arrays' | 'schema'> => ({
  kind: h.kind,
  settings: h.settings,
  n: h.n,
  d: h.d,
  c: h.labels.length,
  labels: h.labels,
  means: h.means ?? null,
  plan: h.plan ?? null,
  classifier: h.classifier ?? null,
  r: h.r ?? 0,
  samples: h.samples ?? 0,
  warnings: h.warnings ?? [],
  test: h.test ?? null,
  shards: canonicalShards(h.shards),
});

/** A test section of pass-1 sums (no plan yet). */
function testSums1(n: number, labels: number[]): TestSection {
  return { n, c: labels.length, labels, r: 0, classifier: null, warnings: [], problem: null };
}

// ---------------------------------------------------------------------------------------
// pass 1

/** The pass-1 part of some shards: class counts and sums of their rows. */
export async function pass1Stats(
  specs: ShardSpec[],
  digests: Digests,
  job: StatsJob,
): Promise<Uint8Array> {
  const { ctx, close } = jobContext(job);
  try {
    const parts: StatsFile[] = [];
    for (const spec of specs) {
      const shard = await openShard(spec, overridesOf(job.settings), digests);
      try {
        const s = await classSums(shard, ctx, 'pass 1');
        const arrays: [string, Float64Array][] = [
          ['counts', s.counts],
          ['sums', s.sums],
        ];
        // the file's test split, carried by its range from row 0 (shards.ts)
        let test: TestSection | null = null;
        if (shard.test) {
          const t = await classSums(shard.test, ctx, 'test pass 1');
          if (t.d !== s.d) {
            throw badInput(spec.file, `test features of width ${s.d} like its features`, `${t.d}`);
          }
          test = testSums1(t.n, t.labels);
          arrays.push(['testCounts', t.counts], ['testSums', t.sums]);
        }
        const bytes = encodeStats(
          header({
            kind: 'pass1',
            settings: job.settings,
            n: s.n,
            d: s.d,
            labels: s.labels,
            test,
            shards: [shard.record],
          }),
          arrays,
        );
        parts.push(decodeStats(bytes, spec.file));
      } finally {
        await shard.close();
      }
    }
    return parts.length === 1 ? encodedAgain(parts[0]) : mergeStats(parts);
  } finally {
    await close();
  }
}

function encodedAgain(f: StatsFile): Uint8Array {
  const { arrays: _listed, schema: _s, ...rest } = f.header;
  return encodeStats(
    rest,
    f.header.arrays.map((a) => [a.name, f.arrays[a.name]]),
  );
}

// ---------------------------------------------------------------------------------------
// merge

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Arrays of a plan that merged pass-2 statistics carry (what the metrics need besides sums). */
const PLAN_ARRAYS = [
  'counts',
  'sums',
  'directions',
  'nc1Weights',
  'weights',
  // the test split's (its own means and NC1 directions, its classes' classifier rows)
  'testCounts',
  'testSums',
  'testDirections',
  'testNc1Weights',
  'testWeights',
];
const PASS2_SUMS = ['squares', 'projections', 'nccCorrect', 'classifierCorrect', 'mismatches'];
/** The test split's pass-2 sums: the same, of the test rows. */
const TEST_SUMS = PASS2_SUMS.map(testName);

function testName(name: string): string {
  return `test${name[0].toUpperCase()}${name.slice(1)}`;
}

/**
 * Wrong decisions by (own class, chosen class), key `y · C + j` (engine/accumulate.ts), as
 * (key, count) pairs ascending by key: at most min(errors, C²) of them. They add up by key.
 */
const CONFUSION = [
  ['nccConfusion', 'ncc'],
  ['classifierConfusion', 'classifier'],
] as const;
/** The test split's: key `y · C_train + j` (its classes choose among the training classes). */
const TEST_CONFUSION = [
  ['testNccConfusion', 'ncc'],
  ['testClassifierConfusion', 'classifier'],
] as const;

function confusionArray(counts: Map<number, number>): Float64Array {
  const keys = [...counts.keys()].sort((a, b) => a - b);
  const out = new Float64Array(2 * keys.length);
  keys.forEach((k, i) => {
    out[2 * i] = k;
    out[2 * i + 1] = counts.get(k)!;
  });
  return out;
}

function addConfusion(into: Map<number, number>, pairs: Float64Array): void {
  for (let i = 0; i < pairs.length; i += 2) {
    into.set(pairs[i], (into.get(pairs[i]) ?? 0) + pairs[i + 1]);
  }
}

/** The confusion arrays of a part: the NCC's, and the classifier's when there is one. */
function confusionArrays(
  confusion: { ncc: Map<number, number>; classifier: Map<number, number> },
  hasClassifier: boolean,
  names: typeof CONFUSION | typeof TEST_CONFUSION = CONFUSION,
): [string, Float64Array][] {
  return names
    .filter(([, rule]) => rule === 'ncc' || hasClassifier)
    .map(([name, rule]) => [name, confusionArray(confusion[rule])]);
}

/** A pass-2 part's sample reservoir (stats/samples.ts), when its plan asks for a cloud. */
function reservoirOf(f: StatsFile): Reservoir {
  const a = f.arrays;
  return {
    keys: a.sampleKeys,
    classes: a.sampleClasses,
    ncc: a.sampleNcc,
    classifier: a.sampleClassifier ?? null,
    coords: a.sampleCoords,
  };
}

/** The reservoir's arrays, in file order. */
function reservoirArrays(quotas: Float64Array, res: Reservoir): [string, Float64Array][] {
  return [
    ['sampleQuotas', quotas],
    ['sampleKeys', res.keys],
    ['sampleClasses', res.classes],
    ['sampleNcc', res.ncc],
    ...(res.classifier ? [['sampleClassifier', res.classifier] as [string, Float64Array]] : []),
    ['sampleCoords', res.coords],
  ];
}

/**
 * Adds statistics files up one at a time (memory: the running sums and one part), so a merge
 * of thousands of parts streams. Refuses parts of different kinds, settings, widths, means,
 * plans or classifiers, and parts whose shards overlap (the same file content with
 * intersecting row ranges). Pass-2 parts may come with their plan file (`nc-lens merge
 * pass2-*.ncstats plan.ncstats`): its arrays are carried into the result, which then gives
 * the metrics alone. Shard records are kept in canonical order and sums are added, so any
 * tree of merges over the same parts gives the same header bytes and the same sums up to
 * float64 summation order (and `merge A B` the same bytes as `merge B A`).
 */
export class Merger {
  private first: StatsHeader | null = null;
  private firstName = '';
  private n = 0;
  private shards: { s: ShardRecord; at: string }[] = [];
  /** pass 1: label value → [count, sums]. */
  private classes = new Map<number, { count: number; sums: Float64Array }>();
  /** pass 2: summed arrays, and the plan's arrays once a part or the plan brought them. */
  private sums = new Map<string, Float64Array>();
  private plan: Record<string, Float64Array> | null = null;
  private planDigest: string | null = null;
  /** pass 2: wrong decisions by (class, chosen class), added by key. */
  private confusion = { ncc: new Map<number, number>(), classifier: new Map<number, number>() };
  /** pass 2 with a cloud: the reservoir of the rows so far, and the quotas it keeps. */
  private reservoir: Reservoir | null = null;
  private quotas: Float64Array | null = null;
  /** The test split: its section, pass-1 classes and pass-2 confusion counts. */
  private test: TestSection | null = null;
  private testClasses = new Map<number, { count: number; sums: Float64Array }>();
  private testConfusion = {
    ncc: new Map<number, number>(),
    classifier: new Map<number, number>(),
  };

  add(part: StatsFile, at: string): void {
    const h = part.header;
    if (h.kind === 'plan') {
      this.addPlan(part, at);
      return;
    }
    const f = this.first;
    if (!f) {
      this.first = h;
      this.firstName = at;
    } else {
      const first0 = this.firstName;
      if (h.kind !== f.kind) throw badInput(at, `${f.kind} statistics like ${first0}`, h.kind);
      if (!same(h.settings, f.settings)) {
        throw badInput(
          at,
          `settings ${JSON.stringify(f.settings)} like ${first0}`,
          JSON.stringify(h.settings),
        );
      }
      if (h.d !== f.d)
        throw badInput(at, `features of width ${f.d} like ${first0}`, `width ${h.d}`);
      if (
        f.kind === 'pass2' &&
        (h.means !== f.means || h.plan !== f.plan || h.samples !== f.samples)
      ) {
        throw badInput(
          at,
          `pass-2 statistics over the means of ${first0} (${short(f.means)}, plan ${short(f.plan)})`,
          `means ${short(h.means)}, plan ${short(h.plan)}`,
        );
      }
    }
    if (this.planDigest && h.kind === 'pass2' && h.plan !== this.planDigest) {
      throw badInput(
        at,
        `pass-2 statistics of the plan given (${short(this.planDigest)})`,
        `plan ${short(h.plan)}`,
      );
    }
    this.n += h.n;
    for (const s of h.shards) this.shards.push({ s, at });
    if (h.test) this.addTest(h.test, at);
    if (h.kind === 'pass1') {
      addClasses(this.classes, h.labels, part.arrays.counts, part.arrays.sums, h.d);
      if (h.test) {
        const { testCounts, testSums } = part.arrays;
        addClasses(this.testClasses, h.test.labels, testCounts, testSums, h.d);
      }
      return;
    }
    if (h.test && !h.test.problem) {
      for (const name of TEST_SUMS) {
        const a = part.arrays[name];
        if (!a) throw badInput(at, 'the test split its plan asks for', `no ${name}`);
        let acc = this.sums.get(name);
        if (!acc) {
          acc = new Float64Array(a.length);
          this.sums.set(name, acc);
        }
        for (let i = 0; i < a.length; i++) acc[i] += a[i];
      }
      for (const [name, rule] of TEST_CONFUSION) {
        if (part.arrays[name]) addConfusion(this.testConfusion[rule], part.arrays[name]);
      }
    }
    for (const name of PASS2_SUMS) {
      const a = part.arrays[name];
      let acc = this.sums.get(name);
      if (!acc) {
        acc = new Float64Array(a.length);
        this.sums.set(name, acc);
      }
      for (let i = 0; i < a.length; i++) acc[i] += a[i];
    }
    for (const [name, rule] of CONFUSION) {
      if (part.arrays[name]) addConfusion(this.confusion[rule], part.arrays[name]);
    }
    if (h.samples > 0) {
      const lacking = ['sampleQuotas', 'sampleKeys', 'sampleClasses', 'sampleNcc', 'sampleCoords']
        .concat(h.classifier ? ['sampleClassifier'] : [])
        .find((k) => !part.arrays[k]);
      if (lacking) throw badInput(at, 'the sample reservoir its plan asks for', `no ${lacking}`);
      this.quotas ??= part.arrays.sampleQuotas;
      const res = reservoirOf(part);
      this.reservoir = this.reservoir
        ? mergeReservoirs(this.reservoir, res, this.quotas, h.r)
        : mergeReservoirs(emptyReservoir(h.classifier !== null), res, this.quotas, h.r);
    }
    if (!this.plan && part.arrays.counts) {
      this.plan = Object.fromEntries(
        PLAN_ARRAYS.filter((k) => part.arrays[k]).map((k) => [k, part.arrays[k]]),
      );
    }
  }

  /** A part's test section: rows added; pass 2: whether a classifier decided them, agreeing. */
  private addTest(t: TestSection, at: string): void {
    if (!this.test) {
      this.test = { ...t, n: 0, classifier: null };
    }
    const mine = this.test;
    mine.n += t.n;
    if (t.classifier !== null) {
      if (mine.classifier !== null && mine.classifier !== t.classifier) {
        throw badInput(
          at,
          `test rows ${mine.classifier ? 'decided by a classifier' : 'without classifier decisions'} like the other parts (test logits in every shard or none)`,
          t.classifier ? 'classifier decisions' : 'none',
        );
      }
      mine.classifier = t.classifier;
    }
  }

  private addPlan(plan: StatsFile, at: string): void {
    if (this.planDigest && this.planDigest !== plan.digest) {
      throw badInput(at, 'one plan', 'two different plans');
    }
    const f = this.first;
    if (f && (f.kind !== 'pass2' || f.plan !== plan.digest)) {
      throw badInput(
        at,
        `the plan ${this.firstName} ran with (${short(f.plan)})`,
        `plan ${short(plan.digest)}`,
      );
    }
    this.planDigest = plan.digest;
    this.plan ??= Object.fromEntries(
      PLAN_ARRAYS.filter((k) => plan.arrays[k]).map((k) => [k, plan.arrays[k]]),
    );
  }

  /** The merged file's bytes. */
  result(): Uint8Array {
    const f = this.first;
    if (!f) throw badInput(undefined, 'statistics files to merge (pass1 or pass2 parts)', 'none');
    const shards = checkOverlaps(this.shards);
    if (f.kind === 'pass1') {
      const d = f.d;
      const { labels, counts, sums } = classArrays(this.classes, d);
      const arrays: [string, Float64Array][] = [
        ['counts', counts],
        ['sums', sums],
      ];
      let test: TestSection | null = null;
      if (this.test) {
        const t = classArrays(this.testClasses, d);
        test = testSums1(this.test.n, t.labels);
        arrays.push(['testCounts', t.counts], ['testSums', t.sums]);
      }
      return encodeStats(
        header({ kind: 'pass1', settings: f.settings, n: this.n, d, labels, test, shards }),
        arrays,
      );
    }
    const arrays: [string, Float64Array][] = PASS2_SUMS.map((k) => [k, this.sums.get(k)!]);
    arrays.push(...confusionArrays(this.confusion, f.classifier !== null));
    if (this.reservoir) arrays.push(...reservoirArrays(this.quotas!, this.reservoir));
    const test = this.test;
    if (test && !test.problem) {
      arrays.push(...TEST_SUMS.map((k): [string, Float64Array] => [k, this.sums.get(k)!]));
      arrays.push(...confusionArrays(this.testConfusion, test.classifier === true, TEST_CONFUSION));
    }
    if (this.plan) for (const k of PLAN_ARRAYS) if (this.plan[k]) arrays.push([k, this.plan[k]]);
    const { arrays: _a, schema: _s, ...rest } = f;
    return encodeStats({ ...rest, n: this.n, test, shards }, arrays);
  }
}

/** Adds per-label counts and sums (c, c×d) into `into`, by label value. */
function addClasses(
  into: Map<number, { count: number; sums: Float64Array }>,
  labels: number[],
  counts: Float64Array,
  sums: Float64Array,
  d: number,
): void {
  labels.forEach((label, j) => {
    let k = into.get(label);
    if (!k) {
      k = { count: 0, sums: new Float64Array(d) };
      into.set(label, k);
    }
    k.count += counts[j];
    for (let t = 0; t < d; t++) k.sums[t] += sums[j * d + t];
  });
}

/** The labels (ascending), counts and sums of `addClasses`. */
function classArrays(
  classes: Map<number, { count: number; sums: Float64Array }>,
  d: number,
): { labels: number[]; counts: Float64Array; sums: Float64Array } {
  const labels = [...classes.keys()].sort((a, b) => a - b);
  const counts = new Float64Array(labels.length);
  const sums = new Float64Array(labels.length * d);
  labels.forEach((label, k) => {
    const x = classes.get(label)!;
    counts[k] = x.count;
    sums.set(x.sums, k * d);
  });
  return { labels, counts, sums };
}

/** The statistics of the union of the parts' rows (Merger); `names` name them in errors. */
export function mergeStats(parts: StatsFile[], names?: string[]): Uint8Array {
  const m = new Merger();
  parts.forEach((p, i) => m.add(p, names?.[i] ?? `part ${i + 1}`));
  return m.result();
}

function short(digest: string | null | undefined): string {
  return digest ? digest.slice(0, 12) : 'none';
}

function checkOverlaps(all: { s: ShardRecord; at: string }[]): ShardRecord[] {
  const sorted = [...all].sort((a, b) =>
    a.s.sha256 !== b.s.sha256 ? (a.s.sha256 < b.s.sha256 ? -1 : 1) : a.s.start - b.s.start,
  );
  for (let j = 1; j < sorted.length; j++) {
    const a = sorted[j - 1];
    const b = sorted[j];
    if (a.s.sha256 === b.s.sha256 && b.s.start < a.s.end) {
      throw badInput(
        b.at,
        'statistics of rows no other part covers',
        `rows ${b.s.start}:${b.s.end} of ${b.s.file}, overlapping rows ${a.s.start}:${a.s.end} in ${a.at}`,
      );
    }
  }
  return canonicalShards(sorted.map((x) => x.s));
}

// ---------------------------------------------------------------------------------------
// plan

export interface ClassifierGiven {
  weight?: Matrix;
  bias?: Float64Array;
  /** The shards carry logits: classifier decisions from them. */
  logits?: boolean;
  /** Warnings from reading it (a transposed weight, …). */
  warnings: string[];
}

function totals(p1: StatsFile, warnings: string[]): Omit<FirstPass, 'classes'> {
  const h = p1.header;
  if (h.kind !== 'pass1')
    throw badInput(undefined, 'merged pass-1 statistics', `${h.kind} statistics`);
  const problem = sumsProblem(h.n, h.labels);
  if (problem) throw badInput(undefined, problem.expected, problem.found);
  return firstFromSums(
    { n: h.n, d: h.d, labels: h.labels, counts: p1.arrays.counts, sums: p1.arrays.sums },
    h.settings.centering,
    warnings,
  );
}

/** The classifier rows and bias of the given labels, for the plan file and its digest. */
function classifierRows(
  weight: Matrix,
  bias: Float64Array | undefined,
  labels: number[],
): { rows: Float64Array; bias: Float64Array } {
  const d = weight.cols;
  const rows = new Float64Array(labels.length * d);
  const b = new Float64Array(labels.length);
  labels.forEach((label, k) => {
    if (label < weight.rows) rows.set(weight.data.subarray(label * d, (label + 1) * d), k * d);
    b[k] = bias && label < bias.length ? bias[label] : 0;
  });
  return { rows, bias: b };
}

function sha256Of(...arrays: Float64Array[]): string {
  const h = createHash('sha256');
  for (const a of arrays) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
}

/**
 * The pass-2 plan of merged pass-1 statistics: the NC1 directions (computed once, so every
 * shard's pass 2 projects on the same ones) and the classifier's rows of the classes.
 */
export async function planStats(
  merged1: StatsFile,
  classifier: ClassifierGiven,
  job: Omit<StatsJob, 'settings'> & {
    /**
     * Also a sample cloud: pass 2 keeps a reservoir of rows (stats/samples.ts), within the
     * engine's bounds (true) or at most this many rows.
     */
    samples?: boolean | number;
  },
): Promise<Uint8Array> {
  const h = merged1.header;
  const warnings = [...classifier.warnings];
  const first = totals(merged1, []);
  const { ctx, close } = jobContext({ ...job, settings: h.settings });
  try {
    const setup = await secondPassSetup({
      own: { ...first, classes: new Int32Array(0) },
      reference: { ...first, classes: new Int32Array(0) },
      classifier: { weight: classifier.weight, bias: classifier.bias },
      logits: undefined,
      where: 'the merged statistics',
      warnings,
      dense: ctx.dense,
    });
    const arrays: [string, Float64Array][] = [
      ['counts', merged1.arrays.counts],
      ['sums', merged1.arrays.sums],
      ['directions', setup.nc1.directions],
      ['nc1Weights', setup.nc1.weights],
    ];
    let record: ClassifierRecord | null = null;
    if (classifier.weight) {
      const { rows, bias } = classifierRows(classifier.weight, classifier.bias, h.labels);
      arrays.push(['weights', rows], ['bias', bias]);
      record = { kind: 'weight', sha256: sha256Of(rows, bias) };
    } else if (classifier.logits) {
      record = { kind: 'logits', sha256: null };
    }
    const test = await testPlan(merged1, first, classifier, ctx.dense);
    arrays.push(...test.arrays);
    const bound = sampleBudget(setup.nc1.count);
    const budget =
      typeof job.samples === 'number' ? Math.min(bound, job.samples) : job.samples ? bound : 0;
    const cloud = budget ? cloudSetup(first, setup.nc1, budget) : null;
    return encodeStats(
      header({
        kind: 'plan',
        settings: h.settings,
        n: h.n,
        d: h.d,
        labels: h.labels,
        means: merged1.digest,
        classifier: record,
        r: setup.nc1.count,
        samples: cloud ? budget : 0,
        warnings,
        test: test.section,
        shards: h.shards,
      }),
      arrays,
    );
  } finally {
    await close();
  }
}

/** Shard files named in a message: their base names, at most 3. */
function filesNamed(records: ShardRecord[]): string {
  const names = [...new Set(records.map((s) => s.file.split(/[/\\]/).pop()!))];
  return names.length > 3 ? `${names.slice(0, 3).join(', ')}, …` : names.join(', ');
}

/**
 * Why the shards' test split is not analysed, or null: some shard files hold one and others
 * not (a test split of some shards only is not the dataset's), a file's test split in no part
 * (its range from row 0 carries it), or too few test classes or rows (as `analyze` says).
 */
function testProblem(h: StatsHeader): string | null {
  const without = h.shards.filter((s) => s.test === null);
  if (without.length) {
    const files = new Set(h.shards.map((s) => s.sha256)).size;
    const lacking = new Set(without.map((s) => s.sha256)).size;
    return `test split not analysed: ${lacking} of ${files} shard files hold no test split (${filesNamed(without)}) while the others do`;
  }
  const carried = new Set(h.shards.filter((s) => s.start === 0).map((s) => s.sha256));
  const lost = h.shards.filter((s) => !carried.has(s.sha256));
  if (lost.length) {
    return `test split not analysed: the test split of ${filesNamed(lost)} is in no part (the part of its rows from 0 carries it)`;
  }
  const t = h.test!;
  const problem = sumsProblem(t.n, t.labels);
  return (
    problem &&
    `test split not analysed: the shards' test labels: expected ${problem.expected}, found ${problem.found}`
  );
}

/**
 * The test split's plan, as `analyze` analyses a test split (engine/index.ts): its own means
 * and NC1 directions, the NCC and the classifier choosing among the training classes; its
 * classes' classifier rows (NC2/NC3 of W). A section with `problem` when it is not analysed,
 * null when no shard holds a test split.
 */
async function testPlan(
  merged1: StatsFile,
  train: Omit<FirstPass, 'classes'>,
  classifier: ClassifierGiven,
  dense: Dense,
): Promise<{ section: TestSection | null; arrays: [string, Float64Array][] }> {
  const h = merged1.header;
  if (!h.shards.some((s) => s.test !== null)) return { section: null, arrays: [] };
  const t = h.test ?? testSums1(0, []);
  const problem = testProblem({ ...h, test: t });
  if (problem) return { section: { ...t, problem }, arrays: [] };
  const { testCounts, testSums } = merged1.arrays;
  const first = firstFromSums(
    { n: t.n, d: h.d, labels: t.labels, counts: testCounts, sums: testSums },
    h.settings.centering,
    [], // (its single-sample warning: the metrics give it)
  );
  const warnings: string[] = [];
  const none = new Int32Array(0);
  const setup = await secondPassSetup({
    own: { ...first, classes: none },
    reference: { ...train, classes: none },
    classifier: { weight: classifier.weight, bias: classifier.bias },
    logits: undefined,
    where: 'the test split of the merged statistics',
    warnings,
    dense,
  });
  const arrays: [string, Float64Array][] = [
    ['testCounts', testCounts],
    ['testSums', testSums],
    ['testDirections', setup.nc1.directions],
    ['testNc1Weights', setup.nc1.weights],
  ];
  if (setup.weights) arrays.push(['testWeights', setup.weights]);
  return { section: { ...t, r: setup.nc1.count, warnings, problem: null }, arrays };
}

// ---------------------------------------------------------------------------------------
// pass 2

function nc1Of(f: StatsFile): Nc1Directions {
  return { directions: f.arrays.directions, weights: f.arrays.nc1Weights, count: f.header.r };
}

/**
 * The classifier a plan holds, as the engine takes it (rows at their label): the training
 * classes' rows and bias, and the test classes' rows (a test split's pass 2 asks for them).
 */
function planClassifier(plan: StatsFile): { weight?: Matrix; bias?: Float64Array } {
  const { weights, bias, testWeights } = plan.arrays;
  if (!weights) return {};
  const { labels, d } = plan.header;
  const testLabels = testWeights ? plan.header.test!.labels : [];
  const rows = Math.max(labels[labels.length - 1], testLabels[testLabels.length - 1] ?? 0) + 1;
  const data = new Float64Array(rows * d);
  const b = new Float64Array(rows);
  testLabels.forEach((label, k) => data.set(testWeights.subarray(k * d, (k + 1) * d), label * d));
  labels.forEach((label, k) => {
    data.set(weights.subarray(k * d, (k + 1) * d), label * d);
    b[label] = bias[k];
  });
  return { weight: { rows, cols: d, data }, bias: b };
}

/** The class position of every label value read, refusing one `index` does not know. */
function classesOfLabels(
  values: ArrayLike<number>,
  index: Map<number, number>,
  where: string,
  known: string,
): Int32Array {
  const classes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const k = index.get(values[i]);
    if (k === undefined) throw badInput(where, known, `label ${values[i]} in row ${i}`);
    classes[i] = k;
  }
  return classes;
}

/** A test plan's first pass and NC1 directions (null: no test split to analyse). */
function testOfPlan(
  plan: StatsFile,
): { first: Omit<FirstPass, 'classes'>; nc1: Nc1Directions; section: TestSection } | null {
  const t = plan.header.test;
  if (!t || t.problem) return null;
  const a = plan.arrays;
  const first = firstFromSums(
    { n: t.n, d: plan.header.d, labels: t.labels, counts: a.testCounts, sums: a.testSums },
    plan.header.settings.centering,
    [],
  );
  return {
    first,
    nc1: { directions: a.testDirections, weights: a.testNc1Weights, count: t.r },
    section: t,
  };
}

/** The pass-2 part of some shards, with a plan (planStats). */
export async function pass2Stats(
  specs: ShardSpec[],
  plan: StatsFile,
  planName: string,
  digests: Digests,
  job: Omit<StatsJob, 'settings'> & {
    /** Carry the plan's arrays (a part that gives the metrics alone once merged). */
    embedPlan?: boolean;
  },
): Promise<Uint8Array> {
  const ph = plan.header;
  if (ph.kind !== 'plan') {
    throw badInput(planName, 'a pass-2 plan (nc-lens stats plan)', `${ph.kind} statistics`);
  }
  const first = totals({ ...plan, header: { ...ph, kind: 'pass1' } }, []);
  const index = new Map(ph.labels.map((v, k) => [v, k]));
  const classifier = planClassifier(plan);
  const { ctx, close } = jobContext({ ...job, settings: ph.settings });
  // The sample cloud: each shard's q_k smallest keys per class, merged as the shards go.
  const cloud = ph.samples > 0 ? cloudSetup(first, nc1Of(plan), ph.samples) : null;
  if (ph.samples > 0 && !cloud) {
    throw badInput(planName, 'a plan whose NC1 directions span the means', 'dependent ones');
  }
  let reservoir = emptyReservoir(ph.classifier !== null);
  // The test split (the shards' range from row 0 carries each file's), as analyze does it.
  const test = testOfPlan(plan);
  const testIndex = new Map(test?.section.labels.map((v, k) => [v, k]));
  let testPass: SecondPass | null = null;
  let testRows = 0;
  let testClassifier: boolean | null = null;
  // One graph for every shard of the task: their sums accumulate in it.
  let pass: SecondPass | null = null;
  const records: ShardRecord[] = [];
  let rows = 0;
  try {
    for (const spec of specs) {
      const shard = await openShard(spec, overridesOf(ph.settings), digests);
      try {
        if (shard.features.rowSize !== ph.d) {
          throw badInput(
            spec.file,
            `features of width ${ph.d} like the plan's`,
            `width ${shard.features.rowSize}`,
          );
        }
        const n = shard.features.rows;
        const values = await shard.labels.readRows(0, n, job.signal);
        const classes = classesOfLabels(
          values,
          index,
          spec.file,
          `labels the pass-1 statistics know (${ph.c} classes)`,
        );
        const logits = ph.classifier?.kind === 'logits' ? shard.logits : undefined;
        if (ph.classifier?.kind === 'logits' && !logits) {
          throw badInput(spec.file, 'a logits array (the plan decides by logits)', 'none');
        }
        const own = { ...first, n, classes };
        if (!pass || logits) {
          // (with logits, each shard's are checked against the classes)
          const setup = await secondPassSetup({
            own,
            reference: own,
            classifier,
            logits,
            where: spec.file,
            warnings: [],
            dense: ctx.dense,
            nc1: nc1Of(plan),
          });
          if (cloud) setup.plan.samples = cloud.plan;
          pass ??= new SecondPass(setup.plan, ctx.machine);
        }
        let picks: Int32Array | undefined;
        let keys: Float64Array | undefined;
        if (cloud) {
          keys = await rowKeys(shard.features, job.signal);
          picks = shardPicks(keys, classes, cloud.quotas);
        }
        const before = pass.acc.samples.length;
        await secondPass(
          { features: shard.features, labels: shard.labels, logits },
          own,
          pass,
          ctx,
          'pass 2',
          picks,
        );
        if (job.signal?.aborted) throw cancelled();
        if (cloud) {
          const blocks = pass.acc.samples.splice(before);
          const mine = shardReservoir(
            picks!,
            keys!,
            classes,
            blocks,
            cloud.plan.r,
            ph.classifier !== null,
          );
          reservoir = mergeReservoirs(reservoir, mine, cloud.quotas, cloud.plan.r);
        }
        if (test && shard.test) {
          const split = shard.test;
          const tn = split.features.rows;
          const tClasses = classesOfLabels(
            await split.labels.readRows(0, tn, job.signal),
            testIndex,
            arrayLabel(split.labels),
            `test labels the pass-1 statistics know (${test.section.c} classes)`,
          );
          // decided by the weight, else by the test split's own logits (as analyze does)
          const tLogits = classifier.weight ? undefined : split.logits;
          const decided = classifier.weight !== undefined || tLogits !== undefined;
          if (testClassifier !== null && testClassifier !== decided) {
            throw badInput(spec.file, 'test logits like the other shards of the task', 'not');
          }
          testClassifier = decided;
          const tOwn = { ...test.first, n: tn, classes: tClasses };
          if (!testPass || tLogits) {
            const setup = await secondPassSetup({
              own: tOwn,
              reference: { ...first, classes: new Int32Array(0) },
              classifier,
              logits: tLogits,
              where: arrayLabel(split.features),
              warnings: [],
              dense: ctx.dense,
              nc1: test.nc1,
            });
            testPass ??= new SecondPass(setup.plan, ctx.machine);
          }
          await secondPass(split, tOwn, testPass, ctx, 'test pass 2');
          if (job.signal?.aborted) throw cancelled();
          testRows += tn;
        }
        records.push(shard.record);
        rows += n;
      } finally {
        await shard.close();
      }
    }
  } finally {
    await pass?.close();
    await testPass?.close();
    await close();
  }
  const partial: Pass2Partial = pass!.acc;
  const arrays: [string, Float64Array][] = [
    ['squares', partial.squares],
    ['projections', partial.projections],
    ['nccCorrect', partial.nccCorrect],
    ['classifierCorrect', partial.classifierCorrect],
    ['mismatches', Float64Array.of(partial.mismatches)],
    ...confusionArrays(partial.confusion!, ph.classifier !== null),
  ];
  if (cloud) arrays.push(...reservoirArrays(Float64Array.from(cloud.quotas), reservoir));
  if (test) {
    // (a part of no test rows: zeros, so every part of the plan lists the same arrays)
    const t: Pass2Partial = testPass?.acc ?? emptyPartial(test.section);
    arrays.push(
      ['testSquares', t.squares],
      ['testProjections', t.projections],
      ['testNccCorrect', t.nccCorrect],
      ['testClassifierCorrect', t.classifierCorrect],
      ['testMismatches', Float64Array.of(t.mismatches)],
      ...confusionArrays(t.confusion!, testClassifier === true, TEST_CONFUSION),
    );
  }
  if (job.embedPlan) {
    for (const k of PLAN_ARRAYS) if (plan.arrays[k]) arrays.push([k, plan.arrays[k]]);
  }
  return encodeStats(
    header({
      kind: 'pass2',
      settings: ph.settings,
      n: rows,
      d: ph.d,
      labels: ph.labels,
      means: ph.means,
      plan: plan.digest,
      classifier: ph.classifier,
      r: ph.r,
      samples: ph.samples,
      warnings: ph.warnings,
      test: ph.test && { ...ph.test, n: testRows, classifier: testClassifier },
      shards: records,
    }),
    arrays,
  );
}

// ---------------------------------------------------------------------------------------
// metrics

/** The sample cloud of merged pass-2 statistics: their reservoir, complete. */
function cloudOf(
  f: StatsFile,
  first: Omit<FirstPass, 'classes'>,
  where: string,
): SampleCloud | undefined {
  const cloud = cloudSetup(first, nc1Of(f), f.header.samples);
  if (!cloud || !f.arrays.sampleCoords) return undefined;
  const res = reservoirOf(f);
  const want = cloud.quotas.reduce((a, b) => a + b, 0);
  if (res.keys.length !== want) {
    throw badInput(where, `a sample reservoir of ${want} rows`, `${res.keys.length} rows`);
  }
  return reservoirCloud(res, cloud.basis, cloud.plan.r);
}

/**
 * `nc-lens/metrics@1` of merged pass-2 statistics: what `analyze` gives on all the rows.
 * Refuses statistics that do not cover every row the means were taken over.
 */
export async function statsMetrics(
  f: StatsFile,
  where: string,
  opts: { threads?: number; geometry?: boolean } = {},
): Promise<MetricsResult> {
  const h = f.header;
  if (h.kind !== 'pass2') {
    throw badInput(
      where,
      'merged pass-2 statistics (nc-lens merge of stats pass2 parts)',
      `${h.kind} statistics`,
    );
  }
  if (!f.arrays.counts || !f.arrays.directions) {
    throw badInput(
      where,
      'merged pass-2 statistics with their plan (nc-lens merge pass2-*.ncstats plan.ncstats)',
      'no plan in them',
    );
  }
  const total = f.arrays.counts.reduce((a, b) => a + b, 0);
  if (h.n !== total) {
    throw badInput(
      where,
      `pass-2 statistics of all ${total} rows the means cover`,
      `${h.n} rows (merge every part)`,
    );
  }
  const warnings = [...h.warnings];
  const first = totals({ ...f, header: { ...h, kind: 'pass1' } }, warnings);
  const { ctx, close } = jobContext({ threads: opts.threads, settings: h.settings });
  const started = performance.now();
  try {
    const nc1 = nc1Of(f);
    const weights = f.arrays.weights ?? null;
    const c = h.c;
    const partial: Pass2Partial = {
      rows: h.n,
      squares: f.arrays.squares,
      projections: f.arrays.projections,
      nccCorrect: f.arrays.nccCorrect,
      classifierCorrect: f.arrays.classifierCorrect,
      mismatches: f.arrays.mismatches[0],
      samples: [],
    };
    const metrics = await splitMetrics(
      {
        n: h.n,
        d: h.d,
        c,
        labels: h.labels,
        counts: first.counts,
        centred: first.centred,
        weights,
        hasClassifier: h.classifier !== null,
        nc1,
        partial,
      },
      warnings,
      ctx.dense,
    );
    confusedRows(metrics, f, CONFUSION, h.labels);
    // the test split, after the training split's warnings, as analyze gives it
    const test = await testMetrics(f, where, warnings, ctx.dense);
    const result: MetricsResult = {
      schema: 'nc-lens/metrics@1',
      settings: { centering: h.settings.centering as Centering },
      ...metrics,
      warnings,
    };
    if (test) result.test = test.metrics;
    if (opts.geometry !== false) {
      const geometry: Geometry = {
        labels: h.labels,
        means: Array.from(first.means),
        global_mean: Array.from(first.globalMean),
        weights: weights ? Array.from(weights) : null,
      };
      if (h.samples > 0) geometry.samples = cloudOf(f, first, where);
      if (c > HEATMAP_CLASSES) {
        geometry.cosine_summary = await summaryOf(first, nc1, ctx.dense);
      }
      if (test) {
        const t: SplitGeometry = {
          labels: test.first.labels,
          means: Array.from(test.first.means),
          global_mean: Array.from(test.first.globalMean),
          weights: test.weights ? Array.from(test.weights) : null,
        };
        if (test.first.labels.length > HEATMAP_CLASSES) {
          t.cosine_summary = await summaryOf(test.first, test.nc1, ctx.dense);
        }
        geometry.test = t;
      }
      result.geometry = geometry;
    }
    result.inputs = h.shards.map((s) => ({ file: s.file, bytes: s.bytes, sha256: s.sha256 }));
    result.engine = {
      backend: 'onnxruntime',
      threads: ctx.machine.threads,
      seconds: (performance.now() - started) / 1000,
      device: ctx.machine.device,
      precision: 'float64',
    };
    return result;
  } finally {
    await close();
  }
}

/** The bounded cosine summary of a split's means beyond HEATMAP_CLASSES, as analyzeSplit. */
function summaryOf(
  first: Omit<FirstPass, 'classes'>,
  nc1: Nc1Directions,
  dense: Dense,
): ReturnType<typeof cosineSummary> {
  const c = first.labels.length;
  return cosineSummary(
    first.centred,
    c,
    first.d,
    rowNorms(first.centred, c, first.d),
    leadingDirections(nc1, first.d),
    dense,
  );
}

/** Each class's most frequent wrong decisions (among `candidates`), as analyzeSplit gives them. */
function confusedRows(
  metrics: SplitMetrics,
  f: StatsFile,
  names: typeof CONFUSION | typeof TEST_CONFUSION,
  candidates: number[],
): void {
  const [[nccName], [clsName]] = names;
  if (!f.arrays[nccName]) return;
  const c = metrics.per_class.length;
  const counts = (name: string) => {
    const m = new Map<number, number>();
    addConfusion(m, f.arrays[name]);
    return m;
  };
  const ncc = confusedClasses(counts(nccName), c, candidates);
  const cls = f.arrays[clsName] ? confusedClasses(counts(clsName), c, candidates) : null;
  metrics.per_class.forEach((row, k) => {
    if (cls) row.confused_classifier = cls[k];
    row.confused_ncc = ncc[k];
  });
}

/**
 * The test split's metrics of merged pass-2 statistics (engine/index.ts datasetMetrics: its
 * own means and NC1 directions, decisions among the training classes), its warnings added to
 * `warnings` prefixed `test split: `; or its problem as a warning, or null without one.
 */
async function testMetrics(
  f: StatsFile,
  where: string,
  warnings: string[],
  dense: Dense,
): Promise<{
  metrics: SplitMetrics;
  first: Omit<FirstPass, 'classes'>;
  nc1: Nc1Directions;
  weights: Float64Array | null;
} | null> {
  const h = f.header;
  const t = h.test;
  if (!t) return null;
  if (t.problem) {
    warnings.push(t.problem);
    return null;
  }
  const a = f.arrays;
  if (!a.testCounts || !a.testSquares) {
    throw badInput(where, 'merged pass-2 statistics with their test plan', 'no test arrays');
  }
  const total = a.testCounts.reduce((x, y) => x + y, 0);
  if (t.n !== total) {
    throw badInput(
      where,
      `pass-2 statistics of all ${total} test rows the test means cover`,
      `${t.n} test rows (merge every part)`,
    );
  }
  const own: string[] = [];
  const first = firstFromSums(
    { n: t.n, d: h.d, labels: t.labels, counts: a.testCounts, sums: a.testSums },
    h.settings.centering,
    own,
  );
  own.push(...t.warnings);
  const nc1: Nc1Directions = {
    directions: a.testDirections,
    weights: a.testNc1Weights,
    count: t.r,
  };
  const weights = a.testWeights ?? null;
  const metrics = await splitMetrics(
    {
      n: t.n,
      d: h.d,
      c: t.c,
      labels: t.labels,
      counts: first.counts,
      centred: first.centred,
      weights,
      hasClassifier: t.classifier === true,
      nc1,
      partial: {
        rows: t.n,
        squares: a.testSquares,
        projections: a.testProjections,
        nccCorrect: a.testNccCorrect,
        classifierCorrect: a.testClassifierCorrect,
        mismatches: a.testMismatches[0],
        samples: [],
      },
    },
    own,
    dense,
  );
  confusedRows(metrics, f, TEST_CONFUSION, h.labels);
  warnings.push(...own.map((w) => `test split: ${w}`));
  return { metrics, first, nc1, weights };
}
