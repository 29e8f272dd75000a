/**
 * CSV exports: the headline metrics per series point (one row per point, train and test
 * columns), and the per-class table. Values at full precision, empty cells for null, RFC 4180
 * quoting, LF line ends.
 */
import { METRICS, PER_CLASS_COLUMNS } from '../../shared/metric-names.ts';
import { className } from '../../shared/class-names.ts';
import type { AnalysisResult, MetricsResult, SplitMetrics } from '../../shared/schema.ts';
import { reportPoints } from '../../shared/points.ts';

function cell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function rows(table: (string | number | null | undefined)[][]): string {
  return table.map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

function metricCells(m: SplitMetrics | undefined): (number | null)[] {
  return METRICS.map((def) => (m ? def.value(m) : null));
}

/**
 * One row per result point (a single result is one row): index, epoch/layer, label, n, d, c,
 * then every metric of docs/metrics.md for the training split, then `test_<metric>` when any
 * point has a test split.
 */
export function metricsCsv(result: AnalysisResult): string {
  const points = reportPoints(result);
  const withTest = points.some((p) => p.metrics.test);
  const header = ['index', 'epoch', 'layer', 'label', 'n', 'd', 'c', ...METRICS.map((m) => m.key)];
  if (withTest) header.push('test_n', ...METRICS.map((m) => `test_${m.key}`));
  const body = points.map((p) => {
    const m = p.metrics;
    const row: (string | number | null | undefined)[] = [
      p.index,
      p.epoch,
      p.layer,
      p.label,
      m.n,
      m.d,
      m.c,
    ];
    row.push(...metricCells(m));
    if (withTest) row.push(m.test?.n, ...metricCells(m.test));
    return row;
  });
  return rows([header, ...body]);
}

const PER_CLASS_FIELDS = PER_CLASS_COLUMNS.map((c) => c.key);

/**
 * The per-class table of one result (training split), plus the test split's columns when
 * present. `at` names the series point it belongs to: a first column (`epoch`, `layer`).
 */
export function perClassCsv(
  result: MetricsResult,
  at?: { column: string; value: string | number },
): string {
  const test = result.test;
  const header: string[] = [...(at ? [at.column] : []), ...PER_CLASS_FIELDS];
  if (test) header.push(...PER_CLASS_FIELDS.slice(1).map((f) => `test_${f}`));
  // After the fixed columns: the class name and the nearest class, when the result has them.
  const names = result.class_names !== undefined;
  const nearest = result.per_class.some((r) => r.nearest !== undefined);
  if (names) header.push('name');
  if (nearest) header.push('nearest', ...(names ? ['nearest_name'] : []), 'nearest_distance');
  const byLabel = new Map(test?.per_class.map((r) => [r.label, r]) ?? []);
  const body = result.per_class.map((r) => {
    const row: (string | number | null | undefined)[] = [
      ...(at ? [at.value] : []),
      ...PER_CLASS_FIELDS.map((f) => r[f]),
    ];
    if (test) {
      const t = byLabel.get(r.label);
      row.push(...PER_CLASS_FIELDS.slice(1).map((f) => (t ? t[f] : null)));
    }
    if (names) row.push(className(result, r.label));
    if (nearest) {
      const k = r.nearest ?? null;
      row.push(k, ...(names ? [k === null ? null : className(result, k)] : []), r.nearest_distance);
    }
    return row;
  });
  return rows([header, ...body]);
}
