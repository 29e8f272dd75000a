/**
 * THE chart registry: which metrics go in which trajectory chart, its title, its y axis and
 * whether the test split adds lines, and the x-axis rule of a series. The app
 * (renderer/src/charts/trajectories.ts) and the PDF report (main/report/sections.ts) both
 * draw these charts, with lineChart, from this one list.
 */
import { METRICS, type MetricKey } from '../metric-names.ts';
import type { AnalysisResult, SeriesResult } from '../schema.ts';
import type { LineChartOptions, LineSeries } from './line-chart.ts';
import { seriesColor } from './palette.ts';

export interface ChartDef {
  /** Stable id (the app's `trajectory-<id>` hook). */
  id: string;
  title: string;
  keys: MetricKey[];
  /** Log axis for shrinking errors; linear for the signed log-kernel energy. */
  yScale: 'log' | 'linear';
  /** Whether the test split adds its own line (false for metrics of W alone). */
  testLines: boolean;
}

export const CHARTS: readonly ChartDef[] = [
  {
    id: 'nc1',
    title: 'NC1: within-class variability',
    keys: ['nc1', 'nc1_quotient', 'cdnv'],
    yScale: 'log',
    testLines: true,
  },
  {
    id: 'nc2',
    title: 'NC2: class means against a simplex ETF',
    keys: ['equinorm_means', 'equiangular_means', 'maxangle_means', 'etf_error_means'],
    yScale: 'log',
    testLines: true,
  },
  {
    id: 'nc2-log-kernel',
    title: 'NC2: hyperspherical log-kernel of the means',
    keys: ['log_kernel_mean', 'log_kernel_var'],
    yScale: 'linear',
    testLines: true,
  },
  {
    id: 'nc2-weights',
    title: 'NC2: classifier rows against a simplex ETF',
    keys: ['equinorm_weights', 'equiangular_weights', 'maxangle_weights', 'etf_error_weights'],
    yScale: 'log',
    testLines: false,
  },
  {
    id: 'nc3',
    title: 'NC3: self-duality of classifier and means',
    keys: ['self_duality', 'duality_cos_mean', 'duality_cos_cov'],
    yScale: 'log',
    testLines: true,
  },
  {
    id: 'nc4',
    title: 'NC4: classifier against nearest class centre',
    keys: ['ncc_mismatch', 'classifier_accuracy', 'ncc_accuracy'],
    yScale: 'log',
    testLines: true,
  },
];

/** A per-class trajectory chart: one per-class field over the series, a line per class. */
export interface ClassChartDef {
  id: string;
  title: string;
  key: 'within_var' | 'mean_norm' | 'cos_w_mu' | 'ncc_accuracy';
  yScale: 'log' | 'linear';
}

/** The class drill-down's charts (issue 16): what a selected class does over training. */
export const CLASS_CHARTS: readonly ClassChartDef[] = [
  { id: 'class-within-var', title: 'Within-class variance σ_k²', key: 'within_var', yScale: 'log' },
  { id: 'class-mean-norm', title: 'Mean norm ‖μ_k − μ_G‖', key: 'mean_norm', yScale: 'linear' },
  {
    id: 'class-duality',
    title: 'Duality cosine cos(w_k, μ_k − μ_G)',
    key: 'cos_w_mu',
    yScale: 'linear',
  },
  { id: 'class-ncc', title: 'NCC accuracy of the class', key: 'ncc_accuracy', yScale: 'linear' },
];

/**
 * The x axis of a series: epochs (or steps) when every point has one, else the point's index;
 * layers by position, labelled with their names.
 */
export function seriesX(series: SeriesResult): { x: number[]; ticks?: string[]; label: string } {
  const pts = series.points;
  if (series.kind === 'layers')
    return { x: pts.map((_, i) => i), ticks: pts.map((p) => p.layer ?? p.label), label: 'layer' };
  if (pts.every((p) => p.epoch !== undefined))
    return { x: pts.map((p) => p.epoch!), label: 'epoch' };
  if (pts.every((p) => p.step !== undefined)) return { x: pts.map((p) => p.step!), label: 'step' };
  return { x: pts.map((p) => p.index), label: 'point' };
}

/** What the x axis of the trajectory charts shows: epoch, step, or wall time from a run log. */
export type XQuantity = 'epoch' | 'step' | 'time';

/** The user's choice of x axis; `scale` 'auto' (the default) is log when x spans > a decade. */
export interface XAxisChoice {
  quantity?: XQuantity;
  scale?: 'log' | 'linear' | 'auto';
}

/** One epoch of a run's training log: the step and wall time (seconds) when it has them. */
export interface RunLogEntry {
  epoch: number;
  step?: number;
  wall_time?: number;
}

/** The axis the charts draw: positions, tick labels (layers), its label and scale. */
export interface XAxis {
  x: number[];
  ticks?: string[];
  label: string;
  scale: 'log' | 'linear';
  /** What the positions are ('point' and 'layer' when neither epochs nor steps are known). */
  quantity: XQuantity | 'point' | 'layer';
}

/**
 * Log when every x is positive and they span more than a decade (epochs 1, 5, 20, 80 would
 * crowd together at the left of a linear axis), linear otherwise.
 */
export function defaultXScale(x: readonly number[]): 'log' | 'linear' {
  if (x.length < 2 || x.some((v) => !(v > 0))) return 'linear';
  return Math.max(...x) / Math.min(...x) > 10 ? 'log' : 'linear';
}

/** Which x quantities a series offers: epoch (or its index), step, wall time (from its log). */
export function xQuantities(series: SeriesResult, log?: readonly RunLogEntry[]): XQuantity[] {
  if (series.kind === 'layers') return [];
  const out: XQuantity[] = ['epoch'];
  if (xValues(series, 'step', log)) out.push('step');
  if (xValues(series, 'time', log)) out.push('time');
  return out;
}

function xValues(
  series: SeriesResult,
  quantity: 'step' | 'time',
  log?: readonly RunLogEntry[],
): number[] | null {
  const byEpoch = new Map((log ?? []).map((e) => [e.epoch, e]));
  const values = series.points.map((p) => {
    if (quantity === 'step' && p.step !== undefined) return p.step;
    const entry = p.epoch === undefined ? undefined : byEpoch.get(p.epoch);
    return quantity === 'step' ? entry?.step : entry?.wall_time;
  });
  return values.every((v): v is number => typeof v === 'number' && Number.isFinite(v))
    ? values
    : null;
}

/**
 * The x axis of a series as the user chose it: epoch (as `seriesX`), step, or wall time where
 * the run log has it (else the epoch axis); log or linear, by default log when x spans more
 * than a decade. The app and the report both draw with it.
 */
export function xAxis(
  series: SeriesResult,
  choice: XAxisChoice = {},
  log?: readonly RunLogEntry[],
): XAxis {
  const base = seriesX(series);
  const want = choice.quantity ?? 'epoch';
  const values = want === 'epoch' ? null : xValues(series, want, log);
  const quantity: XAxis['quantity'] = values
    ? want
    : series.kind === 'layers'
      ? 'layer'
      : (base.label as XAxis['quantity']);
  const x = values ?? base.x;
  const label = values ? (want === 'time' ? 'wall time (s)' : 'step') : base.label;
  const scale =
    series.kind === 'layers'
      ? 'linear'
      : choice.scale === 'log' && x.every((v) => v > 0)
        ? 'log'
        : choice.scale === 'linear'
          ? 'linear'
          : defaultXScale(x);
  return { x, ticks: base.ticks, label, scale, quantity };
}

/** A run in a comparison: its id, the name the user gave it, its result and training log. */
export interface CompareRun {
  id: string;
  name: string;
  result: AnalysisResult;
  log?: readonly RunLogEntry[];
}

/** One overlaid chart of a comparison: one metric, one colour per run, test dashed. */
export interface CompareChart {
  /** The metric key (the app's `compare-<key>` hook). */
  id: MetricKey;
  /** The registry chart the metric belongs to. */
  chart: ChartDef;
  options: LineChartOptions;
}

/**
 * The comparison charts of several runs: for every metric of the registry's charts, one chart
 * with a line per run (the run's colour; its test split dashed in the same colour, as in the
 * single-run charts), each run at its own x positions on the shared axis. Runs that are not
 * series (one dump) have no trajectory and are left out of the charts.
 */
export function compareCharts(
  runs: readonly CompareRun[],
  opts: { x?: XAxisChoice; width?: number; height?: number } = {},
): CompareChart[] {
  const series = runs
    .map((run, i) => ({ run, i }))
    .filter((r) => r.run.result.schema === 'nc-lens/series@1');
  if (series.length === 0) return [];
  const axes = series.map(({ run }) =>
    xAxis(run.result as SeriesResult, { ...opts.x, scale: 'linear' }, run.log),
  );
  const union = [...new Set(axes.flatMap((a) => a.x))].sort((a, b) => a - b);
  const first = axes[0];
  const layers = first.quantity === 'layer';
  const scale =
    layers || opts.x?.scale === 'linear'
      ? 'linear'
      : opts.x?.scale === 'log'
        ? union.every((v) => v > 0)
          ? 'log'
          : 'linear'
        : defaultXScale(union);
  // Each axis says what it shows; runs without the chosen quantity fall back to epochs.
  const xLabel = [...new Set(axes.map((a) => a.label))].join(' / ');
  const out: CompareChart[] = [];
  for (const chart of CHARTS)
    for (const key of chart.keys) {
      const metric = METRICS.find((m) => m.key === key)!;
      const lines: LineSeries[] = [];
      series.forEach(({ run, i }, j) => {
        const points = (run.result as SeriesResult).points;
        const color = seriesColor(i);
        const train = points.map((p) => metric.value(p.metrics));
        if (train.some((v) => v !== null))
          lines.push({
            name: run.name,
            values: train,
            xs: axes[j].x,
            color,
            key: `${run.id}:${key}:train`,
            run: run.id,
          });
        if (!chart.testLines || metric.splitFree) return;
        const test = points.map((p) => (p.metrics.test ? metric.value(p.metrics.test) : null));
        if (test.some((v) => v !== null))
          lines.push({
            name: `${run.name} test`,
            values: test,
            xs: axes[j].x,
            color,
            dashed: true,
            key: `${run.id}:${key}:test`,
            run: run.id,
          });
      });
      if (lines.length === 0) continue;
      const family = chart.title.split(':')[0];
      const label = `${metric.label}${key.endsWith('_weights') ? ' (W)' : ''}`;
      out.push({
        id: key,
        chart,
        options: {
          x: union,
          xTickLabels: layers ? first.ticks : undefined,
          xScale: scale,
          series: lines,
          title: family === label ? label : `${family}: ${label}`,
          xLabel,
          yLabel: 'value',
          yScale: chart.yScale,
          width: opts.width ?? 420,
          height: opts.height ?? 290,
        },
      });
    }
  return out;
}
