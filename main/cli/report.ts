/**
 * `nc-lens report FILES... -o report.pdf [input options] [--title T] [--train-log F]`: the PDF
 * the app exports. It takes the input options of `nc-lens analyze` (main/cli/inputs.ts) and
 * renders through the app's own export (main/service/export.ts), so the same inputs give the
 * same report; without the app's canvas, the 3D view is drawn as vectors (no GPU).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { badInput } from '../../shared/errors.ts';
import { exportBytes, type ExportSources } from '../service/export.ts';
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
  ...INPUT_OPTIONS,
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

function usage(): string {
  return [
    'usage: nc-lens report [BUNDLES...] -o report.pdf [options]',
    '',
    'One bundle (.npz/.safetensors) or separate files → a report of that dataset;',
    'several bundles (one per epoch) → a report of the series. The inputs are given as',
    'to `nc-lens analyze`.',
    '',
    'options:',
    ...optionLines(OPTIONS),
  ].join('\n');
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
  const trainAccuracyLog = typeof log === 'string' ? await readTrainLog(log) : undefined;

  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const { result, files } = await analyzeInputs('report', values, positionals, {
      signal: controller.signal,
    });
    const sources = {
      files: files.map((path) => ({ path, name: basename(path) })),
      trainAccuracyLog,
    };
    const { data } = await exportBytes(result, 'pdf', { title }, sources);
    try {
      await writeFile(output, data);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code) throw badInput(output, 'a writable file path', code);
      throw e;
    }
    process.stdout.write(`wrote ${output} (${formatBytes(data.length)})\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
