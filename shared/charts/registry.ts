/**
 * THE chart registry: which metrics go in which trajectory chart, its title, its y axis and
 * whether the test split adds lines, and the x-axis rule of a series. The app
 * (renderer/src/charts/trajectories.ts) and the PDF report (main/report/sections.ts) both
 * draw these charts, with lineChart, from this one list.
 */
import type { MetricKey } from '../metric-names.ts';
import type { SeriesResult } from '../schema.ts';

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
