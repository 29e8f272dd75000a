/**
 * ONNX models in the session: a model file opens as an entry that lists what the model offers
 * (its inputs, the classifier found, the tensors that can be features); the arrays opened
 * beside it that the model accepts are guessed as its inputs, and the analysis runs the model
 * on them (main/onnx) before the engine sees the features, as `nc-lens analyze --model` does.
 */
import { stat } from 'node:fs/promises';
import type { ModelEntry, Role } from '../../shared/api.ts';
import { badInput } from '../../shared/errors.ts';
import type { Progress } from '../../shared/schema.ts';
import { formatShape } from '../../shared/format.ts';
import { INTEGRAL } from '../io/decode.ts';
import type { ArraySource, Container, Dataset } from '../io/types.ts';
import type { ModelInfo } from '../onnx/index.ts';
import { planInput } from '../onnx/feed.ts';

type Onnx = typeof import('../onnx/index.ts');
// onnxruntime loads only when a model is opened.
let onnxModule: Promise<Onnx> | undefined;
const onnx = (): Promise<Onnx> => (onnxModule ??= import('../onnx/index.ts'));

export interface OpenModel {
  info: ModelInfo;
  /**
   * The features tensor the analysis uses: the classifier's input unless the user picked one;
   * null while a model with no classifier waits for a pick.
   */
  featuresTensor: string | null;
}

/** How many candidate tensors a message lists (the ones nearest the output). */
const LISTED = 8;

/**
 * The model at `path`, described. A model with no final linear classifier opens too: its
 * features tensor is then picked by the user, and the metrics that need W and b stay null.
 */
export async function openModel(path: string): Promise<{ container: Container; model: OpenModel }> {
  const info = await (await onnx()).inspectModel(path);
  const { size } = await stat(path);
  const container: Container = {
    file: path,
    format: 'onnx-model',
    bytes: size,
    arrays: [],
    close: async () => undefined,
  };
  return { container, model: { info, featuresTensor: info.classifier?.featuresTensor ?? null } };
}

export function modelEntry(model: OpenModel): ModelEntry {
  const c = model.info.classifier;
  return {
    inputs: model.info.inputs.map((i) => ({ ...i, shape: [...i.shape] })),
    classifier: c && {
      node: c.node,
      op: c.op,
      weightShape: [c.weight.rows, c.weight.cols],
      hasBias: c.bias !== undefined,
      featuresTensor: c.featuresTensor,
      logitsTensor: c.logitsTensor,
    },
    candidates: [...model.info.candidates],
    featuresTensor: model.featuresTensor,
  };
}

/** The features tensor to run the model for; a model with no classifier needs a pick first. */
export function pickedFeatures(modelName: string, model: OpenModel): string {
  if (model.featuresTensor !== null) return model.featuresTensor;
  const near = model.info.candidates.slice(-LISTED).reverse();
  const listed = near.map((t) => `'${t}'`).join(', ') || 'none';
  throw badInput(
    modelName,
    `a features tensor to be picked (no linear classifier found; nearest the output: ${listed})`,
    'none',
  );
}

const TEST_WORDS = new Set(['test', 'val', 'valid', 'validation']);

function isTestNamed(name: string): boolean {
  return name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .some((w) => TEST_WORDS.has(w));
}

/** Whether the model's input takes rows of `a` (as `planInput` will, when it runs). */
function modelTakes(modelFile: string, info: ModelInfo, a: ArraySource): boolean {
  if (a.shape.length < 2) return false;
  try {
    planInput(modelFile, info.inputs, a);
    return true;
  } catch {
    return false;
  }
}

function isLabelsLike(a: ArraySource): boolean {
  return a.rowSize === 1 && a.shape.length <= 2 && INTEGRAL.has(a.dtype);
}

/**
 * Roles for arrays opened beside a model: arrays the model accepts are its inputs (a second
 * one, preferably test-named, the test inputs), and an integer vector of the same length each
 * one's labels. A single split is the training split whatever its name: it is all there is.
 * Arrays not guessed here are left to the usual guess.
 */
export function guessModelRoles(
  modelFile: string,
  model: OpenModel,
  arrays: ArraySource[],
): Map<ArraySource, Role> {
  const roles = new Map<ArraySource, Role>();
  const inputs = arrays
    .filter((a) => modelTakes(modelFile, model.info, a))
    .sort((a, b) => Number(isTestNamed(a.name)) - Number(isTestNamed(b.name)) || b.rows - a.rows);
  const splits = [
    ['inputs', 'labels'],
    ['test_inputs', 'test_labels'],
  ] as const;
  for (const [i, [inputsRole, labelsRole]] of splits.entries()) {
    const x = inputs[i];
    if (!x) break;
    roles.set(x, inputsRole);
    const labels = arrays.filter((a) => !roles.has(a) && isLabelsLike(a) && a.rows === x.rows);
    const y = labels.find((a) => isTestNamed(a.name) === isTestNamed(x.name)) ?? labels[0];
    if (y) roles.set(y, labelsRole);
  }
  return roles;
}

/** An array with its role, and the file it came from. */
export interface RoleArray {
  role: Role;
  array: ArraySource;
  /** The container holding it, and the name the user knows that file by. */
  container: Container;
  fileName: string;
}

const MODEL_ROLES = ['inputs', 'labels', 'test_inputs', 'test_labels'] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];
export type ModelSplits = Partial<Record<ModelRole, RoleArray>>;

/** The one array holding each model role; the training split's two are required. */
export function modelSplits(modelName: string, model: OpenModel, arrays: RoleArray[]): ModelSplits {
  const found: ModelSplits = {};
  for (const role of MODEL_ROLES) {
    const hits = arrays.filter((a) => a.role === role);
    if (hits.length > 1) {
      const names = hits.map((h) => `'${h.array.name}' (${h.fileName})`).join(', ');
      throw badInput(modelName, `one array with role '${role}'`, `${hits.length}: ${names}`);
    }
    if (hits[0]) found[role] = hits[0];
  }
  if (!found.inputs)
    throw badInput(
      modelName,
      `an inputs file the model takes (${inputShapes(model)}) opened with it, or an array with role 'inputs'`,
      'none',
    );
  if (!found.labels)
    throw badInput(modelName, "a labels file (N class indices) with role 'labels'", 'none');
  return found;
}

function inputShapes(model: OpenModel): string {
  return model.info.inputs.map((i) => `'${i.name}' ${formatShape(i.shape, 'message')}`).join(', ');
}

export interface ModelRun {
  /** What the run was computed from (`runKey`): the same key, the same features. */
  key: string;
  dataset: Dataset;
  /** Closes what the dataset reads (the model's outputs kept on disk included). */
  close(): Promise<void>;
}

/** Identifies a run: the model, the features tensor, and which array plays each role. */
export function runKey(modelFile: string, featuresTensor: string, splits: ModelSplits): string {
  const arrays = MODEL_ROLES.map(
    (r) => splits[r] && [splits[r].container.file, splits[r].array.name],
  );
  return JSON.stringify([modelFile, featuresTensor, arrays]);
}

/**
 * The model run over the split arrays (main/onnx, as `nc-lens analyze --model`): the Dataset
 * the engine analyses. The arrays are read where they are, a bundle's members included (the
 * session keeps their files open); errors name a member as `path:array`, which the session
 * shows by the file's name.
 */
export async function runModel(
  modelFile: string,
  featuresTensor: string,
  splits: ModelSplits,
  opts: { signal: AbortSignal; onProgress?: (p: Progress) => void },
): Promise<ModelRun> {
  const from = (a: RoleArray | undefined) =>
    a && {
      file:
        a.container.arrays.length === 1 ? a.container.file : `${a.container.file}:${a.array.name}`,
      array: a.array,
    };
  const { openModelDataset } = await onnx();
  const { dataset, close } = await openModelDataset({
    model: modelFile,
    inputs: from(splits.inputs)!,
    labels: from(splits.labels)!,
    testInputs: from(splits.test_inputs),
    testLabels: from(splits.test_labels),
    featuresTensor,
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  return { key: runKey(modelFile, featuresTensor, splits), dataset, close };
}

/** The progress of running the model, named as the user sees it. */
export function modelProgress(
  onProgress?: (p: Progress) => void,
): ((p: Progress) => void) | undefined {
  if (!onProgress) return undefined;
  return (p) =>
    onProgress({
      ...p,
      phase: p.phase.startsWith('test') ? 'running the model (test split)' : 'running the model',
    });
}
