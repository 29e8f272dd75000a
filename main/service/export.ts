/**
 * Exports of a result: JSON (the nc-lens/metrics@1 or series@1 document as is), a CSV of the
 * headline metrics, and a CSV of the per-class table. Field names are those of nc-metrics.md.
 */
import type { ExportFormat } from '../../shared/api.ts';
import { badInput } from '../../shared/errors.ts';
import type { AnalysisResult, MetricsResult, SplitMetrics } from '../../shared/schema.ts';

export interface Exported {
  name: string;
  mime: string;
  data: Uint8Array;
}

export function exportBytes(
  result: AnalysisResult,
  format: ExportFormat,
  extra?: { title?: string },
): Exported {
  const base = fileStem(extra?.title);
  const text = (name: string, mime: string, body: string): Exported => ({
    name,
    mime,
    data: new TextEncoder().encode(body),
  });
  switch (format) {
    case 'json':
      return text(`${base}.json`, 'application/json', JSON.stringify(result, null, 2) + '\n');
    case 'csv':
      return text(`${base}.csv`, 'text/csv', headlineCsv(result));
    case 'csv-per-class':
      return text(`${base}-per-class.csv`, 'text/csv', perClassCsv(result));
    default:
      throw badInput(undefined, 'export format json, csv or csv-per-class', `'${format}'`);
  }
}

function fileStem(title: string | undefined): string {
  const s = (title ?? '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  return s || 'nc-lens';
}

/** Headline metrics of one split, flattened to `nc2.equinorm_means`-style names. */
export function headlineMetrics(m: SplitMetrics): [string, number | null][] {
  const out: [string, number | null][] = [
    ['n', m.n],
    ['d', m.d],
    ['c', m.c],
    ['nc1', m.nc1],
    ['nc1_quotient', m.nc1_quotient],
    ['cdnv', m.cdnv],
  ];
  for (const [group, values] of [
    ['nc2', m.nc2],
    ['nc3', m.nc3],
    ['nc4', m.nc4],
  ] as const) {
    for (const [k, v] of Object.entries(values)) out.push([`${group}.${k}`, v as number | null]);
  }
  return out;
}

function points(result: AnalysisResult): { label: string; metrics: MetricsResult }[] {
  return result.schema === 'nc-lens/series@1'
    ? result.points.map((p) => ({ label: p.label, metrics: p.metrics }))
    : [{ label: '', metrics: result }];
}

function headlineCsv(result: AnalysisResult): string {
  const rows = points(result);
  const names = headlineMetrics(rows[0].metrics).map(([k]) => k);
  const withTest = rows.some((r) => r.metrics.test);
  const header = ['point', 'split', ...names];
  const lines = [header];
  for (const r of rows) {
    lines.push([r.label, 'train', ...headlineMetrics(r.metrics).map(([, v]) => cell(v))]);
    if (withTest && r.metrics.test) {
      lines.push([r.label, 'test', ...headlineMetrics(r.metrics.test).map(([, v]) => cell(v))]);
    }
  }
  return toCsv(lines);
}

function perClassCsv(result: AnalysisResult): string {
  const cols = [
    'label',
    'count',
    'mean_norm',
    'within_var',
    'weight_norm',
    'cos_w_mu',
    'ncc_accuracy',
    'classifier_accuracy',
  ] as const;
  const lines: string[][] = [['point', 'split', ...cols]];
  for (const r of points(result)) {
    const splits: [string, SplitMetrics | undefined][] = [
      ['train', r.metrics],
      ['test', r.metrics.test],
    ];
    for (const [split, m] of splits) {
      for (const row of m?.per_class ?? [])
        lines.push([r.label, split, ...cols.map((c) => cell(row[c]))]);
    }
  }
  return toCsv(lines);
}

function cell(v: number | null | undefined): string {
  return v === null || v === undefined ? '' : String(v);
}

function toCsv(lines: string[][]): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return lines.map((l) => l.map(quote).join(',')).join('\n') + '\n';
}
