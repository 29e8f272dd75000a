/**
 * Exports of a result, made by the report module (main/report): the result JSON as is, the
 * headline metrics and the per-class table as CSV, and the PDF report. The app's Export menu
 * and `nc-lens report` both come through `exportBytes`, so the same inputs give the same report.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ExportFormat } from '../../shared/api.ts';
import type { RunLogEntry, XAxisChoice } from '../../shared/charts/registry.ts';
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
  /** The series point on screen (−1 or absent: the last): what per-point exports show. */
  point?: number;
  /** The x axis of the report's trajectory charts. */
  x?: XAxisChoice;
  /** Steps and wall time per epoch (a run's training log), for those x axes. */
  runLog?: RunLogEntry[];
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
  const text = (s: string) => new TextEncoder().encode(s);
  // pdfkit and its fonts load only when someone exports.
  const report = await import('../report/index.ts');
  const { shownPoint, pointName, isSeries } = await import('../../shared/points.ts');
  const shown = shownPoint(result, sources.point);
  const at = pointName(result, shown);
  // File names carry the run (the title, else the series' common name) and the point shown.
  const base = fileStem(title ?? runName(result));
  const tagged = at ? `${base}-${fileStem(at)}` : base;
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
      // The table of the point on screen, with a column naming it.
      const column = isSeries(result) ? (result.kind === 'epochs' ? 'epoch' : 'layer') : '';
      const value = column === 'epoch' ? shown.x : shown.label;
      const data = text(report.perClassCsv(shown.metrics, column ? { column, value } : undefined));
      return { name: `${tagged}-per-class.csv`, mime: 'text/csv', data };
    }
    case 'tex-per-class': {
      const { perClassLatex } = await import('../report/latex.ts');
      const data = text(perClassLatex(shown.metrics, at || undefined));
      return { name: `${tagged}-per-class.tex`, mime: 'application/x-tex', data };
    }
    case 'pdf': {
      const { files, trainAccuracyLog } = sources;
      const inputs = files ? await describeInputs(files) : undefined;
      const data = await report.renderReport(result, {
        viewPng,
        title,
        inputs,
        trainAccuracyLog,
        point: sources.point,
        x: sources.x,
        runLog: sources.runLog,
      });
      return { name: `${tagged}.pdf`, mime: 'application/pdf', data };
    }
    default:
      throw badInput(
        undefined,
        'export format json, csv, csv-per-class or pdf (pdf-compare: two or more runs)',
        `'${format}'`,
      );
  }
}

/** A series' run name: what its point labels share before the epoch (`mnist_small`). */
export function runName(result: AnalysisResult): string | undefined {
  if (result.schema !== 'nc-lens/series@1' || result.kind !== 'epochs') return undefined;
  const labels = result.points.map((p) => p.label);
  let prefix = labels[0] ?? '';
  for (const l of labels) while (!l.startsWith(prefix)) prefix = prefix.slice(0, -1);
  const name = prefix.replace(/[_-]*(epoch|ep|e|step)?[_-]*\d*$/i, '');
  return name || undefined;
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

/** A run of a comparison report: its name, result and the files it analysed. */
export interface ComparedRunSource {
  id: string;
  name: string;
  result: AnalysisResult;
  files?: AnalysedFile[];
  /** The run's training log (steps and wall time per epoch), for those x axes. */
  log?: RunLogEntry[];
}

/**
 * The comparison report of several runs (main/report/compare.ts): the app's Export →
 * Comparison report and `nc-lens report --compare` both come through here.
 */
export async function exportComparison(
  runs: readonly ComparedRunSource[],
  extra?: { title?: string },
  opts: { at?: number | null; x?: XAxisChoice } = {},
): Promise<Exported> {
  const title = typeof extra?.title === 'string' ? extra.title : undefined;
  const { renderComparison } = await import('../report/compare.ts');
  const described = await Promise.all(
    runs.map(async (r) => ({
      ...r,
      inputs: r.files ? await describeInputs(r.files) : undefined,
    })),
  );
  const data = await renderComparison(described, { title, at: opts.at ?? null, x: opts.x });
  const base = fileStem(title ?? `compare-${runs.map((r) => r.name).join('-vs-')}`);
  return { name: `${base}.pdf`, mime: 'application/pdf', data };
}
