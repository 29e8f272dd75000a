/**
 * The Neural Collapse engine: every metric of docs/metrics.md from activation dumps, in two
 * streaming passes (passes.ts), on worker threads when the job is big enough (pool.ts).
 * The CLI (`analyze`, `report`) calls `analyzePaths`; the app's service, whose files are
 * already open, calls `analyzeDataset` / `analyzeLayers` / `analyzeSeries`.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { cancelled } from '../../shared/errors.ts';
import type {
  AnalysisResult,
  Centering,
  EngineInfo,
  Geometry,
  MetricsResult,
  Progress,
  SampleCloud,
  SeriesPoint,
  SeriesResult,
} from '../../shared/schema.ts';
import type { OpenedDataset, RoleOverrides } from '../io/index.ts';
import { guessRoles, openDataset, openFile } from '../io/index.ts';
import type { ArraySource, Dataset } from '../io/types.ts';
import { parseEpoch } from './epochs.ts';
import type { FirstPass, JobContext } from './passes.ts';
import { analyzeSplit, splitProblem } from './passes.ts';
import { WorkerPool } from './pool.ts';
import type { BackendPreference } from './product.ts';
import { productBackend } from './product.ts';
import type { RowRunner } from './runner.ts';
import { InProcessRunner } from './runner.ts';

export { parseEpoch } from './epochs.ts';
export { mergePartials } from './accumulate.ts';

export interface AnalyzeOptions {
  centering?: Centering;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Worker threads for pass 2; default: all cores when the job is big enough, else 1. */
  threads?: number;
  /** Include result.geometry (means, global mean, classifier rows); default true. */
  geometry?: boolean;
  /**
   * Also include geometry.samples, the 3-D view's sample cloud of the training split
   * (samples.ts); default false. Its bounds hold for the whole job: a series shares them.
   */
  samples?: boolean;
  /** Tensor backend: 'auto' (tfjs-node, else wasm, else float64 JS), or one of them. */
  backend?: BackendPreference;
}

/**
 * Multiply-adds of pass 2 from which worker threads pay off: a worker starts in ~0.15 s
 * built (hidden behind pass 1, which runs meanwhile), and wasm does ~7·10⁹ MAC/s.
 */
const PARALLEL_WORK = 3e8;

/** One public call: its options, progress meter and (lazily) its pass-2 runner. */
class Job implements JobContext {
  readonly centering: Centering;
  readonly signal?: AbortSignal;
  private readonly started = performance.now();
  private running: Promise<RowRunner> | null = null;
  private span = { from: 0, to: 1, units: 1, done: 0 };
  private phase = { name: '', rows: 0 };
  private readonly onAbort = () => {
    // Terminate workers at once; a runner that failed to start has nothing to stop.
    void this.running?.then(
      (r) => r.close(),
      () => undefined,
    );
  };

  constructor(private readonly opts: AnalyzeOptions) {
    this.centering = opts.centering ?? 'class-means';
    this.signal = opts.signal;
    if (this.signal?.aborted) throw cancelled();
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  runner(work: number): Promise<RowRunner> {
    this.running ??= this.createRunner(work);
    return this.running;
  }

  private async createRunner(work: number): Promise<RowRunner> {
    const pref = this.opts.backend ?? 'auto';
    const threads =
      this.opts.threads ?? (work >= PARALLEL_WORK ? Math.min(availableParallelism(), 8) : 1);
    if (threads <= 1) return InProcessRunner.create(pref);
    return WorkerPool.create(threads, pref, this.signal);
  }

  /** The share [from, to] of the whole job that the next `units` rows of work represent. */
  enter(from: number, to: number, units: number): void {
    this.span = { from, to, units: Math.max(units, 1), done: 0 };
  }

  progress(phase: string, rows: number, total: number): void {
    if (phase !== this.phase.name) this.phase = { name: phase, rows: 0 };
    this.phase.rows += rows;
    this.span.done += rows;
    const { from, to, units, done } = this.span;
    this.opts.onProgress?.({
      phase,
      fraction: from + (to - from) * Math.min(1, done / units),
      rows: this.phase.rows,
      totalRows: total,
    });
  }

  async engineInfo(): Promise<EngineInfo> {
    const seconds = (performance.now() - this.started) / 1000;
    if (!this.running)
      return { backend: await productBackend(this.opts.backend), threads: 1, seconds };
    const r = await this.running;
    return { backend: r.backend, threads: r.threads, seconds };
  }

  async close(): Promise<void> {
    this.signal?.removeEventListener('abort', this.onAbort);
    const r = await this.running?.catch(() => null);
    await r?.close();
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

function geometryOf(
  first: FirstPass,
  weights: Float64Array | null,
  samples: SampleCloud | undefined,
): Geometry {
  const geometry: Geometry = {
    labels: first.labels,
    means: Array.from(first.means),
    global_mean: Array.from(first.globalMean),
    weights: weights ? Array.from(weights) : null,
  };
  if (samples) geometry.samples = samples;
  return geometry;
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
  const train = await analyzeSplit({ ...ds.train, features }, classifier, job, {
    name: 'train',
    warnings,
    samples: geometry && opts.samples ? 1 / points : 0,
  });
  const result: MetricsResult = {
    schema: 'nc-lens/metrics@1',
    settings: { centering: job.centering },
    ...train.metrics,
    warnings,
  };
  const unusable = test && (await splitProblem(test));
  if (unusable) warnings.push(`test split not analysed: ${unusable}`);
  if (test && !unusable) {
    const testWarnings: string[] = [];
    const t = await analyzeSplit(test, classifier, job, {
      name: 'test',
      reference: train.first,
      warnings: testWarnings,
    });
    result.test = t.metrics;
    warnings.push(...testWarnings.map((w) => `test split: ${w}`));
  }
  if (geometry) result.geometry = geometryOf(train.first, train.weights, train.samples);
  return result;
}

async function finish<T extends AnalysisResult>(result: T, job: Job): Promise<T> {
  result.engine = await job.engineInfo();
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

interface SeriesEntry {
  label: string;
  epoch?: number;
  step?: number;
  index: number;
  /** Position in the list given. */
  position: number;
}

/** Epoch (or step) order of dumps named like `run_epoch012`; the order given otherwise. */
function seriesOrder(labels: string[]): SeriesEntry[] {
  const entries = labels.map((label, i) => ({
    label,
    ...parseEpoch(label),
    index: i,
    position: i,
  }));
  const key = entries.every((e) => e.epoch !== undefined)
    ? 'epoch'
    : entries.every((e) => e.step !== undefined)
      ? 'step'
      : null;
  if (!key) return entries;
  return [...entries].sort((a, b) => a[key]! - b[key]!).map((e) => ({ ...e, index: e[key]! }));
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

/** Whether a file holds a whole dataset by itself (features and labels). */
async function isBundle(file: string): Promise<boolean> {
  const container = await openFile(file);
  try {
    const roles = [...guessRoles(container.arrays).values()];
    return (roles.includes('features') || roles.includes('layer')) && roles.includes('labels');
  } finally {
    await container.close();
  }
}

function inputsOf(opened: OpenedDataset): MetricsResult['inputs'] {
  const roles = opened.dataset.roles;
  return opened.containers.map((c) => ({
    file: c.file,
    bytes: c.bytes,
    arrays: Object.fromEntries(
      c.arrays.map((a) => [
        a.name,
        roles[`${path.basename(c.file)}:${a.name}`] ?? roles[a.name] ?? 'ignore',
      ]),
    ),
  }));
}

/**
 * THE entry point. One dataset (one bundle, or separate files for its arrays) → its metrics,
 * or a layer series when the bundle holds several feature layers; several bundles that each
 * hold features and labels → an epoch series, the bundles opened one at a time.
 */
export async function analyzePaths(
  paths: string[],
  overrides: RoleOverrides = {},
  opts: AnalyzeOptions = {},
): Promise<AnalysisResult> {
  if (paths.length > 1 && (await allBundles(paths))) return analyzeBundles(paths, overrides, opts);
  const opened = await openDataset(paths, overrides);
  try {
    const { dataset } = opened;
    if (dataset.layers && dataset.layers.length > 1) return await analyzeLayers(dataset, opts);
    const result = await analyzeDataset(dataset, opts);
    result.inputs = inputsOf(opened);
    return result;
  } finally {
    await opened.close();
  }
}

async function allBundles(paths: string[]): Promise<boolean> {
  for (const p of paths) if (!(await isBundle(p))) return false;
  return true;
}

/** An epoch series over bundles, each opened, analysed and closed before the next. */
async function analyzeBundles(
  paths: string[],
  overrides: RoleOverrides,
  opts: AnalyzeOptions,
): Promise<SeriesResult> {
  const labels = paths.map((p) => path.basename(p).replace(/\.[^.]*$/, ''));
  return epochSeries(seriesOrder(labels), opts, async (entry, measure) => {
    const opened = await openDataset([paths[entry.position]], overrides);
    try {
      const metrics = await measure(opened.dataset);
      metrics.inputs = inputsOf(opened);
      return metrics;
    } finally {
      await opened.close();
    }
  });
}

/** The tensor backend and thread count a big job would use here. */
export async function backendInfo(): Promise<{ backend: string; threads: number }> {
  return { backend: await productBackend('auto'), threads: availableParallelism() };
}
