/**
 * Loading activation files: `openFile` picks a reader by content (then extension) and returns
 * lazily-read arrays; `openDataset` opens several files, assigns roles (guessed, or overridden)
 * and validates them into a Dataset for the engine.
 */
import { open, stat } from 'node:fs/promises';
import { badInput } from '../../shared/errors.ts';
import { readHead } from './bytes.ts';
import { datasetFromRoles, nameList } from './dataset.ts';
import { readNamesFile } from './names.ts';
import { readNpyFile } from './npy.ts';
import { readNpzFile } from './npz.ts';
import { readTensorFile } from './onnx-tensor.ts';
import { guessRoles } from './roles.ts';
import { readSafetensorsFile } from './safetensors.ts';
import { HEAD_BYTES, sniffFormat, SUPPORTED_FORMATS } from './sniff.ts';
import { readTorchFile } from './torch.ts';
import type { ArraySource, Container, Dataset, Format, Role } from './types.ts';

export { assertFinite } from './validate.ts';
export { arrayLabel, datasetFromRoles } from './dataset.ts';
export { guessRoles } from './roles.ts';
export type { ArrayInfo, ArraySource, Container, Dataset, Matrix, Role } from './types.ts';

/** An override naming one array of a file: `FILE:ARRAY` (the array name has no colon or slash). */
export const FILE_ARRAY = /^(.+):([^:/\\]+)$/;

const READERS: Record<Exclude<Format, 'onnx-model'>, (file: string) => Promise<Container>> = {
  npy: readNpyFile,
  npz: readNpzFile,
  'onnx-tensor': readTensorFile,
  safetensors: readSafetensorsFile,
  torch: readTorchFile,
  names: readNamesFile,
};

/** The file's format, by content then extension; undefined when unrecognised. */
export async function fileFormat(path: string): Promise<Format | undefined> {
  const info = await stat(path).catch(() => {
    throw badInput(path, 'a readable file', 'no such file');
  });
  if (!info.isFile()) throw badInput(path, 'a file', 'a directory or device');
  const handle = await open(path, 'r');
  const head = await readHead(handle, HEAD_BYTES).finally(() => handle.close());
  return sniffFormat(path, head, info.size);
}

export async function openFile(path: string): Promise<Container> {
  const format = await fileFormat(path);
  if (format === 'onnx-model') {
    throw badInput(path, SUPPORTED_FORMATS, 'an ONNX model (give models with --model)');
  }
  if (!format) throw badInput(path, SUPPORTED_FORMATS, 'unrecognised content');
  return READERS[format](path);
}

/** Role → array: an array name (`fc.weight`), a file path, or `file.npz:array`. */
export interface RoleOverrides {
  features?: string;
  labels?: string;
  weight?: string;
  bias?: string;
  logits?: string;
  test_features?: string;
  test_labels?: string;
  test_logits?: string;
}

export interface OpenedDataset {
  dataset: Dataset;
  containers: Container[];
  close(): Promise<void>;
}

export async function openDataset(
  paths: string[],
  overrides: RoleOverrides = {},
): Promise<OpenedDataset> {
  const containers: Container[] = [];
  const close = async (): Promise<void> => {
    await Promise.allSettled(containers.map((c) => c.close()));
  };
  try {
    for (const p of paths) containers.push(await openFile(p));
    const arrays = containers.flatMap((c) => c.arrays);
    const roles = guessRoles(arrays);
    for (const [role, value] of Object.entries(overrides) as [Role, string | undefined][]) {
      if (!value) continue;
      const chosen = await overrideArray(value, role, containers);
      if (!arrays.includes(chosen)) arrays.push(chosen);
      for (const [a, r] of roles) if (r === role) roles.set(a, 'ignore');
      roles.set(chosen, role);
    }
    const dataset = await datasetFromRoles(arrays, roles);
    return { dataset, containers, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * The array an override names. Files named by an override are opened and added to
 * `containers` (so they are closed with the rest).
 */
async function overrideArray(
  value: string,
  role: Role,
  containers: Container[],
): Promise<ArraySource> {
  const split = FILE_ARRAY.exec(value);
  if (split && (await isFile(split[1]))) {
    const container = await containerFor(split[1], containers);
    return pickArray(container.arrays, split[2], value, role);
  }
  if (await isFile(value)) {
    const { arrays } = await containerFor(value, containers);
    if (arrays.length === 1) return arrays[0];
    throw badInput(
      value,
      `one array for ${role} (write ${value}:NAME)`,
      nameList(arrays.map((a) => a.name)),
    );
  }
  return pickArray(
    containers.flatMap((c) => c.arrays),
    value,
    value,
    role,
  );
}

function pickArray(arrays: ArraySource[], name: string, value: string, role: Role): ArraySource {
  const hits = arrays.filter((a) => a.name === name);
  if (hits.length === 1) return hits[0];
  const files = nameList([...new Set(arrays.map((a) => a.file))]) || undefined;
  const found = hits.length
    ? `${hits.length} arrays named ${name}`
    : `only ${nameList(arrays.map((a) => a.name)) || 'no arrays'}`;
  throw badInput(files, `an array '${value}' for ${role}`, found);
}

async function containerFor(file: string, containers: Container[]): Promise<Container> {
  const open = containers.find((c) => c.file === file);
  if (open) return open;
  const added = await openFile(file);
  containers.push(added);
  return added;
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}
