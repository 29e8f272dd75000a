/**
 * Turning rows of the user's inputs file into the tensor the model's input expects: the
 * shape and dtype are checked once, before anything runs, so a mismatch is one clear line
 * instead of an onnxruntime message halfway through a long run.
 */
import { badInput } from '../../shared/errors.ts';
import { formatShape } from '../../shared/format.ts';
import { product } from '../io/decode.ts';
import type { ArraySource } from '../io/types.ts';
import type { TensorInfo } from './inspect.ts';

/** Input element types NC Lens can feed, with the typed array onnxruntime wants for each. */
const FEEDABLE = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
} as const;

export type FeedType = keyof typeof FEEDABLE;
export type FeedArray = InstanceType<(typeof FEEDABLE)[FeedType]>;

export interface InputPlan {
  name: string;
  type: FeedType;
  /** Shape of one sample as fed (after reshaping to the model's fixed trailing dims). */
  rowShape: number[];
  /** The model's batch size when it is fixed (e.g. 1); short final batches are zero-padded. */
  fixedBatch: number | null;
  warnings: string[];
}

/** The largest fixed batch size fed (models fix 1, 32, 256…; a batch is allocated whole). */
export const MAX_FIXED_BATCH = 8192;

function isFeedable(type: string): type is FeedType {
  return type in FEEDABLE;
}

/**
 * How `source` feeds the model's only input. Rows keep their own shape when it fits the
 * model's; a row whose size equals the model's fixed per-sample size is reshaped (a flat
 * N×784 file into an N×1×28×28 input); anything else is refused.
 */
export function planInput(modelFile: string, inputs: TensorInfo[], source: ArraySource): InputPlan {
  if (inputs.length !== 1) {
    const names = inputs.map((i) => `'${i.name}'`).join(', ') || 'none';
    throw badInput(modelFile, 'a model with one input to feed', `${inputs.length} (${names})`);
  }
  const input = inputs[0];
  // A model that states no type or shape takes the file as it is, as float32.
  const type = input.type.startsWith('type ') ? 'float32' : input.type;
  const wanted = `input '${input.name}' of shape ${formatShape(input.shape, 'message')} (${type})`;
  const found = `${formatShape(source.shape, 'message')} (${source.dtype})`;
  const integral = !['f2', 'bf16', 'f4', 'f8'].includes(source.dtype);
  if (!isFeedable(type) || (!type.startsWith('float') && !integral) || source.shape.length === 0)
    throw badInput(source.file, wanted, found);
  const modelRow = input.shape.slice(1);
  const fileRow = source.shape.slice(1);
  const fits =
    input.shape.length === 0 ||
    (modelRow.length === fileRow.length &&
      modelRow.every((d, i) => typeof d !== 'number' || d === fileRow[i]));
  const fixedRow = modelRow.every((d) => typeof d === 'number') ? (modelRow as number[]) : null;
  const reshapes = !fits && fixedRow !== null && product(fixedRow) === product(fileRow);
  if (!fits && !reshapes) throw badInput(source.file, wanted, found);
  const warnings = reshapes
    ? [
        `${source.file}: rows of ${formatShape(fileRow, 'message')} reshaped to ${formatShape(fixedRow!, 'message')}`,
      ]
    : [];
  const batchDim = input.shape[0];
  // A fixed batch size is fed whole (zero-padded), so a declared 2**40 would be allocated.
  if (typeof batchDim === 'number' && batchDim > MAX_FIXED_BATCH) {
    throw badInput(
      modelFile,
      `input '${input.name}' with a batch size of at most ${MAX_FIXED_BATCH} (or a symbolic one)`,
      `a fixed batch size of ${batchDim}`,
    );
  }
  return {
    name: input.name,
    type,
    rowShape: reshapes ? fixedRow! : fileRow,
    fixedBatch: typeof batchDim === 'number' ? batchDim : null,
    warnings,
  };
}

/** `rows` (float64, C order) as the input's typed array, zero-padded to `length` values. */
export function feedValues(type: FeedType, rows: Float64Array, length: number): FeedArray {
  if (type === 'int64') {
    const out = new BigInt64Array(length);
    for (let i = 0; i < rows.length; i++) out[i] = BigInt(rows[i]);
    return out;
  }
  const out = new FEEDABLE[type](length);
  out.set(rows);
  return out;
}
