/**
 * Tiles of the cosine matrix of the centred class means (the heatmap's zoom at full
 * resolution), from the means the result keeps: float64, one tile at a time, never C×C.
 */
import { MAX_TILE_CLASSES, type CosineTile } from '../../shared/api.ts';
import { badInput } from '../../shared/errors.ts';
import { meanCosines } from '../../shared/geometry.ts';
import type { AnalysisResult, MetricsResult } from '../../shared/schema.ts';

function pointOf(result: AnalysisResult, point: number): MetricsResult {
  if (result.schema === 'nc-lens/metrics@1') return result;
  const points = result.points;
  const i = point === -1 ? points.length - 1 : point;
  if (!Number.isInteger(i) || i < 0 || i >= points.length)
    throw badInput(undefined, `a point index below ${points.length} (−1 for the last)`, `${point}`);
  return points[i].metrics;
}

function classList(value: unknown, c: number, what: string): number[] {
  const ok =
    Array.isArray(value) &&
    value.length <= MAX_TILE_CLASSES &&
    value.every((k) => Number.isInteger(k) && k >= 0 && k < c);
  if (!ok)
    throw badInput(
      undefined,
      `${what}: up to ${MAX_TILE_CLASSES} class positions in 0..${c - 1}`,
      Array.isArray(value) ? `${value.length} entries` : typeof value,
    );
  return value as number[];
}

export function cosineTile(
  result: AnalysisResult | null,
  point: number,
  rows: unknown,
  cols: unknown,
): CosineTile {
  if (!result) throw badInput(undefined, 'an analysis', 'none yet');
  const m = pointOf(result, point);
  const g = m.geometry;
  if (!g) throw badInput(undefined, 'a result with class means', 'none');
  const c = g.labels.length;
  const d = g.global_mean.length;
  const r = classList(rows, c, 'rows');
  const q = classList(cols, c, 'cols');
  return { rows: r, cols: q, cos: meanCosines(g, d, r, q) };
}
