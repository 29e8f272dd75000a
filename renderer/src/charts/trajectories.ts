/**
 * Options for the app's trajectory charts: the charts of the registry (shared/charts/
 * registry.ts, which the PDF report draws too) against epoch (or layer), train solid and test
 * dashed in the same colour, built with shared/charts' lineChart.
 */
import {
  seriesColor,
  type LineChartOptions,
  type LineSeries,
} from '../../../shared/charts/index.ts';
import {
  CHARTS,
  CLASS_CHARTS,
  seriesX,
  xAxis,
  type RunLogEntry,
  type XAxisChoice,
} from '../../../shared/charts/registry.ts';
import { METRICS, type MetricKey } from '../../../shared/metric-names.ts';
import type { SeriesResult, SplitMetrics } from '../../../shared/schema.ts';

export interface TrajectoryChart {
  /** The registry's chart id. */
  family: string;
  options: LineChartOptions;
}

export { seriesX };

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

/**
 * One chart per registry entry (shared/charts/registry.ts) that has anything to plot.
 * `terminalEpoch` (a followed run's log: training accuracy first 100%) draws the terminal-phase
 * marker, as the report does, at that epoch's point on whatever the x axis shows.
 */
export function trajectoryCharts(
  series: SeriesResult,
  selected: number,
  choice?: XAxisChoice,
  /** The run's training log: steps and wall time for those x axes. */
  log?: readonly RunLogEntry[],
  terminalEpoch?: number,
): TrajectoryChart[] {
  // The registry's x axis (the user's choice; by default log when epochs span > a decade).
  const { x, ticks, label, scale } = xAxis(series, choice, log);
  const at =
    series.kind === 'epochs' && terminalEpoch !== undefined
      ? series.points.findIndex((p) => p.epoch === terminalEpoch)
      : -1;
  const marker = at >= 0 ? { x: x[at], label: 'terminal phase (train acc. 100%)' } : undefined;
  const out: TrajectoryChart[] = [];
  for (const chart of CHARTS) {
    const lines: LineSeries[] = [];
    chart.keys.forEach((key, i) => {
      const metric = METRICS.find((m) => m.key === key)!;
      const color = seriesColor(i);
      const train = lineOf(series, key, 'train', color);
      if (train) lines.push(train);
      // W-only metrics are the same on both splits: a test line would duplicate the train one.
      const test = !chart.testLines || metric.splitFree ? null : lineOf(series, key, 'test', color);
      if (test) lines.push(test);
    });
    if (lines.length === 0) continue;
    out.push({
      family: chart.id,
      options: {
        x,
        xTickLabels: ticks,
        series: lines,
        title: chart.title,
        xLabel: label,
        xScale: scale,
        yScale: chart.yScale,
        selectedIndex: selected,
        ...(marker ? { marker } : {}),
        width: 420,
        height: 290,
      },
    });
  }
  return out;
}

/**
 * The class drill-down's charts (the registry's CLASS_CHARTS): each per-class field of the
 * `labels` classes over the series, one colour per class, train solid and test dashed.
 */
export function classTrajectoryCharts(
  series: SeriesResult,
  labels: readonly number[],
  nameOf: (label: number) => string,
  selected: number,
  choice?: XAxisChoice,
  log?: readonly RunLogEntry[],
): TrajectoryChart[] {
  const { x, ticks, label, scale } = xAxis(series, choice, log);
  const out: TrajectoryChart[] = [];
  for (const chart of CLASS_CHARTS) {
    const lines: LineSeries[] = [];
    labels.forEach((cls, i) => {
      const color = seriesColor(i);
      for (const split of ['train', 'test'] as const) {
        const values = series.points.map((p) => {
          const m = split === 'train' ? p.metrics : p.metrics.test;
          const row = m ? classRow(m.per_class, cls) : undefined;
          return row ? row[chart.key] : null;
        });
        if (values.every((v) => v === null)) continue;
        lines.push({
          name: `${nameOf(cls)}${split === 'test' ? ' test' : ''}`,
          values,
          color,
          dashed: split === 'test',
          key: `${cls}:${split}`,
        });
      }
    });
    if (lines.length === 0) continue;
    out.push({
      family: chart.id,
      options: {
        x,
        xTickLabels: ticks,
        series: lines,
        title: chart.title,
        xLabel: label,
        yScale: chart.yScale,
        xScale: scale,
        selectedIndex: selected,
        width: 420,
        height: 260,
      },
    });
  }
  return out;
}

/** The row of `label` in a per-class table (class order is ascending label): O(log C). */
export function classRow<T extends { label: number }>(
  rows: readonly T[],
  label: number,
): T | undefined {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = rows[mid].label;
    if (v === label) return rows[mid];
    if (v < label) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}
