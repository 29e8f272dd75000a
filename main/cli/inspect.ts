/**
 * `nc-lens inspect FILE... [--json]`: every array in each file with its dtype, shape, size and
 * the role NC Lens would give it. Nothing is computed; only headers are read.
 */
import { parseArgs } from 'node:util';
import { badInput } from '../../shared/errors.ts';
import { guessRoles, openFile } from '../io/index.ts';
import type { ArraySource, Container, Role } from '../io/types.ts';

const USAGE = `usage: nc-lens inspect FILE... [--json]

Lists the arrays in .npy, .npz, ONNX TensorProto (.pb) and .safetensors files with their
dtype, shape, bytes and guessed role (features, labels, weight, bias, logits, test_*, layer).

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
  const text = values.json ? JSON.stringify({ files }, null, 2) : files.map(table).join('\n\n');
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
    throw badInput(undefined, 'options --json or --help', (e as Error).message.split('. ')[0]);
  }
}

/**
 * Opens all files (all or none), then guesses roles the way the app does: single-array files
 * together (features.npy + labels.npy belong together), each bundle on its own.
 */
export async function inspectFiles(paths: string[]): Promise<InspectedFile[]> {
  const containers: Container[] = [];
  try {
    for (const p of paths) containers.push(await openFile(p));
    const singles = containers.filter((c) => c.arrays.length === 1);
    const groups = [singles, ...containers.filter((c) => c.arrays.length !== 1).map((c) => [c])];
    const roles = new Map<ArraySource, Role>();
    for (const group of groups) {
      for (const [a, r] of guessRoles(group.flatMap((c) => c.arrays))) roles.set(a, r);
    }
    return containers.map((c) => ({
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
  } finally {
    await Promise.allSettled(containers.map((c) => c.close()));
  }
}

function table(f: InspectedFile): string {
  const rows = [
    ['name', 'dtype', 'shape', 'bytes', 'role'],
    ...f.arrays.map((a) => [a.name, a.dtype, shapeText(a.shape), String(a.bytes), a.role]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) =>
    r
      .map((cell, i) => (i === 3 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
  return [`${f.file}  (${f.format}, ${f.bytes} bytes)`, ...lines.map((l) => `  ${l}`)].join('\n');
}

function shapeText(shape: number[]): string {
  return shape.length === 0 ? '()' : shape.join('×');
}
