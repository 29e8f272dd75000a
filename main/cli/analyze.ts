/**
 * `nc-lens analyze`: the Neural Collapse metrics of activation dumps, as a table or JSON.
 * Its input options are those of `nc-lens report` (main/cli/inputs.ts); OPTIONS adds the outputs.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type {
  AnalysisResult,
  MetricsResult,
  Progress,
  SeriesResult,
  SplitMetrics,
} from '../../shared/schema.ts';
import { metricsCsv, perClassCsv } from '../report/csv.ts';
import { pointMetrics } from '../report/points.ts';
import { METRICS, metricName, type MetricKey } from '../../shared/metric-names.ts';
import {
  analyzeInputs,
  INPUT_OPTIONS,
  optionLines,
  parseOptions,
  type OptionTable,
} from './inputs.ts';

const OPTIONS: OptionTable = {
  ...INPUT_OPTIONS,
  json: {
    type: 'string',
    arg: 'OUT',
    help: "write the result as JSON to OUT ('-': stdout, nothing else)",
  },
  csv: { type: 'string', arg: 'OUT', help: 'write the headline metrics (per epoch) as CSV' },
  'per-class-csv': {
    type: 'string',
    arg: 'OUT',
    help: 'write the per-class table (of the last epoch) as CSV',
  },
  quiet: { type: 'boolean', short: 'q', help: 'print no table, warnings or progress' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

function usage(): string {
  return [
    'usage: nc-lens analyze [BUNDLES...] [options]',
    '',
    'One bundle (.npz/.safetensors) or separate files → the metrics of that dataset;',
    'several bundles (one per epoch) → a series, ordered by the epoch in their names.',
    '',
    'options:',
    ...optionLines(OPTIONS),
  ].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions('analyze', OPTIONS, argv);
  if (values.help) {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  const quiet = values.quiet === true;
  const jsonOut = typeof values.json === 'string' ? values.json : undefined;

  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  const progress = !quiet && process.stderr.isTTY ? progressLine() : undefined;
  try {
    const { result } = await analyzeInputs('analyze', values, positionals, {
      signal: controller.signal,
      onProgress: progress?.update,
      geometry: jsonOut !== undefined,
    });
    progress?.clear();
    if (typeof values.csv === 'string') await writeFile(values.csv, metricsCsv(result));
    if (typeof values['per-class-csv'] === 'string') {
      const last = pointMetrics(result).at(-1);
      if (last) await writeFile(values['per-class-csv'], perClassCsv(last));
    }
    if (jsonOut === '-') {
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    } else {
      if (jsonOut) await writeFile(jsonOut, JSON.stringify(result, null, 2) + '\n');
      if (!quiet) process.stdout.write(render(result, positionals) + '\n');
    }
    if (!quiet) for (const w of warningsOf(result)) process.stderr.write(`warning: ${w}\n`);
    return 0;
  } finally {
    progress?.clear();
    process.off('SIGINT', onSigint);
  }
}

/** One self-overwriting line on a terminal's stderr. */
function progressLine(): { update(p: Progress): void; clear(): void } {
  let last = 0;
  let shown = false;
  return {
    update(p: Progress) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      process.stderr.write(`\r\x1b[K${p.phase}: ${(100 * p.fraction).toFixed(0)}%`);
    },
    clear() {
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}

function warningsOf(result: AnalysisResult): string[] {
  if (result.schema === 'nc-lens/metrics@1') return result.warnings;
  const each = result.points.flatMap((p) => p.metrics.warnings.map((w) => `${p.label}: ${w}`));
  return [...result.warnings, ...new Set(each)];
}

function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined) return '—';
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(2) : x.toPrecision(4);
}

function engineLine(r: AnalysisResult): string {
  const e = r.engine;
  const where = e ? `; ${e.backend} ×${e.threads}, ${e.seconds.toFixed(2)} s` : '';
  return `centering ${r.settings.centering}${where}`;
}

function render(result: AnalysisResult, files: string[]): string {
  return result.schema === 'nc-lens/metrics@1'
    ? renderMetrics(result, files)
    : renderSeries(result);
}

function renderMetrics(r: MetricsResult, files: string[]): string {
  const name = files.map((f) => path.basename(f)).join(', ') || 'dataset';
  const head = `${name}: N=${r.n}, D=${r.d}, C=${r.c}${r.test ? ` (test N=${r.test.n})` : ''}; ${engineLine(r)}`;
  const splits: [string, SplitMetrics][] = [['train', r]];
  if (r.test) splits.push(['test', r.test]);
  const rows = METRICS.map((m) => [
    m.key,
    ...splits.map(([, split]) => fmt(m.value(split))),
    m.meaning,
  ]);
  return `${head}\n\n${table(['metric', ...splits.map(([s]) => s), 'meaning'], rows)}`;
}

/** The columns of a series table: one per family's headline numbers. */
const SERIES_COLUMNS: readonly MetricKey[] = [
  'nc1',
  'nc1_quotient',
  'cdnv',
  'equinorm_means',
  'etf_error_means',
  'self_duality',
  'duality_cos_mean',
  'ncc_mismatch',
  'classifier_accuracy',
  'ncc_accuracy',
];

function renderSeries(s: SeriesResult): string {
  const by = s.kind === 'layers' ? 'layer' : 'epoch';
  const cols = SERIES_COLUMNS.map(metricName);
  const hasTest = s.points.some((p) => p.metrics.test);
  const header = [by, ...cols.map((m) => m.key), ...(hasTest ? ['test_accuracy'] : [])];
  const rows = s.points.map((p) => [
    s.kind === 'layers' ? p.label : String(p.epoch ?? p.step ?? p.index),
    ...cols.map((m) => fmt(m.value(p.metrics))),
    ...(hasTest
      ? [fmt(p.metrics.test?.nc4.classifier_accuracy ?? p.metrics.test?.nc4.ncc_accuracy)]
      : []),
  ]);
  const legend = cols.map((m) => `  ${m.key.padEnd(20)} ${m.meaning}`).join('\n');
  return `${s.kind} series, ${s.points.length} points; ${engineLine(s)}\n\n${table(header, rows)}\n\n${legend}`;
}

/** Columns of numbers right-aligned; the first column and `meaning` left-aligned. */
function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, j) => Math.max(...all.map((r) => r[j].length)));
  const left = (j: number) => j === 0 || header[j] === 'meaning';
  const line = (r: string[]) =>
    r
      .map((cell, j) => (left(j) ? cell.padEnd(widths[j]) : cell.padStart(widths[j])))
      .join('  ')
      .trimEnd();
  return all.map(line).join('\n');
}
