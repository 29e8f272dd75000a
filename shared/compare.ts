/**
 * Runs side by side: the comparison table the app shows and the comparison report prints. At a
 * chosen epoch (each run's point at that epoch, or its last one before it) or at each run's
 * last point; every metric of every run, and each run's difference from and ratio to the
 * first run (the reference).
 */
import { METRICS, type MetricKey } from './metric-names.ts';
import { reportPoints, type ReportPoint } from './points.ts';
import type { AnalysisResult, SplitMetrics } from './schema.ts';

export interface ComparedRun {
  id: string;
  name: string;
  result: AnalysisResult;
}

/** Where one run is read: its point, and how it is named (`epoch 20`, `last (epoch 80)`). */
export interface ComparedPoint {
  run: string;
  name: string;
  /** The point read, or null when the run has none at or before the chosen epoch. */
  point: ReportPoint | null;
  where: string;
}

export interface ComparisonRow {
  key: MetricKey;
  split: 'train' | 'test';
  label: string;
  /** One value per run. */
  values: (number | null)[];
  /** value − the first run's value (the first entry is 0 or null). */
  diffs: (number | null)[];
  /** value / the first run's value (null when that is 0 or missing). */
  ratios: (number | null)[];
}

export interface ComparisonTable {
  /** The epoch asked for, or null for each run's last point. */
  at: number | null;
  points: ComparedPoint[];
  rows: ComparisonRow[];
}

/** The run's point at epoch `at` (or its last before it), or its last point for null. */
function pointAt(result: AnalysisResult, at: number | null): ComparedPoint['point'] {
  const points = reportPoints(result);
  if (at === null || result.schema !== 'nc-lens/series@1' || result.kind !== 'epochs')
    return points[points.length - 1];
  const before = points.filter((p) => p.x <= at);
  return before.length ? before[before.length - 1] : null;
}

function whereOf(result: AnalysisResult, p: ReportPoint | null, at: number | null): string {
  if (!p) return `no epoch ≤ ${at}`;
  if (result.schema !== 'nc-lens/series@1') return 'the one result';
  const name = result.kind === 'epochs' ? `epoch ${p.x}` : `layer ${p.label}`;
  return at === null ? `last (${name})` : name;
}

/** Every epoch any of the runs has, in order: the choices of the table's epoch picker. */
export function comparedEpochs(runs: readonly ComparedRun[]): number[] {
  const all = runs.flatMap((r) =>
    r.result.schema === 'nc-lens/series@1' && r.result.kind === 'epochs'
      ? reportPoints(r.result).map((p) => p.x)
      : [],
  );
  return [...new Set(all)].sort((a, b) => a - b);
}

export function comparisonTable(
  runs: readonly ComparedRun[],
  at: number | null = null,
): ComparisonTable {
  const points = runs.map((r) => {
    const point = pointAt(r.result, at);
    return { run: r.id, name: r.name, point, where: whereOf(r.result, point, at) };
  });
  const rows: ComparisonRow[] = [];
  const hasTest = points.some((p) => p.point?.metrics.test);
  for (const split of ['train', 'test'] as const) {
    if (split === 'test' && !hasTest) continue;
    for (const m of METRICS) {
      if (split === 'test' && m.splitFree) continue;
      const values = points.map((p) => {
        const metrics: SplitMetrics | undefined =
          split === 'train' ? p.point?.metrics : p.point?.metrics.test;
        return metrics ? m.value(metrics) : null;
      });
      if (values.every((v) => v === null)) continue;
      const ref = values[0];
      const label = `${m.label}${m.key.endsWith('_weights') ? ' (W)' : ''}`;
      rows.push({
        key: m.key,
        split,
        label: split === 'test' ? `${label} (test)` : label,
        values,
        diffs: values.map((v) => (v === null || ref === null ? null : v - ref)),
        ratios: values.map((v) => (v === null || ref === null || ref === 0 ? null : v / ref)),
      });
    }
  }
  return { at, points, rows };
}
