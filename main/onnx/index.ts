/**
 * ONNX models as a data source: "here is my model.onnx and a batch of inputs" becomes the
 * same Dataset a dump of activations gives (features, logits, W, b, labels), so the engine,
 * the CLI and the app treat both alike.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { badInput } from '../../shared/errors.ts';
import type { Progress } from '../../shared/schema.ts';
import { datasetFromRoles, openFile } from '../io/index.ts';
import { formatShape } from '../../shared/format.ts';
import { readLabelValues } from '../io/validate.ts';
import { memoryArray } from '../io/memory.ts';
import type { ArraySource, Container, Dataset, Role } from '../io/types.ts';
import { extractRows, type Extracted } from './extract.ts';
import { planInput } from './feed.ts';
import { describeModel, type ModelInfo } from './inspect.ts';
import { loadModel } from './model.ts';
import { createModelSession } from './model-session.ts';

export { inspectModel, type ModelInfo } from './inspect.ts';

/**
 * Where an input or label array comes from: a file holding that array alone, or an array
 * already opened by the caller (a bundle's member), which the caller keeps open and closes;
 * `file` is how messages name it (`bundle.npz:inputs`).
 */
export type ModelArray = string | { file: string; array: ArraySource };

export interface ModelDatasetOptions {
  model: string;
  /** Training split: inputs (any shape the model accepts) and one label per row. */
  inputs: ModelArray;
  labels: ModelArray;
  testInputs?: ModelArray;
  testLabels?: ModelArray;
  /** Tensor to take as features; default: the input of the classifier found. */
  featuresTensor?: string;
  /** Rows per onnxruntime run (default 256; a model with a fixed batch size uses its own). */
  batchSize?: number;
  /** Features + logits of a split above this many bytes go to temporary .npy files. */
  memoryLimitBytes?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface ModelDataset {
  dataset: Dataset;
  info: ModelInfo;
  /** Closes the files the dataset reads and removes temporary files. */
  close(): Promise<void>;
}

const DEFAULT_BATCH = 256;
/** How many candidate tensors an error lists (the ones nearest the output). */
const LISTED_CANDIDATES = 8;

/** Candidate tensors for a message, nearest the output first. */
function candidateList(info: ModelInfo): string {
  const near = info.candidates.slice(-LISTED_CANDIDATES).reverse();
  const more = info.candidates.length - near.length;
  const list = near.map((t) => `'${t}'`).join(', ') || 'none';
  return more > 0 ? `${list} and ${more} more` : list;
}

/** The features tensor: the one the user named, else the classifier's input. */
function featuresTensor(file: string, info: ModelInfo, wanted?: string): string {
  if (wanted) {
    if (!info.candidates.includes(wanted))
      throw badInput(file, `a features tensor among ${candidateList(info)}`, `'${wanted}'`);
    return wanted;
  }
  if (!info.classifier)
    throw badInput(
      file,
      `a final Gemm or MatMul(+Add) classifier feeding an output; pick a features tensor among ${candidateList(info)}`,
      'none',
    );
  return info.classifier.featuresTensor;
}

/** The array given, or the single array stored in the file named. */
async function openArray(from: ModelArray, opened: Container[]): Promise<ArraySource> {
  if (typeof from !== 'string') return from.array;
  const file = from;
  const container = await openFile(file);
  opened.push(container);
  if (container.arrays.length !== 1)
    throw badInput(file, 'one array', `${container.arrays.length} arrays`);
  return container.arrays[0];
}

interface Opened {
  inputs: Container[];
  labels: Container[];
}

/** How messages name an input or label array. */
const arrayName = (from: ModelArray): string => (typeof from === 'string' ? from : from.file);

async function openSplitFiles(
  inputsFrom: ModelArray,
  labelsFrom: ModelArray | undefined,
  opened: Opened,
  minClasses: number,
): Promise<{ inputs: ArraySource; labels: ArraySource }> {
  const inputsFile = arrayName(inputsFrom);
  if (!labelsFrom) throw badInput(inputsFile, 'a labels file for these inputs', 'none');
  const labelsFile = arrayName(labelsFrom);
  const inputs = await openArray(inputsFrom, opened.inputs);
  const labels = await openArray(labelsFrom, opened.labels);
  if (inputs.rows === 0) throw badInput(inputsFile, 'at least one sample', '0 rows');
  if (labels.rows !== inputs.rows || labels.rowSize !== 1)
    throw badInput(
      labelsFile,
      `${inputs.rows} labels (one per row of ${inputsFile})`,
      formatShape(labels.shape, 'message'),
    );
  // Checked before the model runs, so a bad labels file fails in a second, not after the run.
  await readLabelValues(labels, labelsFile, minClasses);
  return { inputs, labels };
}

/**
 * Runs the model over the inputs and returns the Dataset the engine analyses. W and b come
 * with it when the features are the classifier's input; logits whenever a classifier exists.
 */
export async function openModelDataset(opts: ModelDatasetOptions): Promise<ModelDataset> {
  const model = await loadModel(opts.model);
  const { info } = describeModel(model);
  const features = featuresTensor(model.file, info, opts.featuresTensor);
  const classifier = info.classifier;
  const logits =
    classifier && classifier.logitsTensor !== features ? classifier.logitsTensor : null;
  const tensors = logits ? [features, logits] : [features];
  const opened: Opened = { inputs: [], labels: [] };
  const extracted: Extracted[] = [];
  let tempDir: string | null = null;
  const close = async (): Promise<void> => {
    await Promise.all(extracted.flatMap((x) => x.stores.map((s) => s.close())));
    await Promise.all([...opened.inputs, ...opened.labels].map((c) => c.close()));
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  };
  try {
    const train = await openSplitFiles(opts.inputs, opts.labels, opened, 2);
    const test = opts.testInputs
      ? await openSplitFiles(opts.testInputs, opts.testLabels, opened, 1)
      : undefined;
    const splits = test ? [train, test] : [train];
    const plans = splits.map((s) => planInput(model.file, info.inputs, s.inputs));
    const totalRows = splits.reduce((sum, s) => sum + s.inputs.rows, 0);
    const session = await createModelSession(model, tensors);
    try {
      let rowsBefore = 0;
      for (const [i, split] of splits.entries()) {
        const prefix = i === 0 ? '' : 'test:';
        const job = await extractRows({
          session,
          modelFile: model.file,
          plan: plans[i],
          source: split.inputs,
          tensors,
          names: tensors.map((t) => prefix + t),
          batchSize: opts.batchSize ?? DEFAULT_BATCH,
          memoryLimitBytes: opts.memoryLimitBytes,
          tempDir: async () => (tempDir ??= await mkdtemp(join(tmpdir(), 'nc-lens-onnx-'))),
          rowsBefore,
          totalRows,
          phase: i === 0 ? 'features' : 'test features',
          signal: opts.signal,
          onProgress: opts.onProgress,
        });
        extracted.push(job);
        rowsBefore += split.inputs.rows;
      }
    } finally {
      await session.release();
    }
    // The inputs are not needed once the model has run; the labels stay open with the dataset.
    await Promise.all(opened.inputs.splice(0).map((c) => c.close()));
    const warnings = plans.flatMap((p) => p.warnings);
    const dataset = await assemble(model.file, info, features, splits, extracted, warnings);
    return { dataset, info, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * The Dataset, through the same validation as a dump (main/io datasetFromRoles): labels are
 * class indices below C, logits are N×C, W fits the features. W and b join only when they act
 * on the chosen features.
 */
async function assemble(
  model: string,
  info: ModelInfo,
  features: string,
  splits: { labels: ArraySource }[],
  extracted: Extracted[],
  warnings: string[],
): Promise<Dataset> {
  const roles = new Map<ArraySource, Role>();
  const [trainRoles, testRoles] = [
    ['features', 'logits', 'labels'],
    ['test_features', 'test_logits', 'test_labels'],
  ] as const;
  for (const [i, split] of splits.entries()) {
    const names = i === 0 ? trainRoles : testRoles;
    const [f, logits] = extracted[i].arrays;
    roles.set(f, names[0]);
    if (logits) roles.set(logits, names[1]);
    roles.set(split.labels, names[2]);
  }
  const c = info.classifier;
  if (!c) {
    warnings.push(`no classifier found: features '${features}' only, no W, b or logits`);
  } else if (c.featuresTensor !== features) {
    warnings.push(`W and b of '${c.node}' not used: they act on '${c.featuresTensor}'`);
  } else {
    const { rows, cols, data } = c.weight;
    roles.set(memoryArray(`weight (${c.node})`, [rows, cols], data, 'f8', model), 'weight');
    if (c.bias) roles.set(memoryArray(`bias (${c.node})`, [rows], c.bias, 'f8', model), 'bias');
  }
  const dataset = await datasetFromRoles([...roles.keys()], roles);
  dataset.warnings.push(...warnings);
  return dataset;
}
