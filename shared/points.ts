/**
 * The points of a result, for everything that walks them (the app's views, the report, the
 * CSV, the CLI): a list of points (one for a single result), their x, the point on screen;
 * and the bound on the sample cloud both the engine and the 3-D view keep.
 */
import { seriesX } from './charts/registry.ts';
import type { AnalysisResult, MetricsResult } from './schema.ts';

/**
 * The sample cloud never holds more than this many points, over a whole job (a series shares
 * them among its points; the 3-D view keeps one GPU buffer of this size, updated in place).
 */
export const MAX_SAMPLES = 100_000;

export interface ReportPoint {
  index: number;
  /** Position on the x axis of the series charts: epoch (or step) when known, else the index. */
  x: number;
  epoch?: number;
  layer?: string;
  label: string;
  metrics: MetricsResult;
}

export function isSeries(
  result: AnalysisResult,
): result is Extract<AnalysisResult, { schema: 'nc-lens/series@1' }> {
  return result.schema === 'nc-lens/series@1';
}

export function reportPoints(result: AnalysisResult): ReportPoint[] {
  if (!isSeries(result)) return [{ index: 0, x: 0, label: 'result', metrics: result }];
  // The x axis rule of the chart registry, so the app and the report place points alike.
  const { x } = seriesX(result);
  return result.points.map((p, i) => ({
    index: p.index,
    x: x[i],
    epoch: p.epoch,
    layer: p.layer,
    label: p.label,
    metrics: p.metrics,
  }));
}

/** The metrics of each point: the result itself when it is a single one. */
export function pointMetrics(result: AnalysisResult | null): MetricsResult[] {
  if (!result) return [];
  return isSeries(result) ? result.points.map((p) => p.metrics) : [result];
}

/** The last point of a result (a single result's only one). */
export function lastPoint(result: AnalysisResult): ReportPoint {
  const points = reportPoints(result);
  return points[points.length - 1];
}

/**
 * The point on screen, whose geometry, heatmap and per-class table the exports show: the one
 * at `index` (a position in the result's points), the last one for −1 or out of range.
 */
export function shownPoint(result: AnalysisResult, index = -1): ReportPoint {
  const points = reportPoints(result);
  return points[index >= 0 && index < points.length ? index : points.length - 1];
}

/** How a point is named in file names and captions: `epoch 20`, `layer block3`, or ''. */
export function pointName(result: AnalysisResult, point: ReportPoint): string {
  if (!isSeries(result)) return '';
  return result.kind === 'epochs' ? `epoch ${point.x}` : `layer ${point.label}`;
}
