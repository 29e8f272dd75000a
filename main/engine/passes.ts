/**
 * The two streaming passes over one split (train or test) of a dataset:
 * pass 1 reads the features once for class counts and sums (→ μ_k, μ_G), checking every
 * value is finite; pass 2 reads them again and hands chunks to a RowRunner, which computes
 * the NC1 projections and the NCC/classifier decisions (accumulate.ts), and, when asked, the
 * coordinates of a subsample of rows for the 3-D view (samples.ts). Memory: O(C·D + C²)
 * plus one chunk (plus the sample cloud, bounded), whatever N is.
 */
import type { Centering, SampleCloud, SplitMetrics } from '../../shared/schema.ts';
import { badInput, cancelled } from '../../shared/errors.ts';
import { arrayLabel, assertFinite } from '../io/index.ts';
import type { ArraySource, Matrix } from '../io/types.ts';
import type { Chunk, DecisionPlan, LogitsPlan, Pass2Partial, Pass2Plan } from './accumulate.ts';
import { splitMetrics } from './metrics.ts';
import type { Nc1Directions } from './nc1.ts';
import { nc1Directions } from './nc1.ts';
import { dot, rowNorms, squaredDistance } from './linalg.ts';
import type { RowRunner } from './runner.ts';
import type { SampleSetup } from './samples.ts';
import { picksWithin, sampleCloud, sampleSetup } from './samples.ts';

/**
 * Rows per chunk: about 2 MB of float64 whatever D is; small enough to stay in cache and keep
 * cancellation prompt, big enough that per-chunk overheads vanish.
 */
function chunkRows(d: number): number {
  return Math.max(64, Math.min(65536, Math.floor(2 ** 18 / Math.max(d, 1))));
}

export interface JobContext {
  centering: Centering;
  signal?: AbortSignal;
  /** Called after each chunk with the rows just processed in this pass, of `total`. */
  progress(phase: string, rows: number, total: number): void;
  /** The runner for pass 2, created on first use (sized by the work it will do). */
  runner(work: number): Promise<RowRunner>;
}

export interface SplitInput {
  features: ArraySource;
  labels: ArraySource;
  logits?: ArraySource;
}

export interface ClassifierInput {
  weight?: Matrix;
  bias?: Float64Array;
}

/** What pass 1 learns about a split. */
export interface FirstPass {
  n: number;
  d: number;
  /** Label value of each class, ascending. */
  labels: number[];
  /** Class index of every row. */
  classes: Int32Array;
  counts: Float64Array;
  means: Float64Array;
  globalMean: Float64Array;
  /** μ_k − μ_G (c×d). */
  centred: Float64Array;
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw cancelled();
}

/** Classes are the distinct label values present, sorted (docs/metrics.md, Notation). */
async function classesOf(
  labels: ArraySource,
  n: number,
  where: string,
): Promise<{ labels: number[]; classes: Int32Array; counts: Float64Array }> {
  if (labels.rows !== n || labels.rowSize !== 1) {
    throw badInput(
      arrayLabel(labels),
      `${n} labels, one per row of ${where}`,
      labels.shape.join('×'),
    );
  }
  const values = await labels.readRows(0, n);
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  const index = new Map(distinct.map((v, k) => [v, k]));
  const classes = new Int32Array(n);
  const counts = new Float64Array(distinct.length);
  for (let i = 0; i < n; i++) {
    const k = index.get(values[i])!;
    classes[i] = k;
    counts[k]++;
  }
  return { labels: distinct, classes, counts };
}

/**
 * Adds each row of h to its class's sum; returns false if a value is NaN or ±Inf (checked in
 * the same sweep: `v − v` is 0 only for finite v). A small function so V8 optimises it alone.
 */
function addClassSums(
  h: Float64Array,
  classes: Int32Array,
  d: number,
  sums: Float64Array,
): boolean {
  let finite = true;
  for (let i = 0; i < classes.length; i++) {
    const so = classes[i] * d;
    const ho = i * d;
    for (let t = 0; t < d; t++) {
      const v = h[ho + t];
      finite &&= v - v === 0;
      sums[so + t] += v;
    }
  }
  return finite;
}

/** Why a split's labels cannot be analysed (too few classes or samples), or null. */
function classProblem(
  c: number,
  n: number,
  labels: number[],
): { expected: string; found: string } | null {
  if (c < 2) return { expected: 'at least 2 classes', found: `only label ${labels[0]}` };
  if (c >= n) return { expected: 'more samples than classes', found: `${n} samples, ${c} classes` };
  return null;
}

/** For an optional split (the test split): why it cannot be analysed, or null. */
export async function splitProblem(split: SplitInput): Promise<string | null> {
  const n = split.features.rows;
  const { labels } = await classesOf(split.labels, n, arrayLabel(split.features));
  const problem = classProblem(labels.length, n, labels);
  return (
    problem && `${arrayLabel(split.labels)}: expected ${problem.expected}, found ${problem.found}`
  );
}

export async function firstPass(
  split: SplitInput,
  job: JobContext,
  phase: string,
  warnings: string[],
): Promise<FirstPass> {
  const { features } = split;
  const where = arrayLabel(features);
  const n = features.rows;
  const d = features.rowSize;
  const { labels, classes, counts } = await classesOf(split.labels, n, where);
  const c = labels.length;
  const problem = classProblem(c, n, labels);
  if (problem) throw badInput(arrayLabel(split.labels), problem.expected, problem.found);
  // Start the pass-2 runner now: worker threads then load while pass 1 reads.
  job.runner(n * d * 3 * c).catch(() => undefined);
  const sums = new Float64Array(c * d);
  const step = chunkRows(d);
  for (let start = 0; start < n; start += step) {
    checkAbort(job.signal);
    const end = Math.min(n, start + step);
    const h = await features.readRows(start, end, job.signal);
    // assertFinite names the first bad row; run it only when there is one.
    if (!addClassSums(h, classes.subarray(start, end), d, sums))
      assertFinite(h, start, d, where, 'features');
    job.progress(phase, end - start, n);
  }
  const means = sums.map((s, i) => s / counts[Math.floor(i / d)]);
  const globalMean = new Float64Array(d);
  if (job.centering === 'samples') {
    for (let i = 0; i < c * d; i++) globalMean[i % d] += sums[i] / n;
  } else {
    for (let i = 0; i < c * d; i++) globalMean[i % d] += means[i] / c;
  }
  const centred = means.map((m, i) => m - globalMean[i % d]);
  const single = labels.filter((_, k) => counts[k] === 1);
  if (single.length) {
    warnings.push(
      `${single.length === 1 ? 'class' : 'classes'} ${single.join(', ')} ${single.length === 1 ? 'has' : 'have'} a single sample: within-class variance 0`,
    );
  }
  return { n, d, labels, classes, counts, means, globalMean, centred };
}

/** Classifier rows of the given labels (c×d). */
function weightRows(weight: Matrix, labels: number[], where: string): Float64Array {
  const d = weight.cols;
  const out = new Float64Array(labels.length * d);
  labels.forEach((label, k) => {
    if (label >= weight.rows) {
      throw badInput(
        where,
        `a classifier row for every label (${weight.rows} rows)`,
        `label ${label}`,
      );
    }
    out.set(weight.data.subarray(label * d, (label + 1) * d), k * d);
  });
  return out;
}

function maxRowNorm(v: Float64Array, rows: number, d: number): number {
  return rowNorms(v, rows, d).reduce((max, x) => Math.max(max, x), 0);
}

export interface SecondPassSetup {
  plan: Pass2Plan;
  nc1: Nc1Directions;
  /** This split's classifier rows (for NC2/NC3 of W), or null. */
  weights: Float64Array | null;
}

/**
 * The pass-2 plan of a split. `reference` is the split whose means the NCC uses (the
 * training split, for a test split) and whose classes the classifier chooses among.
 */
export function secondPassSetup(
  own: FirstPass,
  reference: FirstPass,
  classifier: ClassifierInput,
  logits: ArraySource | undefined,
  where: string,
  warnings: string[],
): SecondPassSetup {
  const d = own.d;
  const c = own.labels.length;
  const blocks: Float64Array[] = [own.centred];
  let k = c;
  const ncc = nccPlan(own, reference, own === reference ? 0 : k);
  if (own !== reference) {
    blocks.push(reference.centred);
    k += reference.labels.length;
  }
  let decision: DecisionPlan | LogitsPlan | null = null;
  let weights: Float64Array | null = null;
  const { weight, bias } = classifier;
  if (weight) {
    if (weight.cols !== d) {
      throw badInput(where, `features of width ${weight.cols} like the classifier`, `width ${d}`);
    }
    weights = weightRows(weight, own.labels, where);
    const chosen = weightRows(weight, reference.labels, where);
    decision = classifierPlan(own, reference, chosen, bias, k);
    blocks.push(chosen);
    k += reference.labels.length;
    noteAbsentRows(weight.rows, reference.labels, warnings);
  } else if (logits) {
    decision = logitsPlan(logits, reference.labels, own.n, where);
    noteAbsentRows(logits.rowSize, reference.labels, warnings);
  }
  const nc1 = nc1Directions(own.centred, c, d);
  blocks.push(nc1.directions);
  const projAt = k;
  k += nc1.count;
  const cols = new Float64Array(k * d);
  let at = 0;
  for (const b of blocks) {
    cols.set(b, at);
    at += b.length;
  }
  return {
    plan: {
      d,
      c,
      labels: own.labels,
      means: own.means,
      cols,
      k,
      projAt,
      projCount: nc1.count,
      ncc,
      classifier: decision,
      samples: null,
    },
    nc1,
    weights,
  };
}

/** NCC: argmin_j ‖μ_y − m_j‖² − 2 r·(m_j − μ_G), the ‖h − m_j‖² ordering written on r. */
function nccPlan(own: FirstPass, reference: FirstPass, at: number): DecisionPlan {
  const { d } = own;
  const c = own.labels.length;
  const count = reference.labels.length;
  const table = new Float64Array(c * count);
  for (let y = 0; y < c; y++) {
    for (let j = 0; j < count; j++) {
      table[y * count + j] = squaredDistance(own.means, y * d, reference.means, j * d, d);
    }
  }
  return {
    kind: 'scores',
    at,
    count,
    table,
    factor: -2,
    largest: false,
    labels: reference.labels,
    maxColNorm: maxRowNorm(reference.centred, count, d),
  };
}

/** Classifier: argmax_j w_j·r + (w_j·μ_y + b_j), the w_j·h + b_j ordering written on r. */
function classifierPlan(
  own: FirstPass,
  reference: FirstPass,
  rows: Float64Array,
  bias: Float64Array | undefined,
  at: number,
): DecisionPlan {
  const { d } = own;
  const c = own.labels.length;
  const count = reference.labels.length;
  const table = new Float64Array(c * count);
  for (let y = 0; y < c; y++) {
    for (let j = 0; j < count; j++) {
      const b = bias ? bias[reference.labels[j]] : 0;
      table[y * count + j] = b + dot(rows, j * d, own.means, y * d, d);
    }
  }
  return {
    kind: 'scores',
    at,
    count,
    table,
    factor: 1,
    largest: true,
    labels: reference.labels,
    maxColNorm: maxRowNorm(rows, count, d),
  };
}

function logitsPlan(logits: ArraySource, labels: number[], n: number, where: string): LogitsPlan {
  const width = logits.rowSize;
  if (logits.rows !== n || labels[labels.length - 1] >= width) {
    throw badInput(
      arrayLabel(logits),
      `logits ${n}×C with a column for every label of ${where}`,
      logits.shape.join('×'),
    );
  }
  return { kind: 'logits', columns: labels, labels };
}

function noteAbsentRows(rows: number, labels: number[], warnings: string[]): void {
  const present = new Set(labels);
  const absent = Array.from({ length: rows }, (_, j) => j).filter((j) => !present.has(j));
  if (absent.length) {
    const list = absent.length > 10 ? `${absent.slice(0, 10).join(', ')}, …` : absent.join(', ');
    warnings.push(
      `the classifier has ${absent.length} output(s) for labels absent from the data (${list}): ignored`,
    );
  }
}

async function secondPass(
  split: SplitInput,
  own: FirstPass,
  setup: SecondPassSetup,
  job: JobContext,
  phase: string,
  picks?: Int32Array,
): Promise<Pass2Partial> {
  const { plan } = setup;
  const { n, d } = own;
  const runner = await job.runner(n * d * plan.k);
  await runner.begin(plan);
  const step = chunkRows(d);
  const logits = plan.classifier?.kind === 'logits' ? split.logits : undefined;
  let pickAt = 0;
  for (let start = 0; start < n; start += step) {
    checkAbort(job.signal);
    const end = Math.min(n, start + step);
    const chunk: Chunk = {
      rows: end - start,
      features: await split.features.readRows(start, end, job.signal),
      classes: own.classes.subarray(start, end),
    };
    if (picks) {
      chunk.picks = picksWithin(picks, pickAt, start, end);
      chunk.pickAt = pickAt;
      pickAt += chunk.picks.length;
    }
    if (logits) {
      chunk.logits = await logits.readRows(start, end, job.signal);
      assertFinite(chunk.logits, start, logits.rowSize, arrayLabel(logits), 'logits');
      chunk.logitWidth = logits.rowSize;
    }
    checkAbort(job.signal);
    await runner.push(chunk);
    job.progress(phase, end - start, n);
  }
  const partial = await runner.end();
  checkAbort(job.signal);
  return partial;
}

/**
 * Both passes over one split, and its metrics; with `samples` > 0, also its sample cloud,
 * within that share of the whole-job bounds (samples.ts).
 */
export async function analyzeSplit(
  split: SplitInput,
  classifier: ClassifierInput,
  job: JobContext,
  opts: { reference?: FirstPass; name: string; warnings: string[]; samples?: number },
): Promise<{
  first: FirstPass;
  metrics: SplitMetrics;
  weights: Float64Array | null;
  samples?: SampleCloud;
}> {
  const { name, warnings } = opts;
  const first = await firstPass(split, job, `${name}: pass 1`, warnings);
  const setup = secondPassSetup(
    first,
    opts.reference ?? first,
    classifier,
    split.logits,
    arrayLabel(split.features),
    warnings,
  );
  let cloud: SampleSetup | null = null;
  if (opts.samples) {
    cloud = sampleSetup(first, setup.nc1, opts.samples);
    setup.plan.samples = cloud?.plan ?? null;
  }
  const partial = await secondPass(split, first, setup, job, `${name}: pass 2`, cloud?.picks);
  const metrics = splitMetrics(
    {
      n: first.n,
      d: first.d,
      c: first.labels.length,
      labels: first.labels,
      counts: first.counts,
      centred: first.centred,
      weights: setup.weights,
      hasClassifier: setup.plan.classifier !== null,
      nc1: setup.nc1,
      partial,
    },
    warnings,
  );
  const samples = cloud ? sampleCloud(cloud, first.classes, partial.samples) : undefined;
  return { first, metrics, weights: setup.weights, samples };
}
