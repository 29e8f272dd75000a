/** A result is one point or a series of points (epochs or layers); these pick what is shown. */
import type {
  AnalysisResult,
  MetricsResult,
  SeriesPoint,
  SeriesResult,
} from '../../../shared/schema.ts';

export function isSeries(result: AnalysisResult | null): result is SeriesResult {
  return result?.schema === 'nc-lens/series@1';
}

export function pointCount(result: AnalysisResult | null): number {
  if (!result) return 0;
  return isSeries(result) ? result.points.length : 1;
}

/** Clamps a requested point index to the result; a negative index means the last point. */
export function clampIndex(result: AnalysisResult | null, index: number): number {
  const n = pointCount(result);
  if (n === 0) return 0;
  if (index < 0 || index >= n) return n - 1;
  return Math.floor(index);
}

export function metricsAt(result: AnalysisResult | null, index: number): MetricsResult | null {
  if (!result) return null;
  if (!isSeries(result)) return result;
  return result.points[clampIndex(result, index)]?.metrics ?? null;
}

/** "Epoch 80", "Layer fc2", or the point's own label. */
export function pointTitle(kind: 'epochs' | 'layers', point: SeriesPoint): string {
  if (kind === 'layers') return `Layer ${point.layer ?? point.label}`;
  if (point.epoch !== undefined) return `Epoch ${point.epoch}`;
  if (point.step !== undefined) return `Step ${point.step}`;
  return point.label;
}

/** Every warning once: the result's own and those of its points. */
export function allWarnings(result: AnalysisResult | null): string[] {
  if (!result) return [];
  const nested = isSeries(result)
    ? result.points.flatMap((p) => p.metrics.warnings.map((w) => `${p.label}: ${w}`))
    : [];
  return [...new Set([...result.warnings, ...nested])];
}
