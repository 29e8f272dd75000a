/**
 * The two streaming passes over one split (train or test) of a dataset:
 * pass 1 reads the features once for class counts and sums (→ μ_k, μ_G), checking every
 * value is finite, in JS over the rows as read (float32 stays float32; measured here, these
 * segment sums run at 0.5–0.64·10⁹ values/s against 0.05–0.54 for ONNX Runtime one-hot
 * products and 0.04–0.08 for its ScatterElements, C = 10 … 1 000);
 * pass 2 reads them again and runs each chunk through one ONNX graph (accumulate.ts) for the
 * NC1 projections and the NCC/classifier decisions, and, when asked, the coordinates of a
 * subsample of rows for the 3-D view (samples.ts). Reading the next chunk overlaps the graph
 * run of the current one. Memory: O(C·D) plus one chunk (plus the sample cloud, bounded),
 * whatever N and C are.
 */
import type { Centering, CosineSummary, SampleCloud, SplitMetrics } from '../../shared/schema.ts';
import { badInput, cancelled } from '../../shared/errors.ts';
import { arrayLabel, assertFinite } from '../io/index.ts';
import type { ArraySource, Matrix } from '../io/types.ts';
import type { Chunk, LogitsPlan, Pass2Partial, Pass2Plan } from './accumulate.ts';
import { SecondPass, runRows } from './accumulate.ts';
import { rowNorms } from '../../shared/linalg.ts';
import { confusedClasses, splitMetrics } from './metrics.ts';
import { HEATMAP_CLASSES, cosineSummary } from './pairs.ts';
import type { Nc1Directions } from './nc1.ts';
import { nc1Directions } from './nc1.ts';
import type { Dense, Machine } from './ort.ts';
import type { SampleSetup } from './samples.ts';
import { picksWithin, sampleCloud, sampleSetup } from './samples.ts';

/**
 * Rows per chunk read: about 4 MB of float32 whatever D is; small enough to keep
 * cancellation prompt, big enough that per-read and per-run overheads vanish.
 */
function chunkRows(d: number): number {
  return Math.max(64, Math.min(65536, Math.floor(2 ** 20 / Math.max(d, 1))));
}

/** Rows [start, end) of features as the graphs take them (float32 kept as read). */
function readFeatures(
  a: ArraySource,
  start: number,
  end: number,
  signal?: AbortSignal,
): Promise<Float32Array | Float64Array> {
  return a.readFeatures ? a.readFeatures(start, end, signal) : a.readRows(start, end, signal);
}

export interface JobContext {
  centering: Centering;
  signal?: AbortSignal;
  /** Called after each chunk with the rows just processed in this pass, of `total`. */
  progress(phase: string, rows: number, total: number): void;
  /** Where the graphs run (device, intra-op threads). */
  machine: Machine;
  /** The job's dense float64 products (Gram matrices, tiles). */
  dense: Dense;
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

/** Rows of labels read at a time: labels are read in chunks, never whole. */
const LABEL_CHUNK = 1 << 20;

/**
 * Classes are the distinct label values present, sorted (docs/metrics.md, Notation). The
 * labels are read twice in chunks (distinct values, then the class of each row), so only
 * the compact class index (4 bytes a row) is kept.
 */
async function classesOf(
  labels: ArraySource,
  n: number,
  where: string,
  signal?: AbortSignal,
): Promise<{ labels: number[]; classes: Int32Array; counts: Float64Array }> {
  if (labels.rows !== n || labels.rowSize !== 1) {
    throw badInput(
      arrayLabel(labels),
      `${n} labels, one per row of ${where}`,
      labels.shape.join('×'),
    );
  }
  const seen = new Set<number>();
  for (let s = 0; s < n; s += LABEL_CHUNK) {
    const values = await labels.readRows(s, Math.min(n, s + LABEL_CHUNK), signal);
    for (let i = 0; i < values.length; i++) seen.add(values[i]);
  }
  const distinct = [...seen].sort((a, b) => a - b);
  const index = new Map(distinct.map((v, k) => [v, k]));
  const classes = new Int32Array(n);
  const counts = new Float64Array(distinct.length);
  for (let s = 0; s < n; s += LABEL_CHUNK) {
    const values = await labels.readRows(s, Math.min(n, s + LABEL_CHUNK), signal);
    for (let i = 0; i < values.length; i++) {
      const k = index.get(values[i])!;
      classes[s + i] = k;
      counts[k]++;
    }
  }
  return { labels: distinct, classes, counts };
}

/**
 * Adds each row of h to its class's sum; returns false if a value is NaN or ±Inf (checked in
 * the same sweep: `v − v` is 0 only for finite v). A small function so V8 optimises it alone.
 */
function addClassSums(
  h: Float32Array | Float64Array,
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

/** Pages rows [0, n) of `features` chunk by chunk, reading the next chunk during `use`. */
async function eachChunk(
  features: ArraySource,
  step: number,
  signal: AbortSignal | undefined,
  use: (h: Float32Array | Float64Array, start: number, end: number) => Promise<void> | void,
): Promise<void> {
  const n = features.rows;
  const read = (start: number) => {
    const p = readFeatures(features, start, Math.min(n, start + step), signal);
    p.catch(() => undefined); // awaited below; a read abandoned by a failure must not go unhandled
    return p;
  };
  let next = n > 0 ? read(0) : null;
  for (let start = 0; start < n; start += step) {
    checkAbort(signal);
    const h = await next!;
    next = start + step < n ? read(start + step) : null;
    await use(h, start, Math.min(n, start + step));
  }
}

/** Per-class counts and feature sums of a split's rows (pass 1 without its checks). */
export interface ClassSums {
  n: number;
  d: number;
  labels: number[];
  classes: Int32Array;
  counts: Float64Array;
  /** Σ h_i per class (c×d). */
  sums: Float64Array;
}

/**
 * Pass 1's sweep: class of every row, counts and sums, every value checked finite. Shards
 * (main/stats) run it on their own rows; `firstPass` on a whole split.
 */
export async function classSums(
  split: { features: ArraySource; labels: ArraySource },
  job: Pick<JobContext, 'signal' | 'progress'>,
  phase: string,
): Promise<ClassSums> {
  const { features } = split;
  const where = arrayLabel(features);
  const n = features.rows;
  const d = features.rowSize;
  const { labels, classes, counts } = await classesOf(split.labels, n, where, job.signal);
  const sums = new Float64Array(labels.length * d);
  await eachChunk(features, chunkRows(d), job.signal, (h, start, end) => {
    // assertFinite names the first bad row; run it only when there is one.
    if (!addClassSums(h, classes.subarray(start, end), d, sums))
      assertFinite(Float64Array.from(h), start, d, where, 'features');
    job.progress(phase, end - start, n);
  });
  return { n, d, labels, classes, counts, sums };
}

/**
 * The means pass 1 derives from class counts and sums (of a split, or of merged shards):
 * μ_k, μ_G (by `centering`) and μ_k − μ_G, with the single-sample warning.
 */
export function firstFromSums(
  s: Omit<ClassSums, 'classes'>,
  centering: Centering,
  warnings: string[],
): Omit<FirstPass, 'classes'> {
  const { n, d, labels, counts, sums } = s;
  const c = labels.length;
  const means = sums.map((v, i) => v / counts[Math.floor(i / d)]);
  const globalMean = new Float64Array(d);
  if (centering === 'samples') {
    for (let i = 0; i < c * d; i++) globalMean[i % d] += sums[i] / n;
  } else {
    for (let i = 0; i < c * d; i++) globalMean[i % d] += means[i] / c;
  }
  const centred = means.map((m, i) => m - globalMean[i % d]);
  const single = labels.filter((_, k) => counts[k] === 1);
  if (single.length) {
    const list = single.length > 10 ? `${single.slice(0, 10).join(', ')}, …` : single.join(', ');
    warnings.push(
      `${single.length === 1 ? 'class' : `${single.length} classes`} ${list} ${single.length === 1 ? 'has' : 'have'} a single sample: within-class variance 0`,
    );
  }
  return { n, d, labels, counts, means, globalMean, centred };
}

/** Why merged class counts cannot be analysed (too few classes or samples), or null. */
export function sumsProblem(
  n: number,
  labels: number[],
): { expected: string; found: string } | null {
  return classProblem(labels.length, n, labels);
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
  const { labels: distinct, classes, counts } = await classesOf(split.labels, n, where, job.signal);
  const c = distinct.length;
  const problem = classProblem(c, n, distinct);
  if (problem) throw badInput(arrayLabel(split.labels), problem.expected, problem.found);
  const sums = new Float64Array(c * d);
  await eachChunk(features, chunkRows(d), job.signal, (h, start, end) => {
    // assertFinite names the first bad row; run it only when there is one.
    if (!addClassSums(h, classes.subarray(start, end), d, sums))
      assertFinite(Float64Array.from(h), start, d, where, 'features');
    job.progress(phase, end - start, n);
  });
  const first = firstFromSums({ n, d, labels: distinct, counts, sums }, job.centering, warnings);
  return { ...first, classes };
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

export interface SecondPassSetup {
  plan: Pass2Plan;
  nc1: Nc1Directions;
  /** This split's classifier rows (for NC2/NC3 of W), or null. */
  weights: Float64Array | null;
}

export interface SetupInput {
  /** The split being measured. */
  own: FirstPass;
  /**
   * The split whose means the NCC uses (the training split, for a test split) and whose
   * classes the classifier chooses among; `own` for a training split.
   */
  reference: FirstPass;
  classifier: ClassifierInput;
  logits: ArraySource | undefined;
  /** How the features are named in messages. */
  where: string;
  warnings: string[];
  dense: Dense;
  /** NC1 directions already computed for these means (a stats plan), else computed here. */
  nc1?: Nc1Directions;
}

/** The pass-2 plan of a split. */
export async function secondPassSetup(input: SetupInput): Promise<SecondPassSetup> {
  const { own, reference, classifier, logits, where, warnings } = input;
  const d = own.d;
  const c = own.labels.length;
  const center = own.globalMean;
  const candidates = reference.labels.length;
  const nccColumns = reference.means.map((m, i) => m - center[i % d]);
  let weights: Float64Array | null = null;
  let weightColumns: Float64Array | null = null;
  let weightShift: Float64Array | null = null;
  let logitsPlan: LogitsPlan | null = null;
  const { weight, bias } = classifier;
  if (weight) {
    if (weight.cols !== d) {
      throw badInput(where, `features of width ${weight.cols} like the classifier`, `width ${d}`);
    }
    weights = weightRows(weight, own.labels, where);
    weightColumns = weightRows(weight, reference.labels, where);
    weightShift = new Float64Array(candidates);
    for (let j = 0; j < candidates; j++) {
      let s = bias ? bias[reference.labels[j]] : 0;
      for (let t = 0; t < d; t++) s += weightColumns[j * d + t] * center[t];
      weightShift[j] = s;
    }
    noteAbsentRows(weight.rows, reference.labels, warnings);
  } else if (logits) {
    logitsPlan = checkLogitsPlan(logits, reference.labels, own.n, where);
    noteAbsentRows(logits.rowSize, reference.labels, warnings);
  }
  const nc1 = input.nc1 ?? (await nc1Directions(own.centred, c, d, input.dense));
  const r = nc1.count;
  // E·(μ_y − c₀) = E·(μ_y − μ_G): the centred means along each direction.
  const offsets = await input.dense.mulT(own.centred, c, d, nc1.directions, r);
  const refIndex = new Map(reference.labels.map((label, j) => [label, j]));
  const truth = Int32Array.from(own.labels, (label) => refIndex.get(label) ?? -1);
  return {
    plan: {
      d,
      c,
      means: own.means,
      center,
      directions: nc1.directions,
      r,
      offsets,
      candidates,
      nccColumns,
      weightColumns,
      weightShift,
      logits: logitsPlan,
      truth,
      samples: null,
    },
    nc1,
    weights,
  };
}

function checkLogitsPlan(
  logits: ArraySource,
  labels: number[],
  n: number,
  where: string,
): LogitsPlan {
  const width = logits.rowSize;
  if (logits.rows !== n || labels[labels.length - 1] >= width) {
    throw badInput(
      arrayLabel(logits),
      `logits ${n}×C with a column for every label of ${where}`,
      logits.shape.join('×'),
    );
  }
  return { columns: labels };
}

function noteAbsentRows(rows: number, labels: number[], warnings: string[]): void {
  const present = new Set(labels);
  let count = 0;
  const first: number[] = [];
  for (let j = 0; j < rows; j++) {
    if (present.has(j)) continue;
    count++;
    if (first.length < 10) first.push(j);
  }
  if (count) {
    const list = count > 10 ? `${first.join(', ')}, …` : first.join(', ');
    warnings.push(
      `the classifier has ${count} output(s) for labels absent from the data (${list}): ignored`,
    );
  }
}

/** Pass 2 over the rows of `split` (whose classes `own.classes` gives). */
export async function secondPass(
  split: SplitInput,
  own: Pick<FirstPass, 'n' | 'd' | 'classes'>,
  pass: SecondPass,
  job: JobContext,
  phase: string,
  picks?: Int32Array,
): Promise<Pass2Partial> {
  const { plan } = pass;
  const { n, d } = own;
  const step = Math.min(chunkRows(d), runRows(plan));
  const logits = plan.logits ? split.logits : undefined;
  let pickAt = 0;
  await eachChunk(split.features, step, job.signal, async (features, start, end) => {
    const chunk: Chunk = { rows: end - start, features, classes: own.classes.subarray(start, end) };
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
    const out = await pass.run(chunk);
    checkAbort(job.signal);
    pass.accumulate(chunk, out);
    job.progress(phase, end - start, n);
  });
  checkAbort(job.signal);
  return pass.acc;
}

/**
 * Both passes over one split, and its metrics; with `samples` > 0, also its sample cloud,
 * within that share of the whole-job bounds (samples.ts).
 */
export async function analyzeSplit(
  split: SplitInput,
  classifier: ClassifierInput,
  job: JobContext,
  opts: {
    reference?: FirstPass;
    name: string;
    warnings: string[];
    samples?: number;
    /** Also the bounded cosine summary, when C is beyond HEATMAP_CLASSES. */
    summary?: boolean;
  },
): Promise<{
  first: FirstPass;
  metrics: SplitMetrics;
  weights: Float64Array | null;
  samples?: SampleCloud;
  cosine?: CosineSummary;
}> {
  const { name, warnings } = opts;
  const first = await firstPass(split, job, `${name}: pass 1`, warnings);
  const setup = await secondPassSetup({
    own: first,
    reference: opts.reference ?? first,
    classifier,
    logits: split.logits,
    where: arrayLabel(split.features),
    warnings,
    dense: job.dense,
  });
  let cloud: SampleSetup | null = null;
  if (opts.samples) {
    cloud = sampleSetup(first, setup.nc1, opts.samples);
    setup.plan.samples = cloud?.plan ?? null;
  }
  const pass = new SecondPass(setup.plan, job.machine);
  let partial: Pass2Partial;
  try {
    partial = await secondPass(split, first, pass, job, `${name}: pass 2`, cloud?.picks);
  } finally {
    await pass.close();
  }
  const metrics = await splitMetrics(
    {
      n: first.n,
      d: first.d,
      c: first.labels.length,
      labels: first.labels,
      counts: first.counts,
      centred: first.centred,
      weights: setup.weights,
      hasClassifier: setup.plan.weightColumns !== null || setup.plan.logits !== null,
      nc1: setup.nc1,
      partial,
    },
    warnings,
    job.dense,
  );
  const c = first.labels.length;
  const confusion = partial.confusion;
  if (confusion) {
    const candidates = (opts.reference ?? first).labels;
    const ncc = confusedClasses(confusion.ncc, c, candidates);
    const hasClassifier = setup.plan.weightColumns !== null || setup.plan.logits !== null;
    const cls = hasClassifier ? confusedClasses(confusion.classifier, c, candidates) : null;
    metrics.per_class.forEach((row, k) => {
      if (cls) row.confused_classifier = cls[k];
      row.confused_ncc = ncc[k];
    });
  }
  const samples = cloud ? sampleCloud(cloud, first.classes, partial.samples) : undefined;
  const cosine =
    opts.summary && c > HEATMAP_CLASSES
      ? await cosineSummary(
          first.centred,
          c,
          first.d,
          rowNorms(first.centred, c, first.d),
          leadingDirections(setup.nc1, first.d),
          job.dense,
        )
      : undefined;
  return { first, metrics, weights: setup.weights, samples, cosine };
}

/** The two most significant NC1 directions (they come ascending), normalised. */
export function leadingDirections(nc1: Nc1Directions, d: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let j = nc1.count - 1; j >= Math.max(0, nc1.count - 2); j--) {
    const e = nc1.directions.slice(j * d, (j + 1) * d);
    const norm = Math.hypot(...e);
    out.push(norm > 0 ? e.map((x) => x / norm) : e);
  }
  return out;
}
