/**
 * Exports of a result, made by the report module (main/report) so the app and
 * `nc-lens report` give the same bytes: the result JSON as is, the headline metrics and the
 * per-class table as CSV, and the PDF report.
 */
import type { ExportFormat } from '../../shared/api.ts';
import { badInput } from '../../shared/errors.ts';
import type { AnalysisResult } from '../../shared/schema.ts';

export interface Exported {
  name: string;
  mime: string;
  data: Uint8Array;
}

export async function exportBytes(
  result: AnalysisResult,
  format: ExportFormat,
  extra?: { viewPng?: Uint8Array; title?: string },
): Promise<Exported> {
  const base = fileStem(extra?.title);
  const text = (s: string) => new TextEncoder().encode(s);
  // pdfkit and its fonts load only when someone exports.
  const report = await import('../report/index.ts');
  switch (format) {
    case 'json':
      return {
        name: `${base}.json`,
        mime: 'application/json',
        data: text(JSON.stringify(result, null, 2) + '\n'),
      };
    case 'csv':
      return { name: `${base}.csv`, mime: 'text/csv', data: text(report.metricsCsv(result)) };
    case 'csv-per-class': {
      // A series exports the table of its last point, the one the app shows first.
      const { lastPoint } = await import('../report/points.ts');
      const data = text(report.perClassCsv(lastPoint(result).metrics));
      return { name: `${base}-per-class.csv`, mime: 'text/csv', data };
    }
    case 'pdf': {
      const data = await report.renderReport(result, extra);
      return { name: `${base}.pdf`, mime: 'application/pdf', data };
    }
    default:
      throw badInput(undefined, 'export format json, csv, csv-per-class or pdf', `'${format}'`);
  }
}

function fileStem(title: string | undefined): string {
  const s = (title ?? '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  return s || 'nc-lens';
}
