/**
 * `nc-lens analyze`: the Neural Collapse metrics of activation dumps, as a table or JSON.
 * Its input options are those of `nc-lens report` (main/cli/inputs.ts); OPTIONS adds the outputs.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { badInput } from '../../shared/errors.ts';
import type { AnalysisResult, MetricsResult, Progress, SeriesResult } from '../../shared/schema.ts';
import { metricsCsv, perClassCsv } from '../report/csv.ts';
import { pointMetrics } from '../../shared/points.ts';
import { METRICS, metricName, type MetricKey, type MetricName } from '../../shared/metric-names.ts';
import {
  analyzeInputs,
  INPUT_OPTIONS,
  optionLines,
  parseOptions,
  type OptionTable,
} from './inputs.ts';
import { checkOutputPaths } from './outputs.ts';
import { SHARD_OPTIONS, analyzeStats, wantsStats } from './stats-analyze.ts';
import { formatMetric } from '../../shared/format.ts';

const OPTIONS: OptionTable = {
  ...INPUT_OPTIONS,
  ...SHARD_OPTIONS,
  json: {
    type: 'string',
    arg: 'OUT',
    help: "write the result as JSON to OUT ('-': stdout, nothing else)",
  },
  samples: {
    type: 'boolean',
    help: "with --json: also geometry.samples, the 3-D view's sample cloud",
  },
  csv: { type: 'string', arg: 'OUT', help: 'write the headline metrics (per epoch) as CSV' },
  'per-class-csv': {
    type: 'string',
    arg: 'OUT',
    help: 'write the per-class table (of the last epoch) as CSV',
  },
  quiet: {
    type: 'boolean',
    short: 'q',
    help: 'print no table, warnings or progress (with --json OUT, --csv or --per-class-csv)',
  },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

function usage(): string {
  return [
    'usage: nc-lens analyze [BUNDLES...] [options]',
    '',
    'One bundle (.npz/.safetensors/.pt) or separate files → the metrics of that dataset;',
    'several bundles (one per epoch), or a run folder of them → a series, ordered by the epoch',
    "in their names (a folder's points are cached: nc-lens cache).",
    "--shards 'dir/*.npz' → row blocks of one dataset, as statistics files on worker",
    'processes or Slurm jobs (docs/cluster.md); --from-stats S → metrics of merged statistics.',
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
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  checkOutputPaths([jsonOut, text(values.csv), text(values['per-class-csv'])]);
  const writesFile = ['json', 'csv', 'per-class-csv'].some((k) => typeof values[k] === 'string');
  if (quiet && !writesFile) {
    throw badInput(
      undefined,
      '--json OUT, --csv OUT or --per-class-csv OUT with -q (it prints no table)',
      'no output requested',
    );
  }

  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  const progress = !quiet && process.stderr.isTTY ? progressLine() : undefined;
  try {
    const sharded = wantsStats(values)
      ? await analyzeStats(values, positionals, {
          signal: controller.signal,
          jsonOut,
          say: (line) => {
            if (!quiet) process.stderr.write(`${line}\n`);
          },
        })
      : undefined;
    if (sharded === null) return 0; // submitted with --detach: nc-lens status DIR collects
    const { result, files } =
      sharded ??
      (await analyzeInputs('analyze', values, positionals, {
        signal: controller.signal,
        onProgress: progress?.update,
        geometry: jsonOut !== undefined,
        samples: jsonOut !== undefined && values.samples === true,
      }));
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
      if (!quiet) process.stdout.write(render(result, files, terminalWidth()) + '\n');
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

/** A metric in the table: the one formatter, fractions as fractions (the JSON's numbers). */
function fmt(m: MetricName, x: number | null | undefined): string {
  return formatMetric(x, m.kind, { fractions: 'fraction' });
}

function engineLine(r: AnalysisResult): string {
  const e = r.engine;
  const where = e ? `; ${e.backend} ×${e.threads}, ${e.seconds.toFixed(2)} s` : '';
  return `centering ${r.settings.centering}${where}`;
}

/**
 * The width the table must fit: the terminal's, else `COLUMNS` (set by shells and by tests),
 * else unbounded (a pipe or a file gets every column).
 */
function terminalWidth(): number {
  const columns = process.stdout.columns || Number(process.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : Infinity;
}

function render(result: AnalysisResult, files: string[], width: number): string {
  return result.schema === 'nc-lens/metrics@1'
    ? renderMetrics(result, files, width)
    : renderSeries(result, width);
}

/**
 * One column per split. Metrics of W alone (splitFree) are the same for the test split and
 * shown once; with no test split the one column is not called "train" (it may be held-out
 * inputs run through a model).
 */
function renderMetrics(r: MetricsResult, files: string[], width: number): string {
  const name = files.map((f) => path.basename(f)).join(', ') || 'dataset';
  const head = `${name}: N=${r.n}, D=${r.d}, C=${r.c}${r.test ? ` (test N=${r.test.n})` : ''}; ${engineLine(r)}`;
  const test = r.test;
  const rows = METRICS.map((m) => [
    m.key,
    fmt(m, m.value(r)),
    ...(test ? [m.splitFree ? '' : fmt(m, m.value(test))] : []),
    m.meaning,
  ]);
  const header = ['metric', ...(test ? ['train', 'test'] : ['value']), 'meaning'];
  const note = test ? '\n\n*_weights metrics depend on W alone: shown once, for both splits.' : '';
  return `${head}\n\n${fitMeaning(table(header, rows), width)}${note}`;
}

/** `text` broken between words into lines of at most `width` characters. */
function wrap(text: string, width: number): string {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= width)
      lines[lines.length - 1] += ` ${word}`;
    else lines.push(word);
  }
  return lines.join('\n');
}

/** Lines cut at `width` (the trailing meaning column is the only one that can run over). */
function fitMeaning(text: string, width: number): string {
  if (!Number.isFinite(width)) return text;
  return text
    .split('\n')
    .map((l) => ([...l].length > width ? [...l].slice(0, width - 1).join('') + '…' : l))
    .join('\n');
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

/** Which series columns stay when the terminal is narrow, most telling first. */
const SERIES_PRIORITY: readonly MetricKey[] = [
  'nc1',
  'etf_error_means',
  'self_duality',
  'ncc_mismatch',
  'classifier_accuracy',
  'cdnv',
  'nc1_quotient',
  'equinorm_means',
  'duality_cos_mean',
  'ncc_accuracy',
];

/**
 * The series as a table that fits `width`: columns are left out, least telling first, and a
 * line says which; --json and --csv always have every number.
 */
function renderSeries(s: SeriesResult, width: number): string {
  const by = s.kind === 'layers' ? 'layer' : 'epoch';
  const hasTest = s.points.some((p) => p.metrics.test);
  const build = (cols: readonly MetricName[]) => {
    const header = [by, ...cols.map((m) => m.key), ...(hasTest ? ['test_accuracy'] : [])];
    const rows = s.points.map((p) => [
      s.kind === 'layers' ? p.label : String(p.epoch ?? p.step ?? p.index),
      ...cols.map((m) => fmt(m, m.value(p.metrics))),
      ...(hasTest
        ? [
            formatMetric(
              p.metrics.test?.nc4.classifier_accuracy ?? p.metrics.test?.nc4.ncc_accuracy,
              'fraction',
              { fractions: 'fraction' },
            ),
          ]
        : []),
    ]);
    return table(header, rows);
  };
  const fits = (text: string) => Math.max(...text.split('\n').map((l) => l.length)) <= width;
  const inOrder = (keys: MetricKey[]) => SERIES_COLUMNS.filter((k) => keys.includes(k));
  let kept: MetricKey[] = [...SERIES_COLUMNS];
  if (!fits(build(kept.map(metricName)))) {
    kept = [SERIES_PRIORITY[0]];
    for (const k of SERIES_PRIORITY.slice(1)) {
      if (fits(build(inOrder([...kept, k]).map(metricName)))) kept.push(k);
    }
    kept = inOrder(kept);
  }
  const text = build(kept.map(metricName));
  const left = SERIES_COLUMNS.filter((k) => !kept.includes(k));
  const omitted = left.length
    ? `\n\n${wrap(`left out to fit ${width} columns: ${left.join(', ')} (--csv OUT or --json OUT has every metric)`, width)}`
    : '';
  const legend = fitMeaning(
    kept
      .map(metricName)
      .map((m) => `  ${m.key.padEnd(20)} ${m.meaning}`)
      .join('\n'),
    width,
  );
  return `${s.kind} series, ${s.points.length} points; ${engineLine(s)}\n\n${text}${omitted}\n\n${legend}`;
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
