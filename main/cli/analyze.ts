/**
 * `nc-lens analyze`: the Neural Collapse metrics of activation dumps, as a table or JSON.
 * All options live in OPTIONS (one table: parsing, help and role overrides come from it).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { badInput } from '../../shared/errors.ts';
import type {
  AnalysisResult,
  Centering,
  MetricsResult,
  Progress,
  SeriesResult,
  SplitMetrics,
} from '../../shared/schema.ts';
import type { RoleOverrides } from '../io/index.ts';
import { analyzeDataset, analyzePaths, type AnalyzeOptions } from '../engine/index.ts';
import { metricsCsv, perClassCsv } from '../report/csv.ts';
import { METRICS, metricName, type MetricKey } from '../../shared/metric-names.ts';

interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  arg?: string;
  help: string;
  /** The dataset role this option names an array for. */
  role?: keyof RoleOverrides;
}

const OPTIONS: Record<string, OptionSpec> = {
  features: {
    type: 'string',
    arg: 'F',
    role: 'features',
    help: 'features array (N×D): a file, file.npz:name, or an array name',
  },
  labels: { type: 'string', arg: 'L', role: 'labels', help: 'labels array (N integers)' },
  weight: { type: 'string', arg: 'W', role: 'weight', help: 'classifier weight (C×D, or D×C)' },
  bias: { type: 'string', arg: 'B', role: 'bias', help: 'classifier bias (C)' },
  logits: {
    type: 'string',
    arg: 'Z',
    role: 'logits',
    help: 'logits (N×C), used when no weight is given',
  },
  'test-features': { type: 'string', arg: 'F', role: 'test_features', help: 'test-split features' },
  'test-labels': { type: 'string', arg: 'L', role: 'test_labels', help: 'test-split labels' },
  'test-logits': { type: 'string', arg: 'Z', role: 'test_logits', help: 'test-split logits' },
  model: {
    type: 'string',
    arg: 'M.onnx',
    help: 'an ONNX model: the features are computed by running it on --inputs',
  },
  inputs: { type: 'string', arg: 'X', help: 'model inputs (N×…), with --model and --labels' },
  'test-inputs': { type: 'string', arg: 'X', help: 'test-split model inputs (with --test-labels)' },
  'features-tensor': {
    type: 'string',
    arg: 'NAME',
    help: 'model tensor to take as features (default: the classifier input)',
  },
  centering: { type: 'string', arg: 'MODE', help: 'global mean: class-means (default) or samples' },
  threads: { type: 'string', arg: 'N', help: 'worker threads (default: all cores for big inputs)' },
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
  const lines = Object.entries(OPTIONS).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.arg ? ` ${o.arg}` : ''}`;
    return `  ${flag.padEnd(26)} ${o.help}`;
  });
  return [
    'usage: nc-lens analyze [BUNDLES...] [options]',
    '',
    'One bundle (.npz/.safetensors) or separate files → the metrics of that dataset;',
    'several bundles (one per epoch) → a series, ordered by the epoch in their names.',
    '',
    'options:',
    ...lines,
  ].join('\n');
}

function parse(argv: string[]) {
  const options = Object.fromEntries(
    Object.entries(OPTIONS).map(([k, o]) => [
      k,
      { type: o.type, ...(o.short ? { short: o.short } : {}) },
    ]),
  );
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw badInput(
      undefined,
      'options as in `nc-lens analyze --help`',
      (e as Error).message.split('\n')[0],
    );
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.help) {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  const overrides: RoleOverrides = {};
  for (const [name, o] of Object.entries(OPTIONS)) {
    const v = values[name];
    if (o.role && typeof v === 'string') overrides[o.role] = v;
  }
  const model = typeof values.model === 'string' ? values.model : undefined;
  if (!positionals.length && !overrides.features && !model) {
    throw badInput(
      undefined,
      'activation files (nc-lens analyze BUNDLE... or --features F --labels L)',
      'none',
    );
  }
  const centering = (values.centering ?? 'class-means') as string;
  if (centering !== 'class-means' && centering !== 'samples') {
    throw badInput(undefined, '--centering class-means or samples', `'${centering}'`);
  }
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
    throw badInput(undefined, '--threads between 1 and 64', `'${String(values.threads)}'`);
  }
  const quiet = values.quiet === true;
  const jsonOut = typeof values.json === 'string' ? values.json : undefined;

  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  const progress = !quiet && process.stderr.isTTY ? progressLine() : undefined;
  try {
    const opts: AnalyzeOptions = {
      centering: centering as Centering,
      signal: controller.signal,
      onProgress: progress?.update,
      geometry: jsonOut !== undefined,
      threads,
    };
    const result = model
      ? await analyzeModel(model, values, overrides, opts)
      : await analyzePaths(positionals, overrides, opts);
    progress?.clear();
    if (typeof values.csv === 'string') await writeFile(values.csv, metricsCsv(result));
    if (typeof values['per-class-csv'] === 'string') {
      const last = result.schema === 'nc-lens/metrics@1' ? result : result.points.at(-1)?.metrics;
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

/** `--model M.onnx --inputs X --labels Y`: features computed by running the model. */
async function analyzeModel(
  model: string,
  values: Record<string, string | boolean | undefined>,
  overrides: RoleOverrides,
  opts: AnalyzeOptions,
): Promise<MetricsResult> {
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const inputs = str('inputs');
  if (!inputs || !overrides.labels) {
    throw badInput(model, '--inputs X and --labels Y with --model', 'missing');
  }
  const { openModelDataset } = await import('../onnx/index.ts');
  const { dataset, close } = await openModelDataset({
    model,
    inputs,
    labels: overrides.labels,
    testInputs: str('test-inputs'),
    testLabels: overrides.test_labels,
    featuresTensor: str('features-tensor'),
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  try {
    return await analyzeDataset(dataset, opts);
  } finally {
    await close();
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
