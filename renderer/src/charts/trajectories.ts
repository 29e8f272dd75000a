/**
 * Options for the trajectory charts: each metric family against epoch (or layer), train solid
 * and test dashed in the same colour, built with shared/charts' lineChart so the report draws
 * the same pictures.
 */
import {
  seriesColor,
  type LineChartOptions,
  type LineSeries,
} from '../../../shared/charts/index.ts';
import { FAMILIES, METRICS, type FamilyKey, type MetricKey } from '../../../shared/metric-names.ts';
import type { SeriesResult, SplitMetrics } from '../../../shared/schema.ts';

/** The metrics each family plots: shape errors that fall towards 0, fit for a log axis. */
const PLOTTED: Record<FamilyKey, MetricKey[]> = {
  nc1: ['nc1', 'nc1_quotient', 'cdnv'],
  nc2: [
    'etf_error_means',
    'equinorm_means',
    'equiangular_means',
    'maxangle_means',
    'etf_error_weights',
  ],
  nc3: ['self_duality', 'duality_cos_cov'],
  nc4: ['ncc_mismatch'],
};

const TITLES: Record<FamilyKey, string> = {
  nc1: 'NC1 · within-class spread',
  nc2: 'NC2 · distance from a simplex ETF',
  nc3: 'NC3 · classifier vs class means',
  nc4: 'NC4 · classifier vs nearest centre',
};

export interface TrajectoryChart {
  family: FamilyKey;
  options: LineChartOptions;
}

/** x positions: epochs (or steps) when every point has one, else the layer/point index. */
export function seriesX(series: SeriesResult): { x: number[]; ticks?: string[]; label: string } {
  const pts = series.points;
  if (series.kind === 'layers')
    return {
      x: pts.map((_, i) => i),
      ticks: pts.map((p) => p.layer ?? p.label),
      label: 'layer',
    };
  if (pts.every((p) => p.epoch !== undefined))
    return { x: pts.map((p) => p.epoch!), label: 'epoch' };
  if (pts.every((p) => p.step !== undefined)) return { x: pts.map((p) => p.step!), label: 'step' };
  return { x: pts.map((p) => p.index), label: 'point' };
}

function lineOf(
  series: SeriesResult,
  key: MetricKey,
  split: 'train' | 'test',
  color: string,
): LineSeries | null {
  const metric = METRICS.find((m) => m.key === key)!;
  const values = series.points.map((p) => {
    const m: SplitMetrics | undefined = split === 'train' ? p.metrics : p.metrics.test;
    return m ? metric.value(m) : null;
  });
  if (values.every((v) => v === null)) return null;
  const which = key.endsWith('_weights') ? ' (W)' : '';
  return {
    name: `${metric.label}${which}${split === 'test' ? ' test' : ''}`,
    values,
    color,
    dashed: split === 'test',
    key: `${key}:${split}`,
  };
}

/** One chart per family that has anything to plot. */
export function trajectoryCharts(series: SeriesResult, selected: number): TrajectoryChart[] {
  const { x, ticks, label } = seriesX(series);
  const out: TrajectoryChart[] = [];
  for (const fam of FAMILIES) {
    const lines: LineSeries[] = [];
    PLOTTED[fam.key].forEach((key, i) => {
      const metric = METRICS.find((m) => m.key === key)!;
      const color = seriesColor(i);
      const train = lineOf(series, key, 'train', color);
      if (train) lines.push(train);
      // W-only metrics are the same on both splits: a test line would duplicate the train one.
      const test = metric.splitFree ? null : lineOf(series, key, 'test', color);
      if (test) lines.push(test);
    });
    if (lines.length === 0) continue;
    out.push({
      family: fam.key,
      options: {
        x,
        xTickLabels: ticks,
        series: lines,
        title: TITLES[fam.key],
        xLabel: label,
        yScale: 'log',
        selectedIndex: selected,
        width: 420,
        height: 290,
      },
    });
  }
  return out;
}
