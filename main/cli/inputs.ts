/**
 * What `nc-lens analyze` and `nc-lens report` both read: the input options (one table: parsing,
 * help and role overrides come from it) and the analysis they lead to, so both commands accept
 * the same inputs and compute the same result from them.
 */
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { badInput } from '../../shared/errors.ts';
import type { AnalysisResult, Centering, MetricsResult } from '../../shared/schema.ts';
import { FILE_ARRAY, type RoleOverrides } from '../io/index.ts';
import { analyzeDataset, checkDevice, type AnalyzeOptions } from '../engine/index.ts';
import type { Device } from '../engine/index.ts';
import { analyzePaths } from '../plan/run.ts';
import { pointMetrics } from '../../shared/points.ts';
import { didYouMean } from './suggest.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  arg?: string;
  help: string;
  /** The dataset role this option names an array for. */
  role?: keyof RoleOverrides;
  /** Other spellings accepted for the same option (British ones: the UI says "Centre on"). */
  aliases?: string[];
}

export type OptionTable = Record<string, OptionSpec>;

export const INPUT_OPTIONS: OptionTable = {
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
  centering: {
    type: 'string',
    arg: 'MODE',
    aliases: ['centring'],
    help: 'global mean: class-means (default) or samples',
  },
  threads: { type: 'string', arg: 'N', help: 'compute threads (default: all cores)' },
  device: {
    type: 'string',
    arg: 'DEVICE',
    help: 'where the products run: cpu (default) or cuda (ONNX Runtime CUDA provider)',
  },
};

export type OptionValues = Record<string, string | boolean | undefined>;

/**
 * `argv` parsed against `table`, aliases resolved; an unknown option is a one-line bad-input
 * error with the closest known one, a malformed one a line without Node's advice on `--`.
 */
export function parseOptions(
  command: string,
  table: OptionTable,
  argv: string[],
): { values: OptionValues; positionals: string[] } {
  const options = Object.fromEntries(
    Object.entries(table).map(([k, o]) => [
      k,
      { type: o.type, ...(o.short ? { short: o.short } : {}) },
    ]),
  );
  try {
    return parseArgs({
      args: withAliasesResolved(table, argv),
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    const message = (e as Error).message.split('\n')[0];
    const unknown = /^Unknown option '(--?[^']*)'/.exec(message)?.[1];
    const known = Object.entries(table).flatMap(([k, o]) => [k, ...(o.aliases ?? [])]);
    if (unknown) {
      const hint = unknown.startsWith('--') ? didYouMean(unknown.slice(2), known, '--') : '';
      throw badInput(
        undefined,
        `an option of \`nc-lens ${command} --help\``,
        `'${unknown}'${hint}`,
      );
    }
    throw badInput(
      undefined,
      `options as in \`nc-lens ${command} --help\``,
      message.replace(/\. To specify a positional argument.*$/, ''),
    );
  }
}

/** `argv` with every `--alias` and `--alias=value` (before a bare `--`) under its real name. */
function withAliasesResolved(table: OptionTable, argv: string[]): string[] {
  const real = new Map(
    Object.entries(table).flatMap(([k, o]) => (o.aliases ?? []).map((a) => [a, k] as const)),
  );
  const end = argv.indexOf('--');
  return argv.map((arg, i) => {
    if ((end >= 0 && i >= end) || !arg.startsWith('--')) return arg;
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const to = real.get(name);
    return to ? `--${to}${eq < 0 ? '' : arg.slice(eq)}` : arg;
  });
}

/** The help lines of `table`, one option a line. */
export function optionLines(table: OptionTable): string[] {
  return Object.entries(table).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.arg ? ` ${o.arg}` : ''}`;
    const also = o.aliases?.length ? ` (also ${o.aliases.map((a) => `--${a}`).join(', ')})` : '';
    return `  ${flag.padEnd(26)} ${o.help}${also}`;
  });
}

/** A string option's value, or undefined. */
export const str = (values: OptionValues, key: string): string | undefined =>
  typeof values[key] === 'string' ? values[key] : undefined;

/** --centering, checked. */
export function centeringOf(values: OptionValues): Centering {
  const centering = str(values, 'centering') ?? 'class-means';
  if (centering !== 'class-means' && centering !== 'samples') {
    throw badInput(undefined, '--centering class-means or samples', `'${centering}'`);
  }
  return centering;
}

/** --device, checked: cuda only where onnxruntime-node has its CUDA provider. */
function deviceOf(values: OptionValues): Device {
  const device = str(values, 'device') ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda') {
    throw badInput(undefined, '--device cpu or cuda', `'${device}'`);
  }
  checkDevice(device);
  return device;
}

/** --threads, checked; undefined leaves the choice to the engine. */
export function threadsOf(values: OptionValues): number | undefined {
  if (values.threads === undefined) return undefined;
  const threads = Number(values.threads);
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
    throw badInput(undefined, '--threads between 1 and 64', `'${String(values.threads)}'`);
  }
  return threads;
}

function overridesOf(values: OptionValues): RoleOverrides {
  const overrides: RoleOverrides = {};
  for (const [name, o] of Object.entries(INPUT_OPTIONS)) {
    const v = str(values, name);
    if (o.role && v) overrides[o.role] = v;
  }
  return overrides;
}

export interface AnalyzedInputs {
  result: AnalysisResult;
  /** The files read, in the order given (for the report's title block); ignored ones left out. */
  files: string[];
}

/**
 * The analysis the input options ask for: files and role overrides through the analysis plan
 * (main/plan), or `--model` run on `--inputs`. Centering and threads come from the options too.
 */
export async function analyzeInputs(
  command: string,
  values: OptionValues,
  positionals: string[],
  opts: Omit<AnalyzeOptions, 'centering' | 'threads' | 'device'> = {},
): Promise<AnalyzedInputs> {
  const overrides = overridesOf(values);
  const model = str(values, 'model');
  if (!positionals.length && !overrides.features && !model) {
    throw badInput(
      undefined,
      `activation files (nc-lens ${command} BUNDLE... or --features F --labels L)`,
      'none',
    );
  }
  const full: AnalyzeOptions = {
    ...opts,
    centering: centeringOf(values),
    threads: threadsOf(values),
    device: deviceOf(values),
  };
  const given = model ? undefined : await modelPositional(positionals);
  if (given) {
    const result = await analyzeModel(
      given.model,
      { ...values, ...given.values },
      { ...overrides, ...given.overrides },
      full,
    );
    result.warnings.push(...given.warnings);
    return { result, files: given.used };
  }
  if (model) {
    const result = await analyzeModel(model, values, overrides, full);
    const named = [
      model,
      ...['inputs', 'labels', 'test-inputs', 'test-labels'].map((k) => str(values, k)),
    ];
    return { result, files: existingFiles(named) };
  }
  const result = await analyzePaths(positionals, overrides, full);
  const read = filesRead(result);
  return { result, files: existingFiles([...positionals.filter((p) => read.has(p)), ...read]) };
}

/**
 * `nc-lens analyze M.onnx X.npy Y.npy`: a model among the files makes a `model` plan, its
 * inputs and labels guessed among the other files as the app guesses them (service/model.ts),
 * the files it does not take ignored with the reason.
 */
async function modelPositional(positionals: string[]): Promise<
  | {
      model: string;
      values: OptionValues;
      overrides: RoleOverrides;
      warnings: string[];
      used: string[];
    }
  | undefined
> {
  const { fileFormat, openFile } = await import('../io/index.ts');
  const formats = await Promise.all(positionals.map((p) => fileFormat(p).catch(() => undefined)));
  const model = positionals.find((_, i) => formats[i] === 'onnx-model');
  if (!model) return undefined;
  const { openModel, guessModelRoles } = await import('../service/model.ts');
  const { planOf, fileIdentity } = await import('../plan/run.ts');
  const { ignoredWarnings } = await import('../plan/plan.ts');
  const opened = await openModel(model);
  const others = await Promise.all(
    positionals.map(async (p, i) => {
      if (p === model && formats[i] === 'onnx-model')
        return { path: p, container: undefined, problem: undefined };
      try {
        return { path: p, container: await openFile(p), problem: undefined };
      } catch (e) {
        return { path: p, container: undefined, problem: (e as Error).message };
      }
    }),
  );
  try {
    const arrays = others.flatMap((o) =>
      o.container?.arrays.length === 1 ? o.container.arrays : [],
    );
    const roles = guessModelRoles(model, opened.model, arrays);
    const sources = await Promise.all(
      others.map(async (o, i) => ({
        key: `${i}`,
        name: basename(o.path),
        path: o.path,
        bytes: o.container?.bytes ?? 0,
        arrays: o.container?.arrays ?? [],
        roles,
        identity: await fileIdentity(o.path),
        model: o.path === model,
        problem: o.problem,
      })),
    );
    const plan = planOf(sources);
    const fileOf = (role: string) =>
      others.find((o) => o.container?.arrays.some((a) => roles.get(a) === role))?.path;
    const values: OptionValues = { inputs: fileOf('inputs'), 'test-inputs': fileOf('test_inputs') };
    const overrides: RoleOverrides = {
      labels: fileOf('labels'),
      test_labels: fileOf('test_labels'),
    };
    const used = sources.filter((_, i) => plan.files[i].used).map((s) => s.path);
    return { model, values, overrides, warnings: ignoredWarnings(plan), used: [...new Set(used)] };
  } finally {
    await Promise.allSettled(others.map((o) => o.container?.close()));
  }
}

/** `--model M.onnx --inputs X --labels Y`: features computed by running the model. */
async function analyzeModel(
  model: string,
  values: OptionValues,
  overrides: RoleOverrides,
  opts: AnalyzeOptions,
): Promise<MetricsResult> {
  const inputs = str(values, 'inputs');
  if (!inputs || !overrides.labels) {
    throw badInput(model, '--inputs X and --labels Y with --model', 'missing');
  }
  const { openModelDataset } = await import('../onnx/index.ts');
  const { dataset, close } = await openModelDataset({
    model,
    inputs,
    labels: overrides.labels,
    testInputs: str(values, 'test-inputs'),
    testLabels: overrides.test_labels,
    featuresTensor: str(values, 'features-tensor'),
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  try {
    return await analyzeDataset(dataset, opts);
  } finally {
    await close();
  }
}

/** The files the analysis read (each result records its inputs; ignored files are not there). */
function filesRead(result: AnalysisResult): Set<string> {
  return new Set(pointMetrics(result).flatMap((m) => (m.inputs ?? []).map((f) => f.file)));
}

/** The files named by options like `file.npz:array` or `file.npy`; array names are dropped. */
function existingFiles(named: (string | undefined)[]): string[] {
  const files = named.flatMap((v) => {
    if (!v) return [];
    const file = isFile(v) ? v : FILE_ARRAY.exec(v)?.[1];
    return file && isFile(file) ? [file] : [];
  });
  return [...new Set(files)];
}

function isFile(p: string): boolean {
  return existsSync(p) && statSync(p).isFile();
}
