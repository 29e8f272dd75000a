/**
 * Assembling a Dataset from arrays with roles, checking everything that can be checked before
 * computing: shapes agree, labels are class indices, the classifier is finite and fits the
 * features. Features themselves are checked for NaN/Inf by the engine while it reads them.
 */
import path from 'node:path';
import { badInput } from '../../shared/errors.ts';
import { formatShape } from '../../shared/format.ts';
import { memoryArray } from './memory.ts';
import type { ArraySource, Dataset, Matrix, Role, Split } from './types.ts';
import { assertFinite, readLabelValues } from './validate.ts';

/** How an array is named in messages: `file` for a one-array file, else `file:array`. */
export function arrayLabel(a: ArraySource): string {
  const stem = path.basename(a.file).replace(/\.[^.]*$/, '');
  return stem === a.name ? a.file : `${a.file}:${a.name}`;
}

/** How many names a message lists before "and N more": an .npz may hold 100 000 entries. */
const LISTED_NAMES = 10;

/** `a, b, c` or `a, b, … and 12 more`: a listing that keeps a message to one readable line. */
export function nameList(names: readonly string[], max = LISTED_NAMES): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

/**
 * A value from a file header as a message quotes it: short, and never a stack overflow (a
 * header may nest a "shape" 500 000 arrays deep).
 */
export function briefJson(v: unknown, max = 60): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = Array.isArray(v) ? '[[[… (nested too deep)' : typeof v;
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Dims as a message lists them: `2, 3, 4`, or the first 8 and `… (80 dims)`. */
export function dimsText(dims: readonly unknown[], max = 8): string {
  const shown = dims.slice(0, max).join(', ');
  return dims.length > max ? `${shown}, … (${dims.length} dims)` : shown;
}

/** A name or dtype from a file header, quoted short (a header may hold 5 000 of them). */
export function briefText(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export async function datasetFromRoles(
  arrays: ArraySource[],
  roles: Map<ArraySource, Role>,
): Promise<Dataset> {
  const warnings: string[] = [];
  const withRole = (r: Role) => arrays.filter((a) => roles.get(a) === r);
  const one = (r: Role) => single(withRole(r), r);
  const layerArrays = withRole('layer');
  const features = one('features') ?? layerArrays.at(-1);
  if (!features) throw missing(arrays, 'a features array (N×D)');
  const labelsSource = one('labels');
  if (!labelsSource) throw missing(arrays, 'a labels array (N class indices)');

  const d = checkFeatures(features, features.rows);
  const n = features.rows;
  const labels = await readLabels(labelsSource, n, arrayLabel(features), 2);
  const weightSource = one('weight');
  const weight = weightSource ? await readWeight(weightSource, d, warnings) : undefined;
  const biasSource = one('bias');
  const bias = biasSource ? await readBias(biasSource, weight) : undefined;
  const classes = weight?.rows;
  const train: Split = {
    features,
    labels: labels.array,
    logits: checkLogits(one('logits'), n, classes),
  };
  checkLabelRange(labelsSource, labels.max, classes ?? train.logits?.rowSize);

  const layers = layerArrays.length
    ? [...layerArrays, ...(layerArrays.includes(features) ? [] : [features])]
    : undefined;
  for (const layer of layers ?? []) checkFeatures(layer, n);

  return {
    train,
    test: await testSplit(one, d, classes, warnings),
    weight,
    bias,
    layers: layers?.map((a) => ({ name: a.name, features: a })),
    roles: roleRecord(arrays, roles),
    warnings,
  };
}

function single(candidates: ArraySource[], role: Role): ArraySource | undefined {
  if (candidates.length <= 1) return candidates[0];
  const files = nameList([...new Set(candidates.map((a) => a.file))]);
  const names = nameList(candidates.map(arrayLabel));
  throw badInput(
    files,
    `one ${role} array (set the role explicitly)`,
    `${candidates.length} candidates: ${names}`,
  );
}

function missing(arrays: ArraySource[], expected: string): Error {
  const files = nameList([...new Set(arrays.map((a) => a.file))]);
  const names = nameList(arrays.map((a) => a.name));
  return badInput(files || undefined, expected, arrays.length ? `only ${names}` : 'no arrays');
}

/** Features are N×… with N = `n`; returns D (trailing dimensions flattened). */
function checkFeatures(a: ArraySource, n: number): number {
  if (a.shape.length < 2 || a.rows === 0 || a.rowSize === 0) {
    throw badInput(
      arrayLabel(a),
      'features of shape N×D',
      `shape ${formatShape(a.shape, 'message')}`,
    );
  }
  if (a.rows !== n) {
    throw badInput(arrayLabel(a), `${n} rows like the other feature layers`, `${a.rows}`);
  }
  return a.rowSize;
}

async function readLabels(
  a: ArraySource,
  n: number,
  featuresLabel: string,
  minClasses: number,
): Promise<{ array: ArraySource; max: number }> {
  const where = arrayLabel(a);
  if (a.shape.length === 0 || a.shape.length > 2 || a.rowSize !== 1) {
    throw badInput(where, 'labels of shape (N,)', `shape ${formatShape(a.shape, 'message')}`);
  }
  if (a.rows !== n) {
    throw badInput(where, `${n} labels, one per row of ${featuresLabel}`, `${a.rows}`);
  }
  const { values, max } = await readLabelValues(a, where, minClasses);
  // Labels are read again by every pass: keep them in memory, compact.
  return { array: memoryArray(a.name, a.shape, values, a.dtype, a.file), max };
}

function checkLabelRange(a: ArraySource, max: number, classes: number | undefined): void {
  if (classes !== undefined && max >= classes) {
    throw badInput(
      arrayLabel(a),
      `labels below ${classes} (the classifier's number of outputs)`,
      `label ${max}`,
    );
  }
}

/** C×D, or D×C (Keras) transposed to C×D when only one side equals D. */
async function readWeight(a: ArraySource, d: number, warnings: string[]): Promise<Matrix> {
  const where = arrayLabel(a);
  const [r, c] = a.shape;
  if (a.shape.length !== 2 || (r !== d && c !== d) || r === 0 || c === 0) {
    throw badInput(
      where,
      `classifier weight C×${d} or ${d}×C to match the features' width D=${d}`,
      formatShape(a.shape, 'message'),
    );
  }
  const data = await a.readRows(0, r);
  assertFinite(data, 0, c, where, 'weight');
  if (c === d) {
    if (r === d) warnings.push(`${where}: square ${d}×${d} weight read as C×D (PyTorch layout)`);
    return { rows: r, cols: c, data };
  }
  warnings.push(`${where}: weight stored D×C (${r}×${c}), transposed to C×D`);
  return { rows: c, cols: r, data: transpose(data, r, c) };
}

/** The cols×rows transpose of a row-major rows×cols matrix. */
export function transpose(data: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(data.length);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j];
  return out;
}

async function readBias(a: ArraySource, weight: Matrix | undefined): Promise<Float64Array> {
  const where = arrayLabel(a);
  const length = a.rows * a.rowSize;
  if (a.shape.length !== 1 || (weight && length !== weight.rows)) {
    const c = weight ? `${weight.rows}` : 'C';
    throw badInput(
      where,
      `a bias of length ${c} (one per class)`,
      `shape ${formatShape(a.shape, 'message')}`,
    );
  }
  const data = await a.readRows(0, a.rows);
  assertFinite(data, 0, 1, where, 'bias');
  return data;
}

function checkLogits(
  a: ArraySource | undefined,
  n: number,
  classes: number | undefined,
): ArraySource | undefined {
  if (!a) return undefined;
  const c = classes ?? a.shape[1];
  if (a.shape.length !== 2 || a.rows !== n || a.shape[1] !== c) {
    throw badInput(
      arrayLabel(a),
      `logits of shape ${n}×${classes ?? 'C'}`,
      formatShape(a.shape, 'message'),
    );
  }
  return a;
}

async function testSplit(
  one: (r: Role) => ArraySource | undefined,
  d: number,
  classes: number | undefined,
  warnings: string[],
): Promise<Split | undefined> {
  const features = one('test_features');
  const labels = one('test_labels');
  const logits = one('test_logits');
  if (!features && !labels) {
    if (logits) warnings.push(`${arrayLabel(logits)}: test logits without test features, ignored`);
    return undefined;
  }
  if (!features || !labels) {
    const have = (features ?? labels)!;
    throw badInput(arrayLabel(have), 'test features and test labels together', `only ${have.name}`);
  }
  if (features.shape.length < 2 || features.rowSize !== d) {
    throw badInput(
      arrayLabel(features),
      `test features N×${d} like the training features`,
      formatShape(features.shape, 'message'),
    );
  }
  const n = features.rows;
  const read = await readLabels(labels, n, arrayLabel(features), 1);
  const test = { features, labels: read.array, logits: checkLogits(logits, n, classes) };
  checkLabelRange(labels, read.max, classes ?? test.logits?.rowSize);
  return test;
}

/** Array name → role, with `file:name` where two files hold arrays of the same name. */
function roleRecord(arrays: ArraySource[], roles: Map<ArraySource, Role>): Record<string, Role> {
  const record: Record<string, Role> = {};
  for (const a of arrays) {
    const key = a.name in record ? `${path.basename(a.file)}:${a.name}` : a.name;
    record[key] = roles.get(a) ?? 'ignore';
  }
  return record;
}
