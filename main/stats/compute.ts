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
import type { Centering, Geometry, MetricsResult } from '../../shared/schema.ts';
import type { RoleOverrides } from '../io/index.ts';
import type { Matrix } from '../io/types.ts';
import type { Pass2Partial } from '../engine/accumulate.ts';
import { SecondPass } from '../engine/accumulate.ts';
import { rowNorms } from '../../shared/linalg.ts';
import { splitMetrics } from '../engine/metrics.ts';
import type { Nc1Directions } from '../engine/nc1.ts';
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
} from './format.ts';
import { canonicalShards, decodeStats, encodeStats } from './format.ts';
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
  warnings: h.warnings ?? [],
  shards: canonicalShards(h.shards),
});

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
        const bytes = encodeStats(
          header({
            kind: 'pass1',
            settings: job.settings,
            n: s.n,
            d: s.d,
            labels: s.labels,
            shards: [shard.record],
          }),
          [
            ['counts', s.counts],
            ['sums', s.sums],
          ],
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

function sameArray(a: Float64Array | undefined, b: Float64Array | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** Arrays a pass-2 part carries unchanged from its plan: they must agree, and are kept. */
const PLAN_ARRAYS = ['counts', 'sums', 'directions', 'nc1Weights', 'weights'] as const;
const PASS2_SUMS = ['squares', 'projections', 'nccCorrect', 'classifierCorrect', 'mismatches'];

function where(f: StatsFile, i: number, names?: string[]): string {
  return names?.[i] ?? `part ${i + 1}`;
}

/**
 * The statistics of the union of the parts' rows. Refuses parts of different kinds,
 * settings, widths, means, plans or classifiers, and parts whose shards overlap (the same
 * file content with intersecting row ranges). Shard records are kept in canonical order and
 * sums are added, so any tree of merges over the same parts gives the same header bytes and
 * the same sums up to float64 summation order.
 */
export function mergeStats(parts: StatsFile[], names?: string[]): Uint8Array {
  if (!parts.length) throw badInput(undefined, 'statistics files to merge', 'none');
  const first = parts[0].header;
  if (first.kind === 'plan') {
    throw badInput(where(parts[0], 0, names), 'pass-1 or pass-2 statistics', 'a pass-2 plan');
  }
  for (const [i, p] of parts.entries()) {
    const h = p.header;
    const at = where(p, i, names);
    const first0 = where(parts[0], 0, names);
    if (h.kind !== first.kind)
      throw badInput(at, `${first.kind} statistics like ${first0}`, h.kind);
    if (!same(h.settings, first.settings)) {
      throw badInput(
        at,
        `settings ${JSON.stringify(first.settings)} like ${first0}`,
        JSON.stringify(h.settings),
      );
    }
    if (h.d !== first.d)
      throw badInput(at, `features of width ${first.d} like ${first0}`, `width ${h.d}`);
    if (first.kind === 'pass2') {
      if (h.means !== first.means || h.plan !== first.plan) {
        throw badInput(
          at,
          `pass-2 statistics over the means of ${first0} (${short(first.means)})`,
          `means ${short(h.means)}`,
        );
      }
      if (!same(h.classifier, first.classifier)) {
        throw badInput(
          at,
          `the classifier of ${first0}`,
          h.classifier ? `classifier ${short(h.classifier.sha256)}` : 'none',
        );
      }
      for (const name of PLAN_ARRAYS) {
        if (!sameArray(p.arrays[name], parts[0].arrays[name])) {
          throw badInput(at, `the plan of ${first0}`, `a different ${name}`);
        }
      }
    }
  }
  const shards = checkOverlaps(parts, names);
  const n = parts.reduce((s, p) => s + p.header.n, 0);
  if (first.kind === 'pass1') {
    const labels = [...new Set(parts.flatMap((p) => p.header.labels))].sort((a, b) => a - b);
    const index = new Map(labels.map((v, k) => [v, k]));
    const d = first.d;
    const counts = new Float64Array(labels.length);
    const sums = new Float64Array(labels.length * d);
    for (const p of parts) {
      p.header.labels.forEach((label, j) => {
        const k = index.get(label)!;
        counts[k] += p.arrays.counts[j];
        for (let t = 0; t < d; t++) sums[k * d + t] += p.arrays.sums[j * d + t];
      });
    }
    return encodeStats(header({ kind: 'pass1', settings: first.settings, n, d, labels, shards }), [
      ['counts', counts],
      ['sums', sums],
    ]);
  }
  const arrays: [string, Float64Array][] = first.arrays.map(({ name }) => {
    if (!PASS2_SUMS.includes(name)) return [name, parts[0].arrays[name]];
    const out = new Float64Array(parts[0].arrays[name].length);
    for (const p of parts) {
      const a = p.arrays[name];
      for (let i = 0; i < out.length; i++) out[i] += a[i];
    }
    return [name, out];
  });
  const { arrays: _a, schema: _s, ...rest } = first;
  return encodeStats({ ...rest, n, shards: canonicalShards(shards) }, arrays);
}

function short(digest: string | null | undefined): string {
  return digest ? digest.slice(0, 12) : 'none';
}

function checkOverlaps(parts: StatsFile[], names?: string[]): ShardRecord[] {
  const all = parts.flatMap((p, i) => p.header.shards.map((s) => ({ s, i })));
  all.sort((a, b) =>
    a.s.sha256 !== b.s.sha256 ? (a.s.sha256 < b.s.sha256 ? -1 : 1) : a.s.start - b.s.start,
  );
  for (let j = 1; j < all.length; j++) {
    const a = all[j - 1];
    const b = all[j];
    if (a.s.sha256 === b.s.sha256 && b.s.start < a.s.end) {
      throw badInput(
        where(parts[b.i], b.i, names),
        'statistics of rows no other part covers',
        `rows ${b.s.start}:${b.s.end} of ${b.s.file}, overlapping rows ${a.s.start}:${a.s.end} in ${where(parts[a.i], a.i, names)}`,
      );
    }
  }
  return all.map((x) => x.s);
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
  job: Omit<StatsJob, 'settings'>,
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
        warnings,
        shards: h.shards,
      }),
      arrays,
    );
  } finally {
    await close();
  }
}

// ---------------------------------------------------------------------------------------
// pass 2

function nc1Of(f: StatsFile): Nc1Directions {
  return { directions: f.arrays.directions, weights: f.arrays.nc1Weights, count: f.header.r };
}

/** The classifier a plan holds, as the engine takes it (rows at their label). */
function planClassifier(plan: StatsFile): { weight?: Matrix; bias?: Float64Array } {
  const { weights, bias } = plan.arrays;
  if (!weights) return {};
  const { labels, d } = plan.header;
  const rows = labels[labels.length - 1] + 1;
  const data = new Float64Array(rows * d);
  const b = new Float64Array(rows);
  labels.forEach((label, k) => {
    data.set(weights.subarray(k * d, (k + 1) * d), label * d);
    b[label] = bias[k];
  });
  return { weight: { rows, cols: d, data }, bias: b };
}

/** The pass-2 part of some shards, with a plan (planStats). */
export async function pass2Stats(
  specs: ShardSpec[],
  plan: StatsFile,
  planName: string,
  digests: Digests,
  job: Omit<StatsJob, 'settings'>,
): Promise<Uint8Array> {
  const ph = plan.header;
  if (ph.kind !== 'plan') {
    throw badInput(planName, 'a pass-2 plan (nc-lens stats plan)', `${ph.kind} statistics`);
  }
  const first = totals({ ...plan, header: { ...ph, kind: 'pass1' } }, []);
  const index = new Map(ph.labels.map((v, k) => [v, k]));
  const classifier = planClassifier(plan);
  const { ctx, close } = jobContext({ ...job, settings: ph.settings });
  const parts: StatsFile[] = [];
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
        const classes = new Int32Array(n);
        for (let i = 0; i < n; i++) {
          const k = index.get(values[i]);
          if (k === undefined) {
            throw badInput(
              spec.file,
              `labels the pass-1 statistics know (${ph.c} classes)`,
              `label ${values[i]} in row ${i}`,
            );
          }
          classes[i] = k;
        }
        const logits = ph.classifier?.kind === 'logits' ? shard.logits : undefined;
        if (ph.classifier?.kind === 'logits' && !logits) {
          throw badInput(spec.file, 'a logits array (the plan decides by logits)', 'none');
        }
        const own = { ...first, n, classes };
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
        const pass = new SecondPass(setup.plan, ctx.machine);
        let partial: Pass2Partial;
        try {
          partial = await secondPass(
            { features: shard.features, labels: shard.labels, logits },
            own,
            pass,
            ctx,
            'pass 2',
          );
        } finally {
          await pass.close();
        }
        if (job.signal?.aborted) throw cancelled();
        const arrays: [string, Float64Array][] = [
          ['squares', partial.squares],
          ['projections', partial.projections],
          ['nccCorrect', partial.nccCorrect],
          ['classifierCorrect', partial.classifierCorrect],
          ['mismatches', Float64Array.of(partial.mismatches)],
          ['counts', plan.arrays.counts],
          ['sums', plan.arrays.sums],
          ['directions', plan.arrays.directions],
          ['nc1Weights', plan.arrays.nc1Weights],
        ];
        if (plan.arrays.weights) arrays.push(['weights', plan.arrays.weights]);
        const bytes = encodeStats(
          header({
            kind: 'pass2',
            settings: ph.settings,
            n,
            d: ph.d,
            labels: ph.labels,
            means: ph.means,
            plan: plan.digest,
            classifier: ph.classifier,
            r: ph.r,
            warnings: ph.warnings,
            shards: [shard.record],
          }),
          arrays,
        );
        parts.push(decodeStats(bytes, spec.file));
      } finally {
        await shard.close();
      }
    }
  } finally {
    await close();
  }
  return parts.length === 1 ? encodedAgain(parts[0]) : mergeStats(parts);
}

// ---------------------------------------------------------------------------------------
// metrics

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
    const result: MetricsResult = {
      schema: 'nc-lens/metrics@1',
      settings: { centering: h.settings.centering as Centering },
      ...metrics,
      warnings,
    };
    if (opts.geometry !== false) {
      const geometry: Geometry = {
        labels: h.labels,
        means: Array.from(first.means),
        global_mean: Array.from(first.globalMean),
        weights: weights ? Array.from(weights) : null,
      };
      if (c > HEATMAP_CLASSES) {
        geometry.cosine_summary = await cosineSummary(
          first.centred,
          c,
          h.d,
          rowNorms(first.centred, c, h.d),
          leadingDirections(nc1, h.d),
          ctx.dense,
        );
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
