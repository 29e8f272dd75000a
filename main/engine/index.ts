/**
 * The Neural Collapse engine: every metric of docs/metrics.md from activation dumps, in two
 * streaming passes (passes.ts) whose products run as float64 ONNX graphs (ort.ts).
 * What to analyse is decided by the analysis plan (main/plan): it calls `analyzeDataset`,
 * `analyzeLayers` or `analyzeSeries` for the CLI and the app alike.
 */
import { cancelled } from '../../shared/errors.ts';
import type {
  AnalysisResult,
  Centering,
  CosineSummary,
  EngineInfo,
  Geometry,
  MetricsResult,
  Progress,
  SampleCloud,
  SeriesPoint,
  SeriesResult,
  SplitGeometry,
} from '../../shared/schema.ts';
import type { ArraySource, Dataset } from '../io/types.ts';
import type { SeriesEntry } from './epochs.ts';
import { seriesOrder } from './epochs.ts';
import type { FirstPass, JobContext } from './passes.ts';
import { analyzeSplit, splitProblem } from './passes.ts';
import type { Device, Machine } from './ort.ts';
import { Dense, checkDevice, defaultMachine } from './ort.ts';

export { parseEpoch, seriesOrder } from './epochs.ts';
export { checkDevice } from './ort.ts';
export type { Device } from './ort.ts';
export { mergePartials } from './accumulate.ts';

export interface AnalyzeOptions {
  centering?: Centering;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** ONNX Runtime intra-op threads; default: all cores (at most 16). */
  threads?: number;
  /** Where the graphs run: 'cpu' (default) or 'cuda' (where onnxruntime-node has CUDA). */
  device?: Device;
  /** Include result.geometry (means, global mean, classifier rows); default true. */
  geometry?: boolean;
  /**
   * Also include geometry.samples, the 3-D view's sample cloud of the training split
   * (samples.ts); default false. Its bounds hold for the whole job: a series shares them.
   */
  samples?: boolean;
  /**
   * The share of the sample-cloud bounds each point gets; default 1/points of the job. A
   * series analysed a few points at a time (cached runs, a run followed live) fixes it, so a
   * point's cloud does not depend on which points were computed with it.
   */
  samplesShare?: number;
}

/** The engine as it runs: ONNX Runtime's kernels, in float64. */
const BACKEND = 'onnxruntime';

/** One public call: its options, progress meter, machine and dense-product sessions. */
class Job implements JobContext {
  readonly centering: Centering;
  readonly signal?: AbortSignal;
  readonly machine: Machine;
  readonly dense: Dense;
  private readonly started = performance.now();
  private span = { from: 0, to: 1, units: 1, done: 0 };
  private phase = { name: '', rows: 0 };

  constructor(opts: AnalyzeOptions) {
    this.centering = opts.centering ?? 'class-means';
    this.signal = opts.signal;
    this.onProgress = opts.onProgress;
    if (this.signal?.aborted) throw cancelled();
    this.machine = { ...defaultMachine(opts.threads), device: opts.device ?? 'cpu' };
    checkDevice(this.machine.device);
    this.dense = new Dense(this.machine);
  }

  private readonly onProgress?: (p: Progress) => void;

  /** The share [from, to] of the whole job that the next `units` rows of work represent. */
  enter(from: number, to: number, units: number): void {
    this.span = { from, to, units: Math.max(units, 1), done: 0 };
  }

  progress(phase: string, rows: number, total: number): void {
    if (phase !== this.phase.name) this.phase = { name: phase, rows: 0 };
    this.phase.rows += rows;
    this.span.done += rows;
    const { from, to, units, done } = this.span;
    this.onProgress?.({
      phase,
      fraction: from + (to - from) * Math.min(1, done / units),
      rows: this.phase.rows,
      totalRows: total,
    });
  }

  engineInfo(): EngineInfo {
    const seconds = (performance.now() - this.started) / 1000;
    return {
      backend: BACKEND,
      threads: this.machine.threads,
      seconds,
      device: this.machine.device,
      precision: 'float64',
    };
  }

  async close(): Promise<void> {
    await this.dense.close();
  }
}

async function withJob<T>(opts: AnalyzeOptions, work: (job: Job) => Promise<T>): Promise<T> {
  const job = new Job(opts);
  try {
    return await work(job);
  } catch (e) {
    throw opts.signal?.aborted ? cancelled() : e;
  } finally {
    await job.close();
  }
}

function geometryOf({
  first,
  weights,
  samples,
  cosine,
}: {
  first: FirstPass;
  weights: Float64Array | null;
  samples?: SampleCloud;
  cosine?: CosineSummary;
}): Geometry {
  // The training split's geometry is a split's (its test split is added beside it).
  return splitGeometry(first, weights, cosine, samples);
}

function splitGeometry(
  first: FirstPass,
  weights: Float64Array | null,
  cosine?: CosineSummary,
  samples?: SampleCloud,
): SplitGeometry {
  const g: SplitGeometry = {
    labels: first.labels,
    means: Array.from(first.means),
    global_mean: Array.from(first.globalMean),
    weights: weights ? Array.from(weights) : null,
  };
  if (cosine) g.cosine_summary = cosine;
  if (samples) g.samples = samples;
  return g;
}

/** Where one result sits in its job. */
interface PointPlace {
  /** Its share [from, to] of the job's progress. */
  span: [number, number];
  withTest: boolean;
  /** Results in the job: they share the sample-cloud bounds. */
  points: number;
}

/** Metrics of one feature matrix of `ds` (its features, or a layer), with its test split. */
async function datasetMetrics(
  ds: Dataset,
  features: ArraySource,
  job: Job,
  opts: AnalyzeOptions,
  { span, withTest, points }: PointPlace,
): Promise<MetricsResult> {
  const warnings = [...ds.warnings];
  const test = withTest ? ds.test : undefined;
  job.enter(span[0], span[1], 2 * (features.rows + (test?.features.rows ?? 0)));
  // The classifier belongs to the features it was trained on, not to other layers.
  const classifier = features === ds.train.features ? { weight: ds.weight, bias: ds.bias } : {};
  const geometry = opts.geometry !== false;
  // Whether the test split can be analysed is known before the training split is (its labels).
  const unusable = test && (await splitProblem(test));
  const share = geometry && opts.samples ? (opts.samplesShare ?? 1 / points) : 0;
  // With a test split, the point's share of the sample-cloud bounds is split by rows.
  const testRows = test && !unusable ? test.features.rows : 0;
  const trainShare = share * (features.rows / (features.rows + testRows));
  const train = await analyzeSplit({ ...ds.train, features }, classifier, job, {
    name: 'train',
    warnings,
    samples: trainShare,
    summary: geometry,
  });
  const result: MetricsResult = {
    schema: 'nc-lens/metrics@1',
    settings: { centering: job.centering },
    ...train.metrics,
    warnings,
  };
  let testGeometry: SplitGeometry | undefined;
  if (unusable) warnings.push(`test split not analysed: ${unusable}`);
  if (test && !unusable) {
    const testWarnings: string[] = [];
    const t = await analyzeSplit(test, classifier, job, {
      name: 'test',
      reference: train.first,
      warnings: testWarnings,
      // The test split's heatmap beyond HEATMAP_CLASSES needs its own bounded summary.
      summary: geometry,
      samples: share - trainShare,
    });
    result.test = t.metrics;
    warnings.push(...testWarnings.map((w) => `test split: ${w}`));
    if (geometry) testGeometry = splitGeometry(t.first, t.weights, t.cosine, t.samples);
  }
  if (geometry) {
    result.geometry = geometryOf(train);
    if (testGeometry) result.geometry.test = testGeometry;
  }
  return result;
}

async function finish<T extends AnalysisResult>(result: T, job: Job): Promise<T> {
  result.engine = job.engineInfo();
  return result;
}

/** All metrics of a dataset, with its test split under `.test` (layers are ignored). */
export async function analyzeDataset(
  ds: Dataset,
  opts: AnalyzeOptions = {},
): Promise<MetricsResult> {
  return withJob(opts, async (job) =>
    finish(
      await datasetMetrics(ds, ds.train.features, job, opts, {
        span: [0, 1],
        withTest: true,
        points: 1,
      }),
      job,
    ),
  );
}

/** Layer-wise collapse: the metrics of every feature layer of `ds`, in bundle order. */
export async function analyzeLayers(ds: Dataset, opts: AnalyzeOptions = {}): Promise<SeriesResult> {
  const layers = ds.layers ?? [{ name: ds.train.features.name, features: ds.train.features }];
  return withJob(opts, async (job) => {
    const points: SeriesPoint[] = [];
    for (const [i, layer] of layers.entries()) {
      const span: [number, number] = [i / layers.length, (i + 1) / layers.length];
      const metrics = await datasetMetrics(ds, layer.features, job, opts, {
        span,
        withTest: false,
        points: layers.length,
      });
      points.push({ index: i, layer: layer.name, label: layer.name, metrics });
    }
    return finish(seriesResult('layers', job, points), job);
  });
}

function seriesResult(kind: 'epochs' | 'layers', job: Job, points: SeriesPoint[]): SeriesResult {
  return {
    schema: 'nc-lens/series@1',
    kind,
    settings: { centering: job.centering },
    points,
    warnings: [],
  };
}

/** Training dynamics: one point per dump, sorted by the epoch/step in its label. */
export async function analyzeSeries(
  items: { label: string; dataset: Dataset }[],
  opts: AnalyzeOptions = {},
): Promise<SeriesResult> {
  const order = seriesOrder(items.map((it) => it.label));
  return epochSeries(order, opts, (entry, measure) => measure(items[entry.position].dataset));
}

/**
 * The metrics of one series entry: `lend` gives `measure` the entry's dataset (and may open it
 * just for that, and add to what `measure` returns).
 */
type Lend = (
  entry: SeriesEntry,
  measure: (ds: Dataset) => Promise<MetricsResult>,
) => Promise<MetricsResult>;

/** An epoch series: one point per entry of `order`, each from the dataset `lend` gives. */
async function epochSeries(
  order: SeriesEntry[],
  opts: AnalyzeOptions,
  lend: Lend,
): Promise<SeriesResult> {
  return withJob(opts, async (job) => {
    const points: SeriesPoint[] = [];
    for (const [i, entry] of order.entries()) {
      const place: PointPlace = {
        span: [i / order.length, (i + 1) / order.length],
        withTest: true,
        points: order.length,
      };
      const metrics = await lend(entry, (ds) =>
        datasetMetrics(ds, ds.train.features, job, opts, place),
      );
      points.push(seriesPoint(entry, metrics));
    }
    return finish(seriesResult('epochs', job, points), job);
  });
}

function seriesPoint(entry: SeriesEntry, metrics: MetricsResult): SeriesPoint {
  const point: SeriesPoint = { index: entry.index, label: entry.label, metrics };
  if (entry.epoch !== undefined) point.epoch = entry.epoch;
  if (entry.step !== undefined) point.step = entry.step;
  return point;
}

/** The backend and thread count a job would use here. */
export async function backendInfo(): Promise<{ backend: string; threads: number }> {
  return { backend: BACKEND, threads: defaultMachine().threads };
}
