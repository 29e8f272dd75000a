/**
 * `nc-lens inspect FILE... [--json]`: every array in each file with its dtype, shape, size and
 * the role NC Lens would give it. Nothing is computed; only headers are read.
 */
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { badInput } from '../../shared/errors.ts';
import { fileFormat, guessRoles, openFile } from '../io/index.ts';
import type { ArraySource, Container, Role } from '../io/types.ts';
import type { TensorInfo } from '../onnx/inspect.ts';
import { didYouMean } from './suggest.ts';

const USAGE = `usage: nc-lens inspect FILE... [--json]

Lists the arrays in .npy, .npz, ONNX TensorProto (.pb), .safetensors and PyTorch (.pt)
files with their dtype, shape, bytes and guessed role (features, labels, weight, bias,
logits, test_*, layer).
For an ONNX model (.onnx): its inputs, outputs and the classifier found in it.

  --json   print one JSON document instead of a table`;

export interface InspectedArray {
  name: string;
  dtype: string;
  shape: number[];
  bytes: number;
  role: Role;
}

export interface InspectedFile {
  file: string;
  format: string;
  bytes: number;
  arrays: InspectedArray[];
  /** For an ONNX model (whose arrays list is empty). */
  model?: InspectedModel;
}

export interface InspectedModel {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  classifier: {
    node: string;
    op: string;
    featuresTensor: string;
    logitsTensor: string;
    /** C×D. */
    shape: [number, number];
    bias: boolean;
  } | null;
  /** Tensors that could serve as features. */
  candidates: string[];
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const files = await inspectFiles(positionals);
  const text = values.json
    ? JSON.stringify({ files }, null, 2)
    : files.map((f) => (f.model ? modelTable(f, f.model) : table(f))).join('\n\n');
  process.stdout.write(`${text}\n`);
  return 0;
}

function parseOptions(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    const message = (e as Error).message;
    const unknown = /^Unknown option '(--?[^']*)'/.exec(message)?.[1];
    if (unknown) {
      const hint = didYouMean(unknown.replace(/^--?/, ''), ['json', 'help'], '--');
      throw badInput(undefined, 'options --json or --help', `'${unknown}'${hint}`);
    }
    throw badInput(undefined, 'options --json or --help', message.split('. ')[0]);
  }
}

/**
 * Opens all files (all or none), then guesses roles the way the app does: single-array files
 * together (features.npy + labels.npy belong together), each bundle on its own.
 */
export async function inspectFiles(paths: string[]): Promise<InspectedFile[]> {
  const containers: Container[] = [];
  const models = new Map<string, InspectedFile>();
  try {
    for (const p of paths) {
      if ((await fileFormat(p)) === 'onnx-model') models.set(p, await inspectModel(p));
      else containers.push(await openFile(p));
    }
    const singles = containers.filter((c) => c.arrays.length === 1);
    const groups = [singles, ...containers.filter((c) => c.arrays.length !== 1).map((c) => [c])];
    const roles = new Map<ArraySource, Role>();
    for (const group of groups) {
      for (const [a, r] of guessRoles(group.flatMap((c) => c.arrays))) roles.set(a, r);
    }
    const inspected = containers.map((c) => ({
      file: c.file,
      format: c.format,
      bytes: c.bytes,
      arrays: c.arrays.map((a) => ({
        name: a.name,
        dtype: a.dtype,
        shape: a.shape,
        bytes: a.bytes,
        role: roles.get(a) ?? 'ignore',
      })),
    }));
    return paths.map((p) => models.get(p) ?? inspected.shift()!);
  } finally {
    await Promise.allSettled(containers.map((c) => c.close()));
  }
}

/** Models are described by main/onnx; loaded only when a model is given. */
async function inspectModel(file: string): Promise<InspectedFile> {
  const { inspectModel: describe } = await import('../onnx/index.ts');
  const info = await describe(file);
  const { size } = await stat(file);
  const c = info.classifier;
  return {
    file,
    format: 'onnx-model',
    bytes: size,
    arrays: [],
    model: {
      inputs: info.inputs,
      outputs: info.outputs,
      classifier: c && {
        node: c.node,
        op: c.op,
        featuresTensor: c.featuresTensor,
        logitsTensor: c.logitsTensor,
        shape: [c.weight.rows, c.weight.cols],
        bias: c.bias !== undefined,
      },
      candidates: info.candidates,
    },
  };
}

function modelTable(f: InspectedFile, m: InspectedModel): string {
  const tensors = [
    ...m.inputs.map((t) => ['input', t.name, t.type, shapeText(t.shape)]),
    ...m.outputs.map((t) => ['output', t.name, t.type, shapeText(t.shape)]),
  ];
  const c = m.classifier;
  const classifier = c
    ? `classifier  ${c.op} ${c.node}: ${c.featuresTensor} → ${c.logitsTensor}, weight ${shapeText(c.shape)}${c.bias ? ' + bias' : ''}`
    : 'classifier  none found';
  return [
    `${f.file}  (${f.format}, ${f.bytes} bytes)`,
    ...columns(tensors),
    `  ${classifier}`,
  ].join('\n');
}

/** Rows of cells as aligned, indented lines. */
function columns(rows: string[][], rightAligned = -1): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map(
    (r) =>
      `  ${r
        .map((cell, i) => (i === rightAligned ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
        .join('  ')
        .trimEnd()}`,
  );
}

function table(f: InspectedFile): string {
  const rows = [
    ['name', 'dtype', 'shape', 'bytes', 'role'],
    ...f.arrays.map((a) => [a.name, a.dtype, shapeText(a.shape), String(a.bytes), a.role]),
  ];
  return [`${f.file}  (${f.format}, ${f.bytes} bytes)`, ...columns(rows, 3)].join('\n');
}

function shapeText(shape: (number | string)[]): string {
  return shape.length === 0 ? '()' : shape.join('×');
}
