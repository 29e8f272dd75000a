/**
 * `nc-lens report FILES... -o report.pdf [input options] [--title T] [--train-log F]`: the PDF
 * the app exports. It takes the input options of `nc-lens analyze` (main/cli/inputs.ts) and
 * renders through the app's own export (main/service/export.ts), so the same inputs give the
 * same report; without the app's canvas, the 3D view is drawn as vectors (no GPU).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { RunLogEntry, XAxisChoice } from '../../shared/charts/registry.ts';
import { badInput } from '../../shared/errors.ts';
import { exportBytes, exportComparison, runName, type ExportSources } from '../service/export.ts';
import {
  analyzeInputs,
  INPUT_OPTIONS,
  optionLines,
  parseOptions,
  type OptionTable,
} from './inputs.ts';
import { checkOutputPaths } from './outputs.ts';
import { formatBytes } from '../../shared/format.ts';

const OPTIONS: OptionTable = {
  output: { type: 'string', short: 'o', arg: 'FILE', help: 'the PDF to write (required)' },
  title: {
    type: 'string',
    arg: 'TEXT',
    help: 'title on the first page (default "Neural Collapse report")',
  },
  'train-log': {
    type: 'string',
    arg: 'FILE',
    help: 'JSON [{epoch, train_acc}]: marks the terminal phase when no classifier is given',
  },
  compare: {
    type: 'boolean',
    help: 'compare runs: each argument is a run, [NAME=]FOLDER or [NAME=]FILE[,FILE...]',
  },
  at: {
    type: 'string',
    arg: 'EPOCH',
    help: "with --compare: the comparison table's epoch (default each run's last point)",
  },
  x: {
    type: 'string',
    arg: 'AXIS',
    help: 'x axis of the charts: epoch, epoch-log, epoch-linear, step or time (from a run log)',
  },
  ...INPUT_OPTIONS,
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

function usage(): string {
  return [
    'usage: nc-lens report [BUNDLES...] -o report.pdf [options]',
    '',
    'One bundle (.npz/.safetensors/.pt) or separate files → a report of that dataset;',
    'several bundles (one per epoch) → a report of the series. The inputs are given as',
    'to `nc-lens analyze`.',
    '',
    'nc-lens report --compare RUN_A RUN_B ... -o compare.pdf: a comparison report. A run is',
    'a folder of epoch dumps (a JSON training log in it gives steps and wall time), or files',
    "joined by commas; NAME=... names it (default: the folder or its dumps' common name).",
    '',
    'options:',
    ...optionLines(OPTIONS),
  ].join('\n');
}

/** A run folder's own training log (run.json, train_log.json): `report RUN_DIR` reads it. */
async function folderTrainLog(paths: string[]): Promise<ExportSources['trainAccuracyLog']> {
  const { readRunLog } = await import('../service/watch.ts');
  for (const p of paths) {
    const isFolder = await stat(p).then(
      (s) => s.isDirectory(),
      () => false,
    );
    const rows = isFolder ? (await readRunLog(p))?.epochs : undefined;
    const log = rows?.flatMap((e) =>
      e.train_acc === undefined ? [] : [{ epoch: e.epoch, train_accuracy: e.train_acc }],
    );
    if (log?.length) return log;
  }
  return undefined;
}

/** A training log: an array of {epoch, train_acc | train_accuracy}. */
async function readTrainLog(file: string): Promise<ExportSources['trainAccuracyLog']> {
  const expected = 'a JSON array of {epoch, train_acc}';
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw badInput(file, expected, (e as Error).message.split('\n')[0]);
  }
  if (!Array.isArray(data)) throw badInput(file, expected, typeof data);
  return data.map((row: Record<string, unknown>, i) => {
    const epoch = row?.epoch;
    const acc = row?.train_accuracy ?? row?.train_acc;
    if (typeof epoch !== 'number' || typeof acc !== 'number')
      throw badInput(file, expected, `entry ${i} without numeric epoch and train_acc`);
    return { epoch, train_accuracy: acc };
  });
}

/** `--x`: which quantity the x axis shows and its scale. */
function xChoice(v: unknown): XAxisChoice | undefined {
  if (v === undefined) return undefined;
  const table: Record<string, XAxisChoice> = {
    epoch: { quantity: 'epoch' },
    'epoch-log': { quantity: 'epoch', scale: 'log' },
    'epoch-linear': { quantity: 'epoch', scale: 'linear' },
    step: { quantity: 'step' },
    time: { quantity: 'time' },
  };
  const found = typeof v === 'string' ? table[v] : undefined;
  if (!found) throw badInput(undefined, `--x ${Object.keys(table).join(', ')}`, `'${String(v)}'`);
  return found;
}

/** A run log: [{epoch, step?, wall_time | time | elapsed?}]; null when `file` is not one. */
async function runLog(file: string): Promise<RunLogEntry[] | null> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(data)) return null;
  const out: RunLogEntry[] = [];
  for (const row of data as Record<string, unknown>[]) {
    if (typeof row?.epoch !== 'number') return null;
    const time = row.wall_time ?? row.time ?? row.elapsed;
    const step = row.step ?? row.global_step;
    out.push({
      epoch: row.epoch,
      ...(typeof step === 'number' ? { step } : {}),
      ...(typeof time === 'number' ? { wall_time: time } : {}),
    });
  }
  return out;
}

interface RunArg {
  name?: string;
  files: string[];
  log?: RunLogEntry[];
}

/** `[NAME=]FOLDER` or `[NAME=]FILE[,FILE...]`: the run's files, name and training log. */
async function runArg(arg: string): Promise<RunArg> {
  const eq = arg.indexOf('=');
  const named = eq > 0 && !existsSync(arg) ? arg.slice(0, eq) : undefined;
  const spec = named === undefined ? arg : arg.slice(eq + 1);
  const paths = spec.split(',').filter(Boolean);
  const files: string[] = [];
  let log: RunLogEntry[] | undefined;
  for (const p of paths) {
    const info = await stat(p).catch(() => undefined);
    if (!info) throw badInput(p, 'a run: a folder or files', 'no such file or folder');
    if (!info.isDirectory()) {
      files.push(p);
      continue;
    }
    const entries = (await readdir(p, { withFileTypes: true }))
      .filter((e) => e.isFile() && !e.name.startsWith('.'))
      .map((e) => join(p, e.name))
      .sort();
    for (const f of entries) {
      if (!f.toLowerCase().endsWith('.json')) files.push(f);
      else log ??= (await runLog(f)) ?? undefined;
    }
  }
  if (files.length === 0) throw badInput(spec, 'a run with activation files', 'none');
  const folder = paths.length === 1 && files.length > 1 ? basename(paths[0]) : undefined;
  return { name: named ?? folder, files, log };
}

async function compareRuns(
  values: Record<string, unknown>,
  positionals: string[],
  output: string,
  signal: AbortSignal,
): Promise<number> {
  if (positionals.length < 2)
    throw badInput(
      undefined,
      'two or more runs to compare (--compare RUN_A RUN_B ...)',
      `${positionals.length}`,
    );
  const at = values.at === undefined ? null : Number(values.at);
  if (at !== null && !Number.isFinite(at))
    throw badInput(undefined, '--at EPOCH (a number)', `'${String(values.at)}'`);
  const args = await Promise.all(positionals.map(runArg));
  const runs = [];
  const taken: string[] = [];
  for (const [i, a] of args.entries()) {
    const { result, files } = await analyzeInputs('report', values as never, a.files, { signal });
    let name = a.name ?? runName(result) ?? `run ${i + 1}`;
    for (let k = 2; taken.includes(name); k++)
      name = `${a.name ?? runName(result) ?? 'run'} (${k})`;
    taken.push(name);
    runs.push({
      id: `r${i + 1}`,
      name,
      result,
      log: a.log,
      files: files.map((path) => ({ path, name: basename(path) })),
    });
  }
  const title = typeof values.title === 'string' ? values.title : undefined;
  const { data } = await exportComparison(runs, { title }, { at, x: xChoice(values.x) });
  await writeOutput(output, data);
  return 0;
}

async function writeOutput(output: string, data: Uint8Array): Promise<void> {
  try {
    await writeFile(output, data);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code) throw badInput(output, 'a writable file path', code);
    throw e;
  }
  process.stdout.write(`wrote ${output} (${formatBytes(data.length)})\n`);
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions('report', OPTIONS, argv);
  if (values.help) {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  const output = typeof values.output === 'string' ? values.output : undefined;
  if (!output) throw badInput(undefined, 'an output file (-o report.pdf)', 'none');
  checkOutputPaths([output]);
  const title = typeof values.title === 'string' ? values.title : undefined;
  const log = values['train-log'];
  const trainAccuracyLog =
    typeof log === 'string' ? await readTrainLog(log) : await folderTrainLog(positionals);

  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    if (values.compare) return await compareRuns(values, positionals, output, controller.signal);
    const x = xChoice(values.x);
    const { result, files } = await analyzeInputs('report', values, positionals, {
      signal: controller.signal,
    });
    const sources = {
      files: files.map((path) => ({ path, name: basename(path) })),
      trainAccuracyLog,
      x,
    };
    const { data } = await exportBytes(result, 'pdf', { title }, sources);
    await writeOutput(output, data);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
