/**
 * `nc-lens report FILES... -o report.pdf [--centering MODE] [--title T] [--train-log F]`:
 * the same PDF the app exports (main/report), with the 3D view drawn as vectors (no GPU).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { badInput } from '../../shared/errors.ts';
import type { Centering } from '../../shared/schema.ts';
import { analyzePaths } from '../engine/index.ts';
import { writeReport, type ReportOptions } from '../report/index.ts';

const USAGE = `usage: nc-lens report FILES... -o report.pdf [options]

One bundle (.npz/.safetensors) or separate files → a report of that dataset;
several bundles (one per epoch) → a report of the series.

options:
  -o, --output FILE      the PDF to write (required)
      --centering MODE   global mean: class-means (default) or samples
      --title TEXT       title on the first page (default "Neural Collapse report")
      --train-log FILE   JSON [{epoch, train_acc}] to mark the terminal phase when the
                         files carry no classifier
  -h, --help             show this help`;

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        output: { type: 'string', short: 'o' },
        centering: { type: 'string' },
        title: { type: 'string' },
        'train-log': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw badInput(
      undefined,
      'options as in `nc-lens report --help`',
      (e as Error).message.split('\n')[0],
    );
  }
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Name, size and SHA-256 of each input, for the title block. */
async function describeInputs(files: string[]): Promise<NonNullable<ReportOptions['inputs']>> {
  return Promise.all(
    files.map(async (file) => ({
      file,
      bytes: (await stat(file)).size,
      sha256: await sha256(file),
    })),
  );
}

/** A training log: an array of {epoch, train_acc | train_accuracy}. */
async function readTrainLog(file: string): Promise<ReportOptions['trainAccuracyLog']> {
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
  const { values, positionals } = parse(argv);
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (!positionals.length)
    throw badInput(undefined, 'activation files (nc-lens report FILES... -o report.pdf)', 'none');
  const output = values.output;
  if (!output) throw badInput(undefined, 'an output file (-o report.pdf)', 'none');
  const centering = values.centering ?? 'class-means';
  if (centering !== 'class-means' && centering !== 'samples')
    throw badInput(undefined, '--centering class-means or samples', `'${centering}'`);
  const trainAccuracyLog = values['train-log']
    ? await readTrainLog(values['train-log'])
    : undefined;

  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const result = await analyzePaths(
      positionals,
      {},
      { centering: centering as Centering, signal: controller.signal },
    );
    const inputs = await describeInputs(positionals);
    let bytes: number;
    try {
      bytes = await writeReport(output, result, { title: values.title, inputs, trainAccuracyLog });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code) throw badInput(output, 'a writable file path', code);
      throw e;
    }
    process.stdout.write(`wrote ${output} (${(bytes / 1024).toFixed(0)} KB)\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
