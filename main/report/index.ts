/**
 * The PDF report (issue #6): one function, `renderReport`, used by the app's Export → Report
 * and by `nc-lens report`, so both give the same bytes for the same inputs. pdfkit writes the
 * document with DejaVu fonts embedded (text stays selectable); charts are the SVG strings of
 * shared/charts drawn as vectors by svg-to-pdfkit.
 */
import type { RunLogEntry, XAxisChoice } from '../../shared/charts/registry.ts';
import type { AnalysisResult } from '../../shared/schema.ts';
import { version } from '../version.ts';
import {
  isSeries,
  lastPoint,
  pointMetrics,
  reportPoints,
  shownPoint,
} from '../../shared/points.ts';
import {
  appendix,
  cosines,
  norms,
  perClass,
  summary,
  titleBlock,
  trajectories,
  view3d,
  type InputFile,
  type ReportContext,
  type TrainAccuracy,
} from './sections.ts';
import { ReportWriter } from './writer.ts';

export { metricsCsv, perClassCsv } from './csv.ts';

export interface ReportOptions {
  title?: string;
  inputs?: InputFile[];
  /** The app's 3D canvas as PNG; without it the view is drawn as vector graphics. */
  viewPng?: Uint8Array;
  /** Training accuracy per epoch, to mark the terminal phase when the metrics cannot. */
  trainAccuracyLog?: TrainAccuracy[];
  /**
   * The report's date (title block and PDF CreationDate). Default: SOURCE_DATE_EPOCH when set,
   * else today at 00:00 UTC, so renders on the same day give identical bytes.
   */
  date?: Date;
  /** The series point shown on the 3D, heatmap, norm and per-class pages (−1: the last). */
  point?: number;
  /** The x axis of the trajectory charts (shared/charts/registry.ts `xAxis`). */
  x?: XAxisChoice;
  runLog?: RunLogEntry[];
}

export function reportDate(opts: ReportOptions): Date {
  if (opts.date) return opts.date;
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  if (Number.isFinite(epoch) && epoch > 0) return new Date(epoch * 1000);
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

function inputsOf(result: AnalysisResult, opts: ReportOptions): ReportContext['inputs'] {
  if (opts.inputs) return opts.inputs;
  const seen = new Map<string, InputFile>();
  for (const m of pointMetrics(result))
    for (const f of m.inputs ?? []) if (!seen.has(f.file)) seen.set(f.file, f);
  return [...seen.values()];
}

/** The shared context of a report's sections (the comparison report builds one per run). */
export function contextOf(result: AnalysisResult, opts: ReportOptions): ReportContext {
  const points = reportPoints(result);
  if (points.length === 0) throw new Error('the result has no points to report');
  return {
    result,
    points,
    last: lastPoint(result),
    shown: shownPoint(result, opts.point),
    kind: isSeries(result) ? result.kind : 'single',
    title: opts.title?.trim() || 'Neural Collapse report',
    date: reportDate(opts),
    version,
    inputs: inputsOf(result, opts),
    viewPng: opts.viewPng,
    trainAccuracyLog: opts.trainAccuracyLog,
    x: opts.x,
    runLog: opts.runLog,
  };
}

/** The report as PDF bytes. Deterministic: the same result and options give the same bytes. */
export async function renderReport(
  result: AnalysisResult,
  opts: ReportOptions = {},
): Promise<Uint8Array> {
  const ctx = contextOf(result, opts);
  const w = new ReportWriter({ title: ctx.title, creator: `NC Lens ${version}`, date: ctx.date });
  titleBlock(w, ctx);
  summary(w, ctx);
  trajectories(w, ctx);
  view3d(w, ctx);
  cosines(w, ctx);
  norms(w, ctx);
  perClass(w, ctx);
  appendix(w, ctx);
  w.footers(`${ctx.title} · NC Lens ${version}`);
  return w.finish();
}
