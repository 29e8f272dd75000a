/**
 * Exports of a result, made by the report module (main/report): the result JSON as is, the
 * headline metrics and the per-class table as CSV, and the PDF report. The app's Export menu
 * and `nc-lens report` both come through `exportBytes`, so the same inputs give the same report.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ExportFormat } from '../../shared/api.ts';
import { badInput } from '../../shared/errors.ts';
import type { AnalysisResult } from '../../shared/schema.ts';
import type { InputFile, TrainAccuracy } from '../report/sections.ts';
import { checkedViewPng } from './png.ts';

export interface Exported {
  name: string;
  mime: string;
  data: Uint8Array;
}

/** A file that was analysed: where it is, and the name the user knows it by. */
export interface AnalysedFile {
  path: string;
  name: string;
}

/** What the renderer may add to an export (it crosses a process boundary: nothing else is read). */
export interface ExportExtra {
  /** The app's 3D canvas as PNG; without it the report draws the view as vectors. */
  viewPng?: Uint8Array;
  title?: string;
}

/** What only the Node side knows: files on disk, a training log. */
export interface ExportSources {
  /** The analysed files, listed in the report with size and SHA-256. */
  files?: AnalysedFile[];
  /** Training accuracy per epoch, to mark the terminal phase when the metrics cannot. */
  trainAccuracyLog?: TrainAccuracy[];
}

export async function exportBytes(
  result: AnalysisResult,
  format: ExportFormat,
  extra?: ExportExtra,
  sources: ExportSources = {},
): Promise<Exported> {
  // `extra` comes from the renderer: only a string title and PNG bytes are taken from it.
  const title = typeof extra?.title === 'string' ? extra.title : undefined;
  const png = extra?.viewPng instanceof Uint8Array ? extra.viewPng : undefined;
  const viewPng = png && format === 'pdf' ? checkedViewPng(png) : undefined;
  const base = fileStem(title);
  const text = (s: string) => new TextEncoder().encode(s);
  // pdfkit and its fonts load only when someone exports.
  const report = await import('../report/index.ts');
  switch (format) {
    case 'json':
      return {
        name: `${base}.json`,
        mime: 'application/json',
        data: text(JSON.stringify(withoutSampleCloud(result), null, 2) + '\n'),
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
      const { files, trainAccuracyLog } = sources;
      const inputs = files ? await describeInputs(files) : undefined;
      const data = await report.renderReport(result, { viewPng, title, inputs, trainAccuracyLog });
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

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Name, size and SHA-256 of each analysed file, for the report's title block. */
async function describeInputs(files: AnalysedFile[]): Promise<Required<InputFile>[]> {
  return Promise.all(
    files.map(async (f) => ({
      file: f.name,
      bytes: (await stat(f.path)).size,
      sha256: await sha256(f.path),
    })),
  );
}

/**
 * The JSON export keeps the class means and classifier rows but not the view's sample cloud:
 * up to two million numbers that only the 3D view needs.
 */
function withoutSampleCloud(result: AnalysisResult): AnalysisResult {
  return JSON.parse(
    JSON.stringify(result, (key, value) => (key === 'samples' ? undefined : value)),
  ) as AnalysisResult;
}
